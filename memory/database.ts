/**
 * The swarm's SQLite file: opened once per process in WAL mode through @effect/sql-sqlite-node, with a
 * busy timeout so a second process can share it, migrated on open. Every failure that reaches a user
 * is a `DatabaseError` naming the file and saying whether it is corrupt, unreadable or locked.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { SqlClient } from "@effect/sql/SqlClient"
import { Context, Data, Duration, Effect, Layer, type Scope } from "effect"
import * as path from "node:path"
import { migrate } from "./migrations.ts"

export type DatabaseErrorReason = "corrupt" | "unreadable" | "locked" | "failed"

export class DatabaseError extends Data.TaggedError("DatabaseError")<{
  readonly filename: string
  readonly reason: DatabaseErrorReason
  /** What was being done: "open", "migrate", "memory.set", "events.append" … */
  readonly operation: string
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const what = {
      corrupt: "is corrupt or not an SQLite database",
      unreadable: "cannot be opened or read",
      locked: "is locked by another connection (busy timeout exceeded)",
      failed: "reported an error"
    }[this.reason]
    return `${this.filename} ${what} during ${this.operation}: ${this.detail}`
  }
}

export type Synchronous = "full" | "normal"

export interface DatabaseOptions {
  /** Path of the SQLite file; created if missing (its directory must exist). */
  readonly filename: string
  /** How long a statement waits for another connection's lock before failing as "locked". Default 5 s. */
  readonly busyTimeout?: Duration.DurationInput | undefined
  /**
   * "full" (default): every commit is fsynced, so what returned survives a power loss as well as a crash.
   * "normal": commits survive a process crash (SIGKILL) but the last ones may be lost on power loss.
   */
  readonly synchronous?: Synchronous | undefined
}

export interface DatabaseService {
  readonly filename: string
  readonly sql: SqlClient
  /** Maps a failed statement (or any failure while using the file) to a `DatabaseError` for `operation`. */
  readonly fail: (operation: string) => (cause: unknown) => DatabaseError
}

export class Database extends Context.Tag("reelswarm/memory/Database")<Database, DatabaseService>() {}

const codeOf = (u: unknown): string | undefined => {
  let current: unknown = u
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string" && code.startsWith("SQLITE_")) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

const detailOf = (u: unknown): string => {
  let current: unknown = u
  let text = String(u)
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof Error && !current.message.startsWith("Failed to")) text = current.message
    current = (current as { cause?: unknown }).cause
  }
  return text
}

const reasonOf = (u: unknown): DatabaseErrorReason => {
  const code = codeOf(u)
  if (code === undefined) return u instanceof TypeError ? "unreadable" : "failed"
  if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT")) return "corrupt"
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "locked"
  if (
    code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_PERM") || code.startsWith("SQLITE_READONLY") ||
    code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_AUTH")
  ) return "unreadable"
  return "failed"
}

/** Classifies any failure (a `SqlError`, a better-sqlite3 exception) raised while working on `filename`. */
export const toDatabaseError = (filename: string, operation: string) => (cause: unknown): DatabaseError =>
  new DatabaseError({ filename, operation, reason: reasonOf(cause), detail: detailOf(cause), cause })

/** Opens (creating if needed) and migrates the file; closed when the scope ends. */
export const make = (options: DatabaseOptions): Effect.Effect<DatabaseService, DatabaseError, Scope.Scope> =>
  Effect.gen(function*() {
    const filename = path.resolve(options.filename)
    const opening = toDatabaseError(filename, "open")
    // better-sqlite3 throws from its constructor and first pragma: those arrive as defects.
    const client = yield* SqliteClient.make({ filename }).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(opening(defect))),
      Effect.provide(Reactivity.layer)
    )
    const busyMs = Math.max(0, Math.round(Duration.toMillis(options.busyTimeout ?? Duration.seconds(5))))
    const synchronous = options.synchronous === "normal" ? "NORMAL" : "FULL"
    yield* Effect.all([
      client.unsafe(`PRAGMA busy_timeout = ${busyMs}`),
      client.unsafe(`PRAGMA synchronous = ${synchronous}`),
      client.unsafe("SELECT count(*) FROM sqlite_master")
    ]).pipe(Effect.mapError(opening))
    yield* migrate.pipe(
      Effect.provideService(SqlClient, client),
      Effect.catchAllDefect((defect) => Effect.fail(defect)),
      Effect.mapError(toDatabaseError(filename, "migrate"))
    )
    return {
      filename,
      sql: client,
      fail: (operation: string) => toDatabaseError(filename, operation)
    } satisfies DatabaseService
  })

export const layer = (options: DatabaseOptions): Layer.Layer<Database, DatabaseError> => Layer.scoped(Database, make(options))
