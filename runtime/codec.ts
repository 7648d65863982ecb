/**
 * The wire codec: msgpackr with a shared record structure for the envelope (both ends know it from
 * this file, so envelope keys never travel), frames that batch many envelopes, and protocol
 * payloads encoded and validated with their Effect Schema. Decoding never throws: malformed bytes,
 * a malformed envelope or a payload the protocol rejects all give a `CodecError`.
 */
import { Data, Effect, Either, ParseResult, Schema } from "effect"
import { Packr } from "msgpackr"
import { ENVELOPE_KEYS, type Envelope } from "./envelope.ts"

export class CodecError extends Data.TaggedError("CodecError")<{
  readonly reason: "malformed-bytes" | "malformed-frame" | "malformed-envelope" | "invalid-payload" | "unencodable"
  /** Position of the offending envelope in its frame, when there is one. */
  readonly index?: number | undefined
  readonly detail: string
}> {
  override get message(): string {
    return `codec: ${this.reason}${this.index === undefined ? "" : ` at envelope ${this.index}`}: ${this.detail}`
  }
}

export interface Codec {
  /** One frame holding every envelope, payloads already in their encoded (wire) form. */
  readonly packFrame: (envelopes: ReadonlyArray<Envelope>) => Either.Either<Uint8Array, CodecError>
  /** The envelopes of a frame, shape-checked; payloads are still encoded (see `decodePayload`). */
  readonly unpackFrame: (bytes: Uint8Array) => Either.Either<Array<Envelope>, CodecError>
}

/**
 * A codec whose only shared structure is the envelope's; payload structures are written inline in
 * each frame (msgpackr records), so a frame decodes on its own with no session state.
 */
export const makeCodec = (): Codec => {
  // mapsAsObjects: peers that write plain msgpack maps (no records) are understood too.
  const packr = new Packr({ structures: [ENVELOPE_KEYS.slice()], maxSharedStructures: 1, mapsAsObjects: true, moreTypes: false })

  const packFrame = (envelopes: ReadonlyArray<Envelope>): Either.Either<Uint8Array, CodecError> => {
    try {
      return Either.right(packr.pack(envelopes))
    } catch (error) {
      return Either.left(new CodecError({ reason: "unencodable", detail: String(error) }))
    }
  }

  const unpackFrame = (bytes: Uint8Array): Either.Either<Array<Envelope>, CodecError> => {
    let value: unknown
    try {
      value = packr.unpack(bytes)
    } catch (error) {
      return Either.left(new CodecError({ reason: "malformed-bytes", detail: String(error) }))
    }
    if (!Array.isArray(value)) {
      return Either.left(new CodecError({ reason: "malformed-frame", detail: "a frame is an array of envelopes" }))
    }
    for (let i = 0; i < value.length; i++) {
      const problem = envelopeProblem(value[i])
      if (problem !== undefined) return Either.left(new CodecError({ reason: "malformed-envelope", index: i, detail: problem }))
    }
    return Either.right(value as Array<Envelope>)
  }

  return { packFrame, unpackFrame }
}

const optionalString = (value: unknown) => value === undefined || value === null || typeof value === "string"

/** What is wrong with a decoded value that should be an envelope, or undefined when nothing is. */
const envelopeProblem = (value: unknown): string | undefined => {
  if (typeof value !== "object" || value === null) return "not an object"
  const e = value as Record<string, unknown>
  if (typeof e.id !== "string" || typeof e.from !== "string" || typeof e.to !== "string" || typeof e.tag !== "string") {
    return "id, from, to and tag must be strings"
  }
  if (typeof e.ts !== "number" || typeof e.hops !== "number") return "ts and hops must be numbers"
  if (!optionalString(e.correlationId) || !optionalString(e.replyTo)) return "correlationId and replyTo must be strings when present"
  return undefined
}

