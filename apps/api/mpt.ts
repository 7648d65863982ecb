/**
 * MoneyPrinterTurbo compatibility (`/api/v1`): its `VideoParams` mapped onto our `JobRequest`, its
 * task ids mapped onto our job ids (persisted in `<state>/mpt-tasks.json`), and its response envelope
 * `{ status, message, data }`. A field we cannot honour is refused by name when it is given a value
 * other than MoneyPrinterTurbo's default, never silently ignored. docs/api.md has the table.
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Effect, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { readFile } from "node:fs/promises"
import { DEFAULT_LOUDNESS_LUFS, writeFileAtomic } from "../../media/index.ts"
import type { JobRequest, JobSummary } from "../host/contract.ts"

/** MoneyPrinterTurbo's envelope; `data` is absent when there is nothing to say. */
export const MptEnvelope = <S extends Schema.Schema.Any>(data: S) =>
  Schema.Struct({ status: Schema.Int, message: Schema.String, data: Schema.optional(data) })

/** An `/api/v1` request refused: MoneyPrinterTurbo's envelope, `message` naming the field. */
export class MptError extends Schema.Class<MptError>("MptError")({
  status: Schema.Int,
  message: Schema.String,
  data: Schema.optional(Schema.Struct({ fields: Schema.Array(Schema.String) }))
}, HttpApiSchema.annotations({ status: 400 })) {}

const MaterialInfo = Schema.Union(
  Schema.String,
  Schema.Struct({ provider: Schema.optional(Schema.String), url: Schema.String, duration: Schema.optional(Schema.Number) })
)

/** The `VideoParams` fields we honour. Unknown fields pass (as in pydantic) and are checked by `unsupportedFields`. */
export const VideoParams = Schema.Struct({
  video_subject: Schema.optional(Schema.NullOr(Schema.String)),
  video_script: Schema.optional(Schema.NullOr(Schema.String)),
  video_terms: Schema.optional(Schema.NullOr(Schema.Union(Schema.String, Schema.Array(Schema.String)))),
  video_aspect: Schema.optional(Schema.NullOr(Schema.Literal("9:16", "16:9", "1:1"))),
  video_clip_duration: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(1, 60)))),
  video_count: Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.between(1, 20)))),
  video_source: Schema.optional(Schema.NullOr(Schema.String)),
  video_materials: Schema.optional(Schema.NullOr(Schema.Array(MaterialInfo))),
  voice_name: Schema.optional(Schema.NullOr(Schema.String)),
  voice_rate: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0.5, 2)))),
  bgm_type: Schema.optional(Schema.NullOr(Schema.String)),
  bgm_file: Schema.optional(Schema.NullOr(Schema.String)),
  bgm_volume: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0, 1)))),
  subtitle_enabled: Schema.optional(Schema.NullOr(Schema.Boolean)),
  subtitle_position: Schema.optional(Schema.NullOr(Schema.Literal("top", "center", "bottom", "custom"))),
  font_size: Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.between(8, 400)))),
  text_fore_color: Schema.optional(Schema.NullOr(Schema.String)),
  stroke_color: Schema.optional(Schema.NullOr(Schema.String)),
  stroke_width: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0, 20))))
})
export type VideoParams = typeof VideoParams.Type

/**
 * Fields of `VideoParams` we do not support, with the values MoneyPrinterTurbo treats as "not used"
 * (its defaults). Anything else given for one of these is refused by name.
 */
export const UNSUPPORTED_FIELDS: Readonly<Record<string, ReadonlyArray<unknown>>> = {
  video_concat_mode: [null, "random"],
  video_transition_mode: [null, "", "None"],
  video_style: [null, ""],
  output_bg_color: [null, "black", "#000000"],
  custom_audio_file: [null, ""],
  video_language: [null, ""],
  multi_scene_enabled: [null, false],
  scenes: [null],
  host_visible: [null, true],
  voice_volume: [null, 1, 1.8],
  voice_emotion: [null, ""],
  tts_server: [null, "", "azure-tts-v1"],
  custom_position: [null, 70],
  subtitle_margin: [null, 0.1],
  font_name: [null, "", "STHeitiMedium.ttc"],
  text_background_color: [null, true],
  n_threads: [null, 2],
  paragraph_number: [null, 1],
  title_enabled: [null, false]
}

