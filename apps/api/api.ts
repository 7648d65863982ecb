/**
 * The HTTP API of `reelswarm serve`, as one Effect `HttpApi`: its endpoints, their Schemas (from the
 * job host's contract) and their errors. The OpenAPI document (`/openapi.json`) and the docs page
 * (`/docs`) are made from this definition; handlers.ts implements it.
 */
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { GpuSample, JobReport } from "../../agents/index.ts"
import { JobDetail, JobRequest, JobState, JobSummary } from "../host/contract.ts"
import { MptGroup } from "./mpt.ts"

/** One field a request got wrong: its path (`a.b.0`) and why. */
export const FieldError = Schema.Struct({ path: Schema.String, message: Schema.String })
export type FieldError = typeof FieldError.Type

/** 400: the body, a parameter or the job request is invalid, field by field. */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  error: Schema.String,
  fields: Schema.Array(FieldError)
}, HttpApiSchema.annotations({ status: 400 })) {}

export class NotFound
  extends Schema.TaggedError<NotFound>()("NotFound", { error: Schema.String }, HttpApiSchema.annotations({ status: 404 }))
{}

/** 409: the job's state does not allow it, or a file of that name exists. */
export class Conflict
  extends Schema.TaggedError<Conflict>()("Conflict", { error: Schema.String }, HttpApiSchema.annotations({ status: 409 }))
{}

/** 413: the body is over the server's cap. */
export class PayloadTooLarge
  extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", { error: Schema.String }, HttpApiSchema.annotations({ status: 413 }))
{}

/** 416: the Range asks for bytes the file does not have. */
export class RangeNotSatisfiable extends Schema.TaggedError<RangeNotSatisfiable>()(
  "RangeNotSatisfiable",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 416 })
) {}

export const JobPage = Schema.Struct({
  jobs: Schema.Array(JobSummary),
  total: Schema.Int,
  offset: Schema.Int,
  limit: Schema.Int
})

const jobId = HttpApiSchema.param("id", Schema.String)
const mp4 = HttpApiSchema.Uint8Array({ contentType: "video/mp4" })
const jpeg = HttpApiSchema.Uint8Array({ contentType: "image/jpeg" })
const upload = HttpApiSchema.Uint8Array({ contentType: "application/octet-stream" })

export class JobsGroup extends HttpApiGroup.make("jobs")
  .add(
    HttpApiEndpoint.post("submit", "/api/jobs")
      .setPayload(JobRequest)
      .addSuccess(JobSummary, { status: 201 })
      .addError(BadRequest)
      .addError(PayloadTooLarge)
      .annotate(OpenApi.Description, "Submit a job. It is written to the state directory before this answers.")
  )
  .add(
    HttpApiEndpoint.get("list", "/api/jobs")
      .setUrlParams(Schema.Struct({
        offset: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())),
        limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 500))),
        state: Schema.optional(JobState)
      }))
      .addSuccess(JobPage)
      .annotate(OpenApi.Description, "Jobs, newest first: `offset` (default 0), `limit` (default 50), optionally one `state`.")
  )
  .add(HttpApiEndpoint.get("get")`/api/jobs/${jobId}`.addSuccess(JobDetail).addError(NotFound))
  .add(
    HttpApiEndpoint.post("cancel")`/api/jobs/${jobId}/cancel`.addSuccess(JobSummary).addError(NotFound).addError(Conflict)
      .annotate(OpenApi.Description, "Stop a queued or running job; it is kept, in state `cancelled`.")
  )
  .add(
    HttpApiEndpoint.del("remove")`/api/jobs/${jobId}`.addSuccess(HttpApiSchema.NoContent).addError(NotFound).addError(Conflict)
      .annotate(OpenApi.Description, "Forget a job that is not running, with its output files.")
  )
  .add(
    HttpApiEndpoint.get("events")`/api/jobs/${jobId}/events`
      .addSuccess(HttpApiSchema.Text({ contentType: "text/event-stream" }))
      .addError(NotFound)
      .annotate(
        OpenApi.Description,
        "Server-sent events: `job` (its JobSummary, first now, then on each change) and `swarm` (the swarm's events about this job)."
      )
  )
  .add(
    HttpApiEndpoint.get("video")`/api/jobs/${jobId}/video`
      .addSuccess(mp4)
      .addSuccess(mp4.annotations(HttpApiSchema.annotations({ status: 206 })))
      .addError(NotFound)
      .addError(Conflict)
      .addError(RangeNotSatisfiable)
      .annotate(OpenApi.Description, "The finished MP4. Honours `Range: bytes=…` (206, or 416 outside the file).")
  )
  .add(HttpApiEndpoint.get("report")`/api/jobs/${jobId}/report`.addSuccess(JobReport).addError(NotFound).addError(Conflict))
  .add(
    HttpApiEndpoint.get("thumbnail")`/api/jobs/${jobId}/thumbnails/${
      HttpApiSchema.param("n", Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative()))
    }`
      .addSuccess(jpeg)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Description, "Scene `n`'s thumbnail (JPEG, from 0), once the job is done.")
  )
{}

