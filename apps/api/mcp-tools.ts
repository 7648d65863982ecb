/**
 * The MCP tools: each one's name, help, input and output as Effect Schemas (published to clients as
 * JSON Schema made from them), and what it does with the job host. Arguments are decoded with the
 * input Schema, so a bad call is answered with a tool error naming the field, as is every failure
 * of the host (no such job, a job that cannot be cancelled in its state, a request that cannot run).
 */
import { Effect, Either, JSONSchema, ParseResult, Schema } from "effect"
import { join, relative } from "node:path"
import { indexFolder, mediaFileSystem } from "../../media/index.ts"
import {
  hostDirs,
  type JobDetail,
  type JobFiles,
  type JobHostService,
  type JobNotFoundError,
  JobRequest,
  type JobRequestError,
  JobState,
  type JobStateError,
  JobSummary,
  PartRecord,
  StageRecord
} from "../host/contract.ts"

export interface ToolOptions {
  /**
   * The server's public address (`https://host:port`): download links of finished videos start
   * with it. Over HTTP the default is the address the request came to; over stdio there are none.
   */
  readonly baseUrl?: string | undefined
}

/** A call the tool cannot answer, in words for the client (and the model) to read. */
export class ToolCallError extends Schema.TaggedError<ToolCallError>()("ToolCallError", { message: Schema.String }) {}

const described = <A, I>(schema: Schema.Schema<A, I>, description: string): Schema.Schema<A, I> => schema.annotations({ description })

const JobId = described(Schema.String.pipe(Schema.minLength(1)), "The job's id, as create_video or list_videos gave it.")

/** A file of a finished job: its path on the server, and a download link when the server's address is known. */
const FileLink = Schema.Struct({ path: Schema.String, url: Schema.optional(Schema.String) })

const VideoResult = Schema.Struct({
  video: FileLink,
  report: FileLink,
  /** One JPEG per scene. */
  thumbnails: Schema.Array(FileLink),
  durationSec: Schema.Number,
  scenes: Schema.Int,
  shots: Schema.Int,
  /** Footage files the job left out (unreadable, corrupt, a bad sidecar). */
  skipped: Schema.Int,
  warnings: Schema.Array(Schema.String)
})

/** A job as get_video_status shows it: the detail without the full report, and the files once done. */
const VideoStatus = Schema.Struct({
  ...JobSummary.fields,
  request: JobRequest,
  stages: Schema.Array(StageRecord),
  parts: Schema.Array(PartRecord),
  result: Schema.optional(VideoResult)
})

const VideoPage = Schema.Struct({ jobs: Schema.Array(JobSummary), total: Schema.Int, offset: Schema.Int, limit: Schema.Int })

const FootageItem = Schema.Struct({
  /** Relative to the library folder. */
  name: Schema.String,
  kind: Schema.Literal("video", "image"),
  sizeBytes: Schema.Number,
  /** 0 for images. */
  durationSec: Schema.Number,
  width: Schema.Int,
  height: Schema.Int,
  tags: Schema.Array(Schema.String)
})

const FootageList = Schema.Struct({
  folder: Schema.String,
  clips: Schema.Array(FootageItem),
  /** Files that are in the folder but cannot be used, and why. */
  warnings: Schema.Array(Schema.String),
  note: Schema.optional(Schema.String)
})

const DEFAULT_PAGE = 20
const MAX_PAGE = 100

const ListInput = Schema.Struct({
  offset: Schema.optional(described(Schema.Int.pipe(Schema.nonNegative()), "How many of the newest jobs to skip (default 0).")),
  limit: Schema.optional(
    described(Schema.Int.pipe(Schema.between(1, MAX_PAGE)), `How many jobs to return, 1 … ${MAX_PAGE} (default ${DEFAULT_PAGE}).`)
  ),
  state: Schema.optional(described(JobState, "Only jobs in this state."))
})

/** Where a finished job's files are served, under the server's address. */
const downloadPath = (id: string, file: "video" | "report" | { readonly thumbnail: number }) =>
  `/api/jobs/${encodeURIComponent(id)}/${typeof file === "string" ? file : `thumbnails/${file.thumbnail}`}`

const link = (path: string, options: ToolOptions, url: string) =>
  options.baseUrl === undefined ? { path } : { path, url: new URL(url, options.baseUrl).href }

const resultOf = (detail: JobDetail, files: JobFiles, options: ToolOptions): typeof VideoResult.Type => ({
  video: link(files.video, options, downloadPath(detail.id, "video")),
  report: link(files.report, options, downloadPath(detail.id, "report")),
  thumbnails: files.thumbnails.map((path, thumbnail) => link(path, options, downloadPath(detail.id, { thumbnail }))),
  durationSec: detail.report?.narration.durationSec ?? 0,
  scenes: detail.report?.scenes.length ?? 0,
  shots: detail.report?.shots.length ?? 0,
  skipped: detail.report?.skipped.length ?? 0,
  warnings: detail.report?.warnings.map((w) => w.message) ?? []
})

