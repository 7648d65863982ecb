/**
 * EventLog: the swarm's append-only event table. Appends from any number of fibers are grouped by one
 * writer into a single transaction (group commit), and an append returns once its transaction has
 * committed. Readers query by type, agent, job and time with keyset pagination, or `tail` the log: a
 * Stream that replays from an id and then goes live without a gap or a duplicate.
 *
 * Live delivery inside the process comes from an in-memory hub fed after each commit; appends made by
 * another process sharing the file are picked up by polling, and any discontinuity in ids is filled
 * from the table, so the table is always the source of truth.
 */
import {
  Chunk,
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Layer,
  Option,
  PubSub,
  Queue,
  Ref,
  Schedule,
  Schema,
  type Scope,
  Stream
} from "effect"
import { type SwarmEvent, type SwarmEventInput, SwarmEvents, type SwarmEventsService } from "../runtime/index.ts"
import { projectLifecycle } from "./agent-registry.ts"
import { insertRows } from "./batch-insert.ts"
import { Database, type DatabaseError } from "./database.ts"
import { decode, EncodeError, encodeSync } from "./value-codec.ts"

export interface EventQuery {
  readonly types?: ReadonlyArray<string> | undefined
  readonly agent?: string | undefined
  readonly job?: string | undefined
  /** Inclusive lower bound on `ts` (epoch ms). */
  readonly from?: number | undefined
  /** Exclusive upper bound on `ts` (epoch ms). */
  readonly to?: number | undefined
  /** Cursor for ascending pages: only ids greater than this. */
  readonly after?: number | undefined
  /** Cursor for descending pages: only ids smaller than this. */
  readonly before?: number | undefined
  /** Default "asc" (oldest first). */
  readonly order?: "asc" | "desc" | undefined
  /** Default 100, at most 10,000. */
  readonly limit?: number | undefined
}

export interface EventPage {
  readonly events: ReadonlyArray<SwarmEvent>
  /** Pass as `after` (asc) or `before` (desc) for the next page; absent on the last page. */
  readonly next?: number | undefined
}

export interface TailOptions {
  /** Replay events with ids greater than this one first. Default 0: everything retained. */
  readonly after?: number | undefined
}

export interface EventLogOptions {
  /** Events older than this are deleted by `prune` (see cleanup). Default 30 days. */
  readonly retention?: Duration.DurationInput | undefined
  /** How often a live tail looks for appends made by other processes. Default 1 second. */
  readonly pollInterval?: Duration.DurationInput | undefined
}

export interface EventLogService {
  /** Appends in order; returns the stored events (ids, timestamps) once they are committed. */
  readonly append: (events: ReadonlyArray<SwarmEventInput>) => Effect.Effect<ReadonlyArray<SwarmEvent>, DatabaseError | EncodeError>
  readonly query: (query?: EventQuery) => Effect.Effect<EventPage, DatabaseError>
  /** Replays from `after`, then follows new events; never skips or repeats an id. */
  readonly tail: (options?: TailOptions) => Stream.Stream<SwarmEvent, DatabaseError>
  /** Subscribes now (in the scope): the stream yields events appended after this moment. */
  readonly subscribe: Effect.Effect<Stream.Stream<SwarmEvent, DatabaseError>, DatabaseError, Scope.Scope>
  /** The highest id ever assigned (0 for a new log). */
  readonly latestId: Effect.Effect<number, DatabaseError>
  /** Deletes events older than the retention window; returns how many. */
  readonly prune: Effect.Effect<number, DatabaseError>
  readonly retention: Duration.Duration
}

export class EventLog extends Context.Tag("reelswarm/memory/EventLog")<EventLog, EventLogService>() {}

interface PendingAppend {
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
  readonly inputs: ReadonlyArray<SwarmEventInput>
  readonly done: Deferred.Deferred<ReadonlyArray<SwarmEvent>, DatabaseError>
}

interface EventRow {
  readonly id: number
  readonly ts: number
  readonly type: string
  readonly agent: string | null
  readonly job: string | null
  readonly data: Uint8Array | null
}

