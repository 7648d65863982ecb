import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, TestClock } from "effect"
import { GetHealth, monitorAgent, shotMatcherAgent, systemSamplerLayer } from "../../../agents/index.ts"
import { heartbeatsToRecord, recordHeartbeat } from "../../../agents/monitor/health.ts"
import { AgentRegistry, EventLog, memoryLayer } from "../../../memory/index.ts"
import { Swarm, swarmLayer } from "../../../runtime/index.ts"
import { tempDatabase } from "../memory/temp-database.ts"

describe("agents' heartbeats in the agent registry", () => {
  it("are recorded at an agent's first beat, then once per interval, not at every beat", () => {
    let beats = recordHeartbeat(new Map(), "renderer", 1_000)
    const first = heartbeatsToRecord(beats, new Map(), 10_000)
    expect(first.events).toEqual([{ type: "heartbeat", agent: "renderer", ts: 1_000, data: {} }])
    beats = recordHeartbeat(beats, "renderer", 9_000)
    beats = recordHeartbeat(beats, "encoder-0", 9_500)
    const second = heartbeatsToRecord(beats, first.recorded, 10_000)
    expect(second.events.map((e) => [e.agent, e.ts])).toEqual([["encoder-0", 9_500]])
    beats = recordHeartbeat(beats, "renderer", 11_000)
    expect(heartbeatsToRecord(beats, second.recorded, 10_000).events.map((e) => [e.agent, e.ts])).toEqual([["renderer", 11_000]])
  })

  it.scoped("fill each running agent's last heartbeat in the SQLite file, so one that keeps beating is not silent", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      const run = Effect.gen(function*() {
        const swarm = yield* Swarm
        const registry = yield* AgentRegistry
        const monitor = yield* swarm.spawn(monitorAgent({ recordHeartbeatsEvery: "4 seconds" }))
        yield* swarm.spawn(shotMatcherAgent())
        const at = (seconds: number) =>
          Effect.gen(function*() {
            yield* TestClock.setTime(seconds * 1_000)
            // Answered after the tick due now: its events are in the log.
            yield* monitor.ask(new GetHealth())
            return Option.getOrThrow(yield* registry.get("shot-matcher")).lastHeartbeat
          })
        const early = yield* at(2)
        expect(early).toBeLessThanOrEqual(2_000)
        const later = yield* at(20)
        expect(later).toBeGreaterThanOrEqual(14_000)
        // No lifecycle event since it was spawned 20 s ago; its heartbeats say it is alive.
        expect(yield* registry.silent(Duration.seconds(10))).toEqual([])
        const recorded = (yield* (yield* EventLog).query({ types: ["heartbeat"], agent: "shot-matcher" })).events
        // It beat 11 times (every 2 s); one heartbeat every 4 s went into the log.
        expect(recorded.length).toBeGreaterThanOrEqual(4)
        expect(recorded.length).toBeLessThanOrEqual(6)
      })
      yield* run.pipe(
        Effect.provide(Layer.mergeAll(swarmLayer().pipe(Layer.provideMerge(memoryLayer({ filename }))), systemSamplerLayer))
      )
    }))
})