/** A file in the server's footage or music folder. */
export const LibraryFile = Schema.Struct({ name: Schema.String, size: Schema.Int, kind: Schema.String })
export const LibraryList = Schema.Struct({ files: Schema.Array(LibraryFile) })

const libraryEndpoints = <const Kind extends "footage" | "music">(kind: Kind) => {
  const base = `/api/${kind}` as const
  const what = kind === "footage" ? "a video or an image" : "an audio file"
  return [
    HttpApiEndpoint.get(`list-${kind}`, base).addSuccess(LibraryList),
    HttpApiEndpoint.post(`upload-${kind}`, base)
      .setPayload(upload)
      .setUrlParams(Schema.Struct({ name: Schema.optional(Schema.String) }))
      .addSuccess(LibraryFile, { status: 201 })
      .addError(BadRequest)
      .addError(Conflict)
      .addError(PayloadTooLarge)
      .annotate(
        OpenApi.Description,
        `Upload ${what}: the raw body with \`?name=\`, or multipart/form-data (its first file). Checked by probing it, not by its extension; an existing name is refused (409).`
      ),
    HttpApiEndpoint.del(`remove-${kind}`, `${base}/:name`).setPath(Schema.Struct({ name: Schema.String })).addSuccess(
      HttpApiSchema.NoContent
    ).addError(NotFound).addError(BadRequest)
  ] as const
}

const [listFootage, uploadFootage, removeFootage] = libraryEndpoints("footage")
const [listMusic, uploadMusic, removeMusic] = libraryEndpoints("music")

export class LibraryGroup extends HttpApiGroup.make("library")
  .add(listFootage)
  .add(uploadFootage)
  .add(removeFootage)
  .add(listMusic)
  .add(uploadMusic)
  .add(removeMusic)
{}

export const Health = Schema.Struct({
  ok: Schema.Boolean,
  agents: Schema.Struct({ running: Schema.Int, total: Schema.Int }),
  queue: Schema.Int
})

export const AgentMetrics = Schema.Struct({
  name: Schema.String,
  mailbox: Schema.Int,
  capacity: Schema.Int,
  restarts: Schema.Int,
  status: Schema.optional(Schema.String)
})

/** A GPU as the monitor samples it (agents' GpuSample). */
export const GpuMetrics = GpuSample

export const Metrics = Schema.Struct({
  agents: Schema.Array(AgentMetrics),
  queue: Schema.Int,
  running: Schema.Int,
  cpu: Schema.Struct({ cores: Schema.Int, loadAverage: Schema.Array(Schema.Number) }),
  memory: Schema.Struct({ totalBytes: Schema.Number, freeBytes: Schema.Number, rssBytes: Schema.Number }),
  /** From the monitor's latest sample, when it saw GPUs. */
  gpus: Schema.Array(GpuMetrics)
})

export class HealthGroup extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("health", "/api/health").addSuccess(Health))
  .add(HttpApiEndpoint.get("metrics", "/api/metrics").addSuccess(Metrics))
{}

export class ReelswarmApi extends HttpApi.make("reelswarm")
  .add(JobsGroup)
  .add(LibraryGroup)
  .add(HealthGroup)
  .add(MptGroup)
  .annotate(OpenApi.Title, "reelswarm")
  .annotate(
    OpenApi.Description,
    "Submit, follow and fetch video jobs; manage uploaded footage and music; MoneyPrinterTurbo-compatible routes under /api/v1. With a token configured, send `Authorization: Bearer <token>` (or `?token=`)."
  )
{}
