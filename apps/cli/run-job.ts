/**
 * Runs one job spec on the production layer over the state directory's SQLite file. The spec is
 * written under `<state>/jobs/` before it starts and removed once it finished, so `reelswarm resume`
 * finds every job a crash left behind; running the same command again resumes it too (same job id).
 */
import type { PlatformError } from "@effect/platform/Error"
import { Data, Effect, Option, Schema } from "effect"
import { delimiter, join } from "node:path"
import {
  jobId,
  type JobReport,
  JobSpec,
  ProduceVideo,
  type ProductionError,
  productionLayer,
  reportPath,
  type TopologyChoice,
  withAttempts
} from "../../agents/index.ts"
import {
  chooseEncoder,
  Encoders,
  encoderSpec,
  type JsonFileError,
  mediaFileSystem,
  readJsonFile,
  writeFileAtomic
} from "../../media/index.ts"
import { SwarmEvents } from "../../runtime/index.ts"
import { progressView, showProgress } from "./progress.ts"

/** Bad usage or input: exit code 2. */
export class CliError extends Data.TaggedError("CliError")<{ readonly message: string }> {}

/** The job ran and failed: exit code 1. The message names the stage and what it failed with. */
export class JobFailedError extends Data.TaggedError("JobFailedError")<{ readonly failure: ProductionError }> {
  override get message(): string {
    return this.failure.message
  }
}

/** The state directory (`--state`) could not be read or written: no permission, a full disk. Exit code 1. */
export class StateDirError extends Data.TaggedError("StateDirError")<{ readonly dir: string; readonly message: string }> {}

/** A file error as a user reads it: Node's own line (`EACCES: permission denied, open '/x/y'`) where there is one. */
export const fileErrorText = (error: PlatformError | JsonFileError): string =>
  error._tag === "SystemError" ? (error.description ?? error.message) : error.message

/** The failure of a file in the state directory: what could not be done, where, and why. */
const stateDirError = (dir: string, doing: "read" | "write") => (error: PlatformError | JsonFileError) =>
  new StateDirError({ dir, message: `cannot ${doing} the state directory ${dir}: ${fileErrorText(error)}` })

export interface RunSettings {
  readonly state: string
  readonly topology: TopologyChoice
  readonly json: boolean
}

const PendingJobFile = Schema.Struct({ spec: JobSpec, topology: Schema.Literal("star", "mesh") })
const PendingJob = Schema.parseJson(PendingJobFile)

const jobsDir = (state: string) => join(state, "jobs")
const databaseFile = (state: string) => join(state, "swarm.db")

/** The ffmpeg on PATH, as a key that changes when the binary does. A PATH entry that cannot be looked in is skipped, as the shell does. */
const ffmpegOnPath = Effect.gen(function*() {
  const fs = yield* mediaFileSystem
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "ffmpeg")
    const info = Option.getOrUndefined(yield* Effect.option(fs.stat(candidate)))
    if (info?.type === "File") return `${candidate}:${info.size}:${Option.getOrElse(Option.map(info.mtime, (d) => d.getTime()), () => 0)}`
  }
  return "ffmpeg:missing"
})

const DETECTION_TTL_MS = 24 * 3600_000
const DetectedEncoder = Schema.Struct({ ffmpeg: Schema.String, encoder: Schema.String, at: Schema.Number })

/**
 * `--encoder auto`: the best encoder proven by a trial encode. Proving takes a few trial runs of
 * ffmpeg, so the answer is kept in the state directory for a day, keyed by the ffmpeg binary.
 */
export const resolveEncoder = (name: string, state: string) =>
  Effect.gen(function*() {
    if (name !== "auto") {
      yield* Effect.mapError(encoderSpec(name), (e) => new CliError({ message: e.message }))
      return name
    }
    const file = join(state, "encoder.json")
    const ffmpeg = yield* ffmpegOnPath
    // Missing or damaged: detected again.
    const cached = Option.getOrUndefined(yield* Effect.option(readJsonFile(DetectedEncoder, file)))
    if (cached !== undefined && cached.ffmpeg === ffmpeg && Date.now() - cached.at < DETECTION_TTL_MS) return cached.encoder
    const best = yield* Effect.mapError(Effect.provide(chooseEncoder("h264"), Encoders.layer), (e) => new CliError({ message: e.message }))
    yield* Effect.mapError(
      writeFileAtomic(file, JSON.stringify({ ffmpeg, encoder: best.name, at: Date.now() })),
      stateDirError(state, "write")
    )
    return best.name
  })

const summary = (report: JobReport, seconds: number) =>
  `wrote ${report.output} (${report.narration.durationSec.toFixed(1)} s, ${report.scenes.length} scenes, ` +
  `${[...new Set(report.render.parts.map((p) => p.encoder))].join(", ")}) in ${seconds.toFixed(1)} s; report ${reportPath(report.output)}`

/** Runs (or resumes) one job and prints its outcome. */
export const runJob = (requested: JobSpec, settings: RunSettings) =>
  Effect.gen(function*() {
    const id = jobId(requested)
    const pending = join(jobsDir(settings.state), `${id}.json`)
    const record = (spec: JobSpec) => writeFileAtomic(pending, Schema.encodeSync(PendingJob)({ spec, topology: settings.topology }))
    yield* Effect.mapError(record(requested), stateDirError(settings.state, "write"))

    const started = Date.now()
    // After a failure the job runs as a fresh execution (its next attempt); see agents/production/attempts.ts.
    const execute = (spec: JobSpec) =>
      Effect.scoped(
        Effect.gen(function*() {
          const events = yield* SwarmEvents
          yield* showProgress(yield* events.subscribe, progressView())
          return yield* ProduceVideo.execute(spec)
        })
      ).pipe(
        Effect.provide(
          productionLayer({
            database: databaseFile(settings.state),
            topology: settings.topology,
            // One encoder agent per segment: `--segments k` encodes k segments at once.
            encoders: Array.from({ length: spec.segments }, () => ({})),
            pollInterval: "200 millis"
          })
        )
      )
    const report = yield* withAttempts(join(settings.state, "attempts"), requested, execute, record).pipe(
      Effect.catchTag("ProductionError", (failure) => new JobFailedError({ failure }))
    )
    yield* mediaFileSystem.pipe(
      Effect.flatMap((fs) => fs.remove(pending, { force: true })),
      Effect.mapError(stateDirError(settings.state, "write"))
    )
    const seconds = (Date.now() - started) / 1000
    const line = settings.json
      ? JSON.stringify({ ...report, run: { seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) } }, null, 2)
      : summary(report, seconds)
    yield* Effect.sync(() => process.stdout.write(line + "\n"))
    return report
  })

/** Every job a crash or a kill left unfinished in the state directory, oldest first. */
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
      const job = yield* readJsonFile(PendingJobFile, file).pipe(
        Effect.mapError((error) =>
          error.reason === "invalid" ? new CliError({ message: `${file} is not a job file; remove it or fix it` }) : unreadable(error)
        )
      )
      const info = yield* Effect.mapError(fs.stat(file), unreadable)
      jobs.push({ ...job, since: Option.getOrElse(Option.map(info.mtime, (d) => d.getTime()), () => 0) })
    }
    return jobs.sort((a, b) => a.since - b.since)
  })
