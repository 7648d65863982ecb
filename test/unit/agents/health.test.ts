import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { healthOf, metricsEvent, recordHeartbeat } from "../../../agents/monitor/health.ts"
import { Heartbeat, MonitorProtocol } from "../../../agents/monitor/protocol.ts"
import type { MetricsSample } from "../../../agents/monitor/sample.ts"

describe("agent health from heartbeats", () => {
  it("keeps the newest beat per agent and marks agents stale after the allowed gap", () => {
    let beats = recordHeartbeat(new Map(), "encoder-0", 1_000)
    beats = recordHeartbeat(beats, "director", 5_000)
    beats = recordHeartbeat(beats, "encoder-0", 900) // late, older beat through a relay
    expect(beats.get("encoder-0")).toBe(1_000)
    expect(healthOf(beats, 7_000, 4_000)).toEqual([
      { agent: "director", lastHeartbeat: 5_000, stale: false },
      { agent: "encoder-0", lastHeartbeat: 1_000, stale: true }
    ])
  })

  it("publishes a sample as a metrics event and heartbeats cross boundaries as protocol messages", () => {
    const sample: MetricsSample = {
      ts: 42,
      cpu: { loadPct: 12.5, cores: 2, perCorePct: [10, 15] },
      memory: { totalBytes: 100, usedBytes: 40, availableBytes: 60, usedPct: 40 },
      process: { rssBytes: 30, heapUsedBytes: 10 },
      gpus: [{ index: 0, vendor: "NVIDIA", model: "H100", utilizationPct: 55, memoryUsedMb: 1000, memoryTotalMb: 80000, temperatureC: 40 }]
    }
    expect(metricsEvent(sample, "monitor")).toEqual({ type: "metrics", agent: "monitor", ts: 42, data: sample })
    const beat = new Heartbeat({ agent: "renderer", ts: 7 })
    const back = Schema.decodeUnknownSync(MonitorProtocol)(JSON.parse(JSON.stringify(Schema.encodeSync(MonitorProtocol)(beat))))
    expect(back).toEqual(beat)
  })
})
