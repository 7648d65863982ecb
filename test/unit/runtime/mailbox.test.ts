import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schema } from "effect"
import { define } from "../../../runtime/agent.ts"
import type { OverflowPolicy } from "../../../runtime/mailbox.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import { Hello, Note } from "./fixtures.ts"

class Block extends Schema.TaggedClass<Block>()("Block", {}) {}

/** An agent with a two-message mailbox that blocks on `Block` until the gate opens. */
const gated = (overflow: OverflowPolicy, entered: Deferred.Deferred<void>, gate: Deferred.Deferred<void>) =>
  define({
    name: `gated-${overflow}`,
    protocol: Schema.Union(Block, Note, Hello),
    mailbox: { capacity: 2, overflow },
    init: () => Effect.succeed<ReadonlyArray<string>>([]),
    receive: (message, notes, ctx) => {
      switch (message._tag) {
        case "Block":
          return Effect.as(Effect.zipRight(Deferred.succeed(entered, undefined), Deferred.await(gate)), notes)
        case "Note":
          return Effect.succeed([...notes, message.text])
        case "Hello":
          return Effect.as(ctx.reply(message, { name: ctx.name, notes }), notes)
      }
    }
  })

/** With the agent busy and two notes queued, a third note arrives: what each policy does with it. */
const policies: ReadonlyArray<{
  readonly overflow: OverflowPolicy
  readonly senderWaits: boolean
  readonly handled: ReadonlyArray<string>
  readonly deadLetters: ReadonlyArray<{ readonly reason: string; readonly text: string }>
}> = [
  { overflow: "backpressure", senderWaits: true, handled: ["n1", "n2", "n3"], deadLetters: [] },
  { overflow: "dropping", senderWaits: false, handled: ["n1", "n2"], deadLetters: [{ reason: "mailbox-full", text: "n3" }] },
  { overflow: "sliding", senderWaits: false, handled: ["n2", "n3"], deadLetters: [{ reason: "evicted", text: "n1" }] }
]

describe("mailbox overflow", () => {
  it.effect.each(policies)("$overflow", ({ deadLetters, handled, overflow, senderWaits }) =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const entered = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const agent = yield* swarm.spawn(gated(overflow, entered, gate))
      yield* agent.tell(new Block())
      yield* Deferred.await(entered)
      yield* agent.tell(new Note({ text: "n1" }))
      yield* agent.tell(new Note({ text: "n2" }))
      const third = yield* Effect.fork(agent.tell(new Note({ text: "n3" })))
      yield* Effect.yieldNow()
      expect(third.unsafePoll() === null).toBe(senderWaits)
      expect((yield* swarm.agents).map((a) => a.queued)).toEqual([2])

      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(third)
      // Let the agent take what is queued, so the question below finds room under every policy.
      yield* Effect.repeat(Effect.zipRight(Effect.yieldNow(), swarm.agents), { until: (agents) => agents[0]!.queued === 0 })
      expect((yield* agent.ask(new Hello())).notes).toEqual(handled)
      const dead = (yield* swarm.events.since(0)).filter((e) => e.type === "dead-letter")
      expect(dead.map((e) => e.data?.reason)).toEqual(deadLetters.map((d) => d.reason))
      expect(dead.map((e) => e.data?.tag)).toEqual(deadLetters.map(() => "Note"))
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("messages queued when an agent stops for good become dead letters, and their asks fail", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const entered = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const agent = yield* swarm.spawn(gated("backpressure", entered, gate))
      yield* agent.tell(new Block())
      yield* Deferred.await(entered)
      yield* agent.tell(new Note({ text: "queued" }))
      const asked = yield* Effect.fork(Effect.flip(agent.ask(new Hello())))
      yield* Effect.yieldNow()
      yield* agent.stop
      expect(yield* Fiber.join(asked)).toMatchObject({ _tag: "UndeliveredError", reason: "stopped" })
      const dead = (yield* swarm.events.since(0)).filter((e) => e.type === "dead-letter")
      // The message in hand is interrupted; the queued ones were never handled.
      expect(dead.map((e) => [e.data?.tag, e.data?.reason])).toEqual([["Block", "interrupted"], ["Note", "stopped"], ["Hello", "stopped"]])
    }).pipe(Effect.provide(layerInMemory())))
})