const pageSize = 1000
const pruneChunk = 10_000
// OR FAIL: a multi-row INSERT with the default ABORT keeps a statement journal (a copy of every page it
// touches, to undo just that statement), which made it slower than row-by-row inserts. Nothing needs
// undoing per statement here: a failure rolls back the whole append transaction.
const insertHead = "INSERT OR FAIL INTO events (ts, type, agent, job, data) VALUES"

const toEvent = (row: EventRow): SwarmEvent => ({
  id: row.id,
  ts: row.ts,
  type: row.type,
  ...(row.agent === null ? {} : { agent: row.agent }),
  ...(row.job === null ? {} : { job: row.job }),
  ...(row.data === null ? {} : { data: decode(row.data) as Record<string, unknown> })
})

const stored = (input: SwarmEventInput, id: number, ts: number): SwarmEvent => {
  // Built field by field: this runs for every appended event, and spreads cost more.
  const event: { -readonly [K in keyof SwarmEvent]: SwarmEvent[K] } = { id, ts, type: input.type }
  if (input.agent !== undefined) event.agent = input.agent
  if (input.job !== undefined) event.job = input.job
  if (input.data !== undefined) event.data = input.data
  return event
}

const optionalString = (value: unknown) => value === undefined || typeof value === "string"

/** Why an event cannot be stored, or undefined when it can (events may come from outside, via the API). */
const invalid = (input: SwarmEventInput): string | undefined => {
  if (typeof input.type !== "string" || input.type.length === 0 || input.type.length > 200) {
    return "type must be a string of 1 to 200 characters"
  }
  if (!optionalString(input.agent) || !optionalString(input.job)) return "agent and job must be strings when present"
  if (input.ts !== undefined && !Number.isFinite(input.ts)) return "ts must be a finite number of epoch milliseconds"
  if (input.data !== undefined && (typeof input.data !== "object" || input.data === null)) return "data must be an object"
  return undefined
}