/** The unsupported fields a request gives with a value other than MoneyPrinterTurbo's default. */
export const unsupportedFields = (body: Record<string, unknown>): ReadonlyArray<string> =>
  Object.entries(UNSUPPORTED_FIELDS).filter(([name, defaults]) => name in body && !defaults.some((d) => d === body[name])).map((
    [name]
  ) => name)

/**
 * MoneyPrinterTurbo's voice names are Azure/Edge neural voices, `<lang>-<REGION>-<Name>Neural[-Gender]`;
 * we keep the language (and region, where espeak-ng has it) and narrate with espeak-ng. Chinese is
 * espeak-ng's `cmn` (Mandarin) or `yue` (Cantonese, for zh-HK). Its older display names ("女生-晓晓")
 * and an empty name mean `auto`: a voice for the script's language.
 */
export const espeakVoiceFor = (voiceName: string | null | undefined): string => {
  const m = /^([a-z]{2,3})-([A-Za-z]{2,4})(?:-|$)/.exec(voiceName ?? "")
  if (m === null) return "auto"
  const lang = m[1]!.toLowerCase()
  const region = m[2]!.toUpperCase()
  if (lang === "zh") return region === "HK" ? "yue" : "cmn"
  if (lang === "en") return region === "GB" ? "en-gb" : "en-us"
  if (lang === "pt") return region === "BR" ? "pt-br" : "pt"
  if (lang === "es" && region !== "ES") return "es-419"
  return lang
}

export interface MappedTask {
  /** One request per video asked for (`video_count`), seeds `<task>-1 … <task>-N`. */
  readonly requests: ReadonlyArray<JobRequest>
  /** Local materials to gather into the task's footage folder; empty: the server's footage. */
  readonly materials: ReadonlyArray<string>
}

/** A request we cannot honour: the field and why (a 400 naming it). */
export class MptFieldError extends Schema.TaggedError<MptFieldError>()("MptFieldError", {
  fields: Schema.Array(Schema.String),
  message: Schema.String
}) {}

