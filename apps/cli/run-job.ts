/**
 * Runs job specs on the production layer over the state directory's SQLite file: one job
 * (`runJob`, for run, demo and resume) or many at once on one layer (`executeJob`, for batch). The job's
 * file `<state>/jobs/<id>.json` is written before it starts (status pending), marked failed with
 * the failure's stage and message when it fails, and removed once it finished (its report lies
 * beside the output; the state's cache is then pruned to its cap, state-cache.ts), so `reelswarm
 * resume` finds every job a crash left behind and `reelswarm jobs` lists them; running the same command again resumes it too (same job id). Jobs run while
 * their process holds the state directory's lock (state-lock.ts): one process at a time per state,
 * running one job, or a batch's jobs side by side on its one layer.
 */
import type { PlatformError } from "@effect/platform/Error"
import { Cause, Effect, Option, Schema } from "effect"
import { delimiter, dirname, join } from "node:path"
import {
  jobId,
  type JobReport,
  JobSpec,
  ProduceVideo,
  ProductionError,
  productionLayer,
  reportPath,
  type TopologyChoice,
  withAttempts
} from "../../agents/index.ts"
import {
  detectEncoders,
  ENCODER_CATALOGUE,
  Encoders,
  encoderSpec,
  type GpuVendor,
  hardwareTier,
  type JsonFileError,
  localMachine,
  mediaFileSystem,
  readJsonFile,
  RejectedEncoder,
  writeFileAtomic
} from "../../media/index.ts"
import { type DatabaseError, findDatabaseError } from "../../memory/index.ts"
import { SwarmEvents } from "../../runtime/index.ts"
import { DEFAULT_CACHE_MAX } from "./cache-size.ts"
import { progressView, showProgress } from "./progress.ts"
import { evictAfterJob } from "./state-cache.ts"
import { holdStateLock } from "./state-lock.ts"

/** Bad usage or input: exit code 2. */
export class CliError extends Schema.TaggedError<CliError>()("CliError", { message: Schema.String }) {}

/**
 * Modules a command loads when it runs rather than at every start of the CLI (the server, MCP's SDK):
 * one that cannot be loaded (a broken install) is the command's error, in one line.
 */
export const loadLazily = <A>(load: () => Promise<A>): Effect.Effect<A, CliError> =>
  Effect.tryPromise({ try: load, catch: (error) => new CliError({ message: `cannot load part of reelswarm: ${String(error)}` }) })

/** The job ran and failed: exit code 1. The message names the stage and what it failed with. */
export class JobFailedError extends Schema.TaggedError<JobFailedError>()("JobFailedError", { failure: ProductionError }) {
  override get message(): string {
    return this.failure.message
  }
}

/**
 * The state directory (`--state`) or its database cannot be used: corrupt, read-only, locked, a full
 * disk. Exit code 3. `message` is one line: `<file>: <what is wrong>; <what to do>`.
 */
export class StateDirError extends Schema.TaggedError<StateDirError>()("StateDirError", {
  dir: Schema.String,
  message: Schema.String,
  /** The failure underneath (a DatabaseError …), shown with `--verbose`. */
  cause: Schema.optional(Schema.Defect)
}) {}

/** A file error as a user reads it: Node's own line (`EACCES: permission denied, open '/x/y'`) where there is one. */
export const fileErrorText = (error: PlatformError | JsonFileError): string =>
  error._tag === "SystemError" ? (error.description ?? error.message) : error.message

const elsewhere = "or use --state elsewhere"

/** `dir` as it can be pasted into a shell. */
const shellWord = (dir: string) => (/^[\w./@%+=:,-]+$/.test(dir) ? dir : `'${dir.replaceAll("'", "'\\''")}'`)

/** What to do when a file in the state directory cannot be read or written, from the system's words. */
const stateFileRemedy = (text: string, doing: "read" | "write") =>
  /ENOSPC|EDQUOT/.test(text)
    ? "free some space, or use --state on another disk"
    : `make it ${doing === "read" ? "readable" : "writable"}, ${elsewhere}`

/** The failure of a file in the state directory: which file, what could not be done, and what to do. */
export const stateDirError = (dir: string, doing: "read" | "write") => (error: PlatformError | JsonFileError) => {
  const file = error._tag === "SystemError" && typeof error.pathOrDescriptor === "string" ? error.pathOrDescriptor : dir
  const text = fileErrorText(error)
  return new StateDirError({
    dir,
    message: `${file}: cannot ${doing} the state directory ${dir} (${text}); ${stateFileRemedy(text, doing)}`
  })
}

