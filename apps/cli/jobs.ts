/**
 * The jobs of a state directory, as a user manages them: `reelswarm jobs list|show|cancel` and
 * `reelswarm resume`. A job's file (`<state>/jobs/<id>.json`, see run-job.ts) is pending until it
 * runs, failed (with the stage and message) when its last run failed, and removed once it finished;
 * a job is running while a live process holds the state directory's lock for it. `resume` finishes
 * every pending job, each on its own: one that fails is reported and the next one still runs.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Duration, Effect, Either, Schedule, Schema } from "effect"
import { type JobSpec, JobSpec as JobSpecSchema } from "../../agents/index.ts"
import { mediaFileSystem } from "../../media/index.ts"
import { described } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { CliError, fileErrorText, type JobFile, pendingJobs, runJob, StateDirError } from "./run-job.ts"
import { currentHolder, type LockHolder } from "./state-lock.ts"

/** Some of the jobs `resume` ran failed: exit code 1. The message names each. */
export class ResumeFailedError extends Schema.TaggedError<ResumeFailedError>()("ResumeFailedError", { message: Schema.String }) {}

export type JobStatus = "pending" | "running" | "failed"

interface JobEntry {
  readonly id: string
  readonly status: JobStatus
  readonly file: JobFile
  readonly path: string
  readonly since: number
  readonly holder: LockHolder | undefined
}

const entries = (state: string) =>
  Effect.map(pendingJobs(state), (jobs) => {
    const holder = currentHolder(state)
    return jobs.map((j): JobEntry => {
      const running = holder !== undefined && holder.job === j.id
      return {
        id: j.id,
        status: running ? "running" : j.status,
        file: { spec: j.spec, topology: j.topology, status: j.status, ...(j.failure === undefined ? {} : { failure: j.failure }) },
        path: j.file,
        since: j.since,
        holder: running ? holder : undefined
      }
    })
  })

const titleOf = (spec: JobSpec) => (spec.script._tag === "Topic" ? `topic: ${spec.script.topic}` : spec.script.title)

/** A job as `--json` prints it. */
const describeJob = (entry: JobEntry, withSpec: boolean) => ({
  id: entry.id,
  status: entry.status,
  title: titleOf(entry.file.spec),
  output: entry.file.spec.output.path,
  attempt: entry.file.spec.attempt ?? 0,
  since: new Date(entry.since).toISOString(),
  ...(entry.file.failure === undefined ? {} : { failure: entry.file.failure }),
  ...(entry.holder === undefined ? {} : { pid: entry.holder.pid, host: entry.holder.host }),
  ...(withSpec ? { topology: entry.file.topology, spec: Schema.encodeSync(JobSpecSchema)(entry.file.spec) } : {})
})

const line = (entry: JobEntry) => {
  const head = `${entry.id}  ${entry.status.padEnd(7)}  ${entry.file.spec.output.path}`
  if (entry.status === "running" && entry.holder !== undefined) return `${head}  (pid ${entry.holder.pid})`
  if (entry.status === "failed" && entry.file.failure !== undefined) return `${head}  ${entry.file.failure.message.split("\n")[0]}`
  return head
}

const print = (text: string) => Effect.sync(() => process.stdout.write(text + "\n"))

/** The job `id` names: its full id or a prefix that only it has. */
const findJob = (state: string, id: string) =>
  Effect.flatMap(entries(state), (all) => {
    const exact = all.find((e) => e.id === id)
    const matches = exact === undefined ? all.filter((e) => e.id.startsWith(id)) : [exact]
    if (matches.length === 1) return Effect.succeed(matches[0]!)
    return new CliError({
      message: matches.length === 0
        ? `no job ${id} in ${state} (a finished job is removed; its report lies beside its output): see \`reelswarm jobs list\``
        : `${id} names ${matches.length} jobs in ${state}: ${matches.map((m) => m.id).join(", ")}`
    })
  })

const list = Command.make("list", { state: job.state, config: job.config, json: job.json, verbose }, (o) =>
  Effect.gen(function*() {
    const all = yield* entries(o.state)
    if (o.json) return yield* print(JSON.stringify(all.map((e) => describeJob(e, false)), null, 2))
    if (all.length === 0) return yield* Console.error(`no jobs in ${o.state}`)
    for (const entry of all) yield* print(line(entry))
  })).pipe(
    handleVerbose,
    Command.withDescription(
      described("List the jobs of the state directory: pending, running and failed (finished ones are removed).", [
        "reelswarm jobs list",
        "reelswarm jobs list --json --state /data/reelswarm"
      ])
    )
  )

const jobArg = Args.text({ name: "ID" }).pipe(Args.withDescription("The job id (or a prefix only it has), as `jobs list` prints it."))

