/**
 * Positioned reads of a file's first bytes, for the footage index's in-process header readers
 * (mp4-header.ts, mkv-header.ts, image-header.ts). Each reader answers `Option.none()` for anything it
 * does not fully understand, and so does a file that cannot be opened or read: ffprobe decides those.
 */
import { Effect, Option } from "effect"
import { mediaFileSystem } from "../file-system.ts"

/** What a header reader may know about a clip or a still: the footage index's cached facts. */
export interface HeaderFacts {
  readonly durationSec: number
  /** display size */
  readonly width: number
  readonly height: number
  /** average frame rate (0 for a still) */
  readonly fps: number
  readonly hasAudio: boolean
  readonly isImage: boolean
}

/** Up to `length` bytes from `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Effect.Effect<Uint8Array, unknown>

/** Opens `file` for `read` (given a positioned reader and the file's size); any failure to read is none. */
export const readHeader = <A>(
  file: string,
  read: (readAt: ReadAt, fileSize: number) => Effect.Effect<Option.Option<A>, unknown>
): Effect.Effect<Option.Option<A>> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    return yield* Effect.scoped(Effect.gen(function*() {
      const handle = yield* fs.open(file, { flag: "r" })
      const fileSize = Number((yield* handle.stat).size)
      const readAt: ReadAt = (offset, length) =>
        Effect.zipRight(handle.seek(offset, "start"), handle.readAlloc(length)).pipe(
          Effect.map(Option.getOrElse(() => new Uint8Array(0)))
        )
      return yield* read(readAt, fileSize)
    }))
  }).pipe(Effect.orElseSucceed(() => Option.none<A>()))

export const viewOf = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
