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
import { layerInMemory, Swarm } from "../runtime/swarm.ts"

const REPEATS = 15
const TELLS = 100_000
const ASKS = 20_000
const RESTARTS = 2_000
const FRAMES = 500
const CODEC_PAIRS = 61
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

const timed = <E, R>(n: number, run: (n: number) => Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    yield* run(n)
    return n / ((performance.now() - start) / 1000)
  })

/**
 * Subject and baseline run in alternating pairs (order flipped every pair) after a warm-up, and the
 * ratio is the median of the pairs' ratios: the machine's load drifts, a pair shares its moment.
 */
const paired = <E, R>(
  n: number,
  baseline: (n: number) => Effect.Effect<void, E, R>,
  subject: (n: number) => Effect.Effect<void, E, R>,
  pairs = REPEATS
) =>
  Effect.gen(function*() {
    yield* baseline(Math.floor(n / 4))
    yield* subject(Math.floor(n / 4))
    const ratios: Array<number> = []
    const rates: Array<number> = []
    const baseRates: Array<number> = []
    for (let i = 0; i < pairs; i++) {
      let base: number
      let rate: number
      if (i % 2 === 0) {
        base = yield* timed(n, baseline)
        rate = yield* timed(n, subject)
      } else {
        rate = yield* timed(n, subject)
        base = yield* timed(n, baseline)
      }
      ratios.push(rate / base)
      rates.push(rate)
      baseRates.push(base)
    }
    return { ratio: median(ratios), rate: median(rates), baseline: median(baseRates) }
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
    const crash = new Crash()
    const next = new Next()
    for (let i = 0; i < n; i++) {
      handled = yield* Deferred.make<number>()
      yield* phoenix.tell(crash)
      yield* phoenix.tell(next)
      latencies.push(yield* Deferred.await(handled))
    }
    yield* phoenix.stop
    return latencies.slice(Math.floor(n / 10))
  })

/**
 * The same path with bare Effect, for scale: a fiber dies, its parent sees the exit and forks a
 * fresh fiber that handles the next message. On a loaded machine its tail is the machine's.
 */
const rawRestartLatencies = (n: number) =>
  Effect.gen(function*() {
    const latencies: Array<number> = []
    for (let i = 0; i < n; i++) {
      let crashedAt = 0
      const next = yield* Queue.unbounded<number>()
      yield* Queue.offer(next, 1)
      yield* Effect.fork(Effect.suspend(() => {
        crashedAt = performance.now()
        return Effect.die("crash on purpose")
      })).pipe(Effect.flatMap((fiber) => fiber.await))
      const handled = yield* Effect.fork(Effect.zipRight(Queue.take(next), Effect.sync(() => performance.now() - crashedAt)))
      latencies.push(yield* Fiber.join(handled))
    }
    return latencies.slice(Math.floor(n / 10))
  })

/** Frames of 64 envelopes packed and unpacked: through the codec, and with raw msgpackr on the same objects. */
const codecRatio = () => {
  const codec = makeCodec()
  const raw = new Packr()
  const envelopes: Array<Envelope> = Array.from(
    { length: BATCH },
    (_, i) =>
      makeEnvelope(
        `e${i}`,
        "director",
        "renderer",
        "Scene",
        { _tag: "Scene", index: i, text: `scene ${i}`, keywords: ["a", "b"] },
        i % 2 ? `c${i}` : undefined,
        i % 2 ? "director" : undefined
      )
  )
  const rawRoundTrip = (n: number) =>
    Effect.sync(() => {
      for (let i = 0; i < n; i++) raw.unpack(raw.pack(envelopes))
    })
  const codecRoundTrip = (n: number) =>
    Effect.sync(() => {
      for (let i = 0; i < n; i++) {
        const bytes = codec.packFrame(envelopes)
        if (bytes._tag === "Left") throw bytes.left
        if (codec.unpackFrame(bytes.right)._tag === "Left") throw new Error("frame did not decode")
      }
    })
  return paired(FRAMES, rawRoundTrip, codecRoundTrip, CODEC_PAIRS)
}

const program = Effect.gen(function*() {
  const tell = yield* paired(TELLS, rawTell, agentTell)
  const ask = yield* paired(ASKS, rawPingPong, agentAsk)
  const latencies = yield* restartLatencies(RESTARTS)
  const rawLatencies = yield* rawRestartLatencies(RESTARTS)
  const codec = yield* codecRatio()
  const round = (x: number, digits = 3) => Number(x.toFixed(digits))
  return {
    tell_ratio: round(tell.ratio),
    ask_ratio: round(ask.ratio),
    restart_p50_ms: round(percentile(latencies, 0.5), 4),
    restart_p99_ms: round(percentile(latencies, 0.99), 4),
    raw_restart_p50_ms: round(percentile(rawLatencies, 0.5), 4),
    raw_restart_p99_ms: round(percentile(rawLatencies, 0.99), 4),
    codec_ratio: round(codec.ratio),
    tell_per_s: Math.round(tell.rate),
    ask_per_s: Math.round(ask.rate),
    raw_tell_per_s: Math.round(tell.baseline),
    raw_ask_per_s: Math.round(ask.baseline),
    codec_frames_per_s: Math.round(codec.rate),
    raw_msgpackr_frames_per_s: Math.round(codec.baseline),
    batch: BATCH,
    pairs: REPEATS,
    restarts_measured: latencies.length
  }
})

const result = await Effect.runPromise(
  program.pipe(Effect.provide(layerInMemory({ strict: false, root: { intensity: 1_000_000_000, period: "1 second" } })))
)
console.log(JSON.stringify(result))
