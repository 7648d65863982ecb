/**
 * Agent liveness from heartbeats: the monitor keeps the last beat of each agent and calls an agent
 * stale once it has missed a few beats, and records beats in the event log now and then (for the
 * agent registry, which other processes read). Pure, so the rules are tested without clocks.
 */
import { HeartbeatEvent } from "../../runtime/index.ts"
import { MetricsEvent } from "./events.ts"
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

/** A metrics sample as a swarm event at the sample's time (the console charts these). */
export const metricsEvent = (sample: MetricsSample, agent: string) => MetricsEvent.make(sample, { agent, ts: sample.ts })

/**
 * The heartbeat events due: an agent's first beat, then its newest beat once it is at least
 * `everyMs` newer than the last one recorded (so the log holds a beat per agent per `everyMs`, not
 * every beat). Returns them with the beats now recorded.
 */
export const heartbeatsToRecord = (beats: Heartbeats, recorded: Heartbeats, everyMs: number) => {
  const due = Array.from(beats).filter(([agent, ts]) => {
    const last = recorded.get(agent)
    return last === undefined || ts - last >= everyMs
  })
  return {
    events: due.map(([agent, ts]) => HeartbeatEvent.make({}, { agent, ts })),
    recorded: due.length === 0 ? recorded : new Map([...recorded, ...due])
  }
}
