/**
 * Files that appear whole or not at all: written under a temporary sibling name and renamed, so a
 * reader (or a resumed job) never sees half a file. Through `FileSystem` (see file-system.ts), so a
 * failure is a `PlatformError` naming the path; `writeFileAtomically` is the same for Promise code.
 * A writer that names its own output (ffmpeg) writes a `partialSibling` instead, and
 * `removeStalePartials` clears what a killed run of it left behind.
 */
import type { PlatformError } from "@effect/platform/Error"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { basename, dirname, extname, join } from "node:path"
import { mediaFileSystem, removeQuietly } from "./file-system.ts"

/**
 * Writes `file` whole or not at all: `write` fills a temporary sibling (`partialSibling` + `.tmp`),
 * which is renamed to `file` on success and removed otherwise (failure or interruption); one a
 * killed process left is removed by the next write. The folder is created first.
 */
export const replaceFileAtomically = <E, R>(
  file: string,
  write: (temp: string) => Effect.Effect<void, E, R>
): Effect.Effect<void, E | PlatformError, R> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    yield* fs.makeDirectory(dirname(file), { recursive: true })
    // Named after this process, so what a killed writer left (between the write and the rename) is
    // removed by the next write of the same file; `.tmp` last, so no reader listing the folder by
    // extension (job files, plans) takes it for a finished file.
    yield* removeStalePartials(file)
    const temp = `${partialSibling(file)}.tmp`
    yield* write(temp).pipe(
      Effect.zipRight(fs.rename(temp, file)),
      Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : removeQuietly(temp)))
    )
  })

/** `replaceFileAtomically` with the content in hand. */
export const writeFileAtomic = (file: string, content: string | Uint8Array): Effect.Effect<void, PlatformError> =>
  Effect.flatMap(
    mediaFileSystem,
    (fs) =>
      replaceFileAtomically(file, (temp) => (typeof content === "string" ? fs.writeFileString(temp, content) : fs.writeFile(temp, content)))
  )

/** `writeFileAtomic` for Promise code: rejects with the `PlatformError`. */
export const writeFileAtomically = (file: string, content: string | Uint8Array): Promise<void> =>
  Effect.runPromise(Effect.either(writeFileAtomic(file, content))).then((result) => {
    if (result._tag === "Left") throw result.left
  })

/**
 * Hidden temporary sibling of `finalPath` for a writer that cannot write through `replaceFileAtomically`
 * (ffmpeg names its own output): `.<stem>.partial-<pid>-<hex><ext>`, keeping the extension (ffmpeg
 * picks its muxer from it) and naming the writing process, so `removeStalePartials` can tell a dead
 * run's leftover from a live run's file.
 */
export const partialSibling = (finalPath: string): string => {
  const ext = extname(finalPath)
  const stem = basename(finalPath, ext)
  return join(dirname(finalPath), `.${stem}.partial-${process.pid}-${randomBytes(4).toString("hex")}${ext}`)
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** True unless no process `pid` exists (ESRCH); one of another user's (EPERM) is alive. */
const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH"
  }
}

/**
 * Removes what killed runs left beside `finalPath`: its `partialSibling`s (and files named after one,
 * such as ffmpeg's filter-graph files) whose writing process is gone. A live writer's files, this
 * process's included, and every other file are left alone. Returns the removed paths; a folder that
 * cannot be listed, or a file that cannot be removed, is skipped (this is cleanup: the write that
 * follows reports a real problem with the folder).
 */
export const removeStalePartials = (finalPath: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const dir = dirname(finalPath)
    const ext = extname(finalPath)
    const pattern = new RegExp(
      `^\\.${escapeRegExp(basename(finalPath, ext))}\\.partial-(\\d+)-[0-9a-f]{8}${escapeRegExp(ext)}(?:\\..+)?$`
    )
    const names = yield* fs.readDirectory(dir).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
    const stale = names.filter((name) => {
      const pid = pattern.exec(name)?.[1]
      return pid !== undefined && !processAlive(Number(pid))
    })
    const removed = yield* Effect.forEach(stale, (name) =>
      fs.remove(join(dir, name)).pipe(
        Effect.as([join(dir, name)]),
        Effect.orElseSucceed((): Array<string> => [])
      ))
    return removed.flat()
  })
