/** Every agent of the swarm beats to the monitor at a fixed interval while it runs. */
import { Clock, Duration, Effect, Schedule, type Scope } from "effect"
import type { AgentContext } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { Heartbeat } from "./protocol.ts"

export const HEARTBEAT_INTERVAL: Duration.Duration = Duration.seconds(2)

/**
 * Beats now and then every `every`, for as long as the agent's incarnation lives (the fiber is
 * scoped to it, so a restart starts a fresh one and a stop ends it).
 */
export const startHeartbeat = <M>(
  ctx: AgentContext<M>,
  options: { readonly monitor?: string; readonly every?: Duration.DurationInput } = {}
): Effect.Effect<void, never, Scope.Scope> => {
  const monitor = ctx.lookup<Heartbeat>(options.monitor ?? AGENT_NAMES.monitor)
  const beat = Effect.flatMap(Clock.currentTimeMillis, (ts) => monitor.tell(new Heartbeat({ agent: ctx.name, ts })))
  return Effect.asVoid(Effect.forkScoped(Effect.repeat(beat, Schedule.spaced(options.every ?? HEARTBEAT_INTERVAL))))
}
