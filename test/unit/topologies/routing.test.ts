import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { define } from "../../../runtime/agent.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import type { Topology } from "../../../runtime/topology.ts"
import { mesh, star } from "../../../topologies/index.ts"

class Pass extends Schema.TaggedClass<Pass>()("Pass", { to: Schema.String, seq: Schema.Number }) {}
class Seen extends Schema.TaggedRequest<Seen>()("Seen", {
  success: Schema.Array(Schema.Struct({ from: Schema.String, seq: Schema.Number, hops: Schema.Number })),
  failure: Schema.Never,
  payload: {}
}) {}
class Send extends Schema.TaggedRequest<Send>()("Send", {
  success: Schema.Void,
  failure: Schema.Never,
  payload: { to: Schema.String, seq: Schema.Number }
}) {}

/** Sends `Pass` where told to, and records the sender and hops of every `Pass` it receives. */
const Relay = define({
  name: "relay",
  protocol: Schema.Union(Pass, Seen, Send),
  init: () => Effect.succeed<ReadonlyArray<{ from: string; seq: number; hops: number }>>([]),
  receive: (message, seen, ctx) => {
    switch (message._tag) {
      case "Send":
        return Effect.as(
          Effect.zipRight(ctx.lookup<Pass>(message.to).tell(new Pass({ to: message.to, seq: message.seq })), ctx.reply(message, undefined)),
          seen
        )
      case "Pass":
        return Effect.succeed([...seen, { from: ctx.envelope!.from, seq: message.seq, hops: ctx.envelope!.hops }])
      case "Seen":
        return Effect.as(ctx.reply(message, seen), seen)
    }
  }
})

const sendAlongEveryLink = (topology: Topology) =>
  Effect.gen(function*() {
    const swarm = yield* Swarm
    const hub = yield* swarm.spawn(Relay, { name: "hub" })
    const a = yield* swarm.spawn(Relay, { name: "a" })
    const b = yield* swarm.spawn(Relay, { name: "b" })
    yield* a.ask(new Send({ to: "b", seq: 1 }))
    yield* a.ask(new Send({ to: "b", seq: 2 }))
    yield* hub.ask(new Send({ to: "b", seq: 3 }))
    yield* a.ask(new Send({ to: "hub", seq: 4 }))
    return { atB: yield* b.ask(new Seen()), atHub: yield* hub.ask(new Seen()), topology: swarm.topology, links: yield* swarm.links }
  }).pipe(Effect.provide(layerInMemory({ topology })))

describe("topologies", () => {
  it.effect("the same send takes two hops through a star's hub and one hop in a mesh", () =>
    Effect.gen(function*() {
      const viaStar = yield* sendAlongEveryLink(star({ hub: "hub" }))
      const viaMesh = yield* sendAlongEveryLink(mesh)
      expect(viaStar.topology).toBe("star(hub)")
      expect(viaStar.atB).toEqual([{ from: "a", seq: 1, hops: 2 }, { from: "a", seq: 2, hops: 2 }, { from: "hub", seq: 3, hops: 1 }])
      expect(viaStar.atHub).toEqual([{ from: "a", seq: 4, hops: 1 }])
      expect(viaMesh.topology).toBe("mesh")
      expect(viaMesh.atB).toEqual([{ from: "a", seq: 1, hops: 1 }, { from: "a", seq: 2, hops: 1 }, { from: "hub", seq: 3, hops: 1 }])
      expect(viaMesh.atHub).toEqual([{ from: "a", seq: 4, hops: 1 }])
      expect(viaStar.links).toEqual([["hub", "a"], ["hub", "b"]])
      expect(viaMesh.links).toEqual([["hub", "a"], ["hub", "b"], ["a", "b"]])
    }))

  it.effect("asks work through the hub too (request and reply both relayed)", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Relay, { name: "a" })
      expect(yield* swarm.ask("a", new Seen())).toEqual([])
    }).pipe(Effect.provide(layerInMemory({ topology: star() }))))
})
