/**
 * The HTTP API's handlers over one `JobHostService`: jobs, the footage and music folders, health and
 * metrics, and the MoneyPrinterTurbo routes. Every body is decoded by Schema; a bad one answers 400
 * `{ error, fields: [{ path, message }] }` (the MoneyPrinterTurbo routes answer in its envelope).
 */
import { HttpApiBuilder, HttpApiError, HttpServerResponse } from "@effect/platform"
import { Cause, Effect, Layer, Option, Schema, Stream } from "effect"
import { readFile } from "node:fs/promises"
import { cpus, freemem, loadavg, totalmem } from "node:os"
import {
  hostDirs,
  type JobHostService,
  type JobNotFoundError,
  JobRequest,
  type JobRequestError,
  type JobStateError,
  JobSummary
} from "../host/contract.ts"
import { BadRequest, Conflict, GpuMetrics, type JobPage, NotFound, ReelswarmApi } from "./api.ts"
import {
  type FileExistsError,
  type FileMissingError,
  type LibraryKind,
  listFolder,
  type NotMediaError,
  removeFromFolder,
  serveFile,
  storeUpload,
  type UnsafeNameError,
  type UploadTooLargeError
} from "./files.ts"
import { mptGroupLive } from "./mpt-handlers.ts"
import { badRequest, type HandlerOptions, issueFields, jsonBody, parseFields, withUpload } from "./request-body.ts"

export type { HandlerOptions }

const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

const decodeJobRequest = Schema.decodeUnknown(JobRequest, { errors: "all", onExcessProperty: "error" })
const encodeSummary = Schema.encodeSync(JobSummary)

const requestError = (e: JobRequestError) => badRequest(e.message, [{ path: e.field, message: e.message }])
const notFound = (e: JobNotFoundError) => new NotFound({ error: e.message })
const conflict = (e: JobStateError) => new Conflict({ error: e.message })

const decodeGpus = Schema.decodeUnknownOption(Schema.Struct({ gpus: Schema.Array(GpuMetrics) }))

const isTerminal = (s: JobSummary) => s.state === "done" || s.state === "failed" || s.state === "cancelled"

/** JSON on one line; what JSON cannot carry (a bigint, a cycle) becomes a note rather than an error mid-stream. */
const jsonLine = (data: unknown): string => {
  try {
    return JSON.stringify(data, (_key, value: unknown) => typeof value === "bigint" ? value.toString() : value)
  } catch (error) {
    return JSON.stringify({ unencodable: String(error) })
  }
}

/** Server-sent events for one job: `job` (its summary now and on each change, until it ends) and `swarm` (its events). */
const jobEvents = (host: JobHostService, id: string, first: JobSummary) => {
  const sse = (event: string, data: unknown) => new TextEncoder().encode(`event: ${event}\ndata: ${jsonLine(data)}\n\n`)
  const summaries = Stream.concat(
    Stream.make(first),
    isTerminal(first) ? Stream.empty : host.changes.pipe(Stream.filter((s) => s.id === id), Stream.takeUntil(isTerminal))
  ).pipe(Stream.map((s) => sse("job", encodeSummary(s))))
  const swarm = Stream.unwrapScoped(host.events.subscribe).pipe(
    Stream.filter((e) => e.job === id),
    Stream.map((e) => sse("swarm", e)),
    Stream.catchAll(() => Stream.empty)
  )
  return Stream.merge(summaries, swarm, { haltStrategy: "left" })
}

const libraryFailures = <A, R>(effect: Effect.Effect<A, UnsafeNameError | UploadTooLargeError | NotMediaError | FileExistsError, R>) =>
  effect.pipe(
    Effect.catchTags({
      UnsafeNameError: (e) => Effect.succeed(badRequest(e.message, [{ path: "name", message: e.reason }])),
      UploadTooLargeError: (e) => Effect.succeed(json({ error: e.message }, 413)),
      NotMediaError: (e) => Effect.succeed(json({ error: e.message, fields: [{ path: "file", message: e.message }] }, 415)),
      FileExistsError: (e) => Effect.succeed(json({ error: e.message }, 409))
    })
  )

const folderOf = (state: string, kind: LibraryKind) => kind === "footage" ? hostDirs(state).footage : hostDirs(state).music

