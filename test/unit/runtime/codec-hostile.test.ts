import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either, Exit, Schema } from "effect"
import { Packr } from "msgpackr"
import { type Codec, CodecError, decodeFrame, makeCodec, payloadCodec } from "../../../runtime/codec.ts"
import { type Envelope, ENVELOPE_KEYS, makeEnvelope } from "../../../runtime/envelope.ts"
import { payloads, Protocol, Render, Scene } from "./codec-fixtures.ts"

// The rule: no bytes a peer sends can change how a later frame decodes. Every valid frame is
// checked against what a codec that has seen nothing decodes from the same bytes.

const scene = (i: number) =>
  makeEnvelope(
    `e${i}`,
    "director",
    "renderer",
    "Scene",
    new Scene({ index: i, text: `scene ${i}` }),
    undefined,
    undefined,
    1_700_000_000_000 + i,
    1
  )
const render = (i: number) =>
  makeEnvelope(`r${i}`, "planner", "renderer", "Render", new Render({ scenes: [i, i + 1] }), `r${i}`, "planner", 1_700_000_000_500 + i, 2)

/** Envelopes with their payloads in wire form, as `packFrame` and peers see them. */
const wire = (envelopes: ReadonlyArray<Envelope<Scene | Render>>): Array<Envelope> =>
  envelopes.map((e) => ({ ...e, payload: Schema.encodeSync(Protocol)(e.payload) }))

/** The same envelope with its keys in another order, as a peer that builds its objects differently writes it. */
const reordered = (e: Envelope) => ({
  to: e.to,
  hops: e.hops,
  from: e.from,
  payload: e.payload,
  ts: e.ts,
  tag: e.tag,
  replyTo: e.replyTo,
  id: e.id,
  correlationId: e.correlationId
})

const copy = (bytes: Uint8Array) => Uint8Array.from(bytes)
const concat = (...parts: ReadonlyArray<ArrayLike<number>>) => Uint8Array.from(parts.flatMap((part) => Array.from(part)))
/** Plain msgpack (maps, no records), for the pieces of handcrafted frames. */
const plain = (value: unknown) => copy(new Packr({ useRecords: false }).pack(value))
/** A frame as a peer running msgpackr with default options writes it: records on, ids from 0x40 defined inline. */
const fromPlainPeer = (value: unknown) => copy(new Packr().pack(value))
const ours = (envelopes: ReadonlyArray<Envelope<Scene | Render>>) => copy(Either.getOrThrow(makeCodec().packFrame(wire(envelopes))))

/** A one-envelope frame that defines record `header` inline with `keys`, then gives these values. */
const redefining = (header: ReadonlyArray<number>, keys: ReadonlyArray<string>, values: ReadonlyArray<unknown>) =>
  concat([0x91], header, plain(keys), ...values.map(plain))
const valuesOf = (envelope: Envelope, keys: ReadonlyArray<string> = ENVELOPE_KEYS) => keys.map((key): unknown => Reflect.get(envelope, key))

const swapped = (from: string, to: string) => ENVELOPE_KEYS.map((key) => (key === "from" ? to : key === "to" ? from : key))

const valid: ReadonlyArray<
  { readonly name: string; readonly bytes: Uint8Array; readonly envelopes: ReadonlyArray<Envelope<Scene | Render>> }
> = [
  // Several payloads of one shape: the first defines its record, the others reuse it.
  { name: "ours, scenes", bytes: ours([0, 1, 2, 3, 4].map(scene)), envelopes: [0, 1, 2, 3, 4].map(scene) },
  { name: "ours, mixed", bytes: ours([scene(5), render(6), scene(7), render(8)]), envelopes: [scene(5), render(6), scene(7), render(8)] },
  { name: "ours, one", bytes: ours([render(9)]), envelopes: [render(9)] },
  {
    name: "plain peer, other key order",
    bytes: fromPlainPeer(wire([scene(10), render(11), scene(12)]).map(reordered)),
    envelopes: [scene(10), render(11), scene(12)]
  },
  { name: "plain maps", bytes: plain(wire([render(13), scene(14)])), envelopes: [render(13), scene(14)] }
]

/** What a codec that has seen nothing decodes from these bytes. */
const fresh = (bytes: Uint8Array) => Effect.runSync(Effect.either(decodeFrame(makeCodec(), payloads, bytes)))

