import { describe, expect, it } from "@effect/vitest"
import { Effect, Schedule, TestClock } from "effect"
import type { RestartType } from "../../../runtime/agent.ts"
import { child, pool, type Strategy, supervisor } from "../../../runtime/supervisor.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import { Crash, eventsUntil, Hello, is, names, Quit, Worker } from "./fixtures.ts"

/** OTP: whether a child that ended is restarted, by restart type and how it ended. */
const restarts: Record<RestartType, Record<"normal" | "abnormal", boolean>> = {
  permanent: { normal: true, abnormal: true },
  transient: { normal: false, abnormal: true },
  temporary: { normal: false, abnormal: false }
}

/**
 * Three children started in order a, b, c (a pool's workers are sup-1, sup-2, sup-3); b ends. What each
 * strategy stops (in this order) and restarts (in this order) when b is restarted.
 */
const strategies: Record<Strategy, { readonly stopped: ReadonlyArray<string>; readonly restarted: ReadonlyArray<string> }> = {
  "one-for-one": { stopped: [], restarted: ["b"] },
  "one-for-all": { stopped: ["c", "a"], restarted: ["a", "b", "c"] },
  "rest-for-one": { stopped: ["c"], restarted: ["b", "c"] },
  "simple-one-for-one": { stopped: [], restarted: ["b"] }
}

const poolNames: Record<string, string> = { a: "sup-1", b: "sup-2", c: "sup-3" }

/** The supervisor under test: children a, b (restart type under test), c; for pools all three share b's type. */
const underTest = (strategy: Strategy, restart: RestartType, intensity: number) =>
  strategy === "simple-one-for-one"
    ? pool({ name: "sup", agent: Worker, size: 3, intensity, worker: { restart } })
    : supervisor({
      name: "sup",
      strategy,
      intensity,
      period: "10 seconds",
      children: [child(Worker, { name: "a" }), child(Worker, { name: "b", restart }), child(Worker, { name: "c" })]
    })

const rows = (Object.keys(strategies) as Array<Strategy>).flatMap((strategy) =>
  (Object.keys(restarts) as Array<RestartType>).flatMap((restart) =>
    (["normal", "abnormal"] as const).map((exit) => ({ strategy, restart, exit }))
  )
)