/** Root children and their supervisors' children, agents only. */
const agentChildren = (host: JobHostService) =>
  host.swarm.whichChildren().pipe(
    Effect.flatMap((roots) =>
      Effect.forEach(roots, (child) =>
        child.kind === "supervisor"
          ? host.swarm.whichChildren(child.name).pipe(Effect.orElseSucceed(() => []))
          : Effect.succeed([child]))
    ),
    Effect.map((groups) => groups.flat().filter((c) => c.kind === "agent")),
    Effect.orElseSucceed(() => [])
  )

const queueDepth = (host: JobHostService) => Effect.map(host.list({ state: "queued", limit: 1 }), (page) => page.total)

/** The handlers of every group, over `host`. */
export const handlersLayer = (host: JobHostService, options: HandlerOptions) => {
  const jobs = HttpApiBuilder.group(ReelswarmApi, "jobs", (handlers) =>
    handlers
      .handleRaw("submit", () =>
        Effect.gen(function*() {
          const body = yield* jsonBody
          if (body._tag === "TooLarge") return json({ error: body.reason }, 413)
          if (body._tag === "Invalid") return badRequest(`the body is not JSON: ${body.reason}`, [])
          const decoded = yield* Effect.either(decodeJobRequest(body.value))
          if (decoded._tag === "Left") return badRequest("invalid job request", parseFields(decoded.left))
          return yield* host.submit(decoded.right).pipe(
            Effect.map((summary) => json(encodeSummary(summary), 201)),
            Effect.catchTag("JobRequestError", (e) => Effect.succeed(requestError(e)))
          )
        }))
      .handle("list", ({ urlParams }) => {
        const offset = urlParams.offset ?? 0
        const limit = urlParams.limit ?? 50
        return Effect.map(
          host.list({ offset, limit, ...(urlParams.state === undefined ? {} : { state: urlParams.state }) }),
          (page): typeof JobPage.Type => ({ jobs: page.jobs, total: page.total, offset, limit })
        )
      })
      .handle("get", ({ path }) => host.get(path.id).pipe(Effect.mapError(notFound)))
      .handle("cancel", ({ path }) =>
        host.cancel(path.id).pipe(Effect.catchTags({
          JobNotFoundError: (e) => Effect.fail(notFound(e)),
          JobStateError: (e) => Effect.fail(conflict(e))
        })))
      .handle("remove", ({ path }) =>
        host.remove(path.id).pipe(Effect.catchTags({
          JobNotFoundError: (e) => Effect.fail(notFound(e)),
          JobStateError: (e) => Effect.fail(conflict(e))
        })))
      .handleRaw("events", ({ path }) =>
        Effect.map(host.get(path.id), (detail) =>
          HttpServerResponse.stream(jobEvents(host, path.id, detail), {
            contentType: "text/event-stream",
            headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
          })).pipe(Effect.mapError(notFound)))
      .handleRaw("video", ({ path, request }) =>
        host.files(path.id).pipe(
          Effect.flatMap((files) =>
            serveFile(files.video, { contentType: "video/mp4", range: request.headers["range"] })
          ),
          Effect.catchTags({
            JobNotFoundError: (e) => Effect.fail(notFound(e)),
            JobStateError: (e) => Effect.fail(conflict(e)),
            FileMissingError: (e) => Effect.fail(new NotFound({ error: e.message }))
          })
        ))
      .handleRaw("report", ({ path }) =>
        host.files(path.id).pipe(
          Effect.flatMap((files) =>
            Effect.tryPromise({
              try: () => readFile(files.report, "utf8"),
              catch: () => new NotFound({ error: `job ${path.id} has no report` })
            })
          ),
          Effect.map((text) => HttpServerResponse.text(text, { contentType: "application/json" })),
          Effect.catchTags({ JobNotFoundError: (e) => Effect.fail(notFound(e)), JobStateError: (e) => Effect.fail(conflict(e)) })
        ))
      .handleRaw("thumbnail", ({ path }) =>
        host.files(path.id).pipe(
          Effect.flatMap((files): Effect.Effect<HttpServerResponse.HttpServerResponse, NotFound | FileMissingError> => {
            const file = files.thumbnails[path.n]
            return file === undefined
              ? Effect.fail(
                new NotFound({ error: `job ${path.id} has ${files.thumbnails.length} thumbnails (0 … ${files.thumbnails.length - 1})` })
              )
              : serveFile(file, { contentType: "image/jpeg" })
          }),
          Effect.catchTags({
            JobNotFoundError: (e) => Effect.fail(notFound(e)),
            JobStateError: (e) => Effect.fail(conflict(e)),
            FileMissingError: (e) => Effect.fail(new NotFound({ error: e.message }))
          })
        )))

  const library = HttpApiBuilder.group(ReelswarmApi, "library", (handlers) => {
    const list = (kind: LibraryKind) => () =>
      Effect.map(listFolder(folderOf(host.state, kind)), (files) => ({ files: files.map(({ name, size }) => ({ name, size, kind })) }))
    const upload = (kind: LibraryKind) => ({ urlParams }: { readonly urlParams: { readonly name?: string | undefined } }) =>
      libraryFailures(
        withUpload(urlParams.name, (name, body) =>
          Effect.map(
            storeUpload({ dir: folderOf(host.state, kind), name, kind, body, maxBytes: options.maxUploadBytes }),
            (stored) => json(stored, 201)
          ))
      )
    const remove = (kind: LibraryKind) => ({ path }: { readonly path: { readonly name: string } }) =>
      removeFromFolder(folderOf(host.state, kind), path.name).pipe(
        Effect.catchTags({
          UnsafeNameError: (e) => Effect.fail(new BadRequest({ error: e.message, fields: [{ path: "name", message: e.reason }] })),
          FileMissingError: (e) => Effect.fail(new NotFound({ error: e.message }))
        })
      )
    return handlers
      .handle("list-footage", list("footage"))
      .handleRaw("upload-footage", upload("footage"))
      .handle("remove-footage", remove("footage"))
      .handle("list-music", list("music"))
      .handleRaw("upload-music", upload("music"))
      .handle("remove-music", remove("music"))
  })

  const health = HttpApiBuilder.group(ReelswarmApi, "health", (handlers) =>
    handlers
      .handle("health", () =>
        Effect.all({ children: agentChildren(host), queue: queueDepth(host) }).pipe(
          Effect.map(({ children, queue }) => {
            const running = children.filter((c) => c.state === "running").length
            return { ok: running === children.length, agents: { running, total: children.length }, queue }
          })
        ))
      .handle("metrics", () =>
        Effect.gen(function*() {
          const agents = yield* host.swarm.agents.pipe(Effect.orElseSucceed(() => []))
          const children = yield* agentChildren(host)
          const queue = yield* queueDepth(host)
          const running = yield* Effect.map(host.list({ state: "running", limit: 1 }), (p) => p.total)
          const latest = yield* host.events.query({ types: ["metrics"], order: "desc", limit: 1 }).pipe(
            Effect.map((page) => page.events[0]),
            Effect.orElseSucceed(() => undefined)
          )
          const gpus = latest === undefined ? [] : Option.match(decodeGpus(latest.data), { onNone: () => [], onSome: (d) => d.gpus })
          return {
            agents: agents.map((a) => ({
              name: a.name,
              mailbox: a.queued,
              capacity: a.capacity,
              restarts: a.restarts,
              ...Option.match(Option.fromNullable(children.find((c) => c.name === a.name)), {
                onNone: () => ({}),
                onSome: (c) => ({ status: c.state })
              })
            })),
            queue,
            running,
            cpu: { cores: cpus().length, loadAverage: loadavg() },
            memory: { totalBytes: totalmem(), freeBytes: freemem(), rssBytes: process.memoryUsage().rss },
            gpus
          }
        })))

  const mpt = mptGroupLive(host, options)

  return Layer.mergeAll(jobs, library, health, mpt)
}

/**
 * Decode failures of paths and query parameters, answered like bodies' are: 400 `{ error, fields }`
 * (HttpApi's own shape is `{ _tag, issues, message }`).
 */
export const decodeErrorsAsFields = HttpApiBuilder.middleware((app) =>
  Effect.catchAllCause(app, (cause) => {
    const failure: Option.Option<unknown> = Cause.failureOption(cause)
    if (Option.isSome(failure) && failure.value instanceof HttpApiError.HttpApiDecodeError) {
      const e: HttpApiError.HttpApiDecodeError = failure.value
      return Effect.succeed(badRequest("invalid path or query parameters", issueFields(e.issues)))
    }
    return Effect.failCause(cause)
  })
)
