/**
 * A local footage library: every video and still image under a folder, with ffprobe metadata and tags
 * from the file name plus an optional sidecar `<file>.json` ({ tags, description }). The cache lives
 * where the caller says (an app's state directory), never in the footage folder, which is only read:
 * it may be read-only, shared, or somebody's camera card.
 *
 * Indexing is incremental. The walk lists each folder and stats every entry once (to tell folders from
 * files); that one stat keys the cache: a file whose path, size and mtime are in the cache is not
 * probed again, a sidecar whose size and mtime are is not read again, and a file the listing shows no
 * `<file>.json` for is not looked for one. What is left is read from its headers in-process where that
 * answers as ffprobe would (mp4-header.ts, mkv-header.ts, image-header.ts), else probed by `concurrency` ffprobe processes at
 * once (default `defaultIndexConcurrency`). The cache, one JSON file per footage folder, is rewritten
 * only when something in it changed. A file ffprobe cannot read is left out with a warning in the
 * result; it never fails the index.
 * Everything goes through `FileSystem` (see file-system.ts); a folder that cannot be listed is a warning.
 */
import type { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Context, Effect, Either, Layer, Option, Schema } from "effect"
import { createHash } from "node:crypto"
import { availableParallelism } from "node:os"
import { basename, dirname, extname, join, sep } from "node:path"
import { writeFileAtomic } from "../atomic-file.ts"
import { mediaFileSystem } from "../file-system.ts"
import { type MediaInfo, probe } from "../probe.ts"
import { FootageError, type FootageWarning } from "./footage-error.ts"
import type { HeaderFacts } from "./header-read.ts"
import { readImageHeader } from "./image-header.ts"
import { readMkvHeader } from "./mkv-header.ts"
import { readMp4Header } from "./mp4-header.ts"
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
  /** files whose metadata came from the cache / was read afresh (from their headers or by ffprobe) */
  readonly cached: number
  readonly probed: number
  /** of the `probed` files, those ffprobe read: the rest were read from their headers in-process */
  readonly ffprobed: number
}

export interface IndexOptions {
  /**
   * The folder for the probe cache: one file per footage folder, named by a hash of its real path
   * (see `footageCacheFile`). Default: the `FootageIndexCache` in the environment; without either,
   * nothing is cached (every file is probed).
   */
  readonly cacheDir?: string
  /** concurrent ffprobe processes, default `defaultIndexConcurrency` */
  readonly concurrency?: number
  /**
   * Only these files of the folder (names inside it), which is then not walked: the cache is read
   * but not rewritten, since the files are not the folder's whole index (see `indexFiles`).
   */
  readonly only?: ReadonlyArray<string>
}

/**
 * ffprobe processes at once when indexing: twice the cores, at least 4. A probe of a small clip is
 * mostly process start-up (loading ffmpeg's libraries) and waiting on the disk, so more probes than
 * cores keep the cores busy.
 */
export const defaultIndexConcurrency: number = Math.max(4, 2 * availableParallelism())

const Sidecar = Schema.Struct({
  tags: Schema.optional(Schema.Array(Schema.String)),
  description: Schema.optional(Schema.String)
})
const decodeSidecar = Schema.decodeUnknownEither(Schema.parseJson(Sidecar))

/** What a sidecar said, or why it was ignored, as of its size and mtime. */
const CachedSidecar = Schema.Struct({
  size: Schema.Number,
  mtimeMs: Schema.Number,
  tags: Schema.Array(Schema.String),
  description: Schema.optional(Schema.String),
  /** the warning's message, when the sidecar was ignored */
  error: Schema.optional(Schema.String)
})
type CachedSidecar = typeof CachedSidecar.Type

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
  error: Schema.optional(Schema.String),
  /** the file's sidecar as last read (absent: read it) */
  sidecar: Schema.optional(CachedSidecar)
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

/** A file's size and mtime, from the walk's stat: what the cache is keyed by. */
interface Stamp {
  readonly size: number
  readonly mtimeMs: number
}

