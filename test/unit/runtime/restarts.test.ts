/**
 * OTP's rules for stopping and restarting children: shutdown (timeout, brutal_kill, infinity),
 * restarts that wait without blocking the supervisor, events that tell the truth, the intensity
 * window, and a root that gives up saying so.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schedule, Schema, TestClock } from "effect"
import { AgentCrashedError, define } from "../../../runtime/agent.ts"
import { createSwarm } from "../../../runtime/promise.ts"
import { child, supervisor } from "../../../runtime/supervisor.ts"
import { layerInMemory, Swarm, SwarmStoppedError } from "../../../runtime/swarm.ts"
import { Crash, eventsUntil, Hello, is, Note, Worker } from "./fixtures.ts"

class Block extends Schema.TaggedRequest<Block>()("Block", { success: Schema.String, failure: Schema.Never, payload: {} }) {}

/**
 * Counts its incarnations. `Block` waits for the gate of the incarnation handling it (the first
 * incarnation uninterruptibly, like work that ignores interruption), then answers with that
 * incarnation's number; the first incarnation's finalizer waits for `finalizerGate`.
 */
const makeStubborn = Effect.gen(function*() {
  const finalizerGate = yield* Deferred.make<void>()
  const gates = [yield* Deferred.make<void>(), yield* Deferred.make<void>(), yield* Deferred.make<void>()]
  let incarnations = 0
  const Stubborn = define({
    name: "stubborn",
    protocol: Schema.Union(Block, Hello, Crash),
    init: () =>
      Effect.gen(function*() {
        const n = ++incarnations
        if (n === 1) yield* Effect.addFinalizer(() => Deferred.await(finalizerGate))
        return n
      }),
    receive: (message, n, ctx) => {
      switch (message._tag) {
        case "Block": {
          const wait = Deferred.await(gates[n - 1]!)
          return Effect.as(Effect.zipRight(n === 1 ? Effect.uninterruptible(wait) : wait, ctx.reply(message, `done-${n}`)), n)
        }
        case "Hello":
          return Effect.as(ctx.reply(message, { name: ctx.name, notes: [String(n)] }), n)
        case "Crash":
          return Effect.die("crash on purpose")
      }
    }
  })
  return { Stubborn, finalizerGate, gates }
})

const settle = Effect.repeat(Effect.yieldNow(), { times: 20 })

