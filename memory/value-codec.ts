/**
 * Values and event data are stored as plain MessagePack (no record extension), so any msgpack reader
 * can decode a row taken straight out of the file.
 */
import { Data, Effect } from "effect"
import { Packr } from "msgpackr"

/** A value msgpack cannot represent (a symbol, a bigint beyond 64 bits …). */
export class EncodeError extends Data.TaggedError("EncodeError")<{
  /** What was being stored, e.g. `memory jobs/42` or `event "spawned"`. */
  readonly subject: string
  readonly detail: string
}> {
  override get message(): string {
    return `cannot encode ${this.subject} as MessagePack: ${this.detail}`
  }
}

const packr = new Packr({ useRecords: false })

export const encodeSync = (value: unknown): Uint8Array => packr.pack(value)

export const encode = (subject: string, value: unknown): Effect.Effect<Uint8Array, EncodeError> =>
  Effect.try({
    try: () => packr.pack(value),
    catch: (cause) => new EncodeError({ subject, detail: cause instanceof Error ? cause.message : String(cause) })
  })

export const decode = (bytes: Uint8Array): unknown => packr.unpack(bytes)
