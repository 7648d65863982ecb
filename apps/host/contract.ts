/**
 * The job host's contract: what `reelswarm serve` offers its faces (the HTTP API, the
 * MoneyPrinterTurbo routes, the MCP server and the console). One host per process holds the
 * state directory's lock and one production layer; every job submitted through any face runs
 * through the same durable workflow as `reelswarm run`, is written to `<state>/jobs/` before it
 * is acknowledged, and is resumed when the server restarts after a crash.
 */
import { Context, type Effect, Schema, type Stream } from "effect"
import { JobReport, StageName } from "../../agents/index.ts"
import type { EventLogService, SharedMemoryService } from "../../memory/index.ts"
import type { SwarmService } from "../../runtime/index.ts"
import { JobRequest } from "./job-request.ts"

export { JobRequest }

/** Where a job is in its life. `queued`: accepted and written, waiting for a slot. */
export const JobState = Schema.Literal("queued", "running", "done", "failed", "cancelled")
export type JobState = typeof JobState.Type

/** One stage of one job, like a Temporal history entry: attempts counted from 1. */
export const StageRecord = Schema.Struct({
  stage: StageName,
  state: Schema.Literal("running", "done", "failed"),
  attempts: Schema.Int,
  startedAt: Schema.Number,
  finishedAt: Schema.optional(Schema.Number),
  seconds: Schema.optional(Schema.Number),
  /** The last failure's message, for a stage that failed (or was retried). */
  message: Schema.optional(Schema.String)
})
export type StageRecord = typeof StageRecord.Type

/** Which encoder agent (and which encoder) took each render part. */
export const PartRecord = Schema.Struct({
  kind: Schema.Literal("segment", "single-pass"),
  index: Schema.Int,
  agent: Schema.String,
  encoder: Schema.String
})
export type PartRecord = typeof PartRecord.Type

export const JobFailureInfo = Schema.Struct({ stage: Schema.String, message: Schema.String })

/** A job as lists show it. Times are epoch milliseconds. */
export const JobSummary = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  state: JobState,
  /** The stage running now, or the last one reached. */
  stage: Schema.optional(StageName),
  /** 0 … 1: finished stages, with the render's frames inside its stage. */
  progress: Schema.Number,
  submittedAt: Schema.Number,
  startedAt: Schema.optional(Schema.Number),
  finishedAt: Schema.optional(Schema.Number),
  failure: Schema.optional(JobFailureInfo)
})
export type JobSummary = typeof JobSummary.Type

/** A job in full: what was asked, its stage timeline, render parts, and the report once done. */
export const JobDetail = Schema.Struct({
  ...JobSummary.fields,
  request: JobRequest,
  stages: Schema.Array(StageRecord),
  parts: Schema.Array(PartRecord),
  report: Schema.optional(JobReport)
})
export type JobDetail = typeof JobDetail.Type

/** A job's files on the server, once they exist: absolute paths inside the state directory. */
export interface JobFiles {
  readonly video: string
  readonly report: string
  /** One JPEG per scene (the scene's first chosen shot), in scene order; made once the job is done. */
  readonly thumbnails: ReadonlyArray<string>
}

export class JobNotFoundError extends Schema.TaggedError<JobNotFoundError>()("JobNotFoundError", { id: Schema.String }) {
  override get message() {
    return `no job ${this.id}`
  }
}

/** The job cannot do what was asked in its state (cancel a finished job, delete a running one). */
export class JobStateError extends Schema.TaggedError<JobStateError>()("JobStateError", {
  id: Schema.String,
  state: JobState,
  message: Schema.String
}) {}

/** A request that cannot run: the field and why, found before anything is written. */
export class JobRequestError extends Schema.TaggedError<JobRequestError>()("JobRequestError", {
  field: Schema.String,
  message: Schema.String
}) {}

export interface JobPage {
  readonly jobs: ReadonlyArray<JobSummary>
  readonly total: number
}

export interface JobHostService {
  /** The state directory the host owns. */
  readonly state: string
  /** Validates the request (JobRequestError naming the field), writes the job, queues it. */
  readonly submit: (request: JobRequest) => Effect.Effect<JobSummary, JobRequestError>
  /** Newest first. */
  readonly list: (page?: {
    readonly offset?: number
    readonly limit?: number
    readonly state?: JobState
  }) => Effect.Effect<JobPage>
  readonly get: (id: string) => Effect.Effect<JobDetail, JobNotFoundError>
  /** Stops a queued or running job (its ffmpeg children too); the job is kept, state `cancelled`. */
  readonly cancel: (id: string) => Effect.Effect<JobSummary, JobNotFoundError | JobStateError>
  /** Forgets a job that is not running, with its output files. */
  readonly remove: (id: string) => Effect.Effect<void, JobNotFoundError | JobStateError>
  readonly files: (id: string) => Effect.Effect<JobFiles, JobNotFoundError | JobStateError>
  /** Every change of any job, from now on (each subscriber gets its own stream). */
  readonly changes: Stream.Stream<JobSummary>
  /** The live swarm and its stores, for introspection and commands (restart or stop an agent). */
  readonly swarm: SwarmService
  readonly events: EventLogService
  readonly memory: SharedMemoryService
}

export class JobHost extends Context.Tag("reelswarm/apps/JobHost")<JobHost, JobHostService>() {}

/** Where a server keeps what was uploaded to it and what its jobs made, inside the state directory. */
export const hostDirs = (state: string) => ({
  footage: `${state}/library/footage`,
  music: `${state}/library/music`,
  /**
   * `<outputs>/<key>/video.mp4`, `video.json` (the report), `thumbs/<scene>.jpg`. The folder is named by
   * the request's hash, not the job id (which hashes the output path inside it): faces take paths
   * from `files`, never build them.
   */
  outputs: `${state}/outputs`
})
