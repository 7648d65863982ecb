/**
 * The server's files: uploads into the footage and music folders (size-capped, checked by probing,
 * never overwriting), names that cannot leave their folder, paths under the outputs folder that
 * cannot escape it (no `..`, no symlink out), and files served whole or by HTTP Range.
 */
import { HttpServerResponse } from "@effect/platform"
import { Data, Effect } from "effect"
import { createReadStream, createWriteStream } from "node:fs"
import { link, lstat, mkdir, readdir, realpath, stat, unlink } from "node:fs/promises"
import { basename, isAbsolute, join, relative, sep } from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { partialSibling, probe } from "../../media/index.ts"

export type LibraryKind = "footage" | "music"

/** A file name or path an upload or a download may not use; `reason` says which rule it broke. */
export class UnsafeNameError extends Data.TaggedError("UnsafeNameError")<{ readonly name: string; readonly reason: string }> {
  override get message() {
    return `refused name ${JSON.stringify(this.name)}: ${this.reason}`
  }
}

export class UploadTooLargeError extends Data.TaggedError("UploadTooLargeError")<{ readonly maxBytes: number }> {
  override get message() {
    return `upload over the server's cap of ${this.maxBytes} bytes`
  }
}

/** Probing found no media of the kind the folder holds. */
export class NotMediaError
  extends Data.TaggedError("NotMediaError")<{ readonly name: string; readonly kind: LibraryKind; readonly detail: string }>
{
  override get message() {
    return `${this.name} is not ${this.kind === "footage" ? "a video or an image" : "an audio file"}: ${this.detail}`
  }
}

export class FileExistsError extends Data.TaggedError("FileExistsError")<{ readonly name: string }> {
  override get message() {
    return `${this.name} exists already; delete it first or upload under another name`
  }
}

export class FileMissingError extends Data.TaggedError("FileMissingError")<{ readonly name: string }> {
  override get message() {
    return `no file ${this.name}`
  }
}

/** Refuses a name with a path separator, `..`, NUL, a leading dot (hidden, and the uploads' temp names), or none at all. */
export const checkFileName = (name: string): Effect.Effect<string, UnsafeNameError> => {
  const refuse = (reason: string) => Effect.fail(new UnsafeNameError({ name, reason }))
  if (name.length === 0) return refuse("empty")
  if (name.includes("/") || name.includes("\\")) return refuse("it contains a path separator")
  if (name.includes("..")) return refuse("it contains '..'")
  if (name.includes("\0")) return refuse("it contains NUL")
  if (name.startsWith(".")) return refuse("it starts with a dot")
  if (Buffer.byteLength(name) > 255) return refuse("longer than 255 bytes")
  return Effect.succeed(name)
}

const isErrno = (e: unknown, code: string) => typeof e === "object" && e !== null && (e as { code?: unknown }).code === code

/**
 * Stores `body` as `dir/name`: streamed to a hidden temp file in the folder (counting bytes against
 * `maxBytes`), probed with ffprobe (footage: a video stream or an image; music: an audio stream), then
 * hard-linked to its name, which fails when the name exists: nothing is overwritten, and nothing half
 * written is ever visible under the name.
 */
export const storeUpload = Effect.fn("api.storeUpload")(function*(options: {
  readonly dir: string
  readonly name: string
  readonly kind: LibraryKind
  readonly body: AsyncIterable<Uint8Array>
  readonly maxBytes: number
}) {
  const name = yield* checkFileName(options.name)
  const target = join(options.dir, name)
  yield* Effect.promise(() => mkdir(options.dir, { recursive: true }))
  const temp = partialSibling(target)
  return yield* Effect.gen(function*() {
    const size = yield* Effect.tryPromise({
      try: async () => {
        let size = 0
        const counted = async function*() {
          for await (const chunk of options.body) {
            size += chunk.byteLength
            if (size > options.maxBytes) throw new UploadTooLargeError({ maxBytes: options.maxBytes })
            yield chunk
          }
        }
        await pipeline(Readable.from(counted()), createWriteStream(temp, { flags: "wx" }))
        return size
      },
      catch: (e) => e instanceof UploadTooLargeError ? e : new NotMediaError({ name, kind: options.kind, detail: String(e) })
    })
    const info = yield* probe(temp).pipe(
      Effect.mapError((e) => new NotMediaError({ name, kind: options.kind, detail: e.message.replace(temp, name) }))
    )
    const fits = options.kind === "footage" ? info.hasVideo : info.hasAudio
    if (!fits) {
      return yield* new NotMediaError({
        name,
        kind: options.kind,
        detail: `ffprobe found ${info.hasVideo ? "video" : ""}${info.hasAudio ? " audio" : ""} (${info.formatName})`
      })
    }
    yield* Effect.tryPromise({
      try: () => link(temp, target),
      catch: (e) =>
        isErrno(e, "EEXIST") ? new FileExistsError({ name }) : new NotMediaError({ name, kind: options.kind, detail: String(e) })
    })
    return { name, size, kind: info.isImage ? "image" : info.hasVideo ? "video" : "audio" }
  }).pipe(Effect.ensuring(Effect.promise(() => unlink(temp).catch(() => undefined))))
})

