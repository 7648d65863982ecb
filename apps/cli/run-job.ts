/**
 * Runs one job spec on the production layer over the state directory's SQLite file. The spec is
 * written under `<state>/jobs/` before it starts and removed once it finished, so `reelswarm resume`
 * finds every job a crash left behind; running the same command again resumes it too (same job id).
 */
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises"
import { delimiter, join } from "node:path"
import { Data, Effect, Option, Schema } from "effect"
import {
  jobId, type JobReport, JobSpec, ProduceVideo, productionLayer, reportPath, type TopologyChoice, withAttempts
} from "../../agents/index.ts"
import { chooseEncoder, Encoders, encoderSpec, readJsonFile, writeFileAtomically } from "../../media/index.ts"
import { SwarmEvents } from "../../runtime/index.ts"
import { progressView, showProgress } from "./progress.ts"

/** Bad usage or input: exit code 2. */
export class CliError extends Data.TaggedError("CliError")<{ readonly message: string }> {}

/** The job ran and failed: exit code 1. */
export class JobFailedError extends Data.TaggedError("JobFailedError")<{ readonly message: string }> {}

export interface RunSettings {
  readonly state: string
  readonly topology: TopologyChoice
  readonly json: boolean
}

const PendingJob = Schema.parseJson(Schema.Struct({ spec: JobSpec, topology: Schema.Literal("star", "mesh") }))

const jobsDir = (state: string) => join(state, "jobs")
const databaseFile = (state: string) => join(state, "swarm.db")

const ffmpegOnPath = async (): Promise<string> => {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "ffmpeg")
    const info = await stat(candidate).catch(() => undefined)
    if (info?.isFile()) return `${candidate}:${info.size}:${info.mtimeMs}`
  }
  return "ffmpeg:missing"
}

const DETECTION_TTL_MS = 24 * 3600_000
const DetectedEncoder = Schema.Struct({ ffmpeg: Schema.String, encoder: Schema.String, at: Schema.Number })

/**
 * `--encoder auto`: the best encoder proven by a trial encode. Proving takes a few trial runs of
 * ffmpeg, so the answer is kept in the state directory for a day, keyed by the ffmpeg binary.
 */
export const resolveEncoder = (name: string, state: string) =>
  Effect.gen(function* () {
    if (name !== "auto") {
      yield* Effect.mapError(encoderSpec(name), (e) => new CliError({ message: e.message }))
      return name
    }
    const file = join(state, "encoder.json")
    const ffmpeg = yield* Effect.promise(ffmpegOnPath)
    // Missing or damaged: detected again.
    const cached = Option.getOrUndefined(yield* Effect.option(readJsonFile(DetectedEncoder, file)))
    if (cached !== undefined && cached.ffmpeg === ffmpeg && Date.now() - cached.at < DETECTION_TTL_MS) return cached.encoder
    const best = yield* Effect.mapError(Effect.provide(chooseEncoder("h264"), Encoders.layer), (e) => new CliError({ message: e.message }))
    yield* Effect.promise(() => mkdir(state, { recursive: true }))
    yield* Effect.promise(() => writeFileAtomically(file, JSON.stringify({ ffmpeg, encoder: best.name, at: Date.now() })))
    return best.name
  })

const summary = (report: JobReport, seconds: number) =>
  `wrote ${report.output} (${report.narration.durationSec.toFixed(1)} s, ${report.scenes.length} scenes, ` +
  `${[...new Set(report.render.parts.map((p) => p.encoder))].join(", ")}) in ${seconds.toFixed(1)} s; report ${reportPath(report.output)}`

/** Runs (or resumes) one job and prints its outcome. */
export const runJob = (requested: JobSpec, settings: RunSettings) =>
  Effect.gen(function* () {
    const id = jobId(requested)
    const pending = join(jobsDir(settings.state), `${id}.json`)
    yield* Effect.promise(() => mkdir(jobsDir(settings.state), { recursive: true }))
    const record = (spec: JobSpec) => Effect.promise(() => writeFileAtomically(pending, Schema.encodeSync(PendingJob)({ spec, topology: settings.topology })))
    yield* record(requested)

    const started = Date.now()
    // After a failure the job runs as a fresh execution (its next attempt); see agents/production/attempts.ts.
    const execute = (spec: JobSpec) =>
      Effect.scoped(
        Effect.gen(function* () {
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
      Effect.catchTag("ProductionError", (e) => new JobFailedError({ message: `${e.stage} failed: ${e.message}` }))
    )
    yield* Effect.promise(() => rm(pending, { force: true }))
    const seconds = (Date.now() - started) / 1000
    const line = settings.json
      ? JSON.stringify({ ...report, run: { seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) } }, null, 2)
      : summary(report, seconds)
    yield* Effect.sync(() => process.stdout.write(line + "\n"))
    return report
  })

/** Every job a crash or a kill left unfinished in the state directory, oldest first. */
export const pendingJobs = (state: string) =>
  Effect.gen(function* () {
    const dir = jobsDir(state)
    const names = yield* Effect.promise(() => readdir(dir).catch(() => [] as Array<string>))
    const jobs = []
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const text = yield* Effect.promise(() => readFile(join(dir, name), "utf8"))
      const job = yield* Schema.decode(PendingJob)(text).pipe(
        Effect.mapError(() => new CliError({ message: `${join(dir, name)} is not a job file; remove it or fix it` }))
      )
      const since = (yield* Effect.promise(() => stat(join(dir, name)))).mtimeMs
      jobs.push({ ...job, since })
    }
    return jobs.sort((a, b) => a.since - b.since)
  })
