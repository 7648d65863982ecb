/**
 * The swarm's SQLite file: opened once per process in WAL mode through @effect/sql-sqlite-node, with a
 * busy timeout so a second process can share it, checked and migrated on open. Every failure that
 * reaches a user is a `DatabaseError` naming the file and saying whether it is corrupt, read-only,
 * locked, full, or failed otherwise.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { SqlClient } from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Cause, Context, Duration, Effect, Layer, Schema, type Scope } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { migrate } from "./migrations.ts"

export const DatabaseErrorReason = Schema.Literal("corrupt", "read-only", "locked", "full", "io")
export type DatabaseErrorReason = typeof DatabaseErrorReason.Type

export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  filename: Schema.String,
  /**
   * "corrupt": not an SQLite database or damaged pages; "read-only": the file or its directory cannot
   * be written; "locked": another connection held the lock past the busy timeout; "full": the disk
   * (or SQLite's size limit) is full; "io": anything else (a missing directory, an I/O error …).
   */
  reason: DatabaseErrorReason,
  /** What was being done: "open", "check", "migrate", "memory.set", "events.append" … */
  operation: Schema.String,
  /** SQLite's (or the system's) own words. */
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    const what = {
      corrupt: "is corrupt or not an SQLite database",
      "read-only": "cannot be written (read-only file, directory or file system)",
      locked: "is locked by another connection (busy timeout exceeded)",
      full: "cannot grow: the disk is full",
      io: "cannot be opened or read"
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
  /**
   * Runs `effect` in a transaction; any failure, the commit's included, is a `DatabaseError` for
   * `operation` that keeps SQLite's first word on it (see `transaction` below).
   */
  readonly transaction: (operation: string) => <A, R>(effect: Effect.Effect<A, SqlError, R>) => Effect.Effect<A, DatabaseError, R>
}

export class Database extends Context.Tag("reelswarm/memory/Database")<Database, DatabaseService>() {}

/** The `code`s along a failure's cause chain: SQLite's (`SQLITE_FULL`) and the system's (`ENOSPC`). */
const codesOf = (u: unknown): ReadonlyArray<string> => {
  const codes: Array<string> = []
  let current: unknown = u
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string") codes.push(code)
    current = (current as { cause?: unknown }).cause
  }
  return codes
}

const detailOf = (u: unknown): string => {
  let current: unknown = u
  let text = String(u)
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof Error && !current.message.startsWith("Failed to")) text = current.message
    current = (current as { cause?: unknown }).cause
  }
  return text
}