/** Decodes hostile bytes: the outcome must be a frame or a CodecError, never a throw or a defect. */
const decodeHostile = (codec: Codec, bytes: Uint8Array) =>
  Effect.gen(function*() {
    const raw = codec.unpackFrame(bytes)
    if (Either.isRight(raw)) {
      for (const envelope of raw.right) {
        expect(Object.getPrototypeOf(envelope)).toBe(Object.prototype)
        expect(Object.hasOwn(envelope, "__proto__")).toBe(false)
      }
    } else expect(raw.left).toBeInstanceOf(CodecError)
    const exit = yield* Effect.exit(decodeFrame(codec, payloads, bytes))
    if (Exit.isFailure(exit)) {
      expect(Cause.isDie(exit.cause)).toBe(false)
      expect(Cause.squash(exit.cause)).toBeInstanceOf(CodecError)
    }
    return exit
  })

const asEither = <A>(
  exit: Exit.Exit<A, CodecError>
) => (Exit.isFailure(exit) ? Either.left(Cause.squash(exit.cause)) : Either.right(exit.value))

/** Every valid frame decodes as on a fresh codec, and that is the envelopes it was made from. */
const expectValidFramesIntact = (codec: Codec) =>
  Effect.gen(function*() {
    for (const frame of valid) {
      const decoded = yield* decodeFrame(codec, payloads, frame.bytes)
      expect(decoded).toEqual(frame.envelopes)
      expect(Either.right(decoded)).toEqual(fresh(frame.bytes))
      expect(codec.unpackFrame(frame.bytes)).toEqual(makeCodec().unpackFrame(frame.bytes))
    }
  })

/** A small seeded PRNG (mulberry32), so a failing case can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
}

/** Each msgpackr extension and special token an attacker can send, sent as a frame and as a payload. */
const extensions: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }> = [
  { name: "a Set", bytes: Uint8Array.from([0xd4, 0x73, 0x00, 0x92, 0x01, 0x02]) },
  { name: "a Set of a non-iterable", bytes: Uint8Array.from([0xd4, 0x73, 0x00, 0x01]) },
  { name: "an Error", bytes: concat([0xd4, 0x65, 0x00], plain(["TypeError", "boom", null])) },
  { name: "an Error named valueOf", bytes: concat([0xd4, 0x65, 0x00], plain(["valueOf", "", null])) },
  { name: "an Error named __proto__", bytes: concat([0xd4, 0x65, 0x00], plain(["__proto__", "", null])) },
  { name: "an Error named constructor", bytes: concat([0xd4, 0x65, 0x00], plain(["constructor", { a: 1 }, null])) },
  { name: "an Error of nil", bytes: Uint8Array.from([0xd4, 0x65, 0x00, 0xc0]) },
  { name: "a RegExp", bytes: concat([0xd4, 0x78, 0x00], plain(["a+", "gi"])) },
  { name: "an invalid RegExp", bytes: concat([0xd4, 0x78, 0x00], plain(["(", "zz"])) },
  { name: "an Int32Array of 3 bytes", bytes: Uint8Array.from([0xc7, 0x04, 0x74, 0x05, 0x01, 0x02, 0x03]) },
  { name: "a typed array of no type", bytes: Uint8Array.from([0xc7, 0x03, 0x74, 0xee, 0x01, 0x02]) },
  { name: "a Date", bytes: Uint8Array.from([0xd6, 0xff, 0x00, 0x00, 0x00, 0x01]) },
  { name: "a Date of a bad length", bytes: Uint8Array.from([0xc7, 0x05, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01]) },
  { name: "a BigInt", bytes: Uint8Array.from([0xd4, 0x42, 0x80]) },
  { name: "bundled strings before the frame", bytes: Uint8Array.from([0xd6, 0x62, 0xff, 0xff, 0xff, 0x00, 0xa1, 0x61]) },
  { name: "bundled strings past the end", bytes: Uint8Array.from([0xd6, 0x62, 0x7f, 0xff, 0xff, 0xff, 0xc1, 0x05]) },
  {
    name: "a structured-clone cycle",
    bytes: Uint8Array.from([0xd6, 0x69, 0x00, 0x00, 0x00, 0x01, 0x91, 0xd6, 0x70, 0x00, 0x00, 0x00, 0x01])
  },
  { name: "a structured-clone pointer to nothing", bytes: Uint8Array.from([0xd6, 0x70, 0x00, 0x00, 0x00, 0x07]) },
  { name: "the never-used token", bytes: Uint8Array.from([0xc1]) },
  { name: "undefined", bytes: Uint8Array.from([0xd4, 0x00, 0x00]) },
  { name: "a two-byte record definition of the shared id", bytes: Uint8Array.from([0xd5, 0x72, 0x40, 0x00, 0x91, 0xa1, 0x61, 0x01]) },
  { name: "a two-byte record definition of a negative id", bytes: Uint8Array.from([0xd5, 0x72, 0x45, 0x03, 0x91, 0xa1, 0x61, 0x01]) },
  { name: "a record key that is not a string", bytes: Uint8Array.from([0xd4, 0x72, 0x40, 0x91, 0x81, 0xa1, 0x61, 0x01]) }
]

