import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Schema, Stream } from "effect"
import { define } from "../../../runtime/agent.ts"
import { LifecycleEvent, makeInMemory, type SwarmEvent } from "../../../runtime/events.ts"
import { child, supervisor } from "../../../runtime/supervisor.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import { Crash, eventsUntil, is, Worker } from "./fixtures.ts"

/** Strict: a data field the kind does not define is an error too. */
const decode = Schema.decodeUnknownEither(LifecycleEvent, { onExcessProperty: "error" })

const undecodable = (events: ReadonlyArray<SwarmEvent>) =>
  events.flatMap((event) => Either.match(decode(event), { onLeft: (error) => [`${event.type}: ${error.message}`], onRight: () => [] }))

describe("the runtime's lifecycle events", () => {
  it.effect("every one a swarm publishes through a crash, failed restarts, an escalation and a dead letter decodes with LifecycleEvent", () =>
    Effect.gen(function*() {
      let starts = 0
      const Doomed = define({
        ...Worker,
        name: "doomed",
        init: () => Effect.suspend(() => (++starts === 1 ? Effect.succeed([]) : Effect.fail("no")))
      })
      const events = yield* Effect.scoped(Effect.gen(function*() {
        const swarm = yield* Swarm
        yield* swarm.spawnSupervisor(
          supervisor({ name: "team", intensity: 3, restart: "temporary", children: [child(Doomed), child(Worker, { name: "b" })] })
        )
        const restarted = yield* eventsUntil(swarm, is("restarted", "b"))
        yield* swarm.tell("b", new Crash())
        yield* restarted
        const escalated = yield* eventsUntil(swarm, is("escalated", "team"))
        yield* swarm.tell("doomed", new Crash())
        yield* escalated
        return yield* swarm.events.since(0)
      }))
      expect([...new Set(events.map((e) => e.type))]).toEqual(
        expect.arrayContaining(["spawned", "restarted", "restart-failed", "escalated", "stopped", "dead-letter"])
      )
      expect(undecodable(events)).toEqual([])
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("a slow subscriber's events-dropped decodes too", () =>
    Effect.gen(function*() {
      const sink = yield* makeInMemory(100, 2)
      const live = yield* sink.subscribe
      yield* sink.publishAll([1, 2, 3, 4, 5].map((n) => ({ type: "note", data: { n } })))
      const [first] = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(live, 1)))
      expect(first).toMatchObject({ type: "events-dropped", data: { dropped: 3, firstId: 1, lastId: 3 } })
      expect(undecodable([first!])).toEqual([])
    }).pipe(Effect.scoped))
})
