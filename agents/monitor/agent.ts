/**
 * The monitor agent: samples CPU, memory and GPUs every interval and publishes each sample as a
 * `metrics` event; keeps every agent's last heartbeat, publishes `agent-stale` once when an agent
 * stops beating (and `agent-alive` when it beats again), and a `heartbeat` event per agent now and
 * then, which the agent registry records as the agent's last heartbeat. A failed sample is logged
 * and skipped: monitoring must not take the swarm down.
 */
import { Clock, Duration, Effect, Schedule } from "effect"
import { define, SwarmEvents } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { answer } from "../answer.ts"
import { AgentAliveEvent, AgentStaleEvent } from "./events.ts"
import { healthOf, type Heartbeats, heartbeatsToRecord, metricsEvent, recordHeartbeat } from "./health.ts"
import { HEARTBEAT_INTERVAL } from "./heartbeat.ts"
import { MonitorProtocol, Tick } from "./protocol.ts"
import { type MetricsSample, SystemSampler } from "./sample.ts"

export interface MonitorOptions {
  readonly name?: string
  /** Sampling interval. Default 2 s. */
  readonly every?: Duration.DurationInput
  /** An agent is stale after this long without a heartbeat. Default three heartbeat intervals. */
  readonly staleAfter?: Duration.DurationInput
  /** Least time between two `heartbeat` events of one agent. Default 10 s. */
  readonly recordHeartbeatsEvery?: Duration.DurationInput
}

interface MonitorState {
  readonly beats: Heartbeats
  readonly stale: ReadonlySet<string>
  /** The last beat of each agent published as a `heartbeat` event. */
  readonly recorded: Heartbeats
  readonly last: MetricsSample | null
}

export const monitorAgent = (options: MonitorOptions = {}) => {
  const staleAfterMs = Duration.toMillis(options.staleAfter ?? Duration.times(HEARTBEAT_INTERVAL, 3))
  const recordEveryMs = Duration.toMillis(options.recordHeartbeatsEvery ?? "10 seconds")
  return define({
    name: options.name ?? AGENT_NAMES.monitor,
    protocol: MonitorProtocol,
    init: (ctx) =>
      Effect.as(
        Effect.forkScoped(Effect.repeat(ctx.self.tell(new Tick()), Schedule.spaced(options.every ?? "2 seconds"))),
        { beats: new Map(), stale: new Set(), recorded: new Map(), last: null } as MonitorState
      ),
    receive: (message, state, ctx) => {
      switch (message._tag) {
        case "Heartbeat":
          return Effect.succeed({ ...state, beats: recordHeartbeat(state.beats, message.agent, message.ts) })
        case "SampleNow":
          return Effect.as(answer(ctx, message, Effect.flatMap(SystemSampler, (s) => s.sample)), state)
        case "GetHealth":
          return Effect.flatMap(
            Clock.currentTimeMillis,
            (now) => Effect.as(ctx.reply(message, { agents: healthOf(state.beats, now, staleAfterMs), last: state.last }), state)
          )
        case "Tick":
          return Effect.gen(function*() {
            const events = yield* SwarmEvents
            const sampler = yield* SystemSampler
            const sample = yield* Effect.catchAll(
              sampler.sample,
              (error) => Effect.as(Effect.logWarning(`monitor: ${error.message}`), state.last)
            )
            const now = yield* Clock.currentTimeMillis
            const health = healthOf(state.beats, now, staleAfterMs)
            const stale = new Set(health.filter((h) => h.stale).map((h) => h.agent))
            // The monitor beats to no one: that it ticks is its heartbeat.
            const heartbeats = heartbeatsToRecord(new Map(state.beats).set(ctx.name, now), state.recorded, recordEveryMs)
            yield* events.publishAll([
              ...(sample !== null && sample !== state.last ? [metricsEvent(sample, ctx.name)] : []),
              ...heartbeats.events,
              ...health
                .filter((h) => h.stale !== state.stale.has(h.agent))
                .map((h) =>
                  (h.stale ? AgentStaleEvent : AgentAliveEvent).make(
                    { lastHeartbeat: h.lastHeartbeat, silentMs: now - h.lastHeartbeat },
                    { agent: h.agent }
                  )
                )
            ])
            return { ...state, stale, recorded: heartbeats.recorded, last: sample }
          })
      }
    }
  })
}