const stampOf = (info: FileSystem.File.Info): Stamp => ({
  size: Number(info.size),
  mtimeMs: Option.match(info.mtime, { onNone: () => 0, onSome: (mtime) => mtime.getTime() })
})

/** A media file the walk found, with what its one stat said, and its sidecar if the listing has one. */
interface Found {
  readonly path: string
  /** the path from the indexed folder: the cache's key */
  readonly key: string
  readonly stat: Either.Either<Stamp, PlatformError>
  /** absent: no sidecar listed; a stamp for a plain file; "read" for anything else (a link, a folder), read every time */
  readonly sidecar?: Stamp | "read"
}

/**
 * Every media file under `dir`, each stat'ed once. A symlinked folder is not walked, so a link loop
 * cannot trap the walk: FileSystem's stat follows links, so a folder is walked only when readLink says
 * it is no link. A media-named entry that cannot be stat'ed (a dangling link) is kept, for the index
 * to warn about.
 */
const walk = (
  dir: string,
  relativeDir = ""
): Effect.Effect<{ files: ReadonlyArray<Found>; warnings: ReadonlyArray<FootageWarning> }> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const listed = yield* Effect.either(fs.readDirectory(dir))
    if (Either.isLeft(listed)) {
      return {
        files: [],
        warnings: [{ file: dir, reason: "unreadable", message: `cannot list folder: ${listed.left.message}` }] as const
      }
    }
    const entry = (path: string) =>
      Effect.flatMap(Effect.either(fs.stat(path)), (stat) =>
        Either.isRight(stat) && stat.right.type === "Directory"
          ? Effect.map(Effect.either(fs.readLink(path)), (link) => ({ stat, folder: Either.isLeft(link) }))
          : Effect.succeed({ stat, folder: false }))
    const names = listed.right.filter((n) => !n.startsWith(".")).sort((a, b) => a.localeCompare(b))
    const paths = names.map((name) => join(dir, name))
    const entries = yield* Effect.forEach(paths, entry, { concurrency: 32 })
    const byName = new Map(names.map((name, i) => [name, entries[i]!]))
    const files: Array<Found> = []
    const warnings: Array<FootageWarning> = []
    for (const [i, name] of names.entries()) {
      const path = paths[i]!
      const key = relativeDir === "" ? name : `${relativeDir}${sep}${name}`
      const { folder, stat } = entries[i]!
      if (!folder && isMediaName(name) && (Either.isLeft(stat) || stat.right.type === "File")) {
        const sidecar = byName.get(`${name}.json`)?.stat
        files.push({
          path,
          key,
          stat: Either.map(stat, stampOf),
          ...(sidecar === undefined
            ? {}
            : { sidecar: Either.isRight(sidecar) && sidecar.right.type === "File" ? stampOf(sidecar.right) : "read" })
        })
      }
      if (!folder) continue
      const nested = yield* walk(path, key)
      files.push(...nested.files)
      warnings.push(...nested.warnings)
    }
    return { files, warnings }
  })

/** The files `names` of `dir` as the walk finds them: each stat'ed, its sidecar looked for. */
const listed = (dir: string, names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const files = yield* Effect.forEach(names, (name) =>
      Effect.gen(function*() {
        const path = join(dir, name)
        const stat = yield* Effect.either(fs.stat(path))
        const sidecar = yield* Effect.either(fs.stat(`${path}.json`))
        return {
          path,
          key: name,
          stat: Either.map(stat, stampOf),
          ...(Either.isLeft(sidecar) ? {} : { sidecar: sidecar.right.type === "File" ? stampOf(sidecar.right) : "read" as const })
        } satisfies Found
      }), { concurrency: 32 })
    return { files, warnings: [] as ReadonlyArray<FootageWarning> }
  })

type SidecarReading = Omit<CachedSidecar, "size" | "mtimeMs">

