/**
 * The MoneyPrinterTurbo routes' handlers (`/api/v1`), answering in its envelope `{ status, message, data }`
 * with the HTTP status in both places, as it does. mpt.ts has the mapping of its fields onto ours.
 */
import { HttpApiBuilder, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import { copyFile, link, mkdir, stat } from "node:fs/promises"
import { basename, isAbsolute, join, relative } from "node:path"
import { hostDirs, type JobHostService, type JobSummary } from "../host/contract.ts"
import { ReelswarmApi } from "./api.ts"
import { listFolder, resolveInside, serveFile, storeUpload } from "./files.ts"
import { makeTaskStore, taskProgress, toJobRequests, VideoParams } from "./mpt.ts"
import { type HandlerOptions, jsonBody, parseFields, withUpload } from "./request-body.ts"

/** Our JobRequest's fields as MoneyPrinterTurbo names them, for errors the host finds. */
const MPT_NAME: Readonly<Record<string, string>> = {
  topic: "video_subject",
  script: "video_script",
  title: "video_subject",
  music: "bgm_file",
  voice: "voice_name",
  voiceRate: "voice_rate",
  musicVolume: "bgm_volume",
  maxClipSeconds: "video_clip_duration",
  captionSize: "font_size",
  captionColor: "text_fore_color",
  captionStroke: "stroke_color",
  captionStrokeWidth: "stroke_width",
  captionPosition: "subtitle_position",
  footage: "video_materials",
  aspect: "video_aspect"
}

const envelope = (status: number, message: string, data?: unknown) =>
  HttpServerResponse.unsafeJson(data === undefined ? { status, message } : { status, message, data }, { status })
const refuse = (status: number, message: string, fields: ReadonlyArray<string> = []) =>
  envelope(status, message, fields.length === 0 ? undefined : { fields })

const decodeVideoParams = Schema.decodeUnknown(VideoParams, { errors: "all" })

/** The path after a wildcard route's prefix, as it came on the wire (still percent-encoded). */
const pathAfter = (url: string, prefix: string) => url.split("?")[0]!.slice(prefix.length)

/** The `/api/v1` handlers over `host`; the task map is read from the state directory when the layer is built. */
export const mptGroupLive = (host: JobHostService, options: HandlerOptions) =>
  HttpApiBuilder.group(ReelswarmApi, "moneyprinterturbo", (handlers) =>
    Effect.gen(function*() {
      const store = yield* makeTaskStore(host.state)
      const { dirs, gatherMaterials, originOf, outputFile, taskView } = helpers(host)
      return handlers
        .handleRaw("videos", () =>
          Effect.gen(function*() {
            const body = yield* jsonBody
            if (body._tag === "TooLarge") return refuse(413, body.reason)
            if (body._tag === "Invalid") return refuse(400, `the body is not JSON: ${body.reason}`)
            if (typeof body.value !== "object" || body.value === null || Array.isArray(body.value)) {
              return refuse(400, "the body must be a JSON object of VideoParams")
            }
            const raw = body.value as Record<string, unknown>
            const params = yield* Effect.either(decodeVideoParams(raw))
            if (params._tag === "Left") {
              const fields = parseFields(params.left)
              return refuse(
                400,
                fields.map((f) => `${f.path}: ${f.message}`).join("; "),
                fields.map((f) => f.path)
              )
            }
            const taskId = store.newTaskId()
            const footage = join(host.state, "mpt", taskId, "footage")
            const mapped = yield* Effect.either(toJobRequests(taskId, params.right, raw, footage))
            if (mapped._tag === "Left") {
              return refuse(400, mapped.left.message, mapped.left.fields)
            }
            if (mapped.right.materials.length > 0) {
              const gathered = yield* Effect.either(gatherMaterials(taskId, mapped.right.materials))
              if (gathered._tag === "Left") return refuse(400, gathered.left, ["video_materials"])
            }
            const submitted = yield* Effect.either(Effect.forEach(mapped.right.requests, (r) => host.submit(r)))
            if (submitted._tag === "Left") {
              const field = MPT_NAME[submitted.left.field] ?? submitted.left.field
              return refuse(400, `${field}: ${submitted.left.message}`, [field])
            }
            const jobs = submitted.right.map((s) => s.id)
            yield* store.add({ task_id: taskId, jobs, created: Date.now() })
            return envelope(200, "success", { task_id: taskId, jobs })
          }))
        .handleRaw("tasks", ({ request, urlParams }) =>
          Effect.gen(function*() {
            const page = urlParams.page ?? 1
            const pageSize = urlParams.page_size ?? 10
            const all = yield* store.all
            const slice = all.slice((page - 1) * pageSize, page * pageSize)
            const tasks = yield* Effect.forEach(slice, (t) => taskView(originOf(request), t.task_id, t.jobs))
            return envelope(200, "success", { tasks, total: all.length, page, page_size: pageSize })
          }))
        .handleRaw("task", ({ path, request }) =>
          Effect.gen(function*() {
            const task = yield* store.get(path.task_id)
            if (task === undefined) return refuse(404, `${path.task_id}: task not found`)
            return envelope(200, "success", yield* taskView(originOf(request), task.task_id, task.jobs))
          }))
        .handleRaw("deleteTask", ({ path }) =>
          Effect.gen(function*() {
            const task = yield* store.get(path.task_id)
            if (task === undefined) return refuse(404, `${path.task_id}: task not found`)
            yield* Effect.forEach(
              task.jobs,
              (id) => host.cancel(id).pipe(Effect.ignore, Effect.zipRight(host.remove(id).pipe(Effect.ignore)))
            )
            yield* store.remove(task.task_id)
            return envelope(200, "success")
          }))
        .handleRaw("musics", () =>
          Effect.map(
            listFolder(dirs.music),
            (files) => envelope(200, "success", { files: files.map(({ name, path, size }) => ({ name, size, file: path })) })
          ))
        .handleRaw("uploadMusic", () =>
          withUpload(undefined, (name, body) =>
            storeUpload({ dir: dirs.music, name, kind: "music", body, maxBytes: options.maxUploadBytes }).pipe(
              Effect.map((stored) =>
                envelope(200, "success", { file: join(dirs.music, stored.name) })
              )
            )).pipe(
              Effect.catchTags({
                UnsafeNameError: (e) =>
                  Effect.succeed(refuse(400, e.message, ["file"])),
                UploadTooLargeError: (e) => Effect.succeed(refuse(413, e.message, ["file"])),
                NotMediaError: (e) => Effect.succeed(refuse(415, e.message, ["file"])),
                FileExistsError: (e) => Effect.succeed(refuse(409, e.message, ["file"]))
              })
            ))
        .handleRaw("stream", ({ request }) =>
          outputFile("/api/v1/stream/", request, false))
        .handleRaw("download", ({ request }) => outputFile("/api/v1/download/", request, true))
    }))

/** What the handlers share: the task view, the materials folder, and the outputs' files. */
const helpers = (host: JobHostService) => {
  const dirs = hostDirs(host.state)

  /** Hard links to the task's local materials (copies across file systems), in its own footage folder. */
  const gatherMaterials = (taskId: string, materials: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const folder = join(host.state, "mpt", taskId, "footage")
      yield* Effect.promise(() => mkdir(folder, { recursive: true }))
      for (const [i, material] of materials.entries()) {
        if (!isAbsolute(material)) {
          return yield* Effect.fail(`video_materials[${i}]: a local path on the server, absolute (got ${JSON.stringify(material)})`)
        }
        const s = yield* Effect.promise(() => stat(material).catch(() => undefined))
        if (s?.isFile() !== true) return yield* Effect.fail(`video_materials[${i}]: no file ${material} on the server`)
        const target = join(folder, `${String(i + 1).padStart(3, "0")}-${basename(material).replace(/^\.+/, "")}`)
        yield* Effect.promise(() => link(material, target).catch(() => copyFile(material, target)))
      }
      return folder
    })

  const taskView = (origin: string, taskId: string, jobIds: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const summaries = yield* Effect.forEach(jobIds, (id) =>
        host.get(id).pipe(
          Effect.map((d): JobSummary => d),
          Effect.orElseSucceed((): JobSummary => ({
            id,
            title: "",
            state: "failed",
            progress: 0,
            submittedAt: 0,
            failure: { stage: "", message: "job deleted" }
          }))
        ))
      const videos = yield* Effect.forEach(summaries.filter((s) => s.state === "done"), (s) =>
        host.files(s.id).pipe(
          Effect.map((files) =>
            `${origin}/api/v1/download/${relative(dirs.outputs, files.video).split("/").map(encodeURIComponent).join("/")}`
          ),
          Effect.option
        ))
      return {
        task_id: taskId,
        ...taskProgress(summaries),
        videos: videos.flatMap((v) => Option.isSome(v) ? [v.value] : []),
        combined_videos: [],
        jobs: jobIds
      }
    })

  const originOf = (request: HttpServerRequest.HttpServerRequest) => `http://${request.headers["host"] ?? "127.0.0.1"}`

  const outputFile = (prefix: string, request: HttpServerRequest.HttpServerRequest, download: boolean) =>
    resolveInside(dirs.outputs, pathAfter(request.url, prefix)).pipe(
      Effect.flatMap((file) =>
        serveFile(file, {
          contentType: file.endsWith(".mp4") ? "video/mp4" : file.endsWith(".json") ? "application/json" : "application/octet-stream",
          range: request.headers["range"],
          download: download ? basename(file) : undefined
        })
      ),
      Effect.catchTags({
        UnsafeNameError: (e) => Effect.succeed(refuse(403, e.message)),
        FileMissingError: (e) => Effect.succeed(refuse(404, e.message))
      })
    )

  return { dirs, gatherMaterials, originOf, outputFile, taskView }
}
