/**
 * An ask an agent has received and keeps for a later reply (as the renderer keeps a Render until its
 * segments are in) is answered by that incarnation or by nobody: when the incarnation ends without
 * replying (its supervisor escalated, it crashed, it was stopped) the asker gets a typed failure at
 * once, not after its ask timeout. The asks here have a timeout of a day and the test clock never
 * moves, so only that failure can end them.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Schema } from "effect"
import { AgentCrashedError, define } from "../../../runtime/agent.ts"
import { child, supervisor } from "../../../runtime/supervisor.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import { Crash, eventsUntil, is, Worker } from "./fixtures.ts"

class Hold extends Schema.TaggedRequest<Hold>()("Hold", { success: Schema.String, failure: Schema.Never, payload: {} }) {}
class Ping extends Schema.TaggedRequest<Ping>()("Ping", { success: Schema.Number, failure: Schema.Never, payload: {} }) {}

/** Keeps every `Hold` it is asked without answering it; answers `Ping` with how many it holds; crashes on `Crash`. */
const Holder = define({
  name: "holder",
  protocol: Schema.Union(Hold, Ping, Crash),
  init: () => Effect.succeed<ReadonlyArray<Hold>>([]),
  receive: (message, held, ctx) => {
    switch (message._tag) {
      case "Crash":
        return Effect.die(new Error("crash on purpose"))
      case "Ping":
        return Effect.as(ctx.reply(message, held.length), held)
      case "Hold":
        return Effect.succeed([...held, message])
    }
  }
})

const aDay = { timeout: "1 day" } as const

/** Asks `Hold` of the holder and waits until the holder has it (its ask is owed, not queued). */
const holdOne = Effect.gen(function*() {
  const swarm = yield* Swarm
  const asking = yield* Effect.fork(swarm.ask("holder", new Hold(), aDay))
  // One mailbox, in order: once Ping is answered, the Hold before it is held.
  for (let held = 0; held === 0;) held = yield* swarm.ask("holder", new Ping())
  return asking
})

describe("an ask owed by an agent that ends without replying", () => {
  it.effect("fails with AgentCrashedError naming the escalation when the root supervisor gives up", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Holder)
      yield* swarm.spawn(Worker)
      const asking = yield* holdOne
      const escalated = yield* eventsUntil(swarm, is("escalated", "swarm"))
      yield* swarm.tell("worker", new Crash())
      yield* swarm.tell("worker", new Crash())
      yield* escalated
      const error = yield* Effect.flip(Fiber.join(asking))
      expect(error).toBeInstanceOf(AgentCrashedError)
      expect(error).toMatchObject({ agent: "holder", tag: "Hold", reason: "interrupted" })
      expect(error.message).toContain("swarm gave up: worker exceeded 1 restarts")
      expect(error.message).toContain("crash on purpose")
    }).pipe(Effect.scoped, Effect.provide(layerInMemory({ root: { intensity: 1, period: "10 seconds" } }))))

  it.effect("fails at once when the agent's own supervisor escalates, while the swarm goes on", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawnSupervisor(
        supervisor({ name: "team", intensity: 1, restart: "temporary", children: [child(Holder), child(Worker)] })
      )
      const asking = yield* holdOne
      const escalated = yield* eventsUntil(swarm, is("escalated", "team"))
      yield* swarm.tell("worker", new Crash())
      yield* swarm.tell("worker", new Crash())
      yield* escalated
      const error = yield* Effect.flip(Fiber.join(asking))
      expect(error).toMatchObject({ _tag: "AgentCrashedError", agent: "holder", tag: "Hold" })
      expect(error.message).toContain("team gave up")
      // The root did not escalate: the swarm still answers.
      expect(yield* swarm.whichChildren()).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("fails with the crash when the agent crashes on a later message and restarts", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Holder)
      const asking = yield* holdOne
      const restarted = yield* eventsUntil(swarm, is("restarted", "holder"))
      yield* swarm.tell("holder", new Crash())
      yield* restarted
      const error = yield* Effect.flip(Fiber.join(asking))
      expect(error).toMatchObject({ _tag: "AgentCrashedError", agent: "holder", tag: "Hold", reason: "crashed" })
      expect(error.message).toContain("crash on purpose")
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("fails when the agent is terminated through its supervisor", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Holder)
      const asking = yield* holdOne
      yield* swarm.terminateChild("holder")
      const error = yield* Effect.flip(Fiber.join(asking))
      expect(error).toMatchObject({ _tag: "AgentCrashedError", agent: "holder", tag: "Hold", reason: "interrupted" })
      expect(error.message).toContain("terminated")
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))
})
