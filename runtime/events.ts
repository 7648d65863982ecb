/**
 * Swarm events: the runtime's lifecycle facts (spawned, restarted, escalated, stopped, dead letter)
 * and anything an application publishes (metrics, job progress). The runtime only knows the
 * `SwarmEvents` tag; memory/ implements it with a durable SQLite event log, `layerInMemory` here
 * keeps a bounded ring in process.
 */
import { Chunk, Context, Effect, Layer, type Scope, Stream } from "effect"

export type LifecycleEventType =
  | "spawned"
  | "restarted"
  /** A restart's `init` failed; the supervisor tries again (within its intensity) or escalates. */
  | "restart-failed"
  | "escalated"
  | "stopped"
  | "dead-letter"
  /** Only in a subscriber's own stream: it fell behind and lost the oldest events it had not read. */
  | "events-dropped"

/** The type of the event a slow subscriber reads in place of those it lost. */
export const EVENTS_DROPPED = "events-dropped"

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
   * before reading `since` is how a reader replays history and then goes live with no gap. A
   * subscriber's buffer is bounded: one that falls behind either catches up from the sink's store
   * (the SQLite log) or loses the oldest events it has not read and reads one `events-dropped`
   * event in their place, with `data: { dropped, firstId, lastId }` (its id is `lastId`).
   */
  readonly subscribe: Effect.Effect<Stream.Stream<SwarmEvent>, never, Scope.Scope>
  /** Events already recorded with an id greater than `afterId`, oldest first (bounded by what the sink keeps). */
  readonly since: (afterId: number) => Effect.Effect<ReadonlyArray<SwarmEvent>>
}

export class SwarmEvents extends Context.Tag("reelswarm/runtime/SwarmEvents")<SwarmEvents, SwarmEventsService>() {}

/** Events one subscriber of the in-memory sink may have waiting before it loses the oldest. */
export const DEFAULT_SUBSCRIBER_BUFFER = 4096

/** One live reader: a sliding buffer of its own, so a slow reader costs bounded memory and slows no one. */
class Subscriber {
  private buffer: Array<SwarmEvent> = []
  private head = 0
  private dropped = 0
  private firstDropped = 0
  private lastDropped = 0
  private wake: ((effect: Effect.Effect<void>) => void) | undefined = undefined

  constructor(private readonly capacity: number) {}

  offer(event: SwarmEvent): void {
    if (this.buffer.length - this.head >= this.capacity) {
      const lost = this.buffer[this.head++]!
      if (this.dropped === 0) this.firstDropped = lost.id
      this.lastDropped = lost.id
      this.dropped++
      if (this.head > 1024 && this.head * 2 > this.buffer.length) {
        this.buffer = this.buffer.slice(this.head)
        this.head = 0
      }
    }
    this.buffer.push(event)
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake(Effect.void)
    }
  }

  /** Everything waiting, led by an `events-dropped` event when some were lost; waits while nothing is. */
  readonly take: Effect.Effect<Chunk.Chunk<SwarmEvent>> = Effect.suspend(() => {
    if (this.head === this.buffer.length && this.dropped === 0) {
      return Effect.zipRight(
        Effect.async<void>((resume) => {
          this.wake = resume
          return Effect.sync(() => {
            if (this.wake === resume) this.wake = undefined
          })
        }),
        this.take
      )
    }
    const events = this.buffer.slice(this.head)
    this.buffer = []
    this.head = 0
    if (this.dropped > 0) {
      events.unshift({
        type: EVENTS_DROPPED,
        id: this.lastDropped,
        ts: Date.now(),
        data: { dropped: this.dropped, firstId: this.firstDropped, lastId: this.lastDropped }
      })
      this.dropped = 0
    }
    return Effect.succeed(Chunk.unsafeFromArray(events))
  })
}

/**
 * An in-process sink keeping the last `capacity` events in a ring, so publishing costs the same
 * however full it is; the default when no durable log is provided. Each subscriber has a sliding
 * buffer of `subscriberBuffer` events.
 */
export const makeInMemory = (capacity = 10_000, subscriberBuffer = DEFAULT_SUBSCRIBER_BUFFER): Effect.Effect<SwarmEventsService> =>
  Effect.sync(() => {
    for (const [name, value] of [["capacity", capacity], ["subscriberBuffer", subscriberBuffer]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`)
    }
    const subscribers = new Set<Subscriber>()
    const ring = new Array<SwarmEvent | undefined>(capacity)
    // Ids are consecutive, so the event with id `i` sits at `(i - 1) % capacity` while it is kept.
    let nextId = 1

    const publishAll = (inputs: ReadonlyArray<SwarmEventInput>) =>
      Effect.sync(() => {
        const now = Date.now()
        for (const input of inputs) {
          const event: SwarmEvent = { ...input, id: nextId, ts: input.ts ?? now }
          ring[(nextId - 1) % capacity] = event
          nextId++
          for (const subscriber of subscribers) subscriber.offer(event)
        }
      })

    const since = (afterId: number) =>
      Effect.sync(() => {
        const oldest = Math.max(1, nextId - capacity, Math.floor(afterId) + 1)
        const events: Array<SwarmEvent> = []
        for (let id = oldest; id < nextId; id++) events.push(ring[(id - 1) % capacity]!)
        return events
      })

    const subscribe = Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => {
          const subscriber = new Subscriber(subscriberBuffer)
          subscribers.add(subscriber)
          return subscriber
        }),
        (subscriber) => Effect.sync(() => subscribers.delete(subscriber))
      ),
      (subscriber) => Stream.repeatEffectChunk(subscriber.take)
    )

    return {
      publish: (event) => publishAll([event]),
      publishAll,
      subscribe,
      since
    } satisfies SwarmEventsService
  })

export const layerInMemory = (capacity?: number, subscriberBuffer?: number): Layer.Layer<SwarmEvents> =>
  Layer.effect(SwarmEvents, makeInMemory(capacity, subscriberBuffer))
