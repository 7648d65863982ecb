/**
 * Star: every envelope between two agents goes through the hub, which forwards them one at a time
 * in arrival order (central observation, ordering, throttling): two hops instead of one. Envelopes
 * to or from the hub itself travel directly.
 */
import { Effect, Queue } from "effect"
import type { Envelope } from "../runtime/envelope.ts"
import type { Link, Topology } from "../runtime/topology.ts"

export interface StarOptions {
  /** The hub's name: an agent of the swarm or just the relay's address. Default "hub". */
  readonly hub?: string | undefined
  /** Envelopes the hub holds before senders wait (back-pressure). Default 4096. */
  readonly capacity?: number | undefined
}

export const star = (options: StarOptions = {}): Topology => {
  const hub = options.hub ?? "hub"
  return {
    name: `star(${hub})`,
    make: (delivery) =>
      Effect.gen(function*() {
        const relay = yield* Queue.bounded<Envelope>(options.capacity ?? 4096)
        const forward = Effect.flatMap(Queue.take(relay), (envelope) => {
          envelope.hops++
          return delivery.deliver(envelope)
        })
        yield* Effect.forkScoped(Effect.forever(forward))
        return {
          send: (envelope) =>
            envelope.from === hub || envelope.to === hub ? delivery.deliver(envelope) : Queue.offer(relay, envelope)
        }
      }),
    links: (agents) => agents.filter((agent) => agent !== hub).map((agent): Link => [hub, agent])
  }
}
