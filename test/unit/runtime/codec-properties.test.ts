/**
 * Properties of the codec over generated input: any envelope batch our end packs decodes back to
 * itself, and any bytes at all give a value or a CodecError, never a throw, while the valid frames
 * decoded after them come out exactly as from a fresh codec.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, FastCheck as fc, Schema } from "effect"
import { decodeFrame, encodeFrame, makeCodec, payloadCodec } from "../../../runtime/codec.ts"
import { type Envelope, makeEnvelope } from "../../../runtime/envelope.ts"

class Scene extends Schema.TaggedClass<Scene>()("Scene", {
  index: Schema.Int,
  text: Schema.String,
  keywords: Schema.Array(Schema.String),
  weight: Schema.optional(Schema.Number)
}) {}
class Render
  extends Schema.TaggedClass<Render>()("Render", { width: Schema.Int, height: Schema.Int, label: Schema.NullOr(Schema.String) })
{}
const Protocol = Schema.Union(Scene, Render)
type Message = typeof Protocol.Type
const payloads = payloadCodec(Protocol)

/** Any double but NaN; -0 is written as 0 (msgpack has no negative zero integer), so it is left out. */
const weights = fc.double({ noNaN: true }).map((x) => (x === 0 ? 0 : x))
const text = fc.string({ maxLength: 24, unit: "grapheme" })
const optionalText = fc.option(text, { nil: undefined })
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ index: fc.integer(), text, keywords: fc.array(text, { maxLength: 4 }), weight: fc.option(weights, { nil: undefined }) })
    .map(({ weight, ...rest }) => new Scene(weight === undefined ? rest : { ...rest, weight })),
  fc.record({ width: fc.nat(), height: fc.nat(), label: fc.option(text, { nil: null }) }).map((fields) => new Render(fields))
)
const envelope: fc.Arbitrary<Envelope<Message>> = fc
  .tuple(text, text, text, message, optionalText, optionalText, fc.nat(), fc.nat({ max: 16 }))
  .map(([id, from, to, payload, correlationId, replyTo, ts, hops]) =>
    makeEnvelope(id, from, to, payload._tag, payload, correlationId, replyTo, ts, hops)
  )
const batches = fc.array(envelope, { minLength: 1, maxLength: 12 })

const decodeExit = (bytes: Uint8Array, codec = makeCodec()) => Effect.runSyncExit(decodeFrame(codec, payloads, bytes))

describe("codec properties", () => {
  it.prop("every batch our end packs decodes back to the same envelopes", [batches], ([envelopes]) => {
    const codec = makeCodec()
    const bytes = Effect.runSync(encodeFrame(codec, payloads, envelopes))
    const back = decodeExit(bytes, codec)
    expect(Exit.isSuccess(back) && back.value).toEqual(envelopes)
  }, { fastCheck: { numRuns: 300, seed: 1201 } })

  it.prop(
    "any bytes decode to a value or a CodecError, and later valid frames decode as on a fresh codec",
    [fc.array(fc.uint8Array({ maxLength: 128 }), { minLength: 1, maxLength: 8 }), batches],
    ([hostile, envelopes]) => {
      const codec = makeCodec()
      const valid = Effect.runSync(encodeFrame(makeCodec(), payloads, envelopes))
      for (const bytes of hostile) {
        const outcome = Either.try(() => decodeExit(bytes, codec))
        expect(Either.isRight(outcome)).toBe(true)
        const exit = Either.getOrThrow(outcome)
        if (Exit.isFailure(exit)) expect(exit.cause).toMatchObject({ _tag: "Fail", error: { _tag: "CodecError" } })
      }
      expect(decodeExit(valid, codec)).toEqual(decodeExit(valid))
    },
    { fastCheck: { numRuns: 300, seed: 2026 } }
  )
})
