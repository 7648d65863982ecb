/**
 * The star's hub must not couple agents: one agent that cannot keep up holds up only the traffic
 * to itself, its senders feel the back-pressure, and replies (which complete asks, not fill
 * mailboxes) are never queued behind anything. Agents are held up with latches the test opens,
 * and "still waiting" is checked after every runnable fiber has had its turns: no sleeps.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Schema, Scope } from "effect"
import { define } from "../../../runtime/agent.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import { star } from "../../../topologies/index.ts"

class Flood extends Schema.TaggedClass<Flood>()("Flood", { seq: Schema.Number }) {}
class Kick extends Schema.TaggedClass<Kick>()("Kick", { count: Schema.Number }) {}
class Stamp extends Schema.TaggedRequest<Stamp>()("Stamp", {
  success: Schema.Number,
  failure: Schema.Never,
  payload: { seq: Schema.Number }
}) {}
/** Asks `to` for a `Stamp` from inside the receive and answers with what came back. */
class AskOther extends Schema.TaggedRequest<AskOther>()("AskOther", {
  success: Schema.Number,
  failure: Schema.Never,
  payload: { to: Schema.String, seq: Schema.Number }
}) {}
class Received extends Schema.TaggedRequest<Received>()("Received", {
  success: Schema.Array(Schema.Number),
  failure: Schema.Never,
  payload: {}
}) {}

/**
 * Records the seq of every `Flood` and `Stamp` it handles, in order, and answers `Stamp` with its
 * seq. Each message waits for `gate` first: a closed gate keeps the agent on its current message.
 */
const Recorder = (gate: Effect.Latch) =>
  define({
    name: "recorder",
    protocol: Schema.Union(Flood, Stamp, AskOther, Received),
    init: () => Effect.succeed<ReadonlyArray<number>>([]),
    receive: (message, seen, ctx) =>
      Effect.zipRight(
        gate.await,
        Effect.suspend((): Effect.Effect<ReadonlyArray<number>, unknown> => {
          switch (message._tag) {
            case "Flood":
              return Effect.succeed([...seen, message.seq])
            case "Stamp":
              return Effect.as(ctx.reply(message, message.seq), [...seen, message.seq])
            case "AskOther":
              return ctx.lookup<Stamp>(message.to).ask(new Stamp({ seq: message.seq })).pipe(
                Effect.flatMap((seq) => ctx.reply(message, seq)),
                Effect.as(seen)
              )
            case "Received":
              return Effect.as(ctx.reply(message, seen), seen)
          }
        })
      )
  })

/**
 * Answers `Stamp` at once and records `Flood`s; on `Kick` it starts, outside its receive, `count`
 * concurrent conversations with `other` (a tell, then an ask) and completes `done` with the answers.
 */
const Peer = (other: string, done: Deferred.Deferred<ReadonlyArray<number>, unknown>) =>
  define({
    name: "peer",
    protocol: Schema.Union(Flood, Stamp, Kick, Received),
    init: () => Effect.succeed<ReadonlyArray<number>>([]),
    receive: (message, seen, ctx) => {
      switch (message._tag) {
        case "Flood":
          return Effect.succeed([...seen, message.seq])
        case "Stamp":
          return Effect.as(ctx.reply(message, message.seq), seen)
        case "Received":
          return Effect.as(ctx.reply(message, seen), seen)
        case "Kick": {
          const peer = ctx.lookup<Flood | Stamp>(other)
          const talk = Effect.forEach(
            seqs(1, message.count),
            (seq) => Effect.zipRight(peer.tell(new Flood({ seq })), peer.ask(new Stamp({ seq }))),
            { concurrency: "unbounded" }
          )
          return Effect.as(Effect.fork(Effect.intoDeferred(talk, done)), seen)
        }
      }
    }
  })

const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
const ascending = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)

/** Gives every fiber that can run a couple of hundred turns: whatever is still waiting after that is held up. */
const letEverythingRun = Effect.repeatN(Effect.yieldNow(), 200)

