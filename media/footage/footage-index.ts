/**
 * A local footage library: every video and still image under a folder, with ffprobe metadata and tags
 * from the file name plus an optional sidecar `<file>.json` ({ tags, description }). Probe results are
 * cached in a JSON file keyed by path + size + mtime, so re-indexing only probes what changed. The
 * cache lives where the caller says (an app's state directory), never in the footage folder, which is
 * only read: it may be read-only, shared, or somebody's camera card.
 * A file ffprobe cannot read is left out with a warning in the result; it never fails the index.
 * Everything goes through `FileSystem` (see file-system.ts); a folder that cannot be listed is a warning.
 */
import { Context, Effect, Either, Layer, Schema } from "effect"
import { createHash } from "node:crypto"
import { basename, extname, join, relative } from "node:path"
import { writeFileAtomic } from "../atomic-file.ts"
import { mediaFileSystem } from "../file-system.ts"
import { type MediaInfo, probe } from "../probe.ts"
import { FootageError, type FootageWarning } from "./footage-error.ts"
import { normalizeTags, tagsFromFileName } from "./tags.ts"

export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set([".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".ts"])
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([".jpg", ".jpeg", ".png", ".webp"])

export type Orientation = "portrait" | "landscape" | "square"

export interface FootageClip {
  /** absolute path */
  readonly path: string
  readonly kind: "video" | "image"
  /** seconds; 0 for images */
  readonly durationSec: number
  readonly width: number
  readonly height: number
  /** 0 for images */
  readonly fps: number
  readonly orientation: Orientation
  readonly hasAudio: boolean
  readonly tags: ReadonlyArray<string>
  readonly description?: string
  readonly sizeBytes: number
}

export interface FootageIndex {
  readonly root: string
  readonly clips: ReadonlyArray<FootageClip>
  readonly warnings: ReadonlyArray<FootageWarning>
  /** files whose metadata came from the cache / from a fresh ffprobe run */
  readonly cached: number
  readonly probed: number
}

export interface IndexOptions {
  /**
   * The folder for the probe cache: one file per footage folder, named by a hash of its real path
   * (see `footageCacheFile`). Default: the `FootageIndexCache` in the environment; without either,
   * nothing is cached (every file is probed).
   */
  readonly cacheDir?: string
  /** concurrent ffprobe processes, default 4 */
  readonly concurrency?: number
}

const Sidecar = Schema.Struct({
  tags: Schema.optional(Schema.Array(Schema.String)),
  description: Schema.optional(Schema.String)
})

const CachedProbe = Schema.Struct({
  size: Schema.Number,
  mtimeMs: Schema.Number,
  info: Schema.NullOr(
    Schema.Struct({
      durationSec: Schema.Number,
      width: Schema.Number,
      height: Schema.Number,
      fps: Schema.Number,
      hasAudio: Schema.Boolean,
      isImage: Schema.Boolean
    })
  ),
  /** why ffprobe rejected the file, when `info` is null */
  error: Schema.optional(Schema.String)
})
type CachedProbe = typeof CachedProbe.Type

const CacheFile = Schema.parseJson(
  Schema.Struct({
    version: Schema.Literal(1),
    /** the footage folder's real path, for a reader of the cache folder */
    folder: Schema.String,
    entries: Schema.Record({ key: Schema.String, value: CachedProbe })
  })
)

/**
 * Where `indexFolder` keeps its probe cache when the caller passes no `cacheDir`: an app sets it once
 * for everything it runs (the production puts it in its state directory). Unset by default.
 */
export class FootageIndexCache extends Context.Reference<FootageIndexCache>()("reelswarm/media/FootageIndexCache", {
  defaultValue: (): { readonly dir: string | undefined } => ({ dir: undefined })
}) {
  static readonly layer = (dir: string): Layer.Layer<FootageIndexCache> => Layer.succeed(FootageIndexCache, { dir })
}

/** The cache file for the footage folder whose real path is `realFolder`. */
export const footageCacheFile = (cacheDir: string, realFolder: string): string =>
  join(cacheDir, `${createHash("sha256").update(realFolder).digest("hex").slice(0, 32)}.json`)

export const orientationOf = (width: number, height: number): Orientation => {
  const ratio = width / height
  return ratio < 0.9 ? "portrait" : ratio > 1.1 ? "landscape" : "square"
}

const isMediaName = (name: string) => {
  const ext = extname(name).toLowerCase()
  return VIDEO_EXTENSIONS.has(ext) || IMAGE_EXTENSIONS.has(ext)
}

/**
 * Every media file under `dir`. A symlinked folder is not walked, so a link loop cannot trap the walk:
 * FileSystem's stat follows links, so a folder is walked only when readLink says it is no link. A
 * media-named entry that cannot be stat'ed (a dangling link) is kept, for the index to warn about.
 */
const walk = (dir: string): Effect.Effect<{ files: ReadonlyArray<string>; warnings: ReadonlyArray<FootageWarning> }> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const listed = yield* Effect.either(fs.readDirectory(dir))
    if (Either.isLeft(listed)) {
      return {
        files: [],
        warnings: [{ file: dir, reason: "unreadable", message: `cannot list folder: ${listed.left.message}` }] as const
      }
    }
    const kindOf = (path: string, name: string) =>
      Effect.gen(function*() {
        const info = yield* Effect.either(fs.stat(path))
        if (Either.isLeft(info) || info.right.type === "File") return isMediaName(name) ? "media" : "other"
        if (info.right.type !== "Directory") return "other"
        return Either.isLeft(yield* Effect.either(fs.readLink(path))) ? "folder" : "other"
      })
    const names = listed.right.filter((n) => !n.startsWith(".")).sort((a, b) => a.localeCompare(b))
    const kinds = yield* Effect.forEach(names, (name) => kindOf(join(dir, name), name), { concurrency: 16 })
    const files: Array<string> = []
    const warnings: Array<FootageWarning> = []
    for (const [i, name] of names.entries()) {
      const path = join(dir, name)
      if (kinds[i] === "media") files.push(path)
      if (kinds[i] !== "folder") continue
      const nested = yield* walk(path)
      files.push(...nested.files)
      warnings.push(...nested.warnings)
    }
    return { files, warnings }
  })

