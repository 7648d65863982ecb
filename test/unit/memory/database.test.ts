import { describe, expect, it } from "@effect/vitest"
import BetterSqlite from "better-sqlite3"
import { Duration, Effect, Layer, Option } from "effect"
import { execFileSync } from "node:child_process"
import { randomFillSync } from "node:crypto"
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from "node:fs"
import { join } from "node:path"
import { toDatabaseError } from "../../../memory/database.ts"
import { Database, EventLog, memoryLayer, SharedMemory } from "../../../memory/index.ts"
import { tempDatabase, tempDir } from "./temp-database.ts"

const open = (filename: string) => Effect.scoped(Layer.build(memoryLayer({ filename })))

/** Makes the file immutable (even root cannot write it); false where chattr cannot. */
const immutable = (filename: string) => {
  try {
    execFileSync("chattr", ["+i", filename], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

describe("the swarm database file", () => {
  it.scoped("a file that is not SQLite fails to open with a corrupt-database error naming it", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      writeFileSync(filename, randomFillSync(Buffer.alloc(16_384)))
      const error = yield* Effect.flip(open(filename))
      expect(error._tag).toBe("DatabaseError")
      expect(error.reason).toBe("corrupt")
      expect(error.filename).toBe(filename)
      expect(error.message).toContain(filename)
    }))

  it.scoped("damaged pages inside a valid file give a corrupt-database error, not a crash", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      yield* Effect.gen(function*() {
        const memory = yield* SharedMemory
        yield* memory.setMany("frames", Array.from({ length: 2_000 }, (_, i) => [`frame-${i}`, "x".repeat(200)] as const))
      }).pipe(Effect.provide(memoryLayer({ filename })))
      // Closing checkpointed the WAL into the file; keep page 1 (the header) and scramble the rest.
      const size = statSync(filename).size
      expect(size).toBeGreaterThan(100_000)
      const fd = openSync(filename, "r+")
      writeSync(fd, randomFillSync(Buffer.alloc(size - 4096)), 0, size - 4096, 4096)
      closeSync(fd)
      const error = yield* Effect.flip(
        Effect.flatMap(SharedMemory, (memory) => memory.list("frames")).pipe(Effect.provide(memoryLayer({ filename })))
      )
      expect(error._tag).toBe("DatabaseError")
      if (error._tag !== "DatabaseError") return
      expect(error.reason).toBe("corrupt")
      expect(error.message).toContain(filename)
    }))

  it.scoped("one damaged page of the event log is found when the file is opened, before any work", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      yield* Effect.flatMap(EventLog, (log) =>
        log.append(Array.from({ length: 3_000 }, (_, i) => ({ type: "metric", data: { i, pad: "x".repeat(100) } })))).pipe(
          Effect.provide(memoryLayer({ filename }))
        )
      const reader = new BetterSqlite(filename, { readonly: true })
      const { rootpage } = reader.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events'").get() as { rootpage: number }
      const pageSize = reader.pragma("page_size", { simple: true }) as number
      reader.close()
      // The table's root page: every read of the table passes through it.
      const fd = openSync(filename, "r+")
      writeSync(fd, randomFillSync(Buffer.alloc(pageSize - 16)), 0, pageSize - 16, (rootpage - 1) * pageSize + 8)
      closeSync(fd)
      const error = yield* Effect.flip(open(filename))
      expect([error.reason, error.operation]).toEqual(["corrupt", "check"])
      expect(error.message).toContain(filename)
    }))

  it.scoped("a file that cannot be written (immutable) fails to open as read-only, not at the first write", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      yield* open(filename)
      if (!immutable(filename)) {
        return console.warn("skipped: chattr +i is not available here (needs root on a file system with attributes)")
      }
      yield* Effect.addFinalizer(() => Effect.sync(() => execFileSync("chattr", ["-i", filename])))
      const error = yield* Effect.flip(open(filename))
      expect([error.reason, error.operation]).toEqual(["read-only", "open"])
      expect(error.message).toContain(filename)
    }))

  it.scoped("a file that reaches its size limit fails writes as full; reads still work", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      yield* Effect.gen(function*() {
        const memory = yield* SharedMemory
        const { sql } = yield* Database
        yield* memory.set("jobs", "a", 1)
        // SQLite's own page limit gives the SQLITE_FULL a full disk would, without filling a disk.
        const pages = yield* sql.unsafe<{ page_count: number }>("PRAGMA page_count")
        yield* sql.unsafe(`PRAGMA max_page_count = ${pages[0]!.page_count}`)
        const error = yield* Effect.flip(memory.set("jobs", "big", "x".repeat(1_000_000)))
        expect(error._tag).toBe("DatabaseError")
        if (error._tag === "DatabaseError") expect([error.reason, error.operation]).toEqual(["full", "memory.set"])
        expect(Option.getOrNull(yield* memory.get("jobs", "a"))).toBe(1)
      }).pipe(Effect.provide(memoryLayer({ filename })))
    }))

  it("the system's own codes are classified too: ENOSPC is full, EROFS read-only, SQLITE_BUSY locked", () => {
    const classify = (code: string) => toDatabaseError("/x/swarm.db", "open")(Object.assign(new Error(code), { code })).reason
    expect(["ENOSPC", "EROFS", "EACCES", "SQLITE_BUSY", "SQLITE_CORRUPT_INDEX", "SQLITE_IOERR_READ"].map(classify)).toEqual([
      "full",
      "read-only",
      "read-only",
      "locked",
      "corrupt",
      "io"
    ])
  })

  it.scoped("a path that cannot be opened gives an io error naming it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const missingDir = join(dir, "no-such-dir", "swarm.db")
      const missing = yield* Effect.flip(open(missingDir))
      expect(missing.reason).toBe("io")
      expect(missing.message).toContain(missingDir)
      const directory = join(dir, "a-directory.db")
      mkdirSync(directory)
      const isDirectory = yield* Effect.flip(open(directory))
      expect(isDirectory.reason).toBe("io")
      expect(isDirectory.message).toContain(directory)
    }))

  it.scoped("a write lock held elsewhere past the busy timeout gives a locked error; the same write succeeds once it is released", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      yield* Effect.gen(function*() {
        const memory = yield* SharedMemory
        yield* memory.set("jobs", "a", 1)
        const other = new BetterSqlite(filename)
        other.exec("BEGIN IMMEDIATE")
        const error = yield* Effect.flip(memory.set("jobs", "b", 2))
        expect(error._tag).toBe("DatabaseError")
        if (error._tag === "DatabaseError") {
          expect(error.reason).toBe("locked")
          expect(error.operation).toBe("memory.set")
          expect(error.message).toContain(filename)
        }
        // Readers are not blocked by a writer in WAL mode.
        expect(Option.getOrNull(yield* memory.get("jobs", "a"))).toBe(1)
        other.exec("COMMIT")
        other.close()
        yield* memory.set("jobs", "b", 2)
        expect(Option.getOrNull(yield* memory.get("jobs", "b"))).toBe(2)
      }).pipe(Effect.provide(memoryLayer({ filename, busyTimeout: Duration.millis(100) })))
    }))

  it.scoped("a file held exclusively by another connection fails to open as locked", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      yield* open(filename)
      const other = new BetterSqlite(filename)
      other.pragma("locking_mode = EXCLUSIVE")
      other.exec("BEGIN EXCLUSIVE")
      yield* Effect.addFinalizer(() => Effect.sync(() => other.close()))
      // better-sqlite3 waits its own 5 s default before the first statement gives up.
      const error = yield* Effect.flip(open(filename))
      expect(error.reason).toBe("locked")
      expect(error.message).toContain(filename)
    }), 20_000)
})
