/** What the monitor takes: heartbeats from every agent, and requests for a sample or the swarm's health. */
import { Schema } from "effect"
import { MetricsSample, SampleError } from "./sample.ts"

/** Sent by each agent every interval; `ts` is the sender's clock in epoch milliseconds. */
export class Heartbeat extends Schema.TaggedClass<Heartbeat>()("Heartbeat", {
  agent: Schema.String,
  ts: Schema.Number
}) {}

/** A fresh sample now (the monitor also samples on its own every 2 s). */
export class SampleNow extends Schema.TaggedRequest<SampleNow>()("SampleNow", {
  failure: SampleError,
  success: MetricsSample,
  payload: {}
}) {}

export const AgentHealth = Schema.Struct({ agent: Schema.String, lastHeartbeat: Schema.Number, stale: Schema.Boolean })

export class GetHealth extends Schema.TaggedRequest<GetHealth>()("GetHealth", {
  failure: Schema.Never,
  success: Schema.Struct({ agents: Schema.Array(AgentHealth), last: Schema.NullOr(MetricsSample) }),
  payload: {}
}) {}

/** The monitor's own clock: take a sample, publish it, check heartbeats. */
export class Tick extends Schema.TaggedClass<Tick>()("Tick", {}) {}

export const MonitorProtocol = Schema.Union(Heartbeat, SampleNow, GetHealth, Tick)
export type MonitorMessage = typeof MonitorProtocol.Type
