/**
 * The agents table: one row per agent name with its node, state, restart and dead-letter counts and last
 * heartbeat. It is a projection of the event log, updated in the same transaction that appends the
 * lifecycle events, so it is exactly as current and as durable as the log itself. Heartbeats come as
 * the runtime's `heartbeat` events, which the video swarm's monitor publishes (one per agent every
 * few seconds, not every beat), so another process reading this file sees which agents are alive.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Clock, Context, Duration, Effect, Layer, Option } from "effect"
import {
  DeadLetterEvent,
  EscalatedEvent,
  HeartbeatEvent,
  RestartedEvent,
  SpawnedEvent,
  StoppedEvent,
  type SwarmEvent
} from "../runtime/index.ts"
import { Database, type DatabaseError } from "./database.ts"

/** State after each lifecycle event; event types absent here leave the state as it was. */
const stateAfter: Readonly<Record<string, string>> = {
  [SpawnedEvent.type]: "running",
  [RestartedEvent.type]: "running",
  [EscalatedEvent.type]: "escalated",
  [StoppedEvent.type]: "stopped"
}

/** State of an agent only ever seen in heartbeats or dead letters. */
const unknownState = "unknown"

export interface AgentRecord {
  readonly name: string
  readonly node?: string | undefined
  /** "running", "escalated", "stopped", or "unknown" (seen only through heartbeats or dead letters). */
  readonly state: string
  readonly restarts: number
  readonly deadLetters: number
  readonly lastHeartbeat?: number | undefined
  /** Timestamp of the last event that changed this row. */
  readonly updatedAt: number
  readonly lastEventId: number
}

export interface AgentQuery {
  readonly state?: string | undefined
  readonly node?: string | undefined
}

export interface AgentRegistryService {
  readonly list: (query?: AgentQuery) => Effect.Effect<ReadonlyArray<AgentRecord>, DatabaseError>
  readonly get: (name: string) => Effect.Effect<Option.Option<AgentRecord>, DatabaseError>
  /** Running agents whose last heartbeat (or, lacking one, last event) is older than `silentFor`. */
  readonly silent: (silentFor: Duration.DurationInput) => Effect.Effect<ReadonlyArray<AgentRecord>, DatabaseError>
}

export class AgentRegistry extends Context.Tag("reelswarm/memory/AgentRegistry")<AgentRegistry, AgentRegistryService>() {}

interface AgentDelta {
  name: string
  node: string | null
  state: string
  restarts: number
  deadLetters: number
  heartbeat: number | null
  updatedAt: number
  lastEventId: number
}

const isTracked = (type: string) => type in stateAfter || type === DeadLetterEvent.type || type === HeartbeatEvent.type

/**
 * Folds a batch of freshly appended events into the agents table (one statement for the whole batch).
 * Runs inside the event log's append transaction.
 */
export const projectLifecycle = (sql: SqlClient, events: ReadonlyArray<SwarmEvent>): Effect.Effect<void, SqlError> => {
  const deltas = new Map<string, AgentDelta>()
  for (const event of events) {
    if (event.agent === undefined || !isTracked(event.type)) continue
    let delta = deltas.get(event.agent)
    if (delta === undefined) {
      delta = {
        name: event.agent,
        node: null,
        state: unknownState,
        restarts: 0,
        deadLetters: 0,
        heartbeat: null,
        updatedAt: event.ts,
        lastEventId: event.id
      }
      deltas.set(event.agent, delta)
    }
    const node = event.data?.["node"]
    if (typeof node === "string") delta.node = node
    const state = stateAfter[event.type]
    if (state !== undefined) delta.state = state
    if (event.type === RestartedEvent.type) delta.restarts++
    if (event.type === DeadLetterEvent.type) delta.deadLetters++
    if (event.type === HeartbeatEvent.type) delta.heartbeat = Math.max(delta.heartbeat ?? event.ts, event.ts)
    delta.updatedAt = event.ts
    delta.lastEventId = event.id
  }
  if (deltas.size === 0) return Effect.void
  const rows = Array.from(deltas.values(), (d) => [
    d.name,
    d.node,
    d.state,
    d.restarts,
    d.deadLetters,
    d.heartbeat,
    d.updatedAt,
    d.lastEventId
  ])
  return sql.unsafe(
    `INSERT INTO agents (name, node, state, restarts, dead_letters, last_heartbeat, updated_at, last_event_id)
     SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7 FROM json_each(?) WHERE true
     ON CONFLICT (name) DO UPDATE SET
       node = coalesce(excluded.node, agents.node),
       state = CASE WHEN excluded.state = '${unknownState}' THEN agents.state ELSE excluded.state END,
       restarts = agents.restarts + excluded.restarts,
       dead_letters = agents.dead_letters + excluded.dead_letters,
       last_heartbeat = coalesce(max(agents.last_heartbeat, excluded.last_heartbeat), agents.last_heartbeat, excluded.last_heartbeat),
       updated_at = excluded.updated_at,
       last_event_id = excluded.last_event_id`,
    [JSON.stringify(rows)]
  ).pipe(Effect.asVoid)
}

interface AgentRow {
  readonly name: string
  readonly node: string | null
  readonly state: string
  readonly restarts: number
  readonly dead_letters: number
  readonly last_heartbeat: number | null
  readonly updated_at: number
  readonly last_event_id: number
}

const toRecord = (row: AgentRow): AgentRecord => ({
  name: row.name,
  ...(row.node === null ? {} : { node: row.node }),
  state: row.state,
  restarts: row.restarts,
  deadLetters: row.dead_letters,
  ...(row.last_heartbeat === null ? {} : { lastHeartbeat: row.last_heartbeat }),
  updatedAt: row.updated_at,
  lastEventId: row.last_event_id
})

export const make: Effect.Effect<AgentRegistryService, never, Database> = Effect.gen(function*() {
  const { fail, sql } = yield* Database
  const columns = sql.literal("name, node, state, restarts, dead_letters, last_heartbeat, updated_at, last_event_id")

  const list = Effect.fn("AgentRegistry.list")(function*(query: AgentQuery = {}) {
    const conditions = [
      ...(query.state === undefined ? [] : [sql`state = ${query.state}`]),
      ...(query.node === undefined ? [] : [sql`node = ${query.node}`])
    ]
    const rows = yield* sql<AgentRow>`SELECT ${columns} FROM agents WHERE ${sql.and(conditions)} ORDER BY name`.pipe(
      Effect.mapError(fail("agents.list"))
    )
    return rows.map(toRecord)
  })

  const get = Effect.fn("AgentRegistry.get")(function*(name: string) {
    const rows = yield* sql<AgentRow>`SELECT ${columns} FROM agents WHERE name = ${name}`.pipe(
      Effect.mapError(fail("agents.get"))
    )
    return Option.map(Option.fromNullable(rows[0]), toRecord)
  })

  const silent = Effect.fn("AgentRegistry.silent")(function*(silentFor: Duration.DurationInput) {
    const cutoff = (yield* Clock.currentTimeMillis) - Duration.toMillis(Duration.decode(silentFor))
    const rows = yield* sql<AgentRow>`SELECT ${columns} FROM agents
      WHERE state = 'running' AND coalesce(last_heartbeat, updated_at) < ${cutoff} ORDER BY name`.pipe(
      Effect.mapError(fail("agents.silent"))
    )
    return rows.map(toRecord)
  })

  return { list, get, silent } satisfies AgentRegistryService
})

export const layer: Layer.Layer<AgentRegistry, never, Database> = Layer.effect(AgentRegistry, make)