/** Reads and decodes `<file>.json`; undefined when there is none after all (removed since the listing). */
const readSidecar = (file: string): Effect.Effect<SidecarReading | FootageWarning | undefined> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const read = yield* Effect.either(fs.readFileString(`${file}.json`))
    if (Either.isLeft(read)) {
      const error = read.left
      if (error._tag === "SystemError" && error.reason === "NotFound") return undefined
      return { file: `${file}.json`, reason: "bad-sidecar", message: `sidecar ignored: ${error.message}` } as const
    }
    const decoded = decodeSidecar(read.right)
    if (Either.isLeft(decoded)) return { tags: [], error: `sidecar ignored: ${decoded.left.message.split("\n")[0]}` }
    return {
      tags: decoded.right.tags ?? [],
      ...(decoded.right.description === undefined ? {} : { description: decoded.right.description })
    }
  })

const sameStamp = (a: Stamp, b: Stamp) => a.size === b.size && a.mtimeMs === b.mtimeMs

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

/** In-process header readers by extension: each answers exactly as ffprobe would, or none (then ffprobe does). */
const HEADER_READERS: ReadonlyMap<string, (file: string) => Effect.Effect<Option.Option<HeaderFacts>>> = new Map([
  ...[".mp4", ".mov", ".m4v"].map((ext) => [ext, readMp4Header] as const),
  ...[".mkv", ".webm"].map((ext) => [ext, readMkvHeader] as const),
  ...[".jpg", ".jpeg", ".png"].map((ext) => [ext, readImageHeader] as const)
])

/**
 * A file's facts for the cache, from its headers when they are plain enough to answer exactly as
 * ffprobe would, else from ffprobe; with whether ffprobe ran.
 */
