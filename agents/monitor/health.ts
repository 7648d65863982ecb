/**
 * Agent liveness from heartbeats: the monitor keeps the last beat of each agent and calls an agent
 * stale once it has missed a few beats. Pure, so the rule is tested without clocks.
 */
import type { SwarmEventInput } from "../../runtime/events.ts"
import type { MetricsSample } from "./sample.ts"

export type Heartbeats = ReadonlyMap<string, number>

export interface AgentHealth {
  readonly agent: string
  readonly lastHeartbeat: number
  readonly stale: boolean
}

/** Keeps the newest beat per agent (beats can arrive out of order through a relay). */
export const recordHeartbeat = (beats: Heartbeats, agent: string, ts: number): Heartbeats =>
  (beats.get(agent) ?? Number.NEGATIVE_INFINITY) >= ts ? beats : new Map(beats).set(agent, ts)

/** Every agent seen, by name; stale when its last beat is older than `staleAfterMs`. */
export const healthOf = (beats: Heartbeats, now: number, staleAfterMs: number): ReadonlyArray<AgentHealth> =>
  Array.from(beats, ([agent, lastHeartbeat]) => ({ agent, lastHeartbeat, stale: now - lastHeartbeat > staleAfterMs })).sort(
    (a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0)
  )

/** A metrics sample as a swarm event (the console charts these). */
export const metricsEvent = (sample: MetricsSample, agent: string): SwarmEventInput => ({
  type: "metrics",
  agent,
  ts: sample.ts,
  data: sample
})
