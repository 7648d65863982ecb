import { describe, expect, it } from "@effect/vitest"
import BetterSqlite from "better-sqlite3"
import { Duration, Effect, Layer, Option } from "effect"
import { randomFillSync } from "node:crypto"
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from "node:fs"
import { join } from "node:path"
import { memoryLayer, SharedMemory } from "../../../memory/index.ts"
import { tempDatabase, tempDir } from "./temp-database.ts"

const open = (filename: string) => Effect.scoped(Layer.build(memoryLayer({ filename })))

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

  it.scoped("a path that cannot be opened gives an unreadable error naming it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const missingDir = join(dir, "no-such-dir", "swarm.db")
      const missing = yield* Effect.flip(open(missingDir))
      expect(missing.reason).toBe("unreadable")
      expect(missing.message).toContain(missingDir)
      const directory = join(dir, "a-directory.db")
      mkdirSync(directory)
      const isDirectory = yield* Effect.flip(open(directory))
      expect(isDirectory.reason).toBe("unreadable")
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
