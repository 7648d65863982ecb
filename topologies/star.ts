/**
 * Star: every envelope between two agents goes through the hub: two hops instead of one. The hub
 * relays through one lane per destination, each forwarded in arrival order by its own fiber, so an
 * agent whose mailbox is full holds up only the envelopes for itself: traffic to every other agent
 * goes on. When a destination's lane is full too, its senders wait (back-pressure reaches the
 * original sender, and only the senders to that agent). Replies never queue behind requests: they
 * complete their ask as they pass the hub. Envelopes to or from the hub itself travel directly.
 */
import { Effect } from "effect"
import { type Envelope, isReply } from "../runtime/envelope.ts"
import { Mailbox } from "../runtime/mailbox.ts"
import type { Link, Topology } from "../runtime/topology.ts"

export interface StarOptions {
  /** The hub's name: an agent of the swarm or just the relay's address. Default "hub". */
  readonly hub?: string | undefined
  /** Envelopes the hub holds for one destination before that destination's senders wait. Default 1024. */
  readonly capacity?: number | undefined
}

export const star = (options: StarOptions = {}): Topology => {
  const hub = options.hub ?? "hub"
  const capacity = options.capacity ?? 1024
  return {
    name: `star(${hub})`,
    make: (delivery) =>
      Effect.gen(function*() {
        const scope = yield* Effect.scope
        const lanes = new Map<string, Mailbox<Envelope>>()
        const forward = (envelope: Envelope) => {
          envelope.hops++
          return delivery.deliver(envelope)
        }
        // Back-pressure never drops (a lane refuses only once it is closed, at shutdown).
        const refused = (envelope: Envelope) => delivery.deliver(envelope)

        const relay = (lane: Mailbox<Envelope>) =>
          Effect.gen(function*() {
            while (true) {
              const envelope = lane.poll()
              if (envelope === undefined) {
                if (lane.isClosed) return
                yield* lane.awaitMessage
                continue
              }
              yield* forward(envelope)
            }
          })

        const laneFor = (to: string) =>
          Effect.suspend(() => {
            const found = lanes.get(to)
            if (found !== undefined) return Effect.succeed(found)
            const lane = new Mailbox<Envelope>({ capacity, overflow: "backpressure" }, refused)
            lanes.set(to, lane)
            return Effect.as(Effect.forkIn(relay(lane), scope), lane)
          })

        // At shutdown what the lanes still hold goes on to the (closed) swarm, which dead-letters it.
        yield* Effect.addFinalizer(() =>
          Effect.forEach(lanes.values(), (lane) => Effect.forEach(lane.close(), forward, { discard: true }), { discard: true })
        )

        return {
          send: (envelope) => {
            if (envelope.from === hub || envelope.to === hub) return delivery.deliver(envelope)
            if (isReply(envelope)) return forward(envelope)
            const lane = lanes.get(envelope.to)
            if (lane !== undefined && lane.tryOffer(envelope)) return Effect.void
            return Effect.flatMap(laneFor(envelope.to), (lane) => lane.offer(envelope))
          }
        }
      }),
    links: (agents) => agents.filter((agent) => agent !== hub).map((agent): Link => [hub, agent])
  }
}