const readSidecar = (file: string): Effect.Effect<{ tags: ReadonlyArray<string>; description?: string } | FootageWarning | undefined> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const read = yield* Effect.either(fs.readFileString(`${file}.json`))
    if (Either.isLeft(read)) {
      const error = read.left
      if (error._tag === "SystemError" && error.reason === "NotFound") return undefined
      return { file: `${file}.json`, reason: "bad-sidecar", message: `sidecar ignored: ${error.message}` } as const
    }
    const text = read.right
    const decoded = Schema.decodeUnknownEither(Schema.parseJson(Sidecar))(text)
    if (Either.isLeft(decoded)) {
      return { file: `${file}.json`, reason: "bad-sidecar", message: `sidecar ignored: ${decoded.left.message.split("\n")[0]}` } as const
    }
    return {
      tags: decoded.right.tags ?? [],
      ...(decoded.right.description === undefined ? {} : { description: decoded.right.description })
    }
  })

const toCached = (size: number, mtimeMs: number, info: MediaInfo): CachedProbe => ({
  size,
  mtimeMs,
  info: {
    durationSec: info.duration,
    width: info.width,
    height: info.height,
    fps: info.fps,
    hasAudio: info.hasAudio,
    isImage: info.isImage
  }
})

/** The previous index's probe results; a missing or unreadable cache (or none asked for) just means probing again. */
const loadCache = (cacheFile: string | undefined) =>
  (cacheFile === undefined ? Effect.succeed("") : Effect.flatMap(mediaFileSystem, (fs) => fs.readFileString(cacheFile))).pipe(
    Effect.orElseSucceed(() => ""),
    Effect.map((text) => Schema.decodeUnknownOption(CacheFile)(text)),
    Effect.map((cache) => new Map(cache._tag === "Some" ? Object.entries(cache.value.entries) : []))
  )

