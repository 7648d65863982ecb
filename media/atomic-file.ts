/**
 * Files that appear whole or not at all: written under a temporary sibling name and renamed, so a
 * reader (or a resumed job) never sees half a file. Through `FileSystem` (see file-system.ts), so a
 * failure is a `PlatformError` naming the path; `writeFileAtomically` is the same for Promise code.
 */
import type { PlatformError } from "@effect/platform/Error"
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import { dirname } from "node:path"
import { mediaFileSystem, removeQuietly } from "./file-system.ts"

/**
 * Writes `file` whole or not at all: `write` fills a temporary sibling, which is renamed to `file` on
 * success and removed otherwise (failure or interruption). The folder is created first.
 */
export const replaceFileAtomically = <E, R>(
  file: string,
  write: (temp: string) => Effect.Effect<void, E, R>
): Effect.Effect<void, E | PlatformError, R> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    yield* fs.makeDirectory(dirname(file), { recursive: true })
    const temp = `${file}.${randomUUID()}.tmp`
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
