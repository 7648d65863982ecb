/**
 * SharedMemory: namespaced key/value storage in the swarm file. Values are msgpack, entries may expire
 * (TTL measured with Effect's Clock), keys are listed by glob pattern, compare-and-set is one atomic
 * statement, and a size cap evicts least-recently-used entries outside pinned namespaces.
 *
 * Reads do not write: access statistics are gathered in memory and written in one statement shortly
 * after (`statsFlushInterval`), and before anything that depends on them: `stats`, eviction, scope close.
 */
import { Clock, Context, Duration, Effect, Layer, Option, type Scope } from "effect"
import { insertRows } from "./batch-insert.ts"
import { Database, type DatabaseError } from "./database.ts"
import { decode, encode, type EncodeError } from "./value-codec.ts"

export interface SetOptions {
  /** The entry disappears this long after it was written. */
  readonly ttl?: Duration.DurationInput | undefined
}

export interface ListOptions {
  /** SQLite GLOB over keys: `*`, `?`, `[abc]`; case-sensitive. Default `*`. */
  readonly pattern?: string | undefined
  /** Keys strictly after this one (pagination: pass the last key of the previous page). */
  readonly after?: string | undefined
  /** Default 1000. */
  readonly limit?: number | undefined
}

export interface MemoryEntry {
  readonly key: string
  readonly value: unknown
  /** Epoch milliseconds, absent for entries that never expire. */
  readonly expiresAt?: number | undefined
}

export interface AccessStats {
  readonly reads: number
  readonly writes: number
  /** Stored size: key, namespace and encoded value, in bytes. */
  readonly bytes: number
  readonly createdAt: number
  readonly updatedAt: number
  readonly lastAccess: number
  readonly expiresAt?: number | undefined
}

export interface MemoryUsage {
  readonly entries: number
  readonly bytes: number
  readonly maxBytes?: number | undefined
}

export interface SharedMemoryOptions {
  /** Total stored bytes above which least-recently-used entries of unpinned namespaces are evicted. */
  readonly maxBytes?: number | undefined
  /** Namespaces never evicted (also settable later with `pin`). */
  readonly pinned?: ReadonlyArray<string> | undefined
  /** Buffered read statistics are written at most this long after a read. Default 1 second. */
  readonly statsFlushInterval?: Duration.DurationInput | undefined
}

export interface SharedMemoryService {
  readonly get: (namespace: string, key: string) => Effect.Effect<Option.Option<unknown>, DatabaseError>
  readonly set: (
    namespace: string,
    key: string,
    value: unknown,
    options?: SetOptions
  ) => Effect.Effect<void, DatabaseError | EncodeError>
  /** Writes many entries of one namespace in one transaction. */
  readonly setMany: (
    namespace: string,
    entries: Iterable<readonly [key: string, value: unknown]>,
    options?: SetOptions
  ) => Effect.Effect<void, DatabaseError | EncodeError>
  /** True when a live entry was removed. */
  readonly delete: (namespace: string, key: string) => Effect.Effect<boolean, DatabaseError>
  /** Live entries of a namespace whose key matches the glob pattern, ordered by key. */
  readonly list: (namespace: string, options?: ListOptions) => Effect.Effect<ReadonlyArray<MemoryEntry>, DatabaseError>
  /**
   * Writes `next` only if the current value is `expected` (compared as encoded bytes; `Option.none()`
   * means "absent or expired"). True when it wrote, false on a conflict.
   */
  readonly compareAndSet: (
    namespace: string,
    key: string,
    expected: Option.Option<unknown>,
    next: unknown,
    options?: SetOptions
  ) => Effect.Effect<boolean, DatabaseError | EncodeError>
  readonly stats: (namespace: string, key: string) => Effect.Effect<Option.Option<AccessStats>, DatabaseError>
  readonly usage: Effect.Effect<MemoryUsage, DatabaseError>
  /** Marks a namespace as exempt from eviction (or not, with `pinned = false`). */
  readonly pin: (namespace: string, pinned?: boolean) => Effect.Effect<void, DatabaseError>
  /** Deletes expired entries; returns how many. */
  readonly purgeExpired: Effect.Effect<number, DatabaseError>
  /** Writes buffered read statistics now. */
  readonly flushStats: Effect.Effect<void, DatabaseError>
}

export class SharedMemory extends Context.Tag("reelswarm/memory/SharedMemory")<SharedMemory, SharedMemoryService>() {}

interface PendingReads {
  readonly namespace: string
  readonly key: string
  reads: number
  lastAccess: number
  lru: number
}