const saveCache = (cacheFile: string, folder: string, entries: ReadonlyMap<string, CachedProbe>) =>
  writeFileAtomic(cacheFile, JSON.stringify({ version: 1, folder, entries: Object.fromEntries(entries) })).pipe(
    Effect.mapError((error) =>
      new FootageError({ reason: "io", message: `cannot write the footage index cache ${cacheFile}`, detail: error.message })
    )
  )

/** Indexes every video and image under `folder` (recursively, hidden entries skipped). */
export const indexFolder = Effect.fn("footage.index")(function*(folder: string, options: IndexOptions = {}) {
  const fs = yield* mediaFileSystem
  const unreadable = (detail: string) => new FootageError({ reason: "io", message: `footage folder ${folder} cannot be read`, detail })
  const folderInfo = yield* fs.stat(folder).pipe(Effect.mapError((error) => unreadable(error.message)))
  if (folderInfo.type !== "Directory") return yield* unreadable("not a directory")
  const root = folder
  const realFolder = yield* fs.realPath(folder).pipe(Effect.mapError((error) => unreadable(error.message)))
  const cacheDir = options.cacheDir ?? (yield* FootageIndexCache).dir
  const cacheFile = cacheDir === undefined ? undefined : footageCacheFile(cacheDir, realFolder)
  const cache = yield* loadCache(cacheFile)
  const { files, warnings: walkWarnings } = yield* walk(root)
  const nextCache = new Map<string, CachedProbe>()
  let cached = 0
  let probed = 0
  const results = yield* Effect.forEach(
    files,
    (file) =>
      Effect.gen(function*() {
        const key = relative(root, file)
        const stats = yield* Effect.either(fs.stat(file))
        if (Either.isLeft(stats)) {
          return { warning: { file, reason: "unreadable", message: `cannot stat: ${stats.left.message}` } satisfies FootageWarning }
        }
        const size = Number(stats.right.size)
        const mtimeMs = stats.right.mtime._tag === "Some" ? stats.right.mtime.value.getTime() : 0
        const hit = cache.get(key)
        let entry: CachedProbe
        if (hit !== undefined && hit.size === size && hit.mtimeMs === mtimeMs) {
          cached++
          entry = hit
        } else {
          probed++
          const info = yield* Effect.either(probe(file))
          entry = Either.isRight(info)
            ? toCached(size, mtimeMs, info.right)
            : { size, mtimeMs, info: null, error: info.left.message }
        }
        nextCache.set(key, entry)
        if (entry.info === null || entry.info.width <= 0 || entry.info.height <= 0) {
          return { warning: { file, reason: "corrupt", message: entry.error ?? "no video stream" } satisfies FootageWarning }
        }
        const sidecar = yield* readSidecar(file)
        const sidecarWarning = sidecar !== undefined && "reason" in sidecar ? sidecar : undefined
        const meta = sidecar !== undefined && !("reason" in sidecar) ? sidecar : undefined
        const image = entry.info.isImage || IMAGE_EXTENSIONS.has(extname(file).toLowerCase())
        const clip: FootageClip = {
          path: file,
          kind: image ? "image" : "video",
          durationSec: image ? 0 : entry.info.durationSec,
          width: entry.info.width,
          height: entry.info.height,
          fps: image ? 0 : entry.info.fps,
          orientation: orientationOf(entry.info.width, entry.info.height),
          hasAudio: entry.info.hasAudio,
          tags: normalizeTags([...tagsFromFileName(basename(file)), ...(meta?.tags ?? [])]),
          ...(meta?.description === undefined ? {} : { description: meta.description }),
          sizeBytes: size
        }
        return { clip, ...(sidecarWarning === undefined ? {} : { warning: sidecarWarning }) }
      }),
    { concurrency: options.concurrency ?? 4 }
  )
  if (cacheFile !== undefined) yield* saveCache(cacheFile, realFolder, nextCache)
  const index: FootageIndex = {
    root,
    clips: results.flatMap((r) => ("clip" in r && r.clip !== undefined ? [r.clip] : [])),
    warnings: [...walkWarnings, ...results.flatMap((r) => (r.warning === undefined ? [] : [r.warning]))],
    cached,
    probed
  }
  return index
})
