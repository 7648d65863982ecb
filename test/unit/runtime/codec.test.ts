import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { Packr } from "msgpackr"
import { CodecError, decodeFrame, encodeFrame, makeCodec } from "../../../runtime/codec.ts"
import { type Envelope, makeEnvelope } from "../../../runtime/envelope.ts"
import { payloads, Protocol, Render, Scene } from "./codec-fixtures.ts"

const envelopes: Array<Envelope<Scene | Render>> = [
  ...Array.from(
    { length: 100 },
    (_, i) =>
      makeEnvelope(
        `e${i}`,
        "director",
        "renderer",
        "Scene",
        new Scene({ index: i, text: `scene ${i} — ünïcode` }),
        undefined,
        undefined,
        1_700_000_000_000 + i,
        1
      )
  ),
  makeEnvelope("r1", "director", "renderer", "Render", new Render({ scenes: [1, 2, 3] }), "r1", "director", 1_700_000_000_500, 2)
]

/** Plain msgpack (no records) of whatever value, to forge frames a peer could send. */
const forge = (value: unknown) => new Packr({ useRecords: false }).pack(value)

describe("codec", () => {
  it.effect("a frame carries many envelopes and decodes them into protocol values", () =>
    Effect.gen(function*() {
      const codec = makeCodec()
      const bytes = yield* encodeFrame(codec, payloads, envelopes)
      const decoded = yield* decodeFrame(codec, payloads, bytes)
      expect(decoded).toHaveLength(101)
      expect(decoded[7]!.payload).toBeInstanceOf(Scene)
      expect(decoded[7]).toEqual(envelopes[7])
      expect(decoded[100]).toMatchObject({ correlationId: "r1", replyTo: "director", hops: 2, tag: "Render" })
      expect(decoded[100]!.payload).toBeInstanceOf(Render)
      // The envelope structure is shared, so batching pays: far less than 101 single frames.
      const single = (yield* encodeFrame(codec, payloads, [envelopes[0]!])).length
      expect(bytes.length).toBeLessThan(single * 101)
    }))

  it.effect("frames decode in a codec that has seen nothing before (no session state)", () =>
    Effect.gen(function*() {
      const bytes = yield* encodeFrame(makeCodec(), payloads, envelopes.slice(0, 3))
      const decoded = yield* decodeFrame(makeCodec(), payloads, bytes)
      expect(decoded.map((e) => e.id)).toEqual(["e0", "e1", "e2"])
    }))

  const malformed: ReadonlyArray<{ readonly name: string; readonly bytes: () => Uint8Array; readonly reason: CodecError["reason"] }> = [
    { name: "empty input", bytes: () => new Uint8Array(), reason: "malformed-bytes" },
    {
      name: "a truncated frame",
      bytes: () => Either.getOrThrow(makeCodec().packFrame(envelopes)).subarray(0, 40),
      reason: "malformed-bytes"
    },
    { name: "an unknown extension", bytes: () => Uint8Array.from([0xd4, 0x72, 0x01]), reason: "malformed-bytes" },
    { name: "a reference to a structure nobody defined", bytes: () => Uint8Array.from([0x91, 0x45, 0x01]), reason: "malformed-bytes" },
    { name: "msgpack that is not a frame", bytes: () => forge({ hello: "world" }), reason: "malformed-frame" },
    { name: "a frame with a number in it", bytes: () => forge([42]), reason: "malformed-envelope" },
    {
      name: "an envelope without a sender",
      bytes: () => forge([{ id: "x", to: "y", tag: "Scene", payload: {}, ts: 1, hops: 0 }]),
      reason: "malformed-envelope"
    },
    {
      name: "a payload the protocol rejects",
      bytes: () =>
        forge([{ id: "x", from: "a", to: "b", tag: "Scene", payload: { _tag: "Scene", index: "one", text: "t" }, ts: 1, hops: 0 }]),
      reason: "invalid-payload"
    },
    {
      name: "an envelope whose tag lies about its payload",
      bytes: () => forge([{ id: "x", from: "a", to: "b", tag: "Render", payload: { _tag: "Scene", index: 1, text: "t" }, ts: 1, hops: 0 }]),
      reason: "invalid-payload"
    }
  ]

  it.effect.each(malformed)("$name gives CodecError($reason)", ({ bytes, reason }) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeFrame(makeCodec(), payloads, bytes()))
      expect(error).toBeInstanceOf(CodecError)
      expect(error.reason).toBe(reason)
    }))

  it.effect("random and mutated bytes never throw: every outcome is a frame or a CodecError", () =>
    Effect.gen(function*() {
      const codec = makeCodec()
      const valid = Either.getOrThrow(
        codec.packFrame(envelopes.slice(0, 4).map((e) => ({ ...e, payload: Schema.encodeSync(Protocol)(e.payload) })))
      )
      let seed = 42
      const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
      let errors = 0
      for (let i = 0; i < 500; i++) {
        const bytes = i % 2 === 0
          ? Uint8Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256))
          : Uint8Array.from(valid, (b) => (random() < 0.05 ? Math.floor(random() * 256) : b))
        const outcome = yield* Effect.either(decodeFrame(codec, payloads, bytes))
        if (Either.isLeft(outcome)) {
          expect(outcome.left).toBeInstanceOf(CodecError)
          errors++
        }
      }
      expect(errors).toBeGreaterThan(250)
    }))
})