const reasonOfCode = (code: string): DatabaseErrorReason | undefined => {
  if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT")) return "corrupt"
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "locked"
  if (code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT") return "full"
  if (
    code.startsWith("SQLITE_READONLY") || code === "SQLITE_PERM" || code === "SQLITE_AUTH" ||
    code === "EACCES" || code === "EPERM" || code === "EROFS"
  ) return "read-only"
  return undefined
}

const reasonOf = (u: unknown): DatabaseErrorReason => {
  for (const code of codesOf(u)) {
    const reason = reasonOfCode(code)
    if (reason !== undefined) return reason
  }
  return "io"
}

/** Classifies any failure (a `SqlError`, a better-sqlite3 exception) raised while working on `filename`. */
export const toDatabaseError = (filename: string, operation: string) => (cause: unknown): DatabaseError =>
  cause instanceof DatabaseError
    ? cause
    : new DatabaseError({ filename, operation, reason: reasonOf(cause), detail: detailOf(cause), cause })

/**
 * The `DatabaseError` inside a failure raised by someone else's use of the file (the cluster engine's
 * `PersistenceError` wraps an `SqlError` wrapping SQLite's exception), or undefined when SQLite had no part in it.
 */
export const findDatabaseError = (filename: string, operation: string) => (cause: unknown): DatabaseError | undefined => {
  if (cause instanceof DatabaseError) return cause
  return codesOf(cause).some((code) => code.startsWith("SQLITE_")) ? toDatabaseError(filename, operation)(cause) : undefined
}

/**
 * SQLite says only "unable to open database file" when the file or its directory cannot be written
 * (WAL mode creates `-wal` and `-shm` beside the file): ask the file system which one it is.
 */
const refineCantOpen = (error: DatabaseError): DatabaseError => {
  if (!codesOf(error.cause).includes("SQLITE_CANTOPEN")) return error
  const dir = path.dirname(error.filename)
  const problem = [dir, error.filename].flatMap((target) => {
    try {
      fs.accessSync(target, fs.constants.R_OK | fs.constants.W_OK)
      return []
    } catch (cause) {
      const code = (cause as { code?: unknown }).code
      // A file not made yet is fine when its directory can be written.
      return target === error.filename && code === "ENOENT" ? [] : [{ target, code, message: (cause as Error).message }]
    }
  })[0]
  if (problem === undefined) return error
  const reason = typeof problem.code === "string" ? reasonOfCode(problem.code) ?? "io" : "io"
  return new DatabaseError({ ...error, reason, detail: `${error.detail} (${problem.message})` })
}

/**
 * SQLite opens a file it may not write (immutable, on a read-only mount, another user's) read-only
 * without a word, and fails only at the first write: find that out at open instead.
 */
const checkWritable = (filename: string): DatabaseError | undefined => {
  for (const target of [filename, `${filename}-wal`, `${filename}-shm`]) {
    try {
      fs.accessSync(target, fs.constants.W_OK)
    } catch (cause) {
      const code = (cause as { code?: unknown }).code
      if (target !== filename && code === "ENOENT") continue
      return new DatabaseError({
        filename,
        reason: typeof code === "string" ? reasonOfCode(code) ?? "io" : "io",
        operation: "open",
        detail: (cause as Error).message
      })
    }
  }
  return undefined
}

/**
 * Files up to this size get SQLite's `quick_check` of every page at open (about 5 ms per MiB here: at
 * most a third of a second); a bigger file gets it for every table but the event log, whose damaged
 * pages surface as a `corrupt` DatabaseError when they are read or written.
 */
const FULL_CHECK_BYTES = 64 * 1024 * 1024
const LARGE_TABLE = "events"

/** The problems in a `quick_check` or `integrity_check` answer; none when it said "ok". */
const problemLines = (rows: ReadonlyArray<Record<string, unknown>>): ReadonlyArray<string> =>
  rows.flatMap((row) =>
    String(Object.values(row)[0]).split("\n")
      // "*** in database main ***" heads a problem's lines; the lines themselves say what is wrong.
      .filter((line) => line !== "ok" && line !== "" && !line.startsWith("***"))
  )

/** Reads the header and schema (a damaged header fails here), then checks the pages; "ok" or the problems found. */
const checkPages = (client: SqliteClient.SqliteClient, filename: string) =>
  Effect.gen(function*() {
    yield* client.unsafe("PRAGMA user_version")
    const tables = yield* client.unsafe<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
    const size = yield* Effect.sync(() => fs.statSync(filename, { throwIfNoEntry: false })?.size ?? 0)
    const checks = size <= FULL_CHECK_BYTES
      ? ["PRAGMA quick_check"]
      : tables.filter((t) => t.name !== LARGE_TABLE).map((t) => `PRAGMA quick_check("${t.name.replaceAll("\"", "\"\"")}")`)
    const problems: Array<string> = []
    for (const check of checks) {
      const rows = yield* client.unsafe<Record<string, unknown>>(check)
      problems.push(...problemLines(rows))
    }
    return problems
  })

/**
 * After SQLITE_FULL, SQLITE_IOERR or SQLITE_BUSY, SQLite may roll the transaction back by itself; the
 * ROLLBACK that @effect/sql then sends dies with "no transaction is active" and hides the failure
 * that mattered ("database or disk is full"). The body's own failure is kept and reported instead.
 */
const transaction =
  (client: SqlClient, fail: (operation: string) => (cause: unknown) => DatabaseError) =>
  (operation: string) =>
  <A, R>(effect: Effect.Effect<A, SqlError, R>): Effect.Effect<A, DatabaseError, R> =>
    Effect.suspend(() => {
      let bodyFailure: Cause.Cause<SqlError> | undefined
      return client.withTransaction(Effect.tapErrorCause(effect, (cause) => Effect.sync(() => (bodyFailure = cause)))).pipe(
        Effect.catchAllCause((cause) => {
          const kept = bodyFailure !== undefined && Cause.isDie(cause) && !Cause.isFailure(cause) ? bodyFailure : cause
          return Effect.fail(fail(operation)(Cause.squash(kept)))
        })
      )
    })

/** Opens (creating if needed), checks and migrates the file; closed when the scope ends. */
export const make = (options: DatabaseOptions): Effect.Effect<DatabaseService, DatabaseError, Scope.Scope> =>
  Effect.gen(function*() {
    const filename = path.resolve(options.filename)
    const opening = (cause: unknown) => refineCantOpen(toDatabaseError(filename, "open")(cause))
    // better-sqlite3 throws from its constructor and first pragma: those arrive as defects.
    const client = yield* SqliteClient.make({ filename }).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(opening(defect))),
      Effect.provide(Reactivity.layer)
    )
    const unwritable = checkWritable(filename)
    if (unwritable !== undefined) return yield* unwritable
    const busyMs = Math.max(0, Math.round(Duration.toMillis(options.busyTimeout ?? Duration.seconds(5))))
    const synchronous = options.synchronous === "normal" ? "NORMAL" : "FULL"
    yield* Effect.all([
      client.unsafe(`PRAGMA busy_timeout = ${busyMs}`),
      client.unsafe(`PRAGMA synchronous = ${synchronous}`)
    ]).pipe(Effect.mapError(opening))
    // Take the write lock once and give it back: a lock held elsewhere past the busy timeout (or a
    // file SQLite opened read-only) fails here, before any work, rather than at some later write.
    yield* client.unsafe("BEGIN IMMEDIATE").pipe(
      Effect.zipRight(client.unsafe("ROLLBACK")),
      Effect.catchAllDefect((defect) => Effect.fail(defect)),
      Effect.mapError(toDatabaseError(filename, "open"))
    )
    const problems = yield* checkPages(client, filename).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(defect)),
      Effect.mapError(toDatabaseError(filename, "check"))
    )
    if (problems.length > 0) {
      return yield* new DatabaseError({
        filename,
        reason: "corrupt",
        operation: "check",
        detail: `damaged pages (${problems.slice(0, 3).join("; ")}${problems.length > 3 ? "; …" : ""})`
      })
    }
    yield* migrate.pipe(
      Effect.provideService(SqlClient, client),
      Effect.catchAllDefect((defect) => Effect.fail(defect)),
      Effect.mapError(toDatabaseError(filename, "migrate"))
    )
    const fail = (operation: string) => toDatabaseError(filename, operation)
    return { filename, sql: client, fail, transaction: transaction(client, fail) } satisfies DatabaseService
  })

/**
 * SQLite's full `integrity_check` (every page, every index against its table) of an open database:
 * the problems found, none when it is sound. Slow on big files (seconds per 100 MiB), so it is for
 * `reelswarm doctor`, not for every open.
 */
export const integrityCheck = (database: DatabaseService): Effect.Effect<ReadonlyArray<string>, DatabaseError> =>
  database.sql.unsafe<Record<string, unknown>>("PRAGMA integrity_check").pipe(
    Effect.map(problemLines),
    Effect.catchAllDefect((defect) => Effect.fail(defect)),
    Effect.mapError(database.fail("integrity-check"))
  )

export const layer = (options: DatabaseOptions): Layer.Layer<Database, DatabaseError> => Layer.scoped(Database, make(options))