/** An envelope as ours are written (the shared envelope record, 0x40, then its values), with these bytes as the payload. */
const envelopeBytes = (payload: Uint8Array, tag = "Scene") =>
  concat([0x40], ...ENVELOPE_KEYS.map((key) => (key === "payload" ? payload : plain(key === "tag" ? tag : wire([scene(1)])[0]![key]))))
const withPayloadBytes = (payload: Uint8Array, tag = "Scene") => concat([0x91], envelopeBytes(payload, tag))

const protoPolluting: ReadonlyArray<Uint8Array> = [
  plain([
    JSON.parse(
      `{"id":"x","from":"a","to":"b","tag":"Scene","payload":{"_tag":"Scene","index":1,"text":"t"},"ts":1,"hops":0,"__proto__":{"polluted":true}}`
    )
  ]),
  plain([{ ...wire([scene(1)])[0]!, payload: JSON.parse(`{"_tag":"Scene","index":1,"text":"t","__proto__":{"polluted":true}}`) }]),
  redefining([0xd4, 0x72, 0x40], [...ENVELOPE_KEYS, "__proto__"], [...valuesOf(wire([scene(1)])[0]!), { polluted: true }])
]

describe("codec on hostile input", () => {
  it.effect("a frame from a plain msgpackr peer with other key orders decodes right, and ours still decode as on a fresh codec", () =>
    Effect.gen(function*() {
      const codec = makeCodec()
      const peer = new Packr()
      for (let round = 0; round < 3; round++) {
        const sent = [scene(20 + round), render(30 + round), scene(40 + round)]
        const decoded = yield* decodeFrame(codec, payloads, copy(peer.pack(wire(sent).map(reordered))))
        expect(decoded).toEqual(sent)
        expect(decoded[1]!.payload).toBeInstanceOf(Render)
        yield* expectValidFramesIntact(codec)
      }
    }))

  const redefinitions: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }> = [
    {
      name: "the shared envelope id, from and to swapped",
      bytes: redefining([0xd4, 0x72, 0x40], swapped("from", "to"), valuesOf(wire([scene(1)])[0]!))
    },
    {
      name: "the shared envelope id, id and tag swapped",
      bytes: redefining([0xd4, 0x72, 0x40], swapped("id", "tag"), valuesOf(wire([scene(1)])[0]!))
    },
    {
      name: "the shared envelope id, as a two-byte id",
      bytes: redefining([0xd5, 0x72, 0x40, 0x00], swapped("from", "to"), valuesOf(wire([scene(1)])[0]!))
    },
    {
      name: "the shared envelope id, then truncated",
      bytes: redefining([0xd4, 0x72, 0x40], swapped("from", "to"), valuesOf(wire([scene(1)])[0]!)).slice(0, -2)
    },
    {
      name: "the shared envelope id, with fewer keys",
      bytes: redefining([0xd4, 0x72, 0x40], ["from", "to"], valuesOf(wire([scene(1)])[0]!))
    },
    {
      // Payloads on the ids ours use for theirs, keys in other orders, each reused by a second envelope.
      name: "the payload ids ours use",
      bytes: concat(
        [0x94],
        envelopeBytes(concat([0xd4, 0x72, 0x41], plain(["text", "index", "_tag"]), plain("x"), plain(1), plain("Scene"))),
        envelopeBytes(concat([0xd4, 0x72, 0x42], plain(["scenes", "_tag"]), plain([1]), plain("Render")), "Render"),
        envelopeBytes(concat([0x41], plain("y"), plain(2), plain("Scene"))),
        envelopeBytes(concat([0x42], plain([2]), plain("Render")), "Render")
      )
    }
  ]

  it.effect.each(redefinitions)(
    "a frame that redefines $name inline leaves later frames as on a fresh codec",
    ({ bytes }) =>
      Effect.gen(function*() {
        const codec = makeCodec()
        // The hostile frame reads the way it says, on this codec as on a fresh one: its definitions are its own.
        const outcome = yield* decodeHostile(codec, bytes)
        expect(asEither(outcome)).toEqual(fresh(bytes))
        yield* expectValidFramesIntact(codec)
        yield* decodeHostile(codec, bytes)
        yield* expectValidFramesIntact(codec)
      })
  )

  it.effect("a payload structure defined in one frame means nothing in the next", () =>
    Effect.gen(function*() {
      const codec = makeCodec()
      const defines = withPayloadBytes(concat([0xd4, 0x72, 0x41], plain(["text", "index", "_tag"]), plain("x"), plain(1), plain("Scene")))
      const refers = withPayloadBytes(concat([0x41], plain("y"), plain(2), plain("Scene")))
      const [first] = yield* decodeFrame(codec, payloads, defines)
      expect(first!.payload).toEqual(new Scene({ index: 1, text: "x" }))
      const outcome = yield* decodeHostile(codec, refers)
      expect(asEither(outcome)).toEqual(fresh(refers))
      expect(Exit.isFailure(outcome)).toBe(true)
      yield* expectValidFramesIntact(codec)
    }))

  it.effect("an inline redefinition with from and to swapped is read as its sender wrote it, and only there", () =>
    Effect.gen(function*() {
      const codec = makeCodec()
      const [decoded] = yield* decodeFrame(
        codec,
        payloads,
        redefining([0xd4, 0x72, 0x40], swapped("from", "to"), valuesOf(wire([scene(1)])[0]!))
      )
      expect(decoded).toMatchObject({ from: "renderer", to: "director", id: "e1" })
      const [after] = yield* decodeFrame(codec, payloads, ours([scene(2)]))
      expect(after).toEqual(scene(2))
    }))

  it.effect.each(
    extensions.flatMap((
      { name, bytes }
    ) => [{ name: `${name} as the frame`, bytes }, { name: `${name} as a payload`, bytes: withPayloadBytes(bytes) }])
  )(
    "$name gives a frame or a CodecError and leaves later frames intact",
    ({ bytes }) =>
      Effect.gen(function*() {
        const codec = makeCodec()
        yield* decodeHostile(codec, bytes)
        yield* expectValidFramesIntact(codec)
      })
  )

  it.effect("structured-clone references, which no end of ours writes, are refused rather than building cycles", () =>
    Effect.gen(function*() {
      const cycle = withPayloadBytes(Uint8Array.from([0xd6, 0x69, 0x00, 0x00, 0x00, 0x01, 0x91, 0xd6, 0x70, 0x00, 0x00, 0x00, 0x01]))
      const error = yield* Effect.flip(decodeFrame(makeCodec(), payloads, cycle))
      expect(error.reason).toBe("malformed-bytes")
    }))

  it.effect("keys named __proto__ never reach a prototype", () =>
    Effect.gen(function*() {
      const codec = makeCodec()
      for (const bytes of protoPolluting) {
        yield* decodeHostile(codec, bytes)
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      }
      yield* expectValidFramesIntact(codec)
    }))

  it.effect("frames this end packs after hostile input are the bytes a fresh codec packs", () =>
    Effect.gen(function*() {
      const codec = makeCodec()
      yield* decodeHostile(codec, fromPlainPeer([{ _tag: "Scene", index: 1, text: "x" }]))
      yield* decodeHostile(codec, redefining([0xd4, 0x72, 0x40], swapped("from", "to"), valuesOf(wire([scene(1)])[0]!)))
      // Payloads of many shapes make msgpackr rebuild the packer's key transitions from its table.
      for (let i = 0; i < 2_000; i++) {
        Either.getOrThrow(codec.packFrame([{ ...wire([scene(i)])[0]!, payload: { _tag: "Scene", [`k${i}`]: i } }]))
      }
      const sent = wire([scene(1), render(2), scene(3)])
      const bytes = Either.getOrThrow(codec.packFrame(sent))
      expect(bytes).toEqual(Either.getOrThrow(makeCodec().packFrame(sent)))
      expect(yield* decodeFrame(makeCodec(), payloads, bytes)).toEqual([scene(1), render(2), scene(3)])
    }))

  it.effect("a fuzz of random, mutated, truncated and redefining frames never throws, and valid frames between them decode as on a fresh codec", () =>
    Effect.gen(function*() {
      const codec = makeCodec()
      const random = prng(0x5eed)
      const int = (n: number) => Math.floor(random() * n)
      const pick = <A>(xs: ReadonlyArray<A>): A => xs[int(xs.length)]!
      const keyPool = [...ENVELOPE_KEYS, "_tag", "index", "text", "scenes", "__proto__", "constructor"]
      const shuffledKeys = () => keyPool.filter(() => random() < 0.6).sort(() => random() - 0.5)
      const seeds = [
        ...valid.map((frame) => frame.bytes),
        ...extensions.map((extension) => withPayloadBytes(extension.bytes)),
        ...protoPolluting
      ]
      const hostile = (): Uint8Array => {
        const base = pick(seeds)
        switch (int(5)) {
          case 0:
            return Uint8Array.from({ length: 1 + int(96) }, () => int(256))
          case 1:
            return Uint8Array.from(base, (b) => (random() < 0.05 ? int(256) : b))
          case 2:
            return base.subarray(0, int(base.length))
          case 3: {
            // A record definition spliced in anywhere, over the shared id or the ids payloads use.
            const at = int(base.length)
            return concat(base.subarray(0, at), [0xd4, 0x72, 0x40 + int(4)], plain(shuffledKeys()), base.subarray(at))
          }
          default: {
            // Keys in any order over values in ours, or values that follow the keys.
            const keys = shuffledKeys()
            const envelope = wire([pick([scene(1), render(2)])])[0]!
            return redefining(
              pick([[0xd4, 0x72, 0x40], [0xd5, 0x72, 0x40, 0x00], [0xd4, 0x72, 0x41]]),
              keys,
              valuesOf(envelope, random() < 0.5 ? keys : ENVELOPE_KEYS)
            )
          }
        }
      }
      let failures = 0
      let successes = 0
      for (let i = 0; i < 3_000; i++) {
        const outcome = yield* decodeHostile(codec, hostile())
        if (Exit.isSuccess(outcome)) successes++
        else failures++
        const frame = valid[i % valid.length]!
        expect(yield* decodeFrame(codec, payloads, frame.bytes)).toEqual(frame.envelopes)
      }
      expect(failures).toBeGreaterThan(1_000)
      expect(successes).toBeGreaterThan(0)
      yield* expectValidFramesIntact(codec)
    }))

  it.effect("a payload nested deep enough to overflow a recursive Schema gives a CodecError, not a crash", () =>
    Effect.gen(function*() {
      interface Node {
        readonly children: ReadonlyArray<Node>
      }
      const Node: Schema.Schema<Node> = Schema.Struct({ children: Schema.Array(Schema.suspend(() => Node)) })
      const Tree = Schema.TaggedStruct("Tree", { root: Node })
      const trees = payloadCodec(Tree)
      const codec = makeCodec()
      const reasons = new Set<string>()
      for (let depth = 100; depth <= 4_000; depth += 100) {
        // { root: { children: [ { children: [ ... [] ] } ] } }, written as plain maps.
        const nested = concat(
          ...Array.from({ length: depth }, () => concat([0x81], plain("children"), [0x91])),
          [0x81],
          plain("children"),
          [0x90]
        )
        const payload = concat([0x82], plain("_tag"), plain("Tree"), plain("root"), nested)
        const frame = withPayloadBytes(payload, "Tree")
        const exit = yield* Effect.exit(decodeFrame(codec, trees, frame))
        if (Exit.isSuccess(exit)) reasons.add("decoded")
        else {
          expect(Cause.isDie(exit.cause)).toBe(false)
          const error = Cause.squash(exit.cause)
          expect(error).toBeInstanceOf(CodecError)
          reasons.add((error as CodecError).reason)
        }
      }
      expect(reasons).toContain("decoded")
      expect(reasons).toContain("invalid-payload")
    }))
})