/** The state database's failure in one line: the file, what is wrong with it, and what to do about it. */
export const stateDatabaseError = (error: DatabaseError): StateDirError => {
  const dir = dirname(error.filename)
  const detail = error.detail.split("\n").filter((line) => line.trim() !== "").join("; ")
  const [what, remedy] = {
    corrupt: [
      `the state database is corrupt (${detail})`,
      `run \`reelswarm doctor --repair --state ${
        shellWord(dir)
      }\` to move it aside and start fresh (finished videos are kept), ${elsewhere}`
    ],
    "read-only": [`the state database cannot be written (${detail})`, `make it and its folder writable, ${elsewhere}`],
    locked: [
      `the state database is locked by another process past the busy timeout`,
      `wait for the other reelswarm to finish, ${elsewhere}`
    ],
    full: [`the disk holding the state database is full (${detail})`, "free some space, or use --state on another disk"],
    io: [`the state database cannot be opened or read (${detail})`, `check the folder exists and is readable, ${elsewhere}`]
  }[error.reason]
  return new StateDirError({ dir, message: `${error.filename}: ${what}; ${remedy}`, cause: error })
}

export interface RunSettings {
  readonly state: string
  readonly topology: TopologyChoice
  readonly json: boolean
  /** Leave the outcome to the caller (`resume --json` prints all its jobs as one document). */
  readonly quiet?: boolean
  /** The state directory's cache cap (`--cache-max`), pruned to after the job; default 2 GB. */
  readonly cacheMax?: number | undefined
}

/** How a job's last run ended, when it failed: the stage and the failure in words. */
export const JobFailure = Schema.Struct({ stage: Schema.String, message: Schema.String, at: Schema.Number })
export type JobFailure = typeof JobFailure.Type

/** A job file: the spec to run (its next attempt after a failure), and whether its last run failed. */
export const JobFile = Schema.Struct({
  spec: JobSpec,
  topology: Schema.Literal("star", "mesh"),
  // Files written before statuses existed are pending jobs.
  status: Schema.optionalWith(Schema.Literal("pending", "failed"), { default: () => "pending" as const }),
  failure: Schema.optional(JobFailure)
})
export type JobFile = typeof JobFile.Type
const JobFileJson = Schema.parseJson(JobFile)

export const jobsDir = (state: string) => join(state, "jobs")
export const jobFile = (state: string, id: string) => join(jobsDir(state), `${id}.json`)
const databaseFile = (state: string) => join(state, "swarm.db")

/** The file `name` resolves to on PATH, as the shell finds it: the first regular file; a PATH entry that cannot be looked in is skipped. */
export const executableOnPath = (name: string) =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    for (const dir of (process.env.PATH ?? "").split(delimiter)) {
      if (dir === "") continue
      const candidate = join(dir, name)
      const info = Option.getOrUndefined(yield* Effect.option(fs.stat(candidate)))
      if (info?.type === "File" && (info.mode & 0o111) !== 0) return Option.some({ path: candidate, info })
    }
    return Option.none()
  })

/** The ffmpeg on PATH, as a key that changes when the binary does. */
const ffmpegOnPath = Effect.map(executableOnPath("ffmpeg"), (found) =>
  Option.match(found, {
    onNone: () => "ffmpeg:missing",
    onSome: ({ info, path }) => `${path}:${info.size}:${Option.getOrElse(Option.map(info.mtime, (d) => d.getTime()), () => 0)}`
  }))

const DETECTION_TTL_MS = 24 * 3600_000

// A Schema's type is invariant: a vendor media adds (or drops) and this list does not follow does not compile.
const gpuVendor: Schema.Schema<GpuVendor> = Schema.Literal("nvidia", "intel", "amd", "apple", "other")

/** What a detection found, as `<state>/encoder.json` keeps it. */
const DetectedMachine = Schema.Struct({
  ffmpeg: Schema.String,
  at: Schema.Number,
  /** Encoders that passed their trial encode, best first per codec. */
  proven: Schema.Array(Schema.String),
  rejected: Schema.Array(RejectedEncoder),
  gpus: Schema.Array(Schema.Struct({ vendor: gpuVendor, model: Schema.String, vramMb: Schema.optional(Schema.Number) }))
})
type DetectedMachine = typeof DetectedMachine.Type

/**
 * This machine's proven encoders and GPUs. Proving takes a few trial runs of ffmpeg, so the answer is
 * kept in the state directory (`encoder.json`) for a day, keyed by the ffmpeg binary.
 */
