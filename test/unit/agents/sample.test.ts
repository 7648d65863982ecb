import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { layer, MetricsSample, SystemSampler } from "../../../agents/monitor/sample.ts"

describe("monitor sampling (systeminformation on this machine)", () => {
  it.live("returns a valid metrics record with CPU, memory, process and GPU figures", () =>
    Effect.gen(function*() {
      const sampler = yield* SystemSampler
      const first = yield* sampler.sample
      // Keep one core busy for a moment: the next sample's load (since the previous one) cannot be zero.
      yield* Effect.sync(() => {
        const until = performance.now() + 200
        while (performance.now() < until) Math.sqrt(Math.random())
      })
      const second = yield* sampler.sample
      expect(second.cpu.loadPct).toBeGreaterThan(0)
      expect(Math.max(...second.cpu.perCorePct)).toBeGreaterThan(0)
      for (const sample of [first, second]) {
        expect(Schema.is(MetricsSample)(sample)).toBe(true)
        expect(sample.cpu.cores).toBeGreaterThan(0)
        expect(sample.cpu.perCorePct).toHaveLength(sample.cpu.cores)
        expect(sample.cpu.loadPct).toBeGreaterThanOrEqual(0)
        expect(sample.cpu.loadPct).toBeLessThanOrEqual(100)
        expect(sample.memory.totalBytes).toBeGreaterThan(0)
        expect(sample.memory.usedBytes).toBeLessThanOrEqual(sample.memory.totalBytes)
        expect(sample.process.rssBytes).toBeGreaterThan(sample.process.heapUsedBytes)
        expect(Array.isArray(sample.gpus)).toBe(true)
      }
      expect(second.ts).toBeGreaterThanOrEqual(first.ts)
      // The record crosses process boundaries as an event: it must survive JSON.
      expect(Schema.decodeUnknownSync(MetricsSample)(JSON.parse(JSON.stringify(second)))).toEqual(second)
    }).pipe(Effect.provide(layer)))
})