export const make = (options: EventLogOptions = {}): Effect.Effect<EventLogService, never, Database | Scope.Scope> =>
  Effect.gen(function*() {
    const { fail, sql, transaction } = yield* Database
    const retention = Duration.decode(options.retention ?? Duration.days(30))
    const pollInterval = Duration.decode(options.pollInterval ?? Duration.seconds(1))
    const queue = yield* Queue.unbounded<PendingAppend>()
    // Sliding: a reader that falls behind loses hub messages, notices the id gap and reads the table.
    const hub = yield* PubSub.sliding<ReadonlyArray<SwarmEvent>>(1024)

    const commit = (batch: ReadonlyArray<PendingAppend>) =>
      Effect.gen(function*() {
        const rows = batch.flatMap((pending) => pending.rows)
        // `transaction` turns every failure, defects included, into a DatabaseError: the writer must
        // survive anything, or every later append would wait forever.
        const result = yield* transaction("events.append")(Effect.gen(function*() {
          const lastId = yield* insertRows(sql, insertHead, 5, rows)
          let id = lastId - rows.length + 1
          const appended = batch.map((pending) => pending.inputs.map((input, i) => stored(input, id++, pending.rows[i]![0] as number)))
          yield* projectLifecycle(sql, appended.flat())
          return appended
        })).pipe(Effect.either)
        if (result._tag === "Left") {
          yield* Effect.forEach(batch, (pending) => Deferred.fail(pending.done, result.left), { discard: true })
          return
        }
        yield* Effect.forEach(batch, (pending, i) => Deferred.succeed(pending.done, result.right[i]!), { discard: true })
        yield* PubSub.publish(hub, result.right.flat())
      }).pipe(Effect.uninterruptible)

    // Appends still queued when the scope closes are written before the database closes.
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Queue.takeAll(queue), (rest) => Chunk.isEmpty(rest) ? Effect.void : commit(Chunk.toReadonlyArray(rest)))
    )
    yield* Effect.gen(function*() {
      const first = yield* Queue.take(queue)
      const rest = yield* Queue.takeAll(queue)
      yield* commit([first, ...rest])
    }).pipe(Effect.forever, Effect.forkScoped)

    const append = Effect.fn("EventLog.append")(function*(inputs: ReadonlyArray<SwarmEventInput>) {
      if (inputs.length === 0) return []
      const now = yield* Clock.currentTimeMillis
      const rows = new Array<ReadonlyArray<unknown>>(inputs.length)
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i]!
        // Checked before queueing: one bad event must not fail the other appends sharing its transaction.
        const problem = invalid(input)
        if (problem !== undefined) return yield* new EncodeError({ subject: `event #${i}`, detail: problem })
        let data: Uint8Array | null = null
        if (input.data !== undefined) {
          try {
            data = encodeSync(input.data)
          } catch (cause) {
            return yield* new EncodeError({ subject: `event "${input.type}"`, detail: String(cause) })
          }
        }
        rows[i] = [input.ts ?? now, input.type, input.agent ?? null, input.job ?? null, data]
      }
      const done = yield* Deferred.make<ReadonlyArray<SwarmEvent>, DatabaseError>()
      yield* Queue.offer(queue, { rows, inputs, done })
      return yield* Deferred.await(done)
    })

    const query = Effect.fn("EventLog.query")(function*(q: EventQuery = {}) {
      const limit = Math.max(1, Math.min(Math.floor(q.limit ?? 100), 10_000))
      const descending = q.order === "desc"
      const conditions = [
        ...(q.types === undefined ? [] : [sql.in("type", q.types)]),
        ...(q.agent === undefined ? [] : [sql`agent = ${q.agent}`]),
        ...(q.job === undefined ? [] : [sql`job = ${q.job}`]),
        ...(q.from === undefined ? [] : [sql`ts >= ${q.from}`]),
        ...(q.to === undefined ? [] : [sql`ts < ${q.to}`]),
        ...(q.after === undefined ? [] : [sql`id > ${q.after}`]),
        ...(q.before === undefined ? [] : [sql`id < ${q.before}`])
      ]
      const rows = yield* sql<EventRow>`SELECT id, ts, type, agent, job, data FROM events WHERE ${sql.and(conditions)}
        ORDER BY id ${sql.literal(descending ? "DESC" : "ASC")} LIMIT ${limit}`.pipe(Effect.mapError(fail("events.query")))
      const events = rows.map(toEvent)
      return rows.length === limit ? { events, next: rows[rows.length - 1]!.id } : { events }
    })

    const readAfter = (after: number) =>
      sql<EventRow>`SELECT id, ts, type, agent, job, data FROM events WHERE id > ${after} ORDER BY id LIMIT ${pageSize}`.pipe(
        Effect.map((rows) => rows.map(toEvent)),
        Effect.mapError(fail("events.tail"))
      )

    const latestId = sql<{ seq: number }>`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS seq`.pipe(
      Effect.map((rows) => rows[0]?.seq ?? 0),
      Effect.mapError(fail("events.latestId"))
    )

    /** Reads the table until caught up, then follows the hub; a gap in ids sends it back to the table. */
    const follow = (subscription: Queue.Dequeue<ReadonlyArray<SwarmEvent>>, after: number) => {
      let last = after
      let caughtUp = false
      const pull = Effect.gen(function*() {
        if (!caughtUp) {
          const page = yield* readAfter(last)
          if (page.length < pageSize) caughtUp = true
          if (page.length > 0) last = page[page.length - 1]!.id
          return Chunk.unsafeFromArray(page)
        }
        const woken = yield* Effect.timeoutOption(Queue.take(subscription), pollInterval)
        if (Option.isNone(woken)) {
          caughtUp = false
          return Chunk.empty<SwarmEvent>()
        }
        const batches = [woken.value, ...Chunk.toReadonlyArray(yield* Queue.takeAll(subscription))]
        const fresh: Array<SwarmEvent> = []
        for (const batch of batches) {
          for (const event of batch) {
            if (event.id <= last) continue
            if (event.id !== last + 1) {
              caughtUp = false
              return Chunk.unsafeFromArray(fresh)
            }
            fresh.push(event)
            last = event.id
          }
        }
        return Chunk.unsafeFromArray(fresh)
      })
      return Stream.repeatEffectChunk(pull)
    }

    const tail = (tailOptions: TailOptions = {}) =>
      Stream.unwrapScoped(Effect.map(PubSub.subscribe(hub), (subscription) => follow(subscription, tailOptions.after ?? 0)))

    const subscribe = Effect.gen(function*() {
      const subscription = yield* PubSub.subscribe(hub)
      return follow(subscription, yield* latestId)
    })

    const prune = Effect.gen(function*() {
      const cutoff = (yield* Clock.currentTimeMillis) - Duration.toMillis(retention)
      let total = 0
      while (true) {
        const result = yield* sql`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ${cutoff} LIMIT ${pruneChunk})`.raw.pipe(
          Effect.mapError(fail("events.prune"))
        )
        const changes = (result as { changes: number }).changes
        total += changes
        if (changes < pruneChunk) return total
      }
    }).pipe(Effect.withSpan("EventLog.prune"))

    return { append, query, tail, subscribe, latestId, prune, retention } satisfies EventLogService
  })

