/**
 * Akka's timers (messages to self through the mailbox, keyed, cancelled with the incarnation) and
 * death watch (a `Terminated` when a watched agent stops for good; a restart is not an end).
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Schema, TestClock } from "effect"
import { define, Terminated } from "../../../runtime/agent.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import { Crash, Quit, Worker } from "./fixtures.ts"

class Every extends Schema.TaggedClass<Every>()("Every", { key: Schema.String, ms: Schema.Number }) {}
class After extends Schema.TaggedClass<After>()("After", { key: Schema.String, ms: Schema.Number, label: Schema.String }) {}
class Tick extends Schema.TaggedClass<Tick>()("Tick", { label: Schema.String }) {}
class Cancel extends Schema.TaggedClass<Cancel>()("Cancel", { key: Schema.String }) {}
/** Waits for the test's gate, then cancels the timer `key`: ticks queued meanwhile must not arrive. */
class BusyThenCancel extends Schema.TaggedClass<BusyThenCancel>()("BusyThenCancel", { key: Schema.String }) {}
class Seen extends Schema.TaggedRequest<Seen>()("Seen", {
  success: Schema.Struct({ seen: Schema.Array(Schema.String), active: Schema.Boolean }),
  failure: Schema.Never,
  payload: { key: Schema.String }
}) {}

const settle = Effect.repeat(Effect.yieldNow(), { times: 20 })

const makeTimed = Effect.map(Deferred.make<void>(), (gate) => ({
  gate,
  definition: define({
    name: "timed",
    protocol: Schema.Union(Every, After, Tick, Cancel, BusyThenCancel, Seen, Crash),
    init: () => Effect.succeed<ReadonlyArray<string>>([]),
    receive: (message, seen, ctx) => {
      switch (message._tag) {
        case "Every":
          return Effect.as(ctx.startTimer(message.key, new Tick({ label: message.key }), { interval: `${message.ms} millis` }), seen)
        case "After":
          return Effect.as(ctx.startTimer(message.key, new Tick({ label: message.label }), { delay: `${message.ms} millis` }), seen)
        case "Tick":
          return Effect.succeed([...seen, message.label])
        case "Cancel":
          return Effect.as(ctx.cancelTimer(message.key), seen)
        case "BusyThenCancel":
          return Effect.as(Effect.zipRight(Deferred.await(gate), ctx.cancelTimer(message.key)), seen)
        case "Seen":
          return Effect.flatMap(ctx.isTimerActive(message.key), (active) => Effect.as(ctx.reply(message, { seen, active }), seen))
        case "Crash":
          return Effect.die("crash on purpose")
      }
    }
  })
}))

describe("timers", () => {
  it.effect("a delayed timer delivers once through the mailbox; the same key replaces it", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const { definition } = yield* makeTimed
      const timed = yield* swarm.spawn(definition)
      yield* timed.tell(new After({ key: "k", ms: 5000, label: "first" }))
      yield* timed.tell(new After({ key: "k", ms: 1000, label: "second" }))
      yield* settle
      expect(yield* timed.ask(new Seen({ key: "k" }))).toEqual({ seen: [], active: true })
      yield* TestClock.adjust("999 millis")
      expect((yield* timed.ask(new Seen({ key: "k" }))).seen).toEqual([])
      yield* TestClock.adjust("1 milli")
      yield* settle
      expect(yield* timed.ask(new Seen({ key: "k" }))).toEqual({ seen: ["second"], active: false })
      yield* TestClock.adjust("10 seconds")
      expect((yield* timed.ask(new Seen({ key: "k" }))).seen).toEqual(["second"])
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("an interval timer repeats until cancelled, and a tick queued before the cancel is not received", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const { definition, gate } = yield* makeTimed
      const timed = yield* swarm.spawn(definition)
      yield* timed.tell(new Every({ key: "tick", ms: 1000 }))
      yield* settle
      for (let i = 0; i < 3; i++) {
        yield* TestClock.adjust("1 second")
        yield* settle
      }
      expect((yield* timed.ask(new Seen({ key: "tick" }))).seen).toEqual(["tick", "tick", "tick"])
      // Busy while the fourth tick is queued; the cancel comes before that tick is taken.
      yield* timed.tell(new BusyThenCancel({ key: "tick" }))
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* settle
      yield* Deferred.succeed(gate, undefined)
      yield* TestClock.adjust("5 seconds")
      expect(yield* timed.ask(new Seen({ key: "tick" }))).toEqual({ seen: ["tick", "tick", "tick"], active: false })
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("a restart cancels the incarnation's timers, queued ticks included", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const { definition } = yield* makeTimed
      const timed = yield* swarm.spawn(definition)
      yield* timed.tell(new Every({ key: "tick", ms: 1000 }))
      yield* settle
      // The crash is queued before a tick fires, so that tick waits behind it.
      yield* timed.tell(new Crash())
      yield* TestClock.adjust("1 second")
      yield* settle
      yield* TestClock.adjust("5 seconds")
      expect(yield* timed.ask(new Seen({ key: "tick" }))).toEqual({ seen: [], active: false })
    }).pipe(Effect.provide(layerInMemory())))
})