const readMediaFacts = (path: string, { mtimeMs, size }: Stamp) =>
  Effect.gen(function*() {
    const reader = HEADER_READERS.get(extname(path).toLowerCase())
    const header = reader === undefined ? Option.none() : yield* reader(path)
    if (Option.isSome(header)) {
      const entry: CachedProbe = { size, mtimeMs, info: header.value }
      return { entry, ffprobed: false }
    }
    const info = yield* Effect.either(probe(path))
    const entry: CachedProbe = Either.isRight(info)
      ? toCached(size, mtimeMs, info.right)
      : { size, mtimeMs, info: null, error: info.left.message }
    return { entry, ffprobed: true }
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
  const { files, warnings: walkWarnings } = options.only === undefined ? yield* walk(root) : yield* listed(root, options.only)

  // What the cache answers without any I/O; the rest is probed, concurrently.
  const hits = files.map((file) => {
    const hit = cache.get(file.key)
    return Either.isRight(file.stat) && hit !== undefined && sameStamp(hit, file.stat.right) ? hit : undefined
  })
  const toProbe = files.flatMap((file, i) => (Either.isRight(file.stat) && hits[i] === undefined ? [[i, file.stat.right] as const] : []))
  const probes = yield* Effect.forEach(
    toProbe,
    ([i, stamp]) => readMediaFacts(files[i]!.path, stamp),
    { concurrency: options.concurrency ?? defaultIndexConcurrency }
  )
  const entries = hits.slice()
  toProbe.forEach(([i], p) => (entries[i] = probes[p]!.entry))
  const usable = (entry: CachedProbe | undefined) => entry?.info != null && entry.info.width > 0 && entry.info.height > 0

  // Sidecars: none looked for where the listing has none; a cached one is read again only when its stamp changed.
  const toRead = files.flatMap((file, i) => {
    const sidecar = file.sidecar
    if (sidecar === undefined || !usable(entries[i])) return []
    const known = entries[i]!.sidecar
    return sidecar !== "read" && known !== undefined && sameStamp(known, sidecar) ? [] : [i]
  })
  const readings = yield* Effect.forEach(toRead, (i) => readSidecar(files[i]!.path), { concurrency: 32 })
  const sidecars = new Map(toRead.map((i, r) => [i, readings[r]]))

  const nextCache = new Map<string, CachedProbe>()
  const results = files.map((file, i): { clip?: FootageClip; warning?: FootageWarning } => {
    if (Either.isLeft(file.stat)) {
      return { warning: { file: file.path, reason: "unreadable", message: `cannot stat: ${file.stat.left.message}` } }
    }
    const size = file.stat.right.size
    let entry = entries[i]!
    if (!usable(entry) || file.sidecar === undefined) {
      // No sidecar (or none that matters): the entry as probed, without any sidecar it had.
      if (entry.sidecar !== undefined) entry = withoutSidecar(entry)
      nextCache.set(file.key, entry)
      if (!usable(entry)) return { warning: { file: file.path, reason: "corrupt", message: entry.error ?? "no video stream" } }
    } else if (sidecars.has(i)) {
      const reading = sidecars.get(i)
      const stamp = file.sidecar
      const fresh = reading === undefined || "reason" in reading || stamp === "read" ? undefined : { ...stamp, ...reading }
      entry = fresh !== undefined ? { ...entry, sidecar: fresh } : entry.sidecar !== undefined ? withoutSidecar(entry) : entry
      nextCache.set(file.key, entry)
    } else {
      nextCache.set(file.key, entry)
    }
    const info = entry.info!
    const reading = sidecars.has(i) ? sidecars.get(i) : entry.sidecar
    const sidecarWarning: FootageWarning | undefined = reading === undefined
      ? undefined
      : "reason" in reading
      ? reading
      : reading.error === undefined
      ? undefined
      : { file: `${file.path}.json`, reason: "bad-sidecar", message: reading.error }
    const meta = reading !== undefined && !("reason" in reading) && reading.error === undefined ? reading : undefined
    const image = info.isImage || IMAGE_EXTENSIONS.has(extname(file.path).toLowerCase())
    const clip: FootageClip = {
      path: file.path,
      kind: image ? "image" : "video",
      durationSec: image ? 0 : info.durationSec,
      width: info.width,
      height: info.height,
      fps: image ? 0 : info.fps,
      orientation: orientationOf(info.width, info.height),
      hasAudio: info.hasAudio,
      tags: normalizeTags([...tagsFromFileName(basename(file.path)), ...(meta?.tags ?? [])]),
      ...(meta?.description === undefined ? {} : { description: meta.description }),
      sizeBytes: size
    }
    return { clip, ...(sidecarWarning === undefined ? {} : { warning: sidecarWarning }) }
  })
  // An unchanged folder leaves every entry as it was loaded: the cache file is not written again.
  const changed = nextCache.size !== cache.size || [...nextCache].some(([key, entry]) => cache.get(key) !== entry)
  if (cacheFile !== undefined && changed && options.only === undefined) yield* saveCache(cacheFile, realFolder, nextCache)
  const index: FootageIndex = {
    root,
    clips: results.flatMap((r) => (r.clip === undefined ? [] : [r.clip])),
    warnings: [...walkWarnings, ...results.flatMap((r) => (r.warning === undefined ? [] : [r.warning]))],
    cached: hits.filter((hit) => hit !== undefined).length,
    probed: toProbe.length,
    ffprobed: probes.filter((read) => read.ffprobed).length
  }
  return index
})

/**
 * Indexes the given files (videos and images, wherever they are) as `indexFolder` indexes a folder's:
 * the files of each folder together, without walking the folders. `root` is the first file's folder.
 */
export const indexFiles = Effect.fn("footage.indexFiles")(function*(files: ReadonlyArray<string>, options: IndexOptions = {}) {
  const byFolder = new Map<string, Array<string>>()
  for (const file of files) {
    const names = byFolder.get(dirname(file))
    if (names === undefined) byFolder.set(dirname(file), [basename(file)])
    else if (!names.includes(basename(file))) names.push(basename(file))
  }
  const indexes = yield* Effect.forEach([...byFolder], ([folder, only]) => indexFolder(folder, { ...options, only }))
  return {
    root: indexes[0]?.root ?? "",
    clips: indexes.flatMap((index) => index.clips),
    warnings: indexes.flatMap((index) => index.warnings),
    cached: indexes.reduce((n, index) => n + index.cached, 0),
    probed: indexes.reduce((n, index) => n + index.probed, 0),
    ffprobed: indexes.reduce((n, index) => n + index.ffprobed, 0)
  } satisfies FootageIndex
})

const withoutSidecar = ({ sidecar: _, ...entry }: CachedProbe): CachedProbe => entry