const videoStatus = (host: JobHostService, id: string, options: ToolOptions) =>
  Effect.gen(function*() {
    const detail = yield* host.get(id)
    const { report: _report, ...status } = detail
    if (detail.state !== "done") return status
    const files = yield* host.files(id)
    return { ...status, result: resultOf(detail, files, options) }
  })

const footageList = (state: string) =>
  Effect.gen(function*() {
    const folder = hostDirs(state).footage
    const fs = yield* mediaFileSystem
    if (!(yield* Effect.orElseSucceed(fs.exists(folder), () => true))) {
      return {
        folder,
        clips: [],
        warnings: [],
        note: "No footage has been uploaded: a job without `footage` is made from the procedural sample clips."
      }
    }
    // The production's probe cache: clips a job has used (or an earlier listing probed) are not probed again.
    const index = yield* indexFolder(folder, { cacheDir: join(state, "footage-index") })
    return {
      folder,
      clips: index.clips.map((clip) => ({
        name: relative(folder, clip.path),
        kind: clip.kind,
        sizeBytes: clip.sizeBytes,
        durationSec: clip.durationSec,
        width: clip.width,
        height: clip.height,
        tags: clip.tags
      })),
      warnings: index.warnings.map((w) => `${relative(folder, w.file)}: ${w.message}`)
    }
  })

/** The annotations MCP defines, telling a client which calls only read. */
interface ToolHints {
  readonly readOnlyHint?: boolean
  readonly destructiveHint?: boolean
  readonly idempotentHint?: boolean
  readonly openWorldHint?: boolean
}

interface ToolSpec<I, II, O, OI> {
  readonly name: string
  readonly title: string
  readonly description: string
  readonly input: Schema.Schema<I, II>
  readonly output: Schema.Schema<O, OI>
  readonly hints: ToolHints
  readonly run: (host: JobHostService, input: I, options: ToolOptions) => Effect.Effect<O, { readonly message: string }>
}

/** A tool as the MCP server lists it (name, help, JSON Schemas) and calls it. */
export interface McpTool {
  readonly definition: {
    readonly name: string
    readonly title: string
    readonly description: string
    readonly inputSchema: { readonly type: "object"; readonly [key: string]: unknown }
    readonly outputSchema: { readonly type: "object"; readonly [key: string]: unknown }
    readonly annotations: ToolHints & { readonly title: string }
  }
  /** Decodes the arguments, runs the tool; never fails: a failure is the result's `isError` and text. */
  readonly call: (host: JobHostService, args: unknown, options: ToolOptions) => Effect.Effect<ToolResult>
}

export interface ToolResult {
  readonly content: Array<{ readonly type: "text"; readonly text: string }>
  readonly structuredContent?: Record<string, unknown>
  readonly isError?: boolean
}

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const isRecord = (node: Json): node is { readonly [key: string]: Json } => typeof node === "object" && node !== null && !Array.isArray(node)

/**
 * Effect's JSON Schema, as MCP clients read it best: `$ref`s into `$defs` inlined (some clients
 * resolve no references), without the `$schema` line and the titles Effect makes up from
 * refinements ("minLength(1)"), and with each property's default where decoding gives one.
 */
const jsonSchemaOf = <A, I>(schema: Schema.Schema<A, I>, defaults: Record<string, unknown>) => {
  const { $defs = {}, $schema: _schema, ...root } = JSONSchema.make(schema) as unknown as Record<string, Json> & {
    readonly $defs?: Record<string, Json>
  }
  const inline = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(inline)
    if (!isRecord(node)) return node
    const { $ref, ...rest } = node
    const target = typeof $ref === "string" ? $defs[$ref.replace("#/$defs/", "")] : undefined
    const merged = { ...(target !== undefined && isRecord(target) ? target : {}), ...rest }
    return Object.fromEntries(
      Object.entries(merged).filter(([key, value]) => !(key === "title" && typeof value === "string")).map((
        [key, value]
      ) => [key, inline(value)])
    )
  }
  const inlined = inline(root) as Record<string, Json>
  const properties = Object.fromEntries(
    Object.entries(isRecord(inlined.properties ?? null) ? inlined.properties as Record<string, Json> : {}).map(([key, value]) => [
      key,
      key in defaults && isRecord(value) ? { ...value, default: defaults[key] as Json } : value
    ])
  )
  return { ...inlined, type: "object" as const, properties }
}

/**
 * A decode failure as one line per field. "Expected undefined" (an optional field's other branch) is
 * left out, and the alternatives of a literal union are read as one: `Expected "a" | "b", actual "c"`.
 */
const fieldErrors = (error: ParseResult.ParseError): string => {
  const byField = new Map<string, Array<string>>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    if (issue.message.startsWith("Expected undefined, actual ")) continue
    const field = issue.path.length === 0 ? "arguments" : issue.path.join(".")
    byField.set(field, [...(byField.get(field) ?? []), issue.message])
  }
  return [...byField].map(([field, messages]) => {
    const alternatives = messages.map((m) => /^Expected (.*), actual (.*)$/s.exec(m)).filter((m) => m !== null)
    const text = alternatives.length > 1 && alternatives.length === messages.length
      ? `Expected ${alternatives.map((m) => m[1]).join(" | ")}, actual ${alternatives[0]![2]}`
      : [...new Set(messages)].join("; ")
    return `${field}: ${text}`
  }).join("\n")
}

