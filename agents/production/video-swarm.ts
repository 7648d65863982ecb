/**
 * The five agents of the video swarm, spawned in dependency order: the monitor first (everyone
 * beats to it), then the director, the shot-matcher, the renderer and one encoder per slot. The
 * topology is chosen at start: a star with the director as hub, or a mesh.
 */
import { Context, Effect, Layer } from "effect"
import { Swarm, type Topology } from "../../runtime/index.ts"
import { mesh, star } from "../../topologies/index.ts"
import { AGENT_NAMES, encoderName } from "../agent-names.ts"
import { directorAgent } from "../director/agent.ts"
import { encoderAgent } from "../encoder/agent.ts"
import { monitorAgent } from "../monitor/agent.ts"
import { rendererAgent } from "../renderer/agent.ts"
import { shotMatcherAgent } from "../shot-matcher/agent.ts"

export type TopologyChoice = "star" | "mesh"

export const topologyFor = (choice: TopologyChoice): Topology => (choice === "star" ? star({ hub: AGENT_NAMES.director }) : mesh)

export interface EncoderSlot {
  /** The encoder this slot drives; default the job's. */
  readonly encoder?: string
}

export interface VideoSwarmOptions {
  /** One encoder agent per slot. Default one slot. */
  readonly encoders?: ReadonlyArray<EncoderSlot>
}

export interface VideoSwarmService {
  readonly agents: ReadonlyArray<string>
  readonly encoders: ReadonlyArray<string>
}

/** Present once the swarm's agents run: the workflow depends on it, so no activity runs before them. */
export class VideoSwarm extends Context.Tag("reelswarm/agents/production/VideoSwarm")<VideoSwarm, VideoSwarmService>() {}

export const spawnVideoSwarm = Effect.fn("production.spawnVideoSwarm")(function*(options: VideoSwarmOptions = {}) {
  const swarm = yield* Swarm
  yield* swarm.spawn(monitorAgent())
  yield* swarm.spawn(directorAgent())
  yield* swarm.spawn(shotMatcherAgent())
  const slots = options.encoders ?? [{}]
  yield* swarm.spawn(rendererAgent({ encoders: slots.map((slot, i) => ({ name: encoderName(i), encoder: slot.encoder })) }))
  const encoders: Array<string> = []
  for (const [i, slot] of slots.entries()) {
    const name = encoderName(i)
    yield* swarm.spawn(encoderAgent({ name, ...(slot.encoder === undefined ? {} : { encoder: slot.encoder }) }))
    encoders.push(name)
  }
  return {
    agents: [AGENT_NAMES.monitor, AGENT_NAMES.director, AGENT_NAMES.shotMatcher, AGENT_NAMES.renderer, ...encoders],
    encoders
  } satisfies VideoSwarmService
})

export const layer = (options: VideoSwarmOptions = {}) => Layer.effect(VideoSwarm, spawnVideoSwarm(options))