describe("shutdown means killed", () => {
  it.effect("a child that outlives its shutdown timeout is killed, and its late exit cannot touch the next incarnation", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const { finalizerGate, gates, Stubborn } = yield* makeStubborn
      yield* swarm.spawnSupervisor(supervisor({
        name: "team",
        strategy: "one-for-all",
        children: [child(Stubborn, { shutdownTimeout: "2 seconds" }), child(Worker, { name: "trigger" })]
      }))
      // The first incarnation is in the middle of a message when its supervisor stops it.
      const first = yield* Effect.fork(Effect.flip(swarm.ask("stubborn", new Block())))
      yield* settle
      const restarted = yield* eventsUntil(swarm, is("restarted", "trigger"))
      yield* swarm.tell("trigger", new Crash())
      yield* settle
      // Its finalizer hangs; the supervisor waits two seconds (on the clock), then kills it.
      yield* TestClock.adjust("2 seconds")
      const events = yield* restarted
      expect(yield* Fiber.join(first)).toBeInstanceOf(AgentCrashedError)
      expect(events.filter(is("stopped", "stubborn"))[0]!.data).toMatchObject({
        reason: "restarting",
        killed: true,
        shutdownTimedOut: true
      })

      // The next incarnation is busy with a message of its own, another queued behind it, when the
      // old one's work and finalizer finally end.
      const second = yield* Effect.fork(swarm.ask("stubborn", new Block()))
      const queued = yield* Effect.fork(swarm.ask("stubborn", new Hello()))
      yield* settle
      yield* Deferred.succeed(gates[0]!, undefined)
      yield* Deferred.succeed(finalizerGate, undefined)
      yield* settle
      expect(queued.unsafePoll()).toBeNull()
      yield* Deferred.succeed(gates[1]!, undefined)
      expect(yield* Fiber.join(second)).toBe("done-2")
      expect(yield* Fiber.join(queued)).toEqual({ name: "stubborn", notes: ["2"] })
      // One dead letter, the message the killed incarnation had in hand; its late reply is not sent.
      const deadLetters = (yield* swarm.events.since(0)).filter((e) => e.type === "dead-letter" && e.data?.tag !== "Crash")
      expect(deadLetters.map((e) => [e.agent, e.data?.reason, e.data?.tag, e.data?.cause])).toEqual([
        ["stubborn", "interrupted", "Block", "killed"]
      ])
      expect(yield* swarm.ask("stubborn", new Hello())).toEqual({ name: "stubborn", notes: ["2"] })
      expect((yield* swarm.whichChildren("team")).map((c) => [c.name, c.incarnation])).toEqual([["stubborn", 2], ["trigger", 2]])
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("brutal_kill stops a child at once, whatever its finalizers do", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const ref = yield* swarm.spawn(
        { ...Worker, init: () => Effect.as(Effect.addFinalizer(() => Effect.never), []) },
        { name: "doomed", shutdownTimeout: "brutal_kill" }
      )
      // No clock advance: the stop returns without waiting for the finalizer that never ends.
      yield* ref.stop
      const stopped = (yield* swarm.events.since(0)).filter(is("stopped", "doomed"))
      expect(stopped[0]!.data).toMatchObject({ reason: "terminated", killed: true })
      expect(stopped[0]!.data).not.toHaveProperty("shutdownTimedOut")
      expect(yield* swarm.lookup("doomed")).toMatchObject({ _tag: "None" })
      // The name is free for a new agent at once.
      expect(yield* (yield* swarm.spawn(Worker, { name: "doomed" })).ask(new Hello())).toEqual({ name: "doomed", notes: [] })
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("infinity waits for the finalizers however long they take; supervisors default to it", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      expect(supervisor({ name: "any" }).shutdownTimeout).toBe("infinity")
      const team = yield* swarm.spawnSupervisor(supervisor({
        name: "team",
        children: [child({ ...Worker, init: () => Effect.as(Effect.addFinalizer(() => Effect.sleep("1 hour")), []) }, {
          name: "careful",
          shutdownTimeout: "infinity"
        })]
      }))
      const stopping = yield* Effect.fork(team.stop)
      yield* settle
      yield* TestClock.adjust("59 minutes")
      expect(stopping.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(stopping)
      const stopped = (yield* swarm.events.since(0)).filter((e) => e.type === "stopped")
      expect(stopped.map((e) => [e.agent, e.data?.killed ?? false])).toEqual([["careful", false], ["team", false]])
    }).pipe(Effect.provide(layerInMemory())))
})

describe("restarts", () => {
  it.effect("while a child waits out its backoff, the supervisor answers, starts, stops and restarts others", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const team = yield* swarm.spawnSupervisor(supervisor({
        name: "team",
        intensity: 10,
        backoff: Schedule.spaced("10 seconds"),
        children: [child(Worker, { name: "a" }), child(Worker, { name: "b" })]
      }))
      yield* swarm.tell("a", new Crash())
      yield* settle
      expect((yield* team.whichChildren).map((c) => [c.name, c.state])).toEqual([["a", "restarting"], ["b", "running"]])
      // Messages sent meanwhile wait in a's mailbox.
      yield* swarm.tell("a", new Note({ text: "while down" }))
      const c = yield* team.spawn(Worker, { name: "c" })
      yield* team.terminateChild("b")
      expect(yield* team.children).toEqual(["a", "c"])
      expect(yield* c.ask(new Hello())).toEqual({ name: "c", notes: [] })
      yield* TestClock.adjust("10 seconds")
      expect(yield* swarm.ask("a", new Hello())).toEqual({ name: "a", notes: ["while down"] })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect.each(["one-for-one", "one-for-all"] as const)(
    "%s: a restart whose init fails publishes restart-failed, and restarted only once an init succeeds",
    (strategy) =>
      Effect.gen(function*() {
        const swarm = yield* Swarm
        let starts = 0
        // Starts, then fails its first two restarts, then starts again.
        const Flaky = define({
          ...Worker,
          name: "flaky",
          init: () => Effect.suspend(() => (++starts === 2 || starts === 3 ? Effect.fail(`init failure ${starts}`) : Effect.succeed([])))
        })
        yield* swarm.spawnSupervisor(supervisor({ name: "team", strategy, intensity: 5, children: [child(Flaky)] }))
        const restarted = yield* eventsUntil(swarm, is("restarted", "flaky"))
        yield* swarm.tell("flaky", new Crash())
        const events = (yield* restarted).filter((e) => e.agent === "flaky" && e.type !== "dead-letter")
        expect(events.map((e) => e.type)).toEqual(["restart-failed", "restart-failed", "restarted"])
        expect(events[0]!.data).toMatchObject({ cause: "init failure 2" })
        expect(starts).toBe(4)
        expect(yield* swarm.ask("flaky", new Hello())).toEqual({ name: "flaky", notes: [] })
      }).pipe(Effect.scoped, Effect.provide(layerInMemory()))
  )

  it.effect("restarts that keep failing end in escalation, not a loop", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      let starts = 0
      const Doomed = define({
        ...Worker,
        name: "doomed",
        init: () => Effect.suspend(() => (++starts === 1 ? Effect.succeed([]) : Effect.fail("no")))
      })
      yield* swarm.spawnSupervisor(supervisor({ name: "team", intensity: 2, restart: "temporary", children: [child(Doomed)] }))
      const escalated = yield* eventsUntil(swarm, is("escalated", "team"))
      yield* swarm.tell("doomed", new Crash())
      const events = yield* escalated
      expect(events.filter(is("restart-failed", "doomed"))).toHaveLength(2)
      expect(events.filter(is("restarted", "doomed"))).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("the intensity window keeps a restart exactly one period old (R >= now - period)", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawnSupervisor(
        supervisor({ name: "team", intensity: 1, period: "10 seconds", children: [child(Worker, { name: "b" })] })
      )
      const first = yield* eventsUntil(swarm, is("restarted", "b"))
      yield* swarm.tell("b", new Crash())
      yield* first
      yield* TestClock.adjust("10 seconds")
      const second = yield* eventsUntil(swarm, (e) => e.type === "escalated" || (e.type === "restarted" && e.agent === "b"))
      yield* swarm.tell("b", new Crash())
      expect((yield* second).at(-1)).toMatchObject({ type: "escalated", agent: "team" })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))
})

describe("exit reasons", () => {
  it.effect.each(
    [
      { restart: "transient", exit: "shutdown", restarted: false },
      { restart: "transient", exit: "shutdown(done)", restarted: false },
      { restart: "transient", exit: "normal", restarted: false },
      { restart: "permanent", exit: "shutdown(done)", restarted: true }
    ] as const
  )("a $restart agent ending with $exit is restarted: $restarted", ({ exit, restart, restarted }) =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      class End extends Schema.TaggedClass<End>()("End", {}) {}
      const Ending = define({
        name: "ending",
        protocol: Schema.Union(End, Hello),
        init: () => Effect.void,
        receive: (message, state, ctx) =>
          message._tag === "Hello"
            ? Effect.as(ctx.reply(message, { name: ctx.name, notes: [] }), state)
            : exit === "normal"
            ? ctx.stop
            : ctx.shutdown(exit === "shutdown" ? undefined : "done")
      })
      yield* swarm.spawn(Ending, { restart })
      const ended = yield* eventsUntil(swarm, (e) => e.agent === "ending" && (e.type === "stopped" || e.type === "restarted"))
      yield* swarm.tell("ending", new End())
      const last = (yield* ended).at(-1)!
      expect(last.type).toBe(restarted ? "restarted" : "stopped")
      expect(last.data).toMatchObject({ reason: exit })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))
})

describe("the root giving up", () => {
  it.effect("is an escalated event and a typed failure on every later call", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Worker)
      const escalated = yield* eventsUntil(swarm, is("escalated", "swarm"))
      yield* swarm.tell("worker", new Crash())
      yield* swarm.tell("worker", new Crash())
      yield* escalated
      yield* settle
      const failures = [
        yield* Effect.flip(swarm.tell("worker", new Note({ text: "x" }))),
        yield* Effect.flip(swarm.ask("worker", new Hello())),
        yield* Effect.flip(swarm.spawn(Worker, { name: "another" })),
        yield* Effect.flip(swarm.lookup("worker")),
        yield* Effect.flip(swarm.agents),
        yield* Effect.flip(swarm.whichChildren())
      ]
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(SwarmStoppedError)
        expect(failure).toMatchObject({ reason: "escalated" })
      }
      expect(failures[0]!.message).toContain("escalated")
      yield* swarm.shutdown
    }).pipe(Effect.scoped, Effect.provide(layerInMemory({ root: { intensity: 1, period: "10 seconds" } }))))

  it("the Promise facade's calls reject with SwarmStoppedError", async () => {
    const swarm = await createSwarm({ root: { intensity: 0 } })
    try {
      const worker = await swarm.spawn(Worker)
      const escalated = new Promise<void>((resolve) => {
        void swarm.subscribe((event) => event.type === "escalated" && resolve())
      })
      await worker.tell(new Crash())
      await escalated
      await expect(swarm.ask("worker", new Hello())).rejects.toMatchObject({ _tag: "SwarmStoppedError", reason: "escalated" })
      await expect(swarm.spawn(Worker, { name: "again" })).rejects.toBeInstanceOf(SwarmStoppedError)
      await expect(swarm.agents()).rejects.toBeInstanceOf(SwarmStoppedError)
    } finally {
      await swarm.shutdown()
    }
  })
})
