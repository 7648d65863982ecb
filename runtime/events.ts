/**
 * Swarm events: the runtime's lifecycle facts (spawned, restarted, escalated, stopped, dead letter)
 * and anything an application publishes (metrics, job progress). The runtime only knows the
 * `SwarmEvents` tag; memory/ implements it with a durable SQLite event log, `layerInMemory` here
 * keeps a bounded ring in process.
 */
import { Context, Effect, Layer, PubSub, type Scope, Stream } from "effect"

export type LifecycleEventType = "spawned" | "restarted" | "escalated" | "stopped" | "dead-letter"

/** What a publisher supplies; the sink stamps `id` and, if absent, `ts`. */
export interface SwarmEventInput {
  readonly type: LifecycleEventType | (string & {})
  readonly agent?: string | undefined
  readonly job?: string | undefined
  readonly ts?: number | undefined
  readonly data?: Readonly<Record<string, unknown>> | undefined
}

export interface SwarmEvent extends SwarmEventInput {
  /** Monotonic per sink; a reconnecting reader resumes after the last id it saw. */
  readonly id: number
  readonly ts: number
}

export interface SwarmEventsService {
  /** Record one event. Returns once the sink has accepted it (durable sinks: once it is durable). */
  readonly publish: (event: SwarmEventInput) => Effect.Effect<void>
  readonly publishAll: (events: ReadonlyArray<SwarmEventInput>) => Effect.Effect<void>
  /**
   * Subscribes now (within the scope) and returns the live events from this moment on. Subscribing
   * before reading `since` is how a reader replays history and then goes live with no gap.
   */
  readonly subscribe: Effect.Effect<Stream.Stream<SwarmEvent>, never, Scope.Scope>
  /** Events already recorded with an id greater than `afterId`, oldest first (bounded by what the sink keeps). */
  readonly since: (afterId: number) => Effect.Effect<ReadonlyArray<SwarmEvent>>
}

export class SwarmEvents extends Context.Tag("reelswarm/runtime/SwarmEvents")<SwarmEvents, SwarmEventsService>() {}

/**
 * An in-process sink keeping the last `capacity` events in a ring, so publishing costs the same
 * however full it is; the default when no durable log is provided.
 */
export const makeInMemory = (capacity = 10_000): Effect.Effect<SwarmEventsService> =>
  Effect.gen(function* () {
    const hub = yield* PubSub.unbounded<SwarmEvent>()
    const ring = new Array<SwarmEvent | undefined>(capacity)
    // Ids are consecutive, so the event with id `i` sits at `(i - 1) % capacity` while it is kept.
    let nextId = 1

    const stamp = (inputs: ReadonlyArray<SwarmEventInput>) =>
      Effect.sync(() => {
        const now = Date.now()
        return inputs.map((e): SwarmEvent => {
          const event: SwarmEvent = { ...e, id: nextId, ts: e.ts ?? now }
          ring[(nextId - 1) % capacity] = event
          nextId++
          return event
        })
      })

    const publishAll = (inputs: ReadonlyArray<SwarmEventInput>) =>
      inputs.length === 0
        ? Effect.void
        : Effect.flatMap(stamp(inputs), (stamped) => PubSub.publishAll(hub, stamped)).pipe(Effect.asVoid)

    const since = (afterId: number) =>
      Effect.sync(() => {
        const oldest = Math.max(1, nextId - capacity, Math.floor(afterId) + 1)
        const events: Array<SwarmEvent> = []
        for (let id = oldest; id < nextId; id++) events.push(ring[(id - 1) % capacity]!)
        return events
      })

    return {
      publish: (event) => publishAll([event]),
      publishAll,
      subscribe: Effect.map(PubSub.subscribe(hub), (queue) => Stream.fromQueue(queue)),
      since
    } satisfies SwarmEventsService
  })

export const layerInMemory = (capacity?: number): Layer.Layer<SwarmEvents> =>
  Layer.effect(SwarmEvents, makeInMemory(capacity))