describe("supervision semantics", () => {
  it.effect.each(rows)("$strategy, $restart child, $exit exit", ({ exit, restart, strategy }) =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const name = (n: string) => (strategy === "simple-one-for-one" ? poolNames[n]! : n)
      const sup = yield* swarm.spawnSupervisor(underTest(strategy, restart, 5))
      const restarted = restarts[restart][exit]
      const expected = restarted ? strategies[strategy] : { stopped: [], restarted: [] }
      const last = restarted ? is("restarted", name(expected.restarted.at(-1)!)) : is("stopped", name("b"))
      const seen = yield* eventsUntil(swarm, last)

      yield* swarm.tell(name("b"), exit === "normal" ? new Quit() : new Crash())
      const events = yield* seen

      expect(names(events, "restarted")).toEqual(expected.restarted.map(name))
      expect(names(events, "stopped")).toEqual(restarted ? expected.stopped.map(name) : [name("b")])
      expect(yield* sup.children).toEqual(restarted ? ["a", "b", "c"].map(name) : ["a", "c"].map(name))
      if (restarted) {
        // The restarted child is a working agent again.
        const reply = yield* swarm.ask(name("b"), new Hello())
        expect(reply.name).toBe(name("b"))
      }
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect.each(Object.keys(strategies) as Array<Strategy>)(
    "%s: more restarts than the intensity stops the children in reverse start order and escalates to the parent",
    (strategy) =>
      Effect.gen(function*() {
        const swarm = yield* Swarm
        const name = (n: string) => (strategy === "simple-one-for-one" ? poolNames[n]! : n)
        const sup = yield* swarm.spawnSupervisor(underTest(strategy, "permanent", 1))
        const firstRestart = yield* eventsUntil(swarm, is("restarted", name(strategies[strategy].restarted.at(-1)!)))
        yield* swarm.tell(name("b"), new Crash())
        yield* firstRestart

        const escalation = yield* eventsUntil(swarm, is("restarted", "sup"))
        yield* swarm.tell(name("b"), new Crash())
        const events = yield* escalation

        const escalated = events.findIndex(is("escalated", "sup"))
        expect(escalated).toBeGreaterThan(0)
        // b is already dead; the others are stopped newest first, all before the escalation.
        expect(names(events.slice(0, escalated), "stopped")).toEqual(["c", "a"].map(name))
        expect(events[escalated]!.data).toMatchObject({ child: name("b"), intensity: 1 })
        // The parent (the swarm's root, one-for-one) restarted the supervisor, which started fresh children.
        const reply = yield* swarm.ask(name("b"), new Hello())
        expect(reply).toEqual({ name: name("b"), notes: [] })
        // The ref follows the supervisor's new incarnation.
        expect(yield* sup.children).toEqual(["a", "b", "c"].map(name))
      }).pipe(Effect.scoped, Effect.provide(layerInMemory()))
  )

  it.effect("a pool grows on demand, and its new workers are supervised like the first ones", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const workers = yield* swarm.spawnSupervisor(pool({ name: "pool", agent: Worker, size: 2 }))
      const added = yield* workers.spawn(Worker)
      expect(added.name).toBe("pool-3")
      expect(yield* workers.children).toEqual(["pool-1", "pool-2", "pool-3"])
      const restarted = yield* eventsUntil(swarm, is("restarted", "pool-3"))
      yield* added.tell(new Crash())
      expect(names(yield* restarted, "restarted")).toEqual(["pool-3"])
      expect(yield* added.ask(new Hello())).toEqual({ name: "pool-3", notes: [] })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("restarts spread wider than the period do not add up to the intensity", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawnSupervisor(underTest("one-for-one", "permanent", 1))
      for (let round = 0; round < 3; round++) {
        const restarted = yield* eventsUntil(swarm, (e) => e.type === "restarted" || e.type === "escalated")
        yield* swarm.tell("b", new Crash())
        const events = yield* restarted
        expect(events.at(-1)).toMatchObject({ type: "restarted", agent: "b" })
        yield* TestClock.adjust("11 seconds")
      }
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("the backoff schedule delays a restart on the clock", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawnSupervisor(
        supervisor({ name: "slow", backoff: Schedule.spaced("1 second"), children: [child(Worker, { name: "b" })] })
      )
      const restarted = yield* eventsUntil(swarm, is("restarted", "b"))
      const crashed = yield* eventsUntil(swarm, (e) => e.type === "dead-letter")
      yield* swarm.tell("b", new Crash())
      yield* crashed
      yield* TestClock.adjust("999 millis")
      expect((yield* swarm.events.since(0)).filter(is("restarted", "b"))).toEqual([])
      yield* TestClock.adjust("1 milli")
      expect(names(yield* restarted, "restarted")).toEqual(["b"])
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("a child whose finalizer hangs is abandoned after its shutdown timeout", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const ref = yield* swarm.spawn(
        {
          ...Worker,
          init: () => Effect.as(Effect.addFinalizer(() => Effect.never), [])
        },
        { name: "stubborn", shutdownTimeout: "2 seconds" }
      )
      const stopped = yield* eventsUntil(swarm, is("stopped", "stubborn"))
      const stopping = yield* Effect.fork(ref.stop)
      yield* TestClock.adjust("2 seconds")
      yield* stopping.await
      const [event] = (yield* stopped).filter(is("stopped", "stubborn"))
      expect(event!.data).toMatchObject({ reason: "terminated", shutdownTimedOut: true })
      expect(yield* swarm.lookup("stubborn")).toMatchObject({ _tag: "None" })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))
})
