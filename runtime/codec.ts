/**
 * The wire codec: msgpackr with a shared record structure for the envelope (both ends know it from
 * this file, so envelope keys never travel), frames that batch many envelopes, and protocol
 * payloads encoded and validated with their Effect Schema. Decoding never throws: malformed bytes,
 * a malformed envelope or a payload the protocol rejects all give a `CodecError`.
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import { Packr, Unpackr } from "msgpackr"
import { type Envelope, ENVELOPE_KEYS } from "./envelope.ts"

export class CodecError extends Schema.TaggedError<CodecError>()("CodecError", {
  reason: Schema.Literal("malformed-bytes", "malformed-frame", "malformed-envelope", "invalid-payload", "unencodable"),
  /** Position of the offending envelope in its frame, when there is one. */
  index: Schema.optional(Schema.Number),
  detail: Schema.String
}) {
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

/** The envelope's record structure as every unpacking table starts with it (msgpackr caches its compiled reader on it). */
const ENVELOPE_STRUCTURE: Array<string> = ENVELOPE_KEYS.slice()

/**
 * A codec whose only shared structure is the envelope's; payload structures are written inline in
 * each frame (msgpackr records), so a frame decodes on its own with no session state.
 *
 * msgpackr reads records through the `structures` array it was given, and a record definition
 * written inline in a frame overwrites that array's entry for its id, shared ids included; it puts
 * an entry back after the read only if the entry is marked shared, which entries given as the
 * `structures` option never are. So one frame from a plain msgpackr peer (its first record, 0x40,
 * has its own keys) or a forged one redefined the envelope for every later frame (swapped fields,
 * rejections), and since the Packr read the same array, once it rebuilt its key transitions it
 * wrote frames that fresh peers misread too. Hence the packer's table is its own, and every frame
 * is read by an Unpackr of its own over a fresh table holding just the envelope structure: whatever
 * a frame defines dies with it. Reading also refuses the structured-clone references that no end
 * of ours writes, which can build cycles.
 */
export const makeCodec = (): Codec => {
  const packr = new Packr({ structures: [ENVELOPE_KEYS.slice()], maxSharedStructures: 1, moreTypes: false })
  // mapsAsObjects: peers that write plain msgpack maps (no records) are understood too.
  const unpackr = () => new Unpackr({ structures: [ENVELOPE_STRUCTURE], mapsAsObjects: true, structuredClone: false })

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
      value = unpackr().unpack(bytes)
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
  if (!Number.isFinite(e.ts) || !Number.isInteger(e.hops) || (e.hops as number) < 0) return "ts must be a finite number and hops a count"
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
      Either.mapLeft(
        encode(value),
        (error) => new CodecError({ reason: "unencodable", detail: ParseResult.TreeFormatter.formatErrorSync(error) })
      ),
    decode: (encoded) => {
      // A recursive Schema walks its input by recursion, so a payload nested a few thousand deep (a
      // few kilobytes on the wire) overflows the stack: that is a payload this end cannot take.
      try {
        return Either.mapLeft(
          decode(encoded),
          (error) => new CodecError({ reason: "invalid-payload", detail: ParseResult.TreeFormatter.formatErrorSync(error) })
        )
      } catch (error) {
        return Either.left(new CodecError({ reason: "invalid-payload", detail: String(error) }))
      }
    }
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
