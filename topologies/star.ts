/**
 * Star: every envelope between two agents goes through the hub: two hops instead of one. The hub
 * relays through one lane per destination, each forwarded in arrival order by its own fiber, so an
 * agent whose mailbox is full holds up only the envelopes for itself: traffic to every other agent
 * goes on. When a destination's lane is full too, its senders wait (back-pressure reaches the
 * original sender, and only the senders to that agent). Replies never queue behind requests: they
 * complete their ask as they pass the hub. A lane lives while it holds envelopes, so the hub's
 * memory follows what is in flight, not how many names were ever addressed. Envelopes to or from
 * the hub itself travel directly.
 */
import { Effect } from "effect"
import { type Envelope, isReply, type Link, Mailbox, type Topology } from "../runtime/index.ts"

export interface StarOptions {
  /** The hub's name: an agent of the swarm or just the relay's address. Default "hub". */
  readonly hub?: string | undefined
  /**
   * Envelopes the hub queues for one destination before that destination's senders wait (besides
   * the one it is handing over). Default 1024.
   */
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
          delivery.hop(envelope, envelope.from, hub)
          return delivery.deliver(envelope, hub)
        }
        // Back-pressure never drops (a lane refuses only once it is closed, at shutdown).
        const refused = (envelope: Envelope) => delivery.deliver(envelope, hub)

        /** Forwards a lane until it is empty, then retires it: lanes exist only while they hold something. */
        const relay = (to: string, lane: Mailbox<Envelope>) =>
          Effect.gen(function*() {
            while (true) {
              const envelope = lane.poll()
              if (envelope === undefined) {
                if (lanes.get(to) === lane) lanes.delete(to)
                return
              }
              yield* forward(envelope)
            }
          })

        /**
         * A new lane holding `envelope`, made at once (so the next sender finds it), and the effect
         * that starts its relay fiber (interruptible, whoever sent first).
         */
        const openLane = (envelope: Envelope) => {
          const lane = new Mailbox<Envelope>({ capacity, overflow: "backpressure" }, refused)
          lane.tryOffer(envelope)
          lanes.set(envelope.to, lane)
          return Effect.asVoid(Effect.forkIn(Effect.interruptible(relay(envelope.to, lane)), scope))
        }

        // At shutdown what the lanes still hold goes on to the (closed) swarm, which dead-letters it.
        yield* Effect.addFinalizer(() =>
          Effect.forEach(lanes.values(), (lane) => Effect.forEach(lane.close(), forward, { discard: true }), { discard: true })
        )

        return {
          // Synchronous up to the returned effect: finding a lane and queueing on it cannot interleave
          // with a relay retiring that lane.
          send: (envelope) => {
            if (envelope.from === hub || envelope.to === hub) return delivery.deliver(envelope)
            if (isReply(envelope)) return forward(envelope)
            const lane = lanes.get(envelope.to)
            return lane === undefined ? openLane(envelope) : lane.offer(envelope)
          }
        }
      }),
    links: (agents) => agents.filter((agent) => agent !== hub).map((agent): Link => [hub, agent])
  }
}
