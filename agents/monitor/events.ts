/**
 * What the monitor publishes: machine samples, agents going silent and coming back, and (through
 * the runtime's HeartbeatEvent) agents' heartbeats for the agent registry.
 */
import { Schema } from "effect"
import { eventKind } from "../../runtime/index.ts"
import { MetricsSample } from "./sample.ts"

/** One sample of the machine; the event's `ts` is the sample's. */
export const MetricsEvent = eventKind("metrics", MetricsSample.fields)

const silence = { lastHeartbeat: Schema.Number, silentMs: Schema.Number }

/** `agent` has not beaten for `silentMs`; published once, until it beats again. */
export const AgentStaleEvent = eventKind("agent-stale", silence)

/** A stale `agent` beats again. */
export const AgentAliveEvent = eventKind("agent-alive", silence)