export interface LibraryEntry {
  readonly name: string
  readonly size: number
  readonly path: string
}

/** The folder's files (not its hidden temp files), by name. */
export const listFolder = (dir: string): Effect.Effect<ReadonlyArray<LibraryEntry>> =>
  Effect.promise(async () => {
    const names = await readdir(dir).catch(() => [] as Array<string>)
    const entries: Array<LibraryEntry> = []
    for (const name of names.filter((n) => !n.startsWith(".")).sort((a, b) => a.localeCompare(b))) {
      const path = join(dir, name)
      const s = await stat(path).catch(() => undefined)
      if (s?.isFile() === true) entries.push({ name, size: s.size, path })
    }
    return entries
  })

export const removeFromFolder = (dir: string, name: string): Effect.Effect<void, UnsafeNameError | FileMissingError> =>
  Effect.flatMap(checkFileName(name), (safe) =>
    Effect.tryPromise({
      try: () => unlink(join(dir, safe)),
      catch: () => new FileMissingError({ name })
    }))

/**
 * `relativePath` (as it came in the URL, still percent-encoded, `/`-separated) resolved inside `root`:
 * each segment is decoded and refused when empty, `.`, `..`, or holding a separator or NUL; the file's
 * real path (symlinks followed) must still lie inside the root's real path.
 */
export const resolveInside = (root: string, relativePath: string): Effect.Effect<string, UnsafeNameError | FileMissingError> =>
  Effect.gen(function*() {
    const refuse = (reason: string) => new UnsafeNameError({ name: relativePath, reason })
    const segments: Array<string> = []
    for (const raw of relativePath.split("/")) {
      const segment = yield* Effect.try({ try: () => decodeURIComponent(raw), catch: () => refuse("bad percent-encoding") })
      if (segment === "" || segment === "." || segment === "..") return yield* refuse("it leaves or names no folder")
      if (segment.includes("/") || segment.includes("\\") || segment.includes("\0")) return yield* refuse("a segment holds a separator")
      segments.push(segment)
    }
    const candidate = join(root, ...segments)
    const [realRoot, realFile] = yield* Effect.promise(() =>
      Promise.all([realpath(root).catch(() => root), realpath(candidate).catch(() => undefined)])
    )
    if (realFile === undefined) return yield* new FileMissingError({ name: relativePath })
    const inside = relative(realRoot, realFile)
    if (inside === "" || inside.startsWith(`..${sep}`) || inside === ".." || isAbsolute(inside)) {
      return yield* refuse("it resolves outside the served folder")
    }
    // Gone since realpath looked (removed meanwhile): missing, like any other file that is not there.
    const s = yield* Effect.promise(() => lstat(realFile).catch(() => undefined))
    if (s === undefined || !s.isFile()) return yield* new FileMissingError({ name: relativePath })
    return realFile
  })

/** The byte range a `Range` header asks of a file of `size` bytes: whole, a slice, or unsatisfiable. */
export type ByteRange =
  | { readonly _tag: "Whole" }
  | { readonly _tag: "Slice"; readonly start: number; readonly end: number }
  | { readonly _tag: "Unsatisfiable" }

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range (RFC 9110); a header it does not understand means the whole file. */
export const parseRange = (header: string | undefined, size: number): ByteRange => {
  if (header === undefined) return { _tag: "Whole" }
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null || (m[1] === "" && m[2] === "")) return { _tag: "Whole" }
  if (m[1] === "") {
    const suffix = Number(m[2])
    if (suffix === 0 || size === 0) return { _tag: "Unsatisfiable" }
    return { _tag: "Slice", start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (start >= size || end < start) return { _tag: "Unsatisfiable" }
  return { _tag: "Slice", start, end }
}

/** Serves a file with Accept-Ranges, Content-Length, and a Range's 206 or 416. */
export const serveFile = (
  path: string,
  options: { readonly contentType: string; readonly range?: string | undefined; readonly download?: string | undefined }
): Effect.Effect<HttpServerResponse.HttpServerResponse, FileMissingError> =>
  Effect.tryPromise({
    try: () => stat(path),
    catch: () => new FileMissingError({ name: basename(path) })
  }).pipe(Effect.map(({ size }) => {
    const range = parseRange(options.range, size)
    const headers: Record<string, string> = { "accept-ranges": "bytes" }
    if (options.download !== undefined) {
      headers["content-disposition"] = `attachment; filename*=UTF-8''${encodeURIComponent(options.download)}`
    }
    if (range._tag === "Unsatisfiable") {
      return HttpServerResponse.unsafeJson(
        { error: `range ${options.range} is outside the file's ${size} bytes` },
        { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } }
      )
    }
    const [start, end] = range._tag === "Slice" ? [range.start, range.end] : [0, size - 1]
    const length = size === 0 ? 0 : end - start + 1
    const body = size === 0 ? Readable.from([]) : createReadStream(path, { start, end })
    return HttpServerResponse.raw(body, {
      status: range._tag === "Slice" ? 206 : 200,
      contentType: options.contentType,
      contentLength: length,
      headers: {
        ...headers,
        "content-type": options.contentType,
        "content-length": String(length),
        ...(range._tag === "Slice" ? { "content-range": `bytes ${start}-${end}/${size}` } : {})
      }
    })
  }))
