/**
 * Pexels videos: search by query and orientation (GET /videos/search, key in the Authorization
 * header), download the best-fitting MP4 into a cache folder (temp name, then rename; a second call
 * finds it there), probe it, and write a sidecar with tags and credit so the folder index sees it too.
 * HTTP goes through the environment's `HttpClient` (see internal/http-client.ts): a 5xx or 429 is retried, a
 * refusal is not; files go through `FileSystem`.
 */
import { HttpClientRequest } from "@effect/platform"
import { Effect, Redacted, Schema, Stream } from "effect"
import { join } from "node:path"
import { replaceFileAtomically } from "../atomic-file.ts"
import { mediaFileSystem, removeQuietly } from "../file-system.ts"
import { describeHttpError, providerHttpClient } from "../internal/http-client.ts"
import { probe } from "../probe.ts"
import { FootageError } from "./footage-error.ts"
import { type FootageClip, orientationOf } from "./footage-index.ts"
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
    new FootageError({ reason: "http", message, ...(detail === undefined ? {} : { detail }) })

  const search = Effect.fn("footage.pexels.search")(function*(query: FootageQuery) {
    const text = query.query.trim()
    if (text.length === 0 || text.length > 200) {
      return yield* new FootageError({ reason: "invalid-options", message: "a Pexels query needs 1 … 200 characters" })
    }
    const perPage = query.perPage ?? 15
    if (!(Number.isInteger(perPage) && perPage >= 1 && perPage <= 80)) {
      return yield* new FootageError({ reason: "invalid-options", message: `perPage ${perPage} is outside 1 … 80` })
    }
    const url = new URL(`${baseUrl}/videos/search`)
    url.searchParams.set("query", text)
    url.searchParams.set("per_page", String(perPage))
    if (query.orientation !== undefined) url.searchParams.set("orientation", query.orientation)
    const client = yield* providerHttpClient
    const body = yield* HttpClientRequest.get(url).pipe(
      HttpClientRequest.setHeaders({ authorization: Redacted.value(apiKey), accept: "application/json" }),
      client.execute,
      Effect.flatMap((response) => response.text),
      Effect.catchAll((error) =>
        Effect.flatMap(
          describeHttpError(error),
          ({ status, detail }) =>
            Effect.fail(
              status === undefined ? httpError(`cannot reach ${baseUrl}`, detail) : httpError(`Pexels answered HTTP ${status}`, detail)
            )
        )
      )
    )
    const decoded = yield* Schema.decodeUnknown(SearchResponse)(body).pipe(
      Effect.mapError((error) =>
        new FootageError({ reason: "bad-response", message: "Pexels search response has an unexpected shape", detail: error.message })
      )
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

  const download = Effect.fn("footage.pexels.download")(
    function*(candidate: FootageCandidate, target: { readonly width: number; readonly height: number }) {
      const file = bestFittingFile(candidate.files, target)
      if (file === undefined) {
        return yield* new FootageError({ reason: "bad-response", message: `Pexels video ${candidate.id} has no MP4 file` })
      }
      const path = join(options.cacheDir, `pexels-${candidate.id.replace(/\W/g, "")}-${file.id.replace(/\W/g, "")}.mp4`)
      const fs = yield* mediaFileSystem
      const ioError = (message: string) => (cause: { readonly message: string }) =>
        new FootageError({ reason: "io", message, detail: cause.message })
      const cached = yield* fs.exists(path).pipe(Effect.mapError(ioError(`cannot look for ${path}`)))
      if (!cached) {
        yield* fs.makeDirectory(options.cacheDir, { recursive: true }).pipe(Effect.mapError(ioError(`cannot create ${options.cacheDir}`)))
        const client = yield* providerHttpClient
        // The file link is a CDN URL: it gets no API key.
        yield* replaceFileAtomically(
          path,
          (temp) => client.get(file.url).pipe(Effect.flatMap((response) => response.stream.pipe(Stream.run(fs.sink(temp)))))
        ).pipe(
          Effect.catchAll((error) =>
            Effect.flatMap(
              error._tag === "RequestError" || error._tag === "ResponseError"
                ? describeHttpError(error)
                : Effect.succeed({ status: undefined, detail: error.message }),
              ({ status, detail }) =>
                Effect.fail(
                  httpError(`downloading Pexels video ${candidate.id} failed${status === undefined ? "" : ` (HTTP ${status})`}`, detail)
                )
            )
          )
        )
      }
      const info = yield* probe(path).pipe(
        Effect.tapError(() => removeQuietly(path)),
        Effect.mapError((error) =>
          new FootageError({
            reason: "bad-response",
            message: `downloaded Pexels video ${candidate.id} is not playable`,
            detail: error.message
          })
        )
      )
      const description = `Pexels video ${candidate.id}${
        candidate.author === undefined ? "" : ` by ${candidate.author}`
      } (${candidate.pageUrl})`
      yield* fs.writeFileString(`${path}.json`, JSON.stringify({ tags: candidate.tags, description }, null, 1)).pipe(
        Effect.mapError(ioError(`cannot write ${path}.json`))
      )
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
        sizeBytes: Number((yield* fs.stat(path).pipe(Effect.mapError(ioError(`cannot stat ${path}`)))).size),
        cached
      }
      return clip
    }
  )

  return { name: "pexels", search, download }
}