/** VideoParams → our job requests. `footage` is the folder the task's materials will be linked into, when it has any. */
export const toJobRequests = (
  taskId: string,
  params: VideoParams,
  body: Record<string, unknown>,
  footage: string
): Effect.Effect<MappedTask, MptFieldError> =>
  Effect.gen(function*() {
    const refused = unsupportedFields(body)
    if (refused.length > 0) {
      return yield* new MptFieldError({
        fields: refused,
        message: `not supported by reelswarm: ${
          refused.map((f) => `${f}=${JSON.stringify(body[f])}`).join(", ")
        } (leave these out or at MoneyPrinterTurbo's default)`
      })
    }
    const fail = (field: string, message: string) => Effect.fail(new MptFieldError({ fields: [field], message: `${field}: ${message}` }))
    const source = params.video_source ?? undefined
    const materials = (params.video_materials ?? []).map((m) => typeof m === "string" ? m : m.url)
    if (source !== undefined && source !== "local") {
      return yield* fail("video_source", `only "local" is supported (got ${JSON.stringify(source)}); no stock footage is downloaded`)
    }
    if (materials.length > 0 && source !== "local") return yield* fail("video_source", `video_materials need video_source "local"`)
    if (params.subtitle_position === "custom") {
      return yield* fail("subtitle_position", `"custom" is not supported: use top, center or bottom`)
    }
    const subject = params.video_subject?.trim() ?? ""
    const script = params.video_script?.trim() ?? ""
    if (subject === "" && script === "") return yield* fail("video_subject", "give video_subject or video_script")
    const color = (field: string, value: string | null | undefined) =>
      value === null || value === undefined || value === "" ? Effect.succeed(undefined) : /^#[0-9a-fA-F]{6}$/.test(value)
        ? Effect.succeed(value.toUpperCase())
        : fail(field, `a colour as #RRGGBB (got ${JSON.stringify(value)})`)
    const captionColor = yield* color("text_fore_color", params.text_fore_color)
    const captionStroke = yield* color("stroke_color", params.stroke_color)
    const count = params.video_count ?? 1
    const base: JobRequest = {
      ...(script === "" ? { topic: subject } : { script }),
      ...(subject === "" ? {} : { title: subject.slice(0, 200) }),
      ...(materials.length > 0 ? { footage } : {}),
      ...(params.bgm_file ? { music: params.bgm_file.split(/[\\/]/).pop()! } : {}),
      aspect: params.video_aspect ?? "9:16",
      fps: 30,
      captions: params.subtitle_enabled === false ? "none" : "lines",
      captionPosition: params.subtitle_position === "top" || params.subtitle_position === "center" ? params.subtitle_position : "bottom",
      ...(params.font_size === null || params.font_size === undefined ? {} : { captionSize: params.font_size }),
      ...(captionColor === undefined ? {} : { captionColor }),
      ...(captionStroke === undefined ? {} : { captionStroke }),
      ...(params.stroke_width === null || params.stroke_width === undefined ? {} : { captionStrokeWidth: params.stroke_width }),
      voice: espeakVoiceFor(params.voice_name),
      voiceRate: params.voice_rate ?? 1,
      musicVolume: params.bgm_volume ?? 0.2,
      maxClipSeconds: params.video_clip_duration ?? 5,
      encoder: "auto",
      segments: 1,
      seed: taskId,
      loudness: DEFAULT_LOUDNESS_LUFS,
      qc: false
    }
    const requests = Array.from({ length: count }, (_, i) => ({ ...base, seed: `${taskId}-${i + 1}` }))
    return { requests, materials }
  })

/** MoneyPrinterTurbo's task states. */
export const MPT_FAILED = -1
export const MPT_COMPLETE = 1
export const MPT_PROCESSING = 4

/** A task's state and progress (0 … 100) from its jobs': failed if any failed or was cancelled, complete when all are done. */
export const taskProgress = (jobs: ReadonlyArray<JobSummary>): { readonly state: number; readonly progress: number } => {
  if (jobs.some((j) => j.state === "failed" || j.state === "cancelled")) {
    return { state: MPT_FAILED, progress: Math.round(100 * mean(jobs.map((j) => j.progress))) }
  }
  if (jobs.length > 0 && jobs.every((j) => j.state === "done")) return { state: MPT_COMPLETE, progress: 100 }
  return { state: MPT_PROCESSING, progress: Math.min(99, Math.round(100 * mean(jobs.map((j) => j.progress)))) }
}

const mean = (xs: ReadonlyArray<number>) => xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length

export const MptTaskRecord = Schema.Struct({ task_id: Schema.String, jobs: Schema.Array(Schema.String), created: Schema.Number })
export type MptTaskRecord = typeof MptTaskRecord.Type
const MptTaskFile = Schema.parseJson(Schema.Array(MptTaskRecord))

/** The MoneyPrinterTurbo task → job ids map, kept in `<state>/mpt-tasks.json` (rewritten atomically on each change). */
export const makeTaskStore = Effect.fn("api.mptTaskStore")(function*(state: string) {
  const file = `${state}/mpt-tasks.json`
  const text = yield* Effect.promise(() => readFile(file, "utf8").catch(() => "[]"))
  let tasks: ReadonlyArray<MptTaskRecord> = yield* Schema.decode(MptTaskFile)(text).pipe(Effect.orElseSucceed(() => []))
  const lock = yield* Effect.makeSemaphore(1)
  const save = (next: ReadonlyArray<MptTaskRecord>) =>
    writeFileAtomic(file, JSON.stringify(next, null, 2)).pipe(Effect.orDie, Effect.tap(() => Effect.sync(() => (tasks = next))))
  return {
    newTaskId: () => randomUUID(),
    add: (record: MptTaskRecord) => lock.withPermits(1)(save([record, ...tasks])),
    remove: (taskId: string) => lock.withPermits(1)(save(tasks.filter((t) => t.task_id !== taskId))),
    get: (taskId: string) => Effect.sync(() => tasks.find((t) => t.task_id === taskId)),
    /** Newest first. */
    all: Effect.sync(() => tasks)
  }
})
export type MptTaskStore = Effect.Effect.Success<ReturnType<typeof makeTaskStore>>

