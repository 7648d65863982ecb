/**
 * Pexels videos: search by query and orientation (GET /videos/search, key in the Authorization
 * header), download the best-fitting MP4 into a cache folder (temp name, then rename; a second call
 * finds it there), probe it, and write a sidecar with tags and credit so the folder index sees it too.
 */
import { createWriteStream } from "node:fs"
import { access, mkdir, rm, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import type { ReadableStream as WebReadableStream } from "node:stream/web"
import { Effect, Redacted, Schema } from "effect"
import { replaceAtomically } from "../atomic-file.ts"
import { probe } from "../probe.ts"
import { FootageError } from "./footage-error.ts"
import { orientationOf, type FootageClip } from "./footage-index.ts"
import { bestFittingFile, type FootageCandidate, type FootageProvider, type FootageQuery } from "./footage-provider.ts"
import { normalizeTags, tagsFromFileName } from "./tags.ts"

export interface PexelsOptions {
  readonly apiKey: Redacted.Redacted<string> | string
  /** folder for downloaded clips */
  readonly cacheDir: string
  /** default https://api.pexels.com (tests point it at a loopback fake) */
  readonly baseUrl?: string
}

const VideoFile = Schema.Struct({
  id: Schema.Number,
  file_type: Schema.NullishOr(Schema.String),
  width: Schema.NullishOr(Schema.Number),
  height: Schema.NullishOr(Schema.Number),
  fps: Schema.NullishOr(Schema.Number),
  link: Schema.String
})

const Video = Schema.Struct({
  id: Schema.Number,
  width: Schema.Number,
  height: Schema.Number,
  duration: Schema.Number,
  url: Schema.String,
  user: Schema.optional(Schema.Struct({ name: Schema.String })),
  tags: Schema.optional(Schema.Array(Schema.String)),
  video_files: Schema.Array(VideoFile)
})

const SearchResponse = Schema.parseJson(Schema.Struct({ videos: Schema.Array(Video) }))

/** "https://www.pexels.com/video/aerial-view-of-a-forest-854222/" → aerial, view, of, a, forest */
const slugTags = (pageUrl: string): ReadonlyArray<string> => {
  const slug = pageUrl.replace(/\/+$/, "").split("/").pop() ?? ""
  return tagsFromFileName(slug.replace(/-?\d+$/, ""))
}

export const pexels = (options: PexelsOptions): FootageProvider => {
  const baseUrl = (options.baseUrl ?? "https://api.pexels.com").replace(/\/+$/, "")
  const apiKey = typeof options.apiKey === "string" ? Redacted.make(options.apiKey) : options.apiKey
  const httpError = (message: string, detail?: string) =>
    new FootageError({ reason: "Http", message, ...(detail === undefined ? {} : { detail }) })

  const search = Effect.fn("footage.pexels.search")(function* (query: FootageQuery) {
    const text = query.query.trim()
    if (text.length === 0 || text.length > 200) {
      return yield* new FootageError({ reason: "InvalidOptions", message: "a Pexels query needs 1 … 200 characters" })
    }
    const perPage = query.perPage ?? 15
    if (!(Number.isInteger(perPage) && perPage >= 1 && perPage <= 80)) {
      return yield* new FootageError({ reason: "InvalidOptions", message: `perPage ${perPage} is outside 1 … 80` })
    }
    const url = new URL(`${baseUrl}/videos/search`)
    url.searchParams.set("query", text)
    url.searchParams.set("per_page", String(perPage))
    if (query.orientation !== undefined) url.searchParams.set("orientation", query.orientation)
    const response = yield* Effect.tryPromise({
      try: (signal) => fetch(url, { signal, headers: { authorization: Redacted.value(apiKey), accept: "application/json" } }),
      catch: (cause) => httpError(`cannot reach ${baseUrl}`, String(cause))
    })
    const body = yield* Effect.tryPromise({
      try: () => response.text(),
      catch: (cause) => httpError("reading the Pexels response failed", String(cause))
    })
    if (!response.ok) return yield* httpError(`Pexels answered HTTP ${response.status}`, body.slice(0, 500))
    const decoded = yield* Schema.decodeUnknown(SearchResponse)(body).pipe(
      Effect.mapError((error) => new FootageError({ reason: "BadResponse", message: "Pexels search response has an unexpected shape", detail: error.message }))
    )
    const queryTags = tagsFromFileName(text)
    return decoded.videos.map(
      (video): FootageCandidate => ({
        provider: "pexels",
        id: String(video.id),
        durationSec: video.duration,
        width: video.width,
        height: video.height,
        pageUrl: video.url,
        ...(video.user === undefined ? {} : { author: video.user.name }),
        tags: normalizeTags([...(video.tags ?? []), ...slugTags(video.url), ...queryTags]),
        files: video.video_files
          .filter((f) => (f.file_type ?? "video/mp4") === "video/mp4" && (f.width ?? 0) > 0 && (f.height ?? 0) > 0)
          .map((f) => ({ id: String(f.id), url: f.link, width: f.width!, height: f.height!, ...(f.fps == null ? {} : { fps: f.fps }) }))
      })
    )
  })

  const download = Effect.fn("footage.pexels.download")(function* (candidate: FootageCandidate, target: { readonly width: number; readonly height: number }) {
    const file = bestFittingFile(candidate.files, target)
    if (file === undefined) return yield* new FootageError({ reason: "BadResponse", message: `Pexels video ${candidate.id} has no MP4 file` })
    const path = join(options.cacheDir, `pexels-${candidate.id.replace(/\W/g, "")}-${file.id.replace(/\W/g, "")}.mp4`)
    const cached = yield* Effect.promise(() => access(path).then(() => true, () => false))
    if (!cached) {
      yield* Effect.tryPromise({
        try: async (signal) => {
          await mkdir(options.cacheDir, { recursive: true })
          // The file link is a CDN URL: it gets no API key.
          const response = await fetch(file.url, { signal })
          if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`)
          const body = response.body
          await replaceAtomically(path, (temp) =>
            pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), createWriteStream(temp), { signal })
          )
        },
        catch: (cause) => httpError(`downloading Pexels video ${candidate.id} failed`, String(cause))
      })
    }
    const info = yield* probe(path).pipe(
      Effect.tapError(() => Effect.promise(() => rm(path, { force: true }))),
      Effect.mapError((error) => new FootageError({ reason: "BadResponse", message: `downloaded Pexels video ${candidate.id} is not playable`, detail: error.message }))
    )
    const description = `Pexels video ${candidate.id}${candidate.author === undefined ? "" : ` by ${candidate.author}`} (${candidate.pageUrl})`
    yield* Effect.tryPromise({
      try: () => writeFile(`${path}.json`, JSON.stringify({ tags: candidate.tags, description }, null, 1)),
      catch: (cause) => new FootageError({ reason: "Io", message: `cannot write ${path}.json`, detail: String(cause) })
    })
    const clip: FootageClip & { readonly cached: boolean } = {
      path,
      kind: "video",
      durationSec: info.duration,
      width: info.width,
      height: info.height,
      fps: info.fps,
      orientation: orientationOf(info.width, info.height),
      hasAudio: info.hasAudio,
      tags: candidate.tags,
      description,
      sizeBytes: (yield* Effect.promise(() => stat(path))).size,
      cached
    }
    return clip
  })

  return { name: "pexels", search, download }
}