/** Joins `fiber`, failing the test when it is still waiting after every other fiber has had many turns (it is stuck). */
const finishes = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 20_000 && fiber.unsafePoll() === null; turn++) yield* Effect.yieldNow()
    expect(fiber.unsafePoll(), "still waiting: held up behind another agent, or deadlocked").not.toBeNull()
    return yield* Fiber.join(fiber)
  })

const finishesSoon = <A, E>(effect: Effect.Effect<A, E>) => Effect.flatMap(Effect.fork(effect), finishes)

describe("star: no head-of-line blocking at the hub", () => {
  it.effect("an agent with a full mailbox holds up only its own traffic, and gets every message in order once it catches up", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const gate = yield* Effect.makeLatch(false)
      const stuck = yield* swarm.spawn(Recorder(gate), { name: "stuck", mailbox: { capacity: 1 } })
      const free = yield* swarm.spawn(Recorder(yield* Effect.makeLatch(true)), { name: "free" })

      // More than the stuck agent and its lane can hold between them: the flood has to wait.
      const flood = yield* Effect.fork(Effect.forEach(seqs(1, 20), (seq) => stuck.tell(new Flood({ seq })), { discard: true }))
      yield* letEverythingRun
      expect(flood.unsafePoll()).toBeNull()

      yield* finishesSoon(free.tell(new Flood({ seq: 1 })))
      expect(yield* finishesSoon(free.ask(new Stamp({ seq: 2 })))).toBe(2)
      expect(yield* finishesSoon(free.ask(new Received()))).toEqual([1, 2])
      expect(flood.unsafePoll()).toBeNull()

      yield* gate.open
      yield* finishes(flood)
      expect(yield* finishesSoon(stuck.ask(new Received()))).toEqual(seqs(1, 20))
    }).pipe(Effect.provide(layerInMemory({ topology: star({ hub: "hub", capacity: 2 }) }))))

  it.effect("once the hub's lane to a busy agent is full, that agent's sender waits, and goes on when the agent catches up", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const gate = yield* Effect.makeLatch(false)
      const stuck = yield* swarm.spawn(Recorder(gate), { name: "stuck", mailbox: { capacity: 1 } })
      let told = 0
      const sender = yield* Effect.fork(
        Effect.forEach(seqs(1, 10), (seq) => Effect.tap(stuck.tell(new Flood({ seq })), () => told++), { discard: true })
      )
      yield* letEverythingRun
      expect(sender.unsafePoll()).toBeNull()
      // Accepted: the message being handled, the mailbox (1), the lane (2) and the one the hub is
      // handing over to the agent's mailbox. Nothing beyond that.
      expect(told).toBe(1 + 1 + 2 + 1)
      const waitingAt = told
      yield* letEverythingRun
      expect(told).toBe(waitingAt)
      expect(sender.unsafePoll()).toBeNull()

      yield* gate.open
      yield* finishes(sender)
      expect(told).toBe(10)
      expect(yield* finishesSoon(stuck.ask(new Received()))).toEqual(seqs(1, 10))
    }).pipe(Effect.provide(layerInMemory({ topology: star({ hub: "hub", capacity: 2 }) }))))

  it.effect("a reply to an agent whose mailbox and lane are full of requests still reaches it, and other asks go on", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const open = yield* Effect.makeLatch(true)
      const answerGate = yield* Effect.makeLatch(false)
      const asker = yield* swarm.spawn(Recorder(open), { name: "asker", mailbox: { capacity: 1 } })
      yield* swarm.spawn(Recorder(answerGate), { name: "answerer" })
      const bystander = yield* swarm.spawn(Recorder(open), { name: "bystander" })
      yield* swarm.spawn(Recorder(open), { name: "other" })

      // The asker waits in its receive for the answerer, which holds its answer back for now...
      const conversation = yield* Effect.fork(asker.ask(new AskOther({ to: "answerer", seq: 0 })))
      yield* letEverythingRun
      // ...while requests pile up for the asker: its mailbox, the hub's lane to it, and their senders.
      const requests = yield* Effect.fork(
        Effect.forEach(seqs(1, 10), (seq) => asker.ask(new Stamp({ seq })), { concurrency: "unbounded" })
      )
      yield* letEverythingRun
      expect(requests.unsafePoll()).toBeNull()
      expect(yield* finishesSoon(bystander.ask(new AskOther({ to: "other", seq: 5 })))).toBe(5)

      // The answer has to pass the hub to the asker although everything else for the asker waits.
      yield* answerGate.open
      expect(yield* finishes(conversation)).toBe(0)
      expect(ascending(yield* finishes(requests))).toEqual(seqs(1, 10))
    }).pipe(Effect.provide(layerInMemory({ topology: star({ hub: "hub", capacity: 2 }) }))))

  it.effect("two agents holding many conversations with each other through the hub do not deadlock", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const pDone = yield* Deferred.make<ReadonlyArray<number>, unknown>()
      const qDone = yield* Deferred.make<ReadonlyArray<number>, unknown>()
      const p = yield* swarm.spawn(Peer("q", pDone), { name: "p", mailbox: { capacity: 1 } })
      const q = yield* swarm.spawn(Peer("p", qDone), { name: "q", mailbox: { capacity: 1 } })

      yield* p.tell(new Kick({ count: 50 }))
      yield* q.tell(new Kick({ count: 50 }))
      expect(yield* finishesSoon(Deferred.await(pDone))).toEqual(seqs(1, 50))
      expect(yield* finishesSoon(Deferred.await(qDone))).toEqual(seqs(1, 50))
      expect(ascending(yield* finishesSoon(p.ask(new Received())))).toEqual(seqs(1, 50))
      expect(ascending(yield* finishesSoon(q.ask(new Received())))).toEqual(seqs(1, 50))
    }).pipe(Effect.provide(layerInMemory({ topology: star({ hub: "hub", capacity: 2 }) }))))

  it.effect("an agent waiting in its receive for a reply gets it even when the replier first fills its mailbox", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      // Tells the asker three notes before it replies: more than the asker's mailbox holds while it waits.
      const Chatty = define({
        name: "chatty",
        protocol: Stamp,
        init: () => Effect.void,
        receive: (stamp, _, ctx) => {
          const asker = ctx.lookup<Flood>(ctx.envelope!.from)
          return Effect.zipRight(
            Effect.forEach(seqs(1, 3), (seq) => asker.tell(new Flood({ seq })), { discard: true }),
            ctx.reply(stamp, stamp.seq)
          )
        }
      })
      const p = yield* swarm.spawn(Recorder(yield* Effect.makeLatch(true)), { name: "p", mailbox: { capacity: 1 } })
      yield* swarm.spawn(Chatty, { name: "q" })

      expect(yield* finishesSoon(p.ask(new AskOther({ to: "q", seq: 9 })))).toBe(9)
      expect(yield* finishesSoon(p.ask(new Received()))).toEqual([1, 2, 3])
    }).pipe(Effect.provide(layerInMemory({ topology: star({ hub: "hub" }) }))))

  it.effect("a swarm still shuts down when an agent's finalizer was the first to send to someone through the hub", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const swarm = Context.get(yield* Layer.buildWithScope(layerInMemory({ topology: star({ hub: "hub" }) }), scope), Swarm)
      const b = yield* swarm.spawn(Recorder(yield* Effect.makeLatch(true)), { name: "b" })
      // Finalizers run uninterruptibly: the hub's lane to `b` is opened from one.
      const leaver = yield* swarm.spawn(define({
        name: "leaver",
        protocol: Flood,
        init: (ctx) => Effect.addFinalizer(() => ctx.lookup<Flood>("b").tell(new Flood({ seq: 1 }))),
        receive: () => Effect.void
      }))
      yield* leaver.stop
      expect(yield* finishesSoon(b.ask(new Received()))).toEqual([1])
      yield* finishesSoon(Scope.close(scope, Exit.void))
    }))
})
