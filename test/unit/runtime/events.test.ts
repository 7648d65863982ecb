import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Stream } from "effect"
import { makeInMemory } from "../../../runtime/events.ts"

describe("in-memory swarm events", () => {
  it.effect("stamps increasing ids and replays what came after a given id", () =>
    Effect.gen(function*() {
      const events = yield* makeInMemory(3)
      yield* events.publishAll([{ type: "spawned", agent: "a" }, { type: "spawned", agent: "b" }])
      yield* events.publish({ type: "stopped", agent: "a" })
      yield* events.publish({ type: "stopped", agent: "b" })
      const all = yield* events.since(0)
      expect(all.map((e) => e.id)).toEqual([2, 3, 4]) // capacity 3 keeps the newest three
      expect((yield* events.since(3)).map((e) => `${e.type}:${e.agent}`)).toEqual(["stopped:b"])
    }))

  it.scoped("delivers live events to subscribers", () =>
    Effect.gen(function*() {
      const events = yield* makeInMemory()
      const live = yield* events.subscribe
      const fiber = yield* live.pipe(Stream.take(2), Stream.runCollect, Effect.fork)
      yield* events.publish({ type: "spawned", agent: "x" })
      yield* events.publish({ type: "dead-letter", agent: "x", data: { tag: "Ping" } })
      const got = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      expect(got.map((e) => e.type)).toEqual(["spawned", "dead-letter"])
    }))
})