const detectedMachine = (state: string) =>
  Effect.gen(function*() {
    const file = join(state, "encoder.json")
    const ffmpeg = yield* ffmpegOnPath
    // Missing, damaged or from before it held the proven list: detected again.
    const cached = Option.getOrUndefined(yield* Effect.option(readJsonFile(DetectedMachine, file)))
    if (cached !== undefined && cached.ffmpeg === ffmpeg && Date.now() - cached.at < DETECTION_TTL_MS) return cached
    const detection = yield* Effect.provide(detectEncoders, Encoders.layer)
    const found: DetectedMachine = {
      ffmpeg,
      at: Date.now(),
      proven: detection.available.map((e) => e.name),
      rejected: detection.rejected,
      gpus: detection.hardware.gpus
    }
    yield* Effect.mapError(
      writeFileAtomic(file, Schema.encodeSync(Schema.parseJson(DetectedMachine))(found)),
      stateDirError(state, "write")
    )
    return found
  })

const tierOf = (detected: DetectedMachine) =>
  hardwareTier(
    { ...localMachine(), gpus: detected.gpus },
    detected.proven.flatMap((name) => ENCODER_CATALOGUE.filter((e) => e.name === name))
  )

/** This machine's hardware tier, its reasons and the defaults it gives a job (media's hardwareTier over the proven encoders). */
export const machineTier = (state: string) => Effect.map(detectedMachine(state), tierOf)

/** `--encoder auto`: the tier's default, the best encoder proven by a trial encode (hardware first). */
export const resolveEncoder = (name: string, state: string) =>
  Effect.gen(function*() {
    if (name !== "auto") {
      yield* Effect.mapError(encoderSpec(name), (e) => new CliError({ message: e.message }))
      return name
    }
    const detected = yield* detectedMachine(state)
    const best = tierOf(detected).defaults.encoder
    if (best !== null) return best
    const rejected = detected.rejected.map((r) => r.name).join(", ") || "none listed"
    return yield* new CliError({ message: `no working h264 encoder (rejected: ${rejected})` })
  })

export const summary = (report: JobReport, seconds: number) =>
  `wrote ${report.output} (${report.narration.durationSec.toFixed(1)} s, ${report.scenes.length} scenes, ` +
  `${[...new Set(report.render.parts.map((p) => p.encoder))].join(", ")}) in ${seconds.toFixed(1)} s; report ${reportPath(report.output)}`

/** A failed run's stage and message, from its cause: a stage's ProductionError, or what failed before any stage ran. */
const failureOf = (cause: Cause.Cause<unknown>): JobFailure => {
  const error = Cause.squash(cause)
  const at = Date.now()
  if (error instanceof Error) return { stage: error instanceof ProductionError ? error.stage : "start", message: error.message, at }
  return { stage: "start", message: Cause.pretty(cause).split("\n")[0] ?? "an unexpected error", at }
}

/** What a job's encoder slots, state and topology make of the production layer: one swarm, one workflow runner. */
export interface LayerSettings {
  readonly state: string
  readonly topology: TopologyChoice
  /** Encoder agents, pulling segments from the renderer's one queue (every job's alike). */
  readonly encoderSlots: number
}

/**
 * The production layer over the state directory's SQLite file. Build it once per process: two
 * layers on one file are two runners that take each other's workflow messages (state-lock.ts).
 */
export const productionLayerFor = (settings: LayerSettings) =>
  productionLayer({
    database: databaseFile(settings.state),
    topology: settings.topology,
    encoders: Array.from({ length: settings.encoderSlots }, () => ({})),
    pollInterval: "200 millis"
  })

/** The state database's failures, from the layer's build or any job on it, as one line naming the file (exit 3). */
export const stateDatabaseFailures = (state: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.catchIf(
      (error): error is Extract<E, DatabaseError> => (error as { _tag?: unknown })._tag === "DatabaseError",
      (error) => Effect.fail(stateDatabaseError(error))
    ),
    // The workflow engine's own use of the file dies with SQLite's exception inside its error.
    Effect.catchSomeDefect((defect) =>
      Option.map(
        Option.fromNullable(findDatabaseError(databaseFile(state), "job")(defect)),
        (error) => Effect.fail(stateDatabaseError(error))
      )
    )
  )

/** Writes the job's file, status pending. */
export const markPending = (state: string, spec: JobSpec, topology: TopologyChoice) =>
  Effect.mapError(
    writeFileAtomic(jobFile(state, jobId(spec)), Schema.encodeSync(JobFileJson)({ spec, topology, status: "pending" })),
    stateDirError(state, "write")
  )

/** A finished job: its report, how long it ran and the process's peak RSS so far. */
export type JobDocument = JobReport & { readonly run: { readonly seconds: number; readonly peakRssMb: number } }

/**
 * Runs (or resumes) one job on the production layer in the environment, which other jobs may be
 * running on at the same time: its file is pending while it runs, marked failed when it fails, and
 * removed when it finished. `progress` shows its stages on stderr (one job at a time only).
 */