export const layer = (options?: EventLogOptions): Layer.Layer<EventLog, never, Database> => Layer.scoped(EventLog, make(options))

/**
 * Events the swarm published that could not be stored (a full disk, a damaged page, a lock held too
 * long): counted while the swarm runs and reported once, as a warning, when it stops.
 */
export class UnsavedEvents extends Schema.TaggedClass<UnsavedEvents>()("UnsavedEvents", {
  count: Schema.Number,
  filename: Schema.String,
  /** Why the first of them failed: the DatabaseError's reason ("full", "corrupt" …), or "unencodable". */
  reason: Schema.String,
  /** The first failure in SQLite's (or the encoder's) words. */
  detail: Schema.String
}) {
  get message(): string {
    return `${this.count} event${this.count === 1 ? "" : "s"} could not be saved to ${this.filename} (${this.reason}): ${this.detail}`
  }
}

/**
 * The runtime's `SwarmEvents` on top of the log. The runtime's interface has no error channel: a failed
 * append is counted (the swarm keeps running) and reported once as `UnsavedEvents` when the scope
 * closes; a live reader retries after a failed read, saying so once; `since` treats a failed read as a defect.
 */
export const makeSwarmEvents: Effect.Effect<SwarmEventsService, never, EventLog | Database | Scope.Scope> = Effect.gen(function*() {
  const log = yield* EventLog
  const { filename } = yield* Database
  const unsaved = yield* Ref.make<UnsavedEvents | undefined>(undefined)
  yield* Effect.addFinalizer(() =>
    Effect.flatMap(Ref.get(unsaved), (summary) => summary === undefined ? Effect.void : Effect.logWarning(summary))
  )
  const publishAll = (events: ReadonlyArray<SwarmEventInput>) =>
    log.append(events).pipe(
      Effect.asVoid,
      Effect.catchAll((error) =>
        Ref.update(unsaved, (summary) =>
          summary === undefined
            ? new UnsavedEvents({
              count: events.length,
              filename,
              reason: error._tag === "DatabaseError" ? error.reason : "unencodable",
              detail: error._tag === "DatabaseError" ? error.detail : error.message
            })
            : new UnsavedEvents({ ...summary, count: summary.count + events.length }))
      )
    )
  const since = (afterId: number) =>
    Effect.gen(function*() {
      const all: Array<SwarmEvent> = []
      let after = afterId
      while (true) {
        const page = yield* log.query({ after, limit: 10_000 })
        all.push(...page.events)
        if (page.next === undefined) return all
        after = page.next
      }
    }).pipe(Effect.orDie)
  const readFailureSaid = yield* Ref.make(false)
  return {
    publish: (event) => publishAll([event]),
    publishAll,
    subscribe: log.subscribe.pipe(
      Effect.map((stream) =>
        stream.pipe(
          Stream.tapError((error) =>
            Effect.flatMap(
              Ref.getAndSet(readFailureSaid, true),
              (said) => said ? Effect.void : Effect.logWarning(`swarm events: live read failed, retrying every second: ${error.message}`)
            )
          ),
          // The reader's position lives outside the stream, so a retry resumes after the last id it gave.
          Stream.retry(Schedule.spaced(Duration.seconds(1))),
          Stream.orDie
        )
      ),
      Effect.orDie
    ),
    since
  } satisfies SwarmEventsService
})

export const layerSwarmEvents: Layer.Layer<SwarmEvents, never, EventLog | Database> = Layer.scoped(SwarmEvents, makeSwarmEvents)
