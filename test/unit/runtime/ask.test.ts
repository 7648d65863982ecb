/**
 * Akka's ask: each ask gets the reply to its own request (matched by correlation id), a reply that
 * comes after its ask timed out is a dead letter, and no ask outlives the system.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schema, TestClock } from "effect"
import { AskTimeoutError, define, UndeliveredError } from "../../../runtime/agent.ts"
import { createSwarm } from "../../../runtime/promise.ts"
import { layerInMemory, Swarm, SwarmStoppedError } from "../../../runtime/swarm.ts"
import { star } from "../../../topologies/star.ts"

class Who extends Schema.TaggedRequest<Who>()("Who", { success: Schema.String, failure: Schema.Never, payload: {} }) {}
class Hold extends Schema.TaggedRequest<Hold>()("Hold", { success: Schema.String, failure: Schema.Never, payload: {} }) {}
class Release extends Schema.TaggedClass<Release>()("Release", {}) {}

/** Answers `Who` with its name; keeps every `Hold` and answers them all, with its name, on `Release`. */
const Named = define({
  name: "named",
  protocol: Schema.Union(Who, Hold, Release),
  init: () => Effect.succeed<ReadonlyArray<Hold>>([]),
  receive: (message, held, ctx) => {
    switch (message._tag) {
      case "Who":
        return Effect.as(ctx.reply(message, ctx.name), held)
      case "Hold":
        return Effect.succeed([...held, message])
      case "Release":
        return Effect.as(Effect.forEach(held, (request) => ctx.reply(request, ctx.name)), [])
    }
  }
})

const modes = [
  { mode: "strict", strict: true },
  { mode: "non-strict (values passed as they are)", strict: false }
] as const

describe("ask", () => {
  it.effect.each(modes)(
    "scatter-gather with one request instance gets each agent's own reply ($mode)",
    ({ strict }) =>
      Effect.gen(function*() {
        const swarm = yield* Swarm
        const names = ["a", "b", "c", "d"]
        for (const name of names) yield* swarm.spawn(Named, { name })
        const request = new Who()
        const replies = yield* Effect.forEach(names, (name) => swarm.ask(name, request), { concurrency: "unbounded" })
        expect(replies).toEqual(names)
      }).pipe(Effect.provide(layerInMemory({ strict })))
  )

  it.effect.each(modes)(
    "requests held and answered later go to their own asks, one instance or many ($mode)",
    ({ strict }) =>
      Effect.gen(function*() {
        const swarm = yield* Swarm
        yield* swarm.spawn(Named, { name: "x" })
        yield* swarm.spawn(Named, { name: "y" })
        const shared = new Hold()
        // The same instance asked of both agents, and twice of x: every ask gets exactly one reply, from its agent.
        const asks = yield* Effect.forEach(["x", "y", "x"], (to) => Effect.fork(swarm.ask(to, shared)))
        yield* Effect.yieldNow()
        yield* swarm.tell("y", new Release())
        expect(yield* Fiber.join(asks[1]!)).toBe("y")
        expect(asks[0]!.unsafePoll()).toBeNull()
        yield* swarm.tell("x", new Release())
        expect([yield* Fiber.join(asks[0]!), yield* Fiber.join(asks[2]!)]).toEqual(["x", "x"])
      }).pipe(Effect.provide(layerInMemory({ strict })))
  )

  it.effect("a reply after its ask timed out becomes a dead letter with reason late-reply", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Named, { name: "slow" })
      const ask = yield* Effect.fork(Effect.flip(swarm.ask("slow", new Hold(), { timeout: "1 second" })))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(ask)).toEqual(new AskTimeoutError({ agent: "slow", tag: "Hold", timeoutMs: 1000 }))
      yield* swarm.tell("slow", new Release())
      // Let the agent handle the release (strict mode: one round trip per envelope).
      yield* Effect.repeat(Effect.yieldNow(), { until: () => false, times: 10 })
      const dead = (yield* swarm.events.since(0)).filter((e) => e.type === "dead-letter")
      expect(dead).toHaveLength(1)
      expect(dead[0]).toMatchObject({ agent: "$swarm", data: { reason: "late-reply", from: "slow", tag: "@reply" } })
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("a reply to an ask whose asker was interrupted is a late reply too", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Named, { name: "slow" })
      const ask = yield* Effect.fork(swarm.ask("slow", new Hold()))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(ask)
      yield* swarm.tell("slow", new Release())
      yield* Effect.repeat(Effect.yieldNow(), { until: () => false, times: 10 })
      const dead = (yield* swarm.events.since(0)).filter((e) => e.type === "dead-letter")
      expect(dead.map((e) => e.data?.reason)).toEqual(["late-reply"])
    }).pipe(Effect.provide(layerInMemory())))

  it.effect.each([{ topology: "mesh" }, { topology: "star" }])(
    "every pending ask fails with UndeliveredError at shutdown ($topology)",
    ({ topology }) =>
      Effect.gen(function*() {
        const swarm = yield* Swarm
        yield* swarm.spawn(Named, { name: "holder" })
        const blocked = yield* Deferred.make<void>()
        // One agent busy for ever, with asks queued behind its message; another holds a request it never answers.
        yield* swarm.spawn(define({ ...Named, name: "busy", receive: () => Effect.as(Deferred.await(blocked), []) }), {
          mailbox: { capacity: 2 }
        })
        yield* swarm.tell("busy", new Release())
        const held = yield* Effect.fork(Effect.flip(swarm.ask("holder", new Hold())))
        const queued = yield* Effect.forEach([1, 2, 3, 4], () => Effect.fork(Effect.flip(swarm.ask("busy", new Who()))))
        yield* Effect.repeat(Effect.yieldNow(), { until: () => false, times: 10 })
        expect(held.unsafePoll()).toBeNull()

        yield* swarm.shutdown
        const failures = [yield* Fiber.join(held), ...(yield* Effect.forEach(queued, Fiber.join))]
        for (const failure of failures) {
          expect(failure).toBeInstanceOf(UndeliveredError)
          expect(failure).toMatchObject({ reason: "stopped" })
        }
        // After shutdown every call fails at once with a typed error.
        expect(yield* Effect.flip(swarm.ask("holder", new Who()))).toEqual(new SwarmStoppedError({ reason: "shutdown" }))
      }).pipe(Effect.provide(layerInMemory(topology === "star" ? { topology: star({ hub: "hub", capacity: 1 }) } : {})))
  )

  it("the Promise facade's pending asks reject at shutdown, and later calls reject", async () => {
    const swarm = await createSwarm()
    await swarm.spawn(Named, { name: "holder" })
    const pending = swarm.ask("holder", new Hold()).then(() => "resolved", (error: unknown) => error)
    await swarm.shutdown()
    const error = await pending
    expect(error).toBeInstanceOf(UndeliveredError)
    expect(error).toMatchObject({ agent: "holder", reason: "stopped" })
    await expect(swarm.ask("holder", new Who())).rejects.toBeInstanceOf(SwarmStoppedError)
    await expect(swarm.spawn(Named)).rejects.toMatchObject({ reason: "shutdown" })
    // A second shutdown is harmless.
    await swarm.shutdown()
  })
})