/** Encodes and decodes one protocol's payloads; made once per protocol, reused for every envelope. */
export interface PayloadCodec<A> {
  readonly encode: (value: A) => Either.Either<unknown, CodecError>
  readonly decode: (encoded: unknown) => Either.Either<A, CodecError>
}

export const payloadCodec = <A, I>(schema: Schema.Schema<A, I, never>): PayloadCodec<A> => {
  const encode = Schema.encodeEither(schema)
  const decode = Schema.decodeUnknownEither(schema)
  return {
    encode: (value) =>
      Either.mapLeft(encode(value), (error) => new CodecError({ reason: "unencodable", detail: ParseResult.TreeFormatter.formatErrorSync(error) })),
    decode: (encoded) =>
      Either.mapLeft(decode(encoded), (error) => new CodecError({ reason: "invalid-payload", detail: ParseResult.TreeFormatter.formatErrorSync(error) }))
  }
}

const withPayload = <A, B>(envelope: Envelope<A>, payload: B): Envelope<B> => ({
  id: envelope.id,
  from: envelope.from,
  to: envelope.to,
  tag: envelope.tag,
  payload,
  correlationId: envelope.correlationId,
  replyTo: envelope.replyTo,
  ts: envelope.ts,
  hops: envelope.hops
})

/** Wire form of a batch: payloads encoded with the protocol, then one frame. */
export const encodeFrame = <A>(
  codec: Codec,
  payloads: PayloadCodec<A>,
  envelopes: ReadonlyArray<Envelope<A>>
): Effect.Effect<Uint8Array, CodecError> =>
  Effect.suspend(() => {
    const wire: Array<Envelope> = []
    for (const envelope of envelopes) {
      const encoded = payloads.encode(envelope.payload)
      if (Either.isLeft(encoded)) return Effect.fail(encoded.left)
      wire.push(withPayload(envelope, encoded.right))
    }
    return codec.packFrame(wire)
  })

/** Envelopes from untrusted bytes, every payload validated with the protocol Schema and matched against its tag. */
export const decodeFrame = <A extends { readonly _tag: string }>(
  codec: Codec,
  payloads: PayloadCodec<A>,
  bytes: Uint8Array
): Effect.Effect<Array<Envelope<A>>, CodecError> =>
  Effect.suspend(() => {
    const frame = codec.unpackFrame(bytes)
    if (Either.isLeft(frame)) return Effect.fail(frame.left)
    const decoded: Array<Envelope<A>> = []
    for (let i = 0; i < frame.right.length; i++) {
      const envelope = frame.right[i]!
      const payload = payloads.decode(envelope.payload)
      if (Either.isLeft(payload)) return Effect.fail(new CodecError({ ...payload.left, index: i }))
      if (payload.right._tag !== envelope.tag) {
        return Effect.fail(
          new CodecError({ reason: "invalid-payload", index: i, detail: `envelope tag ${envelope.tag} but payload ${payload.right._tag}` })
        )
      }
      decoded.push(withPayload(envelope, payload.right))
    }
    return Effect.succeed(decoded)
  })

/**
 * Strict mode: the envelope as the receiving end of a wire would see it (payload encoded, packed,
 * unpacked, decoded). A payload that cannot make that trip is a bug in the sender, reported as a
 * `CodecError`.
 */
export const roundTrip = <A>(codec: Codec, payloads: PayloadCodec<A>, envelope: Envelope<A>): Either.Either<Envelope<A>, CodecError> =>
  Either.gen(function*() {
    const encoded = yield* payloads.encode(envelope.payload)
    const bytes = yield* codec.packFrame([withPayload(envelope, encoded)])
    const [back] = yield* codec.unpackFrame(bytes)
    const payload = yield* payloads.decode(back!.payload)
    return withPayload(back!, payload)
  })

/** Strict mode is on when asked for, or when the environment says REELSWARM_STRICT_CODEC=1 (the test suite does). */
export const strictFromEnv = (): boolean => process.env.REELSWARM_STRICT_CODEC === "1"