const taskId = HttpApiSchema.param("task_id", Schema.String)

export const MptTask = Schema.Struct({
  task_id: Schema.String,
  state: Schema.Int,
  progress: Schema.Number,
  videos: Schema.Array(Schema.String),
  combined_videos: Schema.Array(Schema.String),
  jobs: Schema.Array(Schema.String)
})

const MptFile = Schema.Struct({ name: Schema.String, size: Schema.Int, file: Schema.String })
const mp4 = HttpApiSchema.Uint8Array({ contentType: "video/mp4" })

/** The `/api/v1` routes as MoneyPrinterTurbo clients call them. */
export class MptGroup extends HttpApiGroup.make("moneyprinterturbo")
  .add(
    HttpApiEndpoint.post("videos", "/api/v1/videos")
      .setPayload(VideoParams)
      .addSuccess(MptEnvelope(Schema.Struct({ task_id: Schema.String, jobs: Schema.Array(Schema.String) })))
      .addError(MptError)
      .annotate(OpenApi.Description, "MoneyPrinterTurbo's VideoParams; see docs/api.md for what maps to what, and what is refused.")
  )
  .add(
    HttpApiEndpoint.get("tasks", "/api/v1/tasks")
      .setUrlParams(Schema.Struct({
        page: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.positive())),
        page_size: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.positive()))
      }))
      .addSuccess(MptEnvelope(Schema.Struct({ tasks: Schema.Array(MptTask), total: Schema.Int, page: Schema.Int, page_size: Schema.Int })))
  )
  .add(
    HttpApiEndpoint.get("task")`/api/v1/tasks/${taskId}`
      .addSuccess(MptEnvelope(MptTask))
      .addError(MptError.annotations(HttpApiSchema.annotations({ status: 404 })))
      .annotate(OpenApi.Description, "state: -1 failed, 1 complete, 4 processing; progress 0 … 100; videos: download URLs.")
  )
  .add(
    HttpApiEndpoint.del("deleteTask")`/api/v1/tasks/${taskId}`
      .addSuccess(MptEnvelope(Schema.Unknown))
      .addError(MptError.annotations(HttpApiSchema.annotations({ status: 404 })))
  )
  .add(HttpApiEndpoint.get("musics", "/api/v1/musics").addSuccess(MptEnvelope(Schema.Struct({ files: Schema.Array(MptFile) }))))
  .add(
    HttpApiEndpoint.post("uploadMusic", "/api/v1/musics")
      .setPayload(HttpApiSchema.Uint8Array({ contentType: "multipart/form-data" }))
      .addSuccess(MptEnvelope(Schema.Struct({ file: Schema.String })))
      .addError(MptError)
      .annotate(OpenApi.Description, "multipart/form-data with a `file` field; checked by probing, an existing name is refused.")
  )
  .add(
    HttpApiEndpoint.get("stream", "/api/v1/stream/*")
      .addSuccess(mp4.annotations(HttpApiSchema.annotations({ status: 206 })))
      .addError(MptError)
      .annotate(OpenApi.Description, "A file under the outputs folder (`<job id>/video.mp4`), with Range.")
  )
  .add(
    HttpApiEndpoint.get("download", "/api/v1/download/*")
      .addSuccess(mp4)
      .addError(MptError)
      .annotate(OpenApi.Description, "A file under the outputs folder, as an attachment.")
  )
{}