const show = Command.make(
  "show",
  { id: jobArg, state: job.state, config: job.config, json: job.json, verbose },
  (o) =>
    Effect.gen(function*() {
      const entry = yield* findJob(o.state, o.id)
      const described = describeJob(entry, true)
      if (o.json) return yield* print(JSON.stringify(described, null, 2))
      const rows = [
        ["job", entry.id],
        ["status", entry.holder === undefined ? entry.status : `${entry.status} (pid ${entry.holder.pid} on ${entry.holder.host})`],
        ["title", described.title],
        ["output", described.output],
        ["attempt", String(described.attempt)],
        ["since", described.since],
        ...(entry.file.failure === undefined
          ? []
          : [["failed", entry.file.failure.message], ["at", new Date(entry.file.failure.at).toISOString()]])
      ]
      for (const [key, value] of rows) yield* print(`${key!.padEnd(8)} ${value}`)
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described("Show one job: its status, output, attempt and, if it failed, where and why.", [
      "reelswarm jobs show 3f2a",
      "reelswarm jobs show 3f2a --json"
    ])
  )
)

/** How long `jobs cancel` waits for a running job's process to stop. */
const STOP_TIMEOUT = Duration.seconds(60)

const cancel = Command.make("cancel", { id: jobArg, state: job.state, config: job.config, verbose }, (o) =>
  Effect.gen(function*() {
    const entry = yield* findJob(o.state, o.id)
    const holder = entry.holder
    if (holder !== undefined) {
      // The process running it is stopped as by Ctrl-C: its job is interrupted, not failed, and its lock released.
      yield* Effect.try({
        try: () => process.kill(holder.pid, "SIGTERM"),
        catch: (error) => new CliError({ message: `cannot stop pid ${holder.pid} running ${entry.id}: ${(error as Error).message}` })
      })
      yield* Effect.repeat(Effect.sync(() => currentHolder(o.state)), {
        while: (h) => h !== undefined && h.pid === holder.pid,
        schedule: Schedule.spaced("200 millis")
      }).pipe(
        Effect.timeoutFail({
          duration: STOP_TIMEOUT,
          onTimeout: () => new CliError({ message: `pid ${holder.pid} running ${entry.id} did not stop within 60 s` })
        })
      )
    }
    const fs = yield* mediaFileSystem
    yield* fs.remove(entry.path, { force: true }).pipe(
      Effect.mapError((error) => new StateDirError({ dir: o.state, message: `cannot remove ${entry.path}: ${fileErrorText(error)}` }))
    )
    yield* Console.error(`cancelled ${entry.id}${holder === undefined ? "" : ` (stopped pid ${holder.pid}, which was running it)`}`)
  })).pipe(
    handleVerbose,
    Command.withDescription(
      described("Cancel a job: stop the process running it, if any, and forget it (resume no longer runs it).", [
        "reelswarm jobs cancel 3f2a"
      ])
    )
  )

export const jobs = Command.make("jobs").pipe(
  Command.withDescription(
    described("The jobs of a state directory: list, show, cancel.", [
      "reelswarm jobs list",
      "reelswarm jobs show 3f2a",
      "reelswarm jobs cancel 3f2a"
    ])
  ),
  Command.withSubcommands([list, show, cancel])
)

const failedOption = Options.boolean("failed").pipe(
  Options.withDescription("Also run the jobs whose last run failed (each as its next attempt).")
)

export const resume = Command.make(
  "resume",
  { state: job.state, config: job.config, json: job.json, failed: failedOption, cacheMax: job.cacheMax, verbose },
  (o) =>
    Effect.gen(function*() {
      const all = yield* pendingJobs(o.state)
      const [chosen, skipped] = [
        all.filter((j) => o.failed || j.status !== "failed"),
        all.filter((j) => !o.failed && j.status === "failed")
      ]
      for (const j of skipped) {
        yield* Console.error(
          `skipping ${j.id}, which failed: ${j.failure?.message.split("\n")[0] ?? "unknown"} (resume --failed runs it again)`
        )
      }
      if (chosen.length === 0) return yield* Console.error(`nothing to resume in ${o.state}`)
      const failures: Array<string> = []
      // With --json, one document for the whole resume: each job's report, or its failure.
      const outcomes: Array<unknown> = []
      for (const pending of chosen) {
        const settings = { state: o.state, topology: pending.topology, json: o.json, quiet: o.json, cacheMax: o.cacheMax }
        const outcome = yield* Effect.either(runJob(pending.spec, settings, "resume"))
        if (Either.isRight(outcome)) {
          outcomes.push({ job: pending.id, status: "finished", report: outcome.right })
          continue
        }
        // A state directory that cannot be used fails every job alike: no point going on.
        if (outcome.left._tag !== "JobFailedError") return yield* Effect.fail(outcome.left)
        yield* Console.error(`reelswarm: ${pending.id} failed: ${outcome.left.message}`)
        failures.push(`${pending.id} (${outcome.left.failure.stage})`)
        outcomes.push({ job: pending.id, status: "failed", stage: outcome.left.failure.stage, message: outcome.left.message })
      }
      if (o.json) yield* print(JSON.stringify(outcomes, null, 2))
      if (failures.length > 0) {
        return yield* new ResumeFailedError({
          message: `${failures.length} of ${chosen.length} jobs failed: ${failures.join(", ")}; \`reelswarm jobs show ID\` says why`
        })
      }
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described("Finish every job that a crash or a kill left unfinished, each on its own; with --failed, failed ones too.", [
      "reelswarm resume",
      "reelswarm resume --failed --json"
    ])
  )
)