class WatchIt extends Schema.TaggedClass<WatchIt>()("WatchIt", { agent: Schema.String }) {}
class UnwatchIt extends Schema.TaggedClass<UnwatchIt>()("UnwatchIt", { agent: Schema.String }) {}
class Heard extends Schema.TaggedRequest<Heard>()("Heard", { success: Schema.Array(Schema.String), failure: Schema.Never, payload: {} }) {}

const Watcher = define({
  name: "watcher",
  protocol: Schema.Union(WatchIt, UnwatchIt, Terminated, Heard),
  init: () => Effect.succeed<ReadonlyArray<string>>([]),
  receive: (message, heard, ctx) => {
    switch (message._tag) {
      case "WatchIt":
        return Effect.as(ctx.watch(message.agent), heard)
      case "UnwatchIt":
        return Effect.as(ctx.unwatch(message.agent), heard)
      case "Terminated":
        return Effect.succeed([...heard, `${message.agent}:${message.reason}`])
      case "Heard":
        return Effect.as(ctx.reply(message, heard), heard)
    }
  }
})

describe("watching another agent", () => {
  it.effect("a watcher hears when the watched agent stops for good, and why; a restart is not an end", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const watcher = yield* swarm.spawn(Watcher)
      yield* swarm.spawn(Worker, { name: "phoenix" })
      yield* swarm.spawn(Worker, { name: "leaver", restart: "transient" })
      const stopped = yield* swarm.spawn(Worker, { name: "stopped" })
      for (const agent of ["phoenix", "leaver", "stopped", "ghost"]) yield* watcher.tell(new WatchIt({ agent }))
      yield* settle
      yield* swarm.tell("phoenix", new Crash())
      yield* swarm.tell("leaver", new Quit())
      yield* stopped.stop
      yield* settle
      expect((yield* watcher.ask(new Heard())).slice().sort()).toEqual(["ghost:no-such-agent", "leaver:normal", "stopped:terminated"])
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("unwatch ends it, and so does the watcher's restart", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const watcher = yield* swarm.spawn(
        define({
          ...Watcher,
          protocol: Schema.Union(WatchIt, UnwatchIt, Terminated, Heard, Crash),
          receive: (m, h, ctx) => (m._tag === "Crash" ? Effect.die("crash") : Watcher.receive(m, h, ctx))
        })
      )
      const a = yield* swarm.spawn(Worker, { name: "a" })
      const b = yield* swarm.spawn(Worker, { name: "b" })
      yield* watcher.tell(new WatchIt({ agent: "a" }))
      yield* watcher.tell(new UnwatchIt({ agent: "a" }))
      yield* watcher.tell(new WatchIt({ agent: "b" }))
      yield* settle
      yield* watcher.tell(new Crash())
      yield* settle
      yield* a.stop
      yield* b.stop
      yield* settle
      expect(yield* watcher.ask(new Heard())).toEqual([])
    }).pipe(Effect.provide(layerInMemory())))
})
