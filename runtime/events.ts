/**
 * Swarm events: the runtime's lifecycle facts (spawned, restarted, escalated, stopped, dead letter)
 * and anything an application publishes (metrics, job progress). The runtime only knows the
 * `SwarmEvents` tag; memory/ implements it with a durable SQLite event log, `layerInMemory` here
 * keeps a bounded ring in process.
 *
 * Every kind of event is an `EventKind`: a Schema of the stored shape `{ id, ts, type, agent?, job?, data }`
 * with its `data` typed, and a constructor for publishers. The runtime defines its own lifecycle kinds
 * (`LifecycleEvent`); an application defines the rest the same way and unions them with these.
 */
import { Chunk, Context, Effect, Layer, Schema, type Scope, Stream } from "effect"
import { DeadLetterReason } from "./agent.ts"

/** Who an event is about and when; the sink stamps `ts` when it is absent. */
export interface EventOrigin {
  readonly agent?: string | undefined
  readonly job?: string | undefined
  readonly ts?: number | undefined
}

/** An event of one kind, as its publisher hands it to the sink. */
export interface TypedEventInput<T extends string, D> extends EventOrigin {
  readonly type: T
  readonly data: D
}

/** The fields every stored event has besides its type and data. */
const storedFields = {
  id: Schema.Number,
  ts: Schema.Number,
  agent: Schema.optional(Schema.String),
  job: Schema.optional(Schema.String)
}

export type EventSchema<T extends string, D extends Schema.Struct.Fields> = Schema.Struct<
  typeof storedFields & { type: Schema.Literal<[T]>; data: Schema.Struct<D> }
>

/** One kind of event: its type, the Schema of its stored form, and the constructor its publishers use. */
export interface EventKind<T extends string, D extends Schema.Struct.Fields> {
  readonly type: T
  readonly schema: EventSchema<T, D>
  /** The event to publish; a misspelt or missing data field does not compile. */
  readonly make: (data: Schema.Struct.Type<D>, origin?: EventOrigin) => TypedEventInput<T, Schema.Struct.Type<D>>
}

/**
 * Defines a kind of event. Its data fields must be plain values whose Schema is its own encoding
 * (strings, numbers, literals, arrays and structs of them): publishers hand data to the sink as it is.
 */
export const eventKind = <const T extends string, D extends Schema.Struct.Fields>(type: T, data: D): EventKind<T, D> => ({
  type,
  schema: Schema.Struct({ ...storedFields, type: Schema.Literal(type), data: Schema.Struct(data) }),
  make: (data, origin = {}) => ({ ...origin, type, data })
})

/** The supervisor whose child the event is about (`agent` is the child). */
const supervisor = Schema.String

export const SpawnedEvent = eventKind("spawned", { supervisor, kind: Schema.Literal("agent", "supervisor") })

export const RestartedEvent = eventKind("restarted", {
  supervisor,
  /** "crashed", an exit reason, "sibling" (restarted with a sibling by its strategy) or "requested". */
  reason: Schema.String,
  cause: Schema.optional(Schema.String),
  /** The sibling whose exit restarted this one. */
  sibling: Schema.optional(Schema.String),
  /** It waited out the supervisor's backoff. */
  delayed: Schema.optional(Schema.Boolean)
})

/** A restart's `init` failed; the supervisor tries again (within its intensity) or escalates. */
export const RestartFailedEvent = eventKind("restart-failed", { supervisor, cause: Schema.String })

/** `agent` is the supervisor that gave up: its children are stopped, the escalation goes to its parent. */
export const EscalatedEvent = eventKind("escalated", {
  supervisor,
  child: Schema.String,
  intensity: Schema.Number,
  periodMs: Schema.Number,
  cause: Schema.String
})

export const StoppedEvent = eventKind("stopped", {
  supervisor,
  reason: Schema.String,
  cause: Schema.optional(Schema.String),
  /** It did not stop within its shutdown policy and was killed. */
  killed: Schema.optional(Schema.Boolean),
  shutdownTimedOut: Schema.optional(Schema.Boolean)
})

/** `agent` is the envelope's addressee. */
export const DeadLetterEvent = eventKind("dead-letter", {
  reason: DeadLetterReason,
  id: Schema.String,
  from: Schema.String,
  tag: Schema.String,
  correlationId: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.String)
})

/** Only in a subscriber's own stream: it fell behind and lost the oldest events it had not read. */
export const EventsDroppedEvent = eventKind("events-dropped", { dropped: Schema.Number, firstId: Schema.Number, lastId: Schema.Number })

/**
 * An agent is alive, as of `ts`. The runtime does not publish it: whoever watches agents' heartbeats
 * does (an application's monitor agent), and memory's agent registry records it.
 */
export const HeartbeatEvent = eventKind("heartbeat", { node: Schema.optional(Schema.String) })

/** Every event the runtime itself publishes. */
export const LifecycleEvent = Schema.Union(
  SpawnedEvent.schema,
  RestartedEvent.schema,
  RestartFailedEvent.schema,
  EscalatedEvent.schema,
  StoppedEvent.schema,
  DeadLetterEvent.schema,
  EventsDroppedEvent.schema
)
export type LifecycleEvent = typeof LifecycleEvent.Type

export type LifecycleEventType = LifecycleEvent["type"]

/** The type of the event a slow subscriber reads in place of those it lost. */
export const EVENTS_DROPPED = EventsDroppedEvent.type

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
        ...EventsDroppedEvent.make({ dropped: this.dropped, firstId: this.firstDropped, lastId: this.lastDropped }),
        id: this.lastDropped,
        ts: Date.now()
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
