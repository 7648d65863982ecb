/**
 * Topology: how envelopes get from sender to receiver. The runtime hands a topology one primitive,
 * `deliver` (put an envelope into the addressee's mailbox, or complete the ask a reply answers,
 * counting one hop) and `hop` (an envelope reached a relay); the topology returns the `send` the
 * swarm uses for every envelope. Every hop is counted per link and direction (`LinkTraffic`). Concrete
 * topologies live in topologies/ (star, mesh); `direct` is the runtime's default and mesh's engine.
 */
import { Effect, type Scope } from "effect"
import type { Envelope } from "./envelope.ts"

export interface Delivery {
  /**
   * Delivers to the addressee in this process, adding one hop, counted on the link `via` → addressee
   * (default `via`: the sender). Undeliverable envelopes become dead letters.
   */
  readonly deliver: (envelope: Envelope, via?: string) => Effect.Effect<void>
  /** The envelope travelled one hop `from` → `to` before its last (its sender to a relay): adds and counts it. */
  readonly hop: (envelope: Envelope, from: string, to: string) => void
}

export interface Router {
  readonly send: (envelope: Envelope) => Effect.Effect<void>
}

/** An undirected link between two addresses, for drawing the topology. */
export type Link = readonly [string, string]

/** Envelopes that travelled one link in one direction (cumulative). */
export interface LinkTraffic {
  readonly from: string
  readonly to: string
  readonly envelopes: number
}

export interface Topology {
  readonly name: string
  /** Builds the router for one swarm; anything it starts (a relay fiber) lives in the swarm's scope. */
  readonly make: (delivery: Delivery) => Effect.Effect<Router, never, Scope.Scope>
  /** The links envelopes travel between these agents. */
  readonly links: (agents: ReadonlyArray<string>) => ReadonlyArray<Link>
}

/** Every envelope goes straight to its addressee: one hop, a link between every pair. */
export const direct: Topology = {
  name: "direct",
  make: (delivery) => Effect.succeed({ send: delivery.deliver }),
  links: (agents) => agents.flatMap((a, i) => agents.slice(i + 1).map((b): Link => [a, b]))
}