export const executeJob = (
  requested: JobSpec,
  settings: { readonly state: string; readonly topology: TopologyChoice; readonly cacheMax?: number | undefined },
  progress: boolean
) =>
  Effect.gen(function*() {
    const pending = jobFile(settings.state, jobId(requested))
    yield* markPending(settings.state, requested, settings.topology)
    const started = Date.now()
    // After a failure the job runs as a fresh execution (its next attempt); see agents/production/attempts.ts.
    const execute = (spec: JobSpec) =>
      Effect.scoped(
        Effect.gen(function*() {
          if (progress) yield* showProgress(yield* (yield* SwarmEvents).subscribe, progressView())
          return yield* ProduceVideo.execute(spec)
        })
      )
    const write = (file: JobFile) => writeFileAtomic(pending, Schema.encodeSync(JobFileJson)(file))
    // Only the job's own failure marks it failed: a state directory that could not be used leaves it pending for `resume`.
    const markFailed = (next: JobSpec, cause: Cause.Cause<unknown>) =>
      Cause.squash(cause) instanceof ProductionError
        ? write({ spec: next, topology: settings.topology, status: "failed", failure: failureOf(cause) })
        : write({ spec: next, topology: settings.topology, status: "pending" })
    const report = yield* withAttempts(join(settings.state, "attempts"), requested, execute, markFailed).pipe(
      Effect.catchTag("ProductionError", (failure) => new JobFailedError({ failure }))
    )
    yield* mediaFileSystem.pipe(
      Effect.flatMap((fs) => fs.remove(pending, { force: true })),
      Effect.mapError(stateDirError(settings.state, "write"))
    )
    // What no pending job needs goes, least recently used first, once the cache is over its cap; never the job's failure.
    yield* evictAfterJob(settings.state, settings.cacheMax ?? DEFAULT_CACHE_MAX)
    const seconds = (Date.now() - started) / 1000
    return { ...report, run: { seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) } } satisfies JobDocument
  }).pipe(stateDatabaseFailures(settings.state))

/** Holds the state directory's lock for the scope (state-lock.ts); a lock that cannot be taken is a StateDirError. */
export const holdState = (state: string, holder: { readonly job: string; readonly command: string }) =>
  Effect.mapError(
    holdStateLock(state, holder),
    (error) => new StateDirError({ dir: state, message: `${error.file}: ${error.message}; ${stateFileRemedy(error.message, "write")}` })
  )

/** Runs (or resumes) one job on a production layer of its own and prints its outcome. `command` names the command in the lock, for `jobs list`. */
export const runJob = (requested: JobSpec, settings: RunSettings, command = "run") =>
  Effect.gen(function*() {
    // Written before the wait for the lock, so `jobs list` and `resume` see a job that waits.
    yield* markPending(settings.state, requested, settings.topology)
    yield* holdState(settings.state, { job: jobId(requested), command })
    const document = yield* executeJob(requested, settings, true).pipe(
      Effect.provide(
        // One encoder agent per segment: `--segments k` encodes k segments at once.
        productionLayerFor({ state: settings.state, topology: settings.topology, encoderSlots: requested.segments })
      ),
      stateDatabaseFailures(settings.state)
    )
    if (settings.quiet !== true) {
      const line = settings.json ? JSON.stringify(document, null, 2) : summary(document, document.run.seconds)
      yield* Effect.sync(() => process.stdout.write(line + "\n"))
    }
    return document
  }).pipe(Effect.scoped)

/** Every job file in the state directory (jobs a crash, a kill or a failure left unfinished), oldest first. */
export const pendingJobs = (state: string) =>
  Effect.gen(function*() {
    const dir = jobsDir(state)
    const fs = yield* mediaFileSystem
    const unreadable = stateDirError(state, "read")
    // No jobs folder yet: nothing was left behind.
    const names = yield* fs.readDirectory(dir).pipe(
      Effect.catchIf((error) => error._tag === "SystemError" && error.reason === "NotFound", () => Effect.succeed([])),
      Effect.mapError(unreadable)
    )
    const jobs = []
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const file = join(dir, name)
      const job = yield* readJsonFile(JobFile, file).pipe(
        Effect.mapError((error) =>
          error.reason === "invalid" ? new CliError({ message: `${file} is not a job file; remove it or fix it` }) : unreadable(error)
        )
      )
      const info = yield* Effect.mapError(fs.stat(file), unreadable)
      jobs.push({ ...job, id: jobId(job.spec), file, since: Option.getOrElse(Option.map(info.mtime, (d) => d.getTime()), () => 0) })
    }
    return jobs.sort((a, b) => a.since - b.since)
  })
