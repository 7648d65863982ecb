/**
 * Runtime benchmark: prints one JSON object. Every agent figure is measured in this run against a
 * raw Effect baseline doing the same work in the same process, so the ratios say what the runtime
 * costs, not how fast this machine is. Not in strict mode (that is for tests).
 *
 *   npx tsx bench/runtime.ts
 */
import { Deferred, Effect, Fiber, Queue, Schema } from "effect"
import { Packr } from "msgpackr"
import { define } from "../runtime/agent.ts"
import { makeCodec } from "../runtime/codec.ts"
import { type Envelope, makeEnvelope } from "../runtime/envelope.ts"
import { Swarm, layerInMemory } from "../runtime/swarm.ts"

const REPEATS = 7
const TELLS = 200_000
const ASKS = 50_000
const RESTARTS = 2_000
const FRAMES = 20_000
const BATCH = 64
const CAPACITY = 1024

const median = (xs: ReadonlyArray<number>) => {
  const sorted = xs.slice().sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const sorted = xs.slice().sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

/** Ops per second of `run(n)`, median over repeats after one warm-up. */
const rate = <E, R>(n: number, run: (n: number) => Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    yield* run(Math.floor(n / 4))
    const rates: Array<number> = []
    for (let i = 0; i < REPEATS; i++) {
      const start = performance.now()
      yield* run(n)
      rates.push(n / ((performance.now() - start) / 1000))
    }
    return median(rates)
  })

class Count extends Schema.TaggedClass<Count>()("Count", { n: Schema.Number }) {}
class Ping extends Schema.TaggedRequest<Ping>()("Ping", { success: Schema.Number, failure: Schema.Never, payload: { n: Schema.Number } }) {}
class Crash extends Schema.TaggedClass<Crash>()("Crash", {}) {}
class Next extends Schema.TaggedClass<Next>()("Next", {}) {}

/**
 * The raw baseline uses an unbounded queue: Effect's bounded queue under back-pressure is far slower
 * (about 40k msgs/s here), so comparing with it would flatter the runtime.
 */
const rawTell = (n: number) =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<number>()
    const consumer = yield* Effect.fork(Effect.repeatN(Queue.take(queue), n - 1))
    for (let i = 0; i < n; i++) yield* Queue.offer(queue, i)
    yield* Fiber.join(consumer)
  })

const rawPingPong = (n: number) =>
  Effect.gen(function*() {
    const requests = yield* Queue.bounded<number>(CAPACITY)
    const replies = yield* Queue.bounded<number>(CAPACITY)
    const server = yield* Effect.fork(Effect.forever(Effect.flatMap(Queue.take(requests), (x) => Queue.offer(replies, x))))
    for (let i = 0; i < n; i++) {
      yield* Queue.offer(requests, i)
      yield* Queue.take(replies)
    }
    yield* Fiber.interrupt(server)
  })

const agentTell = (n: number) =>
  Effect.gen(function*() {
    const swarm = yield* Swarm
    const done = yield* Deferred.make<void>()
    const counter = yield* swarm.spawn(
      define({
        name: "counter",
        protocol: Count,
        mailbox: { capacity: CAPACITY },
        init: () => Effect.succeed(0),
        receive: (_, seen) => (seen + 1 === n ? Effect.as(Deferred.succeed(done, undefined), 0) : Effect.succeed(seen + 1))
      })
    )
    const message = new Count({ n: 1 })
    for (let i = 0; i < n; i++) yield* counter.tell(message)
    yield* Deferred.await(done)
    yield* counter.stop
  })

const agentAsk = (n: number) =>
  Effect.gen(function*() {
    const swarm = yield* Swarm
    const echo = yield* swarm.spawn(
      define({
        name: "echo",
        protocol: Ping,
        init: () => Effect.void,
        receive: (ping, state, ctx) => Effect.as(ctx.reply(ping, ping.n), state)
      })
    )
    const ping = new Ping({ n: 1 })
    for (let i = 0; i < n; i++) yield* echo.ask(ping)
    yield* echo.stop
  })

