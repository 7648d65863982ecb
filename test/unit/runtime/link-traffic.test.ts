/**
 * Link traffic: the swarm counts every hop an envelope actually travels, per link and direction,
 * so the console can draw envelopes/s on each link. A mesh delivers directly (one hop); a star
 * sends everything between two agents through its hub (two hops: sender → hub, hub → addressee).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { define } from "../../../runtime/agent.ts"
import { OUTSIDE } from "../../../runtime/envelope.ts"
import { layerInMemory, Swarm, type SwarmOptions } from "../../../runtime/swarm.ts"
import type { LinkTraffic } from "../../../runtime/topology.ts"
import { mesh, star } from "../../../topologies/index.ts"
import { Crash, eventsUntil, Hello, is, Note, Worker } from "./fixtures.ts"

/** A worker that passes every `Note` on to `b` before remembering it. */
const Relay = define({
  ...Worker,
  name: "relay",
  receive: (message, notes, ctx) =>
    message._tag === "Note" ? Effect.as(ctx.lookup("b").tell(message), [...notes, message.text]) : Worker.receive(message, notes, ctx)
})

/** Two notes to `a` (each relayed to `b`), then a Hello asked of each: the asks return once every note has arrived. */
const traffic = (options: SwarmOptions) =>
  Effect.gen(function*() {
    const swarm = yield* Swarm
    yield* swarm.spawn(Relay, { name: "a" })
    yield* swarm.spawn(Worker, { name: "b" })
    yield* swarm.tell("a", new Note({ text: "one" }))
    yield* swarm.tell("a", new Note({ text: "two" }))
    yield* swarm.ask("a", new Hello())
    const b = yield* swarm.ask("b", new Hello())
    expect(b.notes).toEqual(["one", "two"])
    const counted = yield* swarm.traffic
    const received = yield* swarm.received("b")
    expect(yield* Effect.flip(swarm.received("nobody"))).toMatchObject({ _tag: "AgentNotFoundError", agent: "nobody" })
    return { counted: sorted(counted), received }
  }).pipe(Effect.scoped, Effect.provide(layerInMemory(options)))

const sorted = (links: ReadonlyArray<LinkTraffic>) => links.slice().sort((x, y) => x.from.localeCompare(y.from) || x.to.localeCompare(y.to))

describe("link traffic", () => {
  it.effect("mesh: each envelope is counted once, on the link from its sender to its addressee", () =>
    Effect.gen(function*() {
      const { counted, received } = yield* traffic({ topology: mesh })
      expect(counted).toEqual(sorted([
        // two notes and a Hello from outside to a, a Hello to b; their replies back
        { from: OUTSIDE, to: "a", envelopes: 3 },
        { from: OUTSIDE, to: "b", envelopes: 1 },
        { from: "a", to: OUTSIDE, envelopes: 1 },
        { from: "b", to: OUTSIDE, envelopes: 1 },
        // the relayed notes
        { from: "a", to: "b", envelopes: 2 }
      ]))
      expect(received).toEqual([{ tag: "Note", envelopes: 2 }, { tag: "Hello", envelopes: 1 }])
    }))

  it.effect("star: an envelope between two agents is counted on sender → hub and on hub → addressee", () =>
    Effect.gen(function*() {
      const { counted, received } = yield* traffic({ topology: star({ hub: "hub" }) })
      expect(counted).toEqual(sorted([
        { from: OUTSIDE, to: "hub", envelopes: 4 },
        { from: "hub", to: "a", envelopes: 3 },
        { from: "hub", to: "b", envelopes: 3 },
        { from: "a", to: "hub", envelopes: 3 },
        { from: "b", to: "hub", envelopes: 1 },
        { from: "hub", to: OUTSIDE, envelopes: 2 }
      ]))
      expect(received).toEqual([{ tag: "Note", envelopes: 2 }, { tag: "Hello", envelopes: 1 }])
    }))

  it.effect("star: envelopes to or from the hub itself travel its own link once", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Worker, { name: "hub" })
      yield* swarm.spawn(Relay, { name: "a" })
      yield* swarm.spawn(Worker, { name: "b" })
      yield* swarm.tell("hub", new Note({ text: "to the hub" }))
      yield* swarm.ask("hub", new Hello())
      expect(sorted(yield* swarm.traffic)).toEqual(sorted([
        { from: OUTSIDE, to: "hub", envelopes: 2 },
        { from: "hub", to: OUTSIDE, envelopes: 1 }
      ]))
    }).pipe(Effect.scoped, Effect.provide(layerInMemory({ topology: star({ hub: "hub" }) }))))

  it.effect("an agent's counts survive its restart after a crash", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Worker, { name: "b" })
      yield* swarm.tell("b", new Note({ text: "before" }))
      const restarted = yield* eventsUntil(swarm, is("restarted", "b"))
      yield* swarm.tell("b", new Crash())
      yield* restarted
      yield* swarm.ask("b", new Hello())
      expect(yield* swarm.received("b")).toEqual([
        { tag: "Note", envelopes: 1 },
        { tag: "Crash", envelopes: 1 },
        { tag: "Hello", envelopes: 1 }
      ])
      expect(sorted(yield* swarm.traffic)).toContainEqual({ from: OUTSIDE, to: "b", envelopes: 3 })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory({ topology: mesh }))))
})