interface RunResult {
  readonly changes: number
}

const entrySize = (namespace: string, key: string, value: Uint8Array) =>
  Buffer.byteLength(namespace) + Buffer.byteLength(key) + value.byteLength

// OR FAIL spares multi-row statements a statement journal (see event-log.ts); failures roll back the transaction.
const upsertHead = `INSERT OR FAIL INTO memory (namespace, key, value, size, expires_at, created_at, updated_at, last_access, lru)
  VALUES`
const upsertTail = `ON CONFLICT (namespace, key) DO UPDATE SET
  value = excluded.value,
  size = excluded.size,
  expires_at = excluded.expires_at,
  updated_at = excluded.updated_at,
  last_access = excluded.last_access,
  lru = excluded.lru,
  writes = memory.writes + 1`

export const make = (options: SharedMemoryOptions = {}): Effect.Effect<SharedMemoryService, DatabaseError, Database | Scope.Scope> =>
  Effect.gen(function*() {
    const { fail, sql, transaction } = yield* Database
    const maxBytes = options.maxBytes
    const scope = yield* Effect.scope
    const flushInterval = options.statsFlushInterval ?? Duration.seconds(1)
    const pending = new Map<string, PendingReads>()
    let flushScheduled = false
    // A per-process logical clock for LRU order: microseconds of wall time when time moves, +1 when it
    // does not (TestClock), so two accesses are never tied.
    let lastTick = 0
    const tick = (now: number) => (lastTick = Math.max(lastTick + 1, now * 1000))

    const expiry = (now: number, setOptions?: SetOptions) =>
      setOptions?.ttl === undefined ? null : now + Duration.toMillis(Duration.decode(setOptions.ttl))

    const flushStats: Effect.Effect<void, DatabaseError> = Effect.suspend(() => {
      flushScheduled = false
      if (pending.size === 0) return Effect.void
      const rows = Array.from(pending.values(), (p) => [p.namespace, p.key, p.reads, p.lastAccess, p.lru])
      pending.clear()
      return sql.unsafe(
        `UPDATE memory SET reads = memory.reads + s.n, last_access = max(memory.last_access, s.t), lru = max(memory.lru, s.l)
         FROM (SELECT value->>0 AS ns, value->>1 AS k, value->>2 AS n, value->>3 AS t, value->>4 AS l FROM json_each(?)) AS s
         WHERE memory.namespace = s.ns AND memory.key = s.k`,
        [JSON.stringify(rows)]
      ).pipe(Effect.asVoid, Effect.mapError(fail("memory.flushStats")))
    })

    const purgeExpired = Effect.flatMap(
      Clock.currentTimeMillis,
      (now) => sql`DELETE FROM memory WHERE expires_at IS NOT NULL AND expires_at <= ${now}`.raw
    ).pipe(
      Effect.map((result) => (result as RunResult).changes),
      Effect.mapError(fail("memory.purgeExpired")),
      Effect.withSpan("SharedMemory.purgeExpired")
    )

    const totalBytes = Effect.map(
      sql<{ entries: number; bytes: number }>`SELECT entries, bytes FROM memory_totals WHERE id = 1`,
      (rows) => rows[0] ?? { entries: 0, bytes: 0 }
    )

    /** Evicts least-recently-used unpinned entries until the total fits, sparing the entry just written. */
    const enforceCap = (namespace: string, keys: ReadonlyArray<string>) =>
      maxBytes === undefined ? Effect.void : Effect.gen(function*() {
        const { bytes } = yield* totalBytes.pipe(Effect.mapError(fail("memory.evict")))
        if (bytes <= maxBytes) return
        yield* flushStats
        yield* purgeExpired
        const spared = new Set(keys)
        while (true) {
          const excess = (yield* totalBytes.pipe(Effect.mapError(fail("memory.evict")))).bytes - maxBytes
          if (excess <= 0) return
          const candidates = yield* sql<{ id: number; namespace: string; key: string; size: number }>`
            SELECT rowid AS id, namespace, key, size FROM memory
            WHERE namespace NOT IN (SELECT namespace FROM memory_namespaces WHERE pinned = 1)
            ORDER BY lru LIMIT 256`.pipe(Effect.mapError(fail("memory.evict")))
          const victims: Array<number> = []
          let freed = 0
          for (const c of candidates) {
            if (freed >= excess) break
            if (c.namespace === namespace && spared.has(c.key)) continue
            victims.push(c.id)
            freed += c.size
          }
          if (victims.length === 0) return
          yield* sql`DELETE FROM memory WHERE ${sql.in("rowid", victims)}`.pipe(Effect.mapError(fail("memory.evict")))
        }
      })

    const scheduleFlush = Effect.suspend(() => {
      flushScheduled = true
      return Effect.sleep(flushInterval).pipe(
        Effect.zipRight(flushStats),
        Effect.catchAll((error) => Effect.logWarning("memory: could not write access statistics", error)),
        Effect.forkIn(scope),
        Effect.asVoid
      )
    })

    const recordRead = (namespace: string, key: string, now: number) => {
      const id = `${namespace}\u0000${key}`
      const seen = pending.get(id)
      if (seen === undefined) pending.set(id, { namespace, key, reads: 1, lastAccess: now, lru: tick(now) })
      else {
        seen.reads++
        seen.lastAccess = now
        seen.lru = tick(now)
      }
    }

    // The hot path: written without a generator or a span of its own (the SQL statement has one);
    // both cost about as much as the indexed lookup itself.
    const get = (namespace: string, key: string): Effect.Effect<Option.Option<unknown>, DatabaseError> =>
      sql<{ value: Uint8Array; expires_at: number | null }>`
        SELECT value, expires_at FROM memory WHERE namespace = ${namespace} AND key = ${key}`.pipe(
        Effect.mapError(fail("memory.get")),
        Effect.flatMap((rows) => {
          const row = rows[0]
          if (row === undefined) return Effect.succeedNone
          return Effect.clockWith((clock) => {
            const now = clock.unsafeCurrentTimeMillis()
            if (row.expires_at !== null && row.expires_at <= now) return Effect.succeedNone
            recordRead(namespace, key, now)
            const value = Option.some(decode(row.value))
            // One delayed flush per interval, started by the first buffered read: an idle store never wakes.
            return flushScheduled ? Effect.succeed(value) : Effect.as(scheduleFlush, value)
          })
        })
      )

    const setMany = Effect.fn("SharedMemory.setMany")(function*(
      namespace: string,
      entries: Iterable<readonly [key: string, value: unknown]>,
      setOptions?: SetOptions
    ) {
      const now = yield* Clock.currentTimeMillis
      const expiresAt = expiry(now, setOptions)
      const rows: Array<ReadonlyArray<unknown>> = []
      const keys: Array<string> = []
      for (const [key, value] of entries) {
        const bytes = yield* encode(`memory ${namespace}/${key}`, value)
        rows.push([namespace, key, bytes, entrySize(namespace, key, bytes), expiresAt, now, now, now, tick(now)])
        keys.push(key)
      }
      if (rows.length === 0) return
      yield* transaction("memory.set")(insertRows(sql, upsertHead, 9, rows, upsertTail))
      yield* enforceCap(namespace, keys)
    })

    const set = Effect.fn("SharedMemory.set")(function*(
      namespace: string,
      key: string,
      value: unknown,
      setOptions?: SetOptions
    ) {
      const now = yield* Clock.currentTimeMillis
      const bytes = yield* encode(`memory ${namespace}/${key}`, value)
      const size = entrySize(namespace, key, bytes)
      yield* sql.unsafe(`${upsertHead} (?,?,?,?,?,?,?,?,?) ${upsertTail}`, [
        namespace,
        key,
        bytes,
        size,
        expiry(now, setOptions),
        now,
        now,
        now,
        tick(now)
      ]).pipe(Effect.mapError(fail("memory.set")))
      yield* enforceCap(namespace, [key])
    })

    const compareAndSet = Effect.fn("SharedMemory.compareAndSet")(function*(
      namespace: string,
      key: string,
      expected: Option.Option<unknown>,
      next: unknown,
      setOptions?: SetOptions
    ) {
      const now = yield* Clock.currentTimeMillis
      const bytes = yield* encode(`memory ${namespace}/${key}`, next)
      const size = entrySize(namespace, key, bytes)
      const expiresAt = expiry(now, setOptions)
      const written = Option.isNone(expected)
        ? sql.unsafe(
          `${upsertHead} (?,?,?,?,?,?,?,?,?)
           ON CONFLICT (namespace, key) DO UPDATE SET
             value = excluded.value, size = excluded.size, expires_at = excluded.expires_at,
             created_at = excluded.created_at, updated_at = excluded.updated_at,
             last_access = excluded.last_access, lru = excluded.lru, reads = 0, writes = 1
           WHERE memory.expires_at IS NOT NULL AND memory.expires_at <= ?`,
          [namespace, key, bytes, size, expiresAt, now, now, now, tick(now), now]
        ).raw
        : Effect.flatMap(
          encode(`memory ${namespace}/${key}`, expected.value),
          (previous) =>
            sql`UPDATE memory SET value = ${bytes}, size = ${size}, expires_at = ${expiresAt}, updated_at = ${now},
                last_access = ${now}, lru = ${tick(now)}, writes = writes + 1
              WHERE namespace = ${namespace} AND key = ${key} AND value = ${previous}
                AND (expires_at IS NULL OR expires_at > ${now})`.raw
        )
      const result = yield* written.pipe(
        Effect.catchTag("SqlError", (error) => Effect.fail(fail("memory.compareAndSet")(error)))
      )
      const changed = (result as RunResult).changes > 0
      if (changed) yield* enforceCap(namespace, [key])
      return changed
    })

    const remove = Effect.fn("SharedMemory.delete")(function*(namespace: string, key: string) {
      const now = yield* Clock.currentTimeMillis
      pending.delete(`${namespace}\u0000${key}`)
      const result = yield* sql`DELETE FROM memory WHERE namespace = ${namespace} AND key = ${key}
        RETURNING expires_at`.pipe(Effect.mapError(fail("memory.delete")))
      return result.some((row) => row["expires_at"] === null || (row["expires_at"] as number) > now)
    })

    const list = Effect.fn("SharedMemory.list")(function*(namespace: string, listOptions: ListOptions = {}) {
      const now = yield* Clock.currentTimeMillis
      const limit = Math.max(1, Math.min(listOptions.limit ?? 1000, 100_000))
      const rows = yield* sql<{ key: string; value: Uint8Array; expires_at: number | null }>`
        SELECT key, value, expires_at FROM memory
        WHERE namespace = ${namespace} AND key GLOB ${listOptions.pattern ?? "*"} AND key > ${listOptions.after ?? ""}
          AND (expires_at IS NULL OR expires_at > ${now})
        ORDER BY key LIMIT ${limit}`.pipe(Effect.mapError(fail("memory.list")))
      return rows.map((row): MemoryEntry =>
        row.expires_at === null
          ? { key: row.key, value: decode(row.value) }
          : { key: row.key, value: decode(row.value), expiresAt: row.expires_at }
      )
    })

    const stats = Effect.fn("SharedMemory.stats")(function*(namespace: string, key: string) {
      yield* flushStats
      const now = yield* Clock.currentTimeMillis
      const rows = yield* sql<{
        reads: number
        writes: number
        size: number
        created_at: number
        updated_at: number
        last_access: number
        expires_at: number | null
      }>`SELECT reads, writes, size, created_at, updated_at, last_access, expires_at FROM memory
         WHERE namespace = ${namespace} AND key = ${key} AND (expires_at IS NULL OR expires_at > ${now})`.pipe(
        Effect.mapError(fail("memory.stats"))
      )
      return Option.map(Option.fromNullable(rows[0]), (row): AccessStats => ({
        reads: row.reads,
        writes: row.writes,
        bytes: row.size,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        lastAccess: row.last_access,
        ...(row.expires_at === null ? {} : { expiresAt: row.expires_at })
      }))
    })

    const pin = Effect.fn("SharedMemory.pin")(function*(namespace: string, pinned = true) {
      yield* sql`INSERT INTO memory_namespaces (namespace, pinned) VALUES (${namespace}, ${pinned ? 1 : 0})
        ON CONFLICT (namespace) DO UPDATE SET pinned = excluded.pinned`.pipe(Effect.mapError(fail("memory.pin")))
    })

    const usage = totalBytes.pipe(
      Effect.map(({ bytes, entries }): MemoryUsage => maxBytes === undefined ? { entries, bytes } : { entries, bytes, maxBytes }),
      Effect.mapError(fail("memory.usage"))
    )

    yield* Effect.forEach(options.pinned ?? [], (namespace) => pin(namespace), { discard: true })
    yield* Effect.addFinalizer(() => Effect.ignoreLogged(flushStats))

    return {
      get,
      set,
      setMany,
      delete: remove,
      list,
      compareAndSet,
      stats,
      usage,
      pin,
      purgeExpired,
      flushStats
    } satisfies SharedMemoryService
  })

export const layer = (options?: SharedMemoryOptions): Layer.Layer<SharedMemory, DatabaseError, Database> =>
  Layer.scoped(SharedMemory, make(options))