/** Milliseconds from the moment an agent dies to the moment its restarted self handles the next message. */
const restartLatencies = (n: number) =>
  Effect.gen(function*() {
    const swarm = yield* Swarm
    let crashedAt = 0
    let handled = yield* Deferred.make<number>()
    const phoenix = yield* swarm.spawn(
      define({
        name: "phoenix",
        protocol: Schema.Union(Crash, Next),
        init: () => Effect.void,
        receive: (message) =>
          message._tag === "Crash"
            ? Effect.suspend(() => {
              crashedAt = performance.now()
              return Effect.die("crash on purpose")
            })
            : Effect.suspend(() => Deferred.succeed(handled, performance.now() - crashedAt))
      })
    )
    const latencies: Array<number> = []
    for (let i = 0; i < n; i++) {
      handled = yield* Deferred.make<number>()
      yield* phoenix.tell(new Crash())
      yield* phoenix.tell(new Next())
      latencies.push(yield* Deferred.await(handled))
    }
    yield* phoenix.stop
    return latencies.slice(Math.floor(n / 10))
  })

const codecRatio = () => {
  const codec = makeCodec()
  const raw = new Packr()
  const envelopes: Array<Envelope> = Array.from({ length: BATCH }, (_, i) =>
    makeEnvelope(`e${i}`, "director", "renderer", "Scene", { _tag: "Scene", index: i, text: `scene ${i}`, keywords: ["a", "b"] }, i % 2 ? `c${i}` : undefined, i % 2 ? "director" : undefined))
  const time = (roundTrip: () => void) => {
    for (let i = 0; i < FRAMES / 4; i++) roundTrip()
    const rates: Array<number> = []
    for (let r = 0; r < REPEATS; r++) {
      const start = performance.now()
      for (let i = 0; i < FRAMES; i++) roundTrip()
      rates.push(FRAMES / ((performance.now() - start) / 1000))
    }
    return median(rates)
  }
  const rawRate = time(() => raw.unpack(raw.pack(envelopes)))
  const codecRate = time(() => {
    const bytes = codec.packFrame(envelopes)
    if (bytes._tag === "Left") throw bytes.left
    if (codec.unpackFrame(bytes.right)._tag === "Left") throw new Error("frame did not decode")
  })
  return { codecRate, rawRate }
}

const program = Effect.gen(function*() {
  const rawTellRate = yield* rate(TELLS, rawTell)
  const tellRate = yield* rate(TELLS, agentTell)
  const rawAskRate = yield* rate(ASKS, rawPingPong)
  const askRate = yield* rate(ASKS, agentAsk)
  const latencies = yield* restartLatencies(RESTARTS)
  const { codecRate, rawRate } = codecRatio()
  const round = (x: number, digits = 3) => Number(x.toFixed(digits))
  return {
    tell_ratio: round(tellRate / rawTellRate),
    ask_ratio: round(askRate / rawAskRate),
    restart_p50_ms: round(percentile(latencies, 0.5), 4),
    restart_p99_ms: round(percentile(latencies, 0.99), 4),
    codec_ratio: round(codecRate / rawRate),
    tell_per_s: Math.round(tellRate),
    ask_per_s: Math.round(askRate),
    raw_tell_per_s: Math.round(rawTellRate),
    raw_ask_per_s: Math.round(rawAskRate),
    codec_frames_per_s: Math.round(codecRate),
    raw_msgpackr_frames_per_s: Math.round(rawRate),
    batch: BATCH,
    repeats: REPEATS
  }
})

const result = await Effect.runPromise(
  program.pipe(Effect.provide(layerInMemory({ strict: false, root: { intensity: 1_000_000_000, period: "1 second" } })))
)
console.log(JSON.stringify(result))