const textResult = (text: string, isError: boolean): ToolResult => ({ content: [{ type: "text", text }], ...(isError ? { isError } : {}) })

const tool = <I, II, O, OI extends Record<string, unknown>>(spec: ToolSpec<I, II, O, OI>): McpTool => {
  const { input, output } = spec
  const decode = Schema.decodeUnknown(input, { errors: "all", onExcessProperty: "error" })
  const encode = Schema.encode(output)
  // What a call without arguments gets, for the fields that have a default.
  const noArguments = Schema.decodeUnknownEither(input)({})
  const defaults = Either.isRight(noArguments) ? (Schema.encodeSync(input)(noArguments.right) as Record<string, unknown>) : {}
  return {
    definition: {
      name: spec.name,
      title: spec.title,
      description: spec.description,
      inputSchema: jsonSchemaOf(input, defaults),
      outputSchema: jsonSchemaOf(output, {}),
      annotations: { title: spec.title, ...spec.hints }
    },
    call: (host, args, options) =>
      decode(args ?? {}).pipe(
        Effect.mapError((error) => new ToolCallError({ message: `invalid arguments for ${spec.name}:\n${fieldErrors(error)}` })),
        Effect.flatMap((input) => spec.run(host, input, options)),
        Effect.flatMap((output) => Effect.orDie(encode(output))),
        Effect.map((structured): ToolResult => ({
          content: [{ type: "text", text: JSON.stringify(structured, null, 2) }],
          structuredContent: structured
        })),
        Effect.catchAll((error) => Effect.succeed(textResult(error.message, true))),
        Effect.catchAllDefect((defect) =>
          Effect.as(
            Effect.logError(`MCP tool ${spec.name} failed unexpectedly`, defect),
            textResult(`${spec.name} failed unexpectedly: ${defect instanceof Error ? defect.message : String(defect)}`, true)
          )
        ),
        Effect.withSpan(`mcp.${spec.name}`)
      )
  }
}

/** A JobRequestError names its field; the others' messages say what is wrong. */
const hostError = (error: JobRequestError | JobNotFoundError | JobStateError) =>
  new ToolCallError({ message: error._tag === "JobRequestError" ? `${error.field}: ${error.message}` : error.message })

export const TOOLS: ReadonlyArray<McpTool> = [
  tool({
    name: "create_video",
    title: "Create a video",
    description: "Queue a short video: a narration script (or a topic for Claude to write one about) is spoken, " +
      "matched to footage, captioned and rendered to MP4. Returns at once with the job's id; poll get_video_status until " +
      "its state is done (or failed). Paths (footage, music) are on the server; list_footage shows its library.",
    input: JobRequest,
    output: JobSummary,
    // Not closed-world: a `topic` has Claude write the script.
    hints: { readOnlyHint: false, destructiveHint: false },
    run: (host, request) => Effect.mapError(host.submit(request), hostError)
  }),
  tool({
    name: "get_video_status",
    title: "Video status",
    description: "A job's state (queued, running, done, failed, cancelled), its stage and progress (0 … 1), the stage " +
      "timeline, what was asked, and when done: where the video, its report and one thumbnail per scene are " +
      "(server paths, and download links).",
    input: Schema.Struct({ id: JobId }),
    output: VideoStatus,
    hints: { readOnlyHint: true, openWorldHint: false },
    run: (host, { id }, options) => Effect.mapError(videoStatus(host, id, options), hostError)
  }),
  tool({
    name: "list_videos",
    title: "List videos",
    description: "The server's jobs, newest first, a page at a time, optionally only those in one state.",
    input: ListInput,
    output: VideoPage,
    hints: { readOnlyHint: true, openWorldHint: false },
    run: (host, { limit = DEFAULT_PAGE, offset = 0, state }) =>
      Effect.map(host.list({ offset, limit, ...(state === undefined ? {} : { state }) }), (page) => ({ ...page, offset, limit }))
  }),
  tool({
    name: "list_footage",
    title: "List footage",
    description: "The clips and images uploaded to the server's footage library (what a job without `footage` uses): " +
      "name, kind, size in bytes, duration, resolution and tags.",
    input: Schema.Struct({}),
    output: FootageList,
    hints: { readOnlyHint: true, openWorldHint: false },
    run: (host) => footageList(host.state)
  }),
  tool({
    name: "cancel_video",
    title: "Cancel a video",
    description: "Stop a queued or running job (its encoders too). The job is kept, in state cancelled.",
    input: Schema.Struct({ id: JobId }),
    output: JobSummary,
    hints: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    run: (host, { id }) => Effect.mapError(host.cancel(id), hostError)
  })
]
