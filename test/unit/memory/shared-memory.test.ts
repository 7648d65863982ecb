import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Option, TestClock } from "effect"
import { memoryLayer, SharedMemory } from "../../../memory/index.ts"
import { tempDatabase } from "./temp-database.ts"

const withMemory = <A, E>(
  body: (memory: SharedMemory["Type"]) => Effect.Effect<A, E>,
  options: { readonly maxBytes?: number; readonly pinned?: ReadonlyArray<string> } = {}
) =>
  Effect.gen(function*() {
    const filename = yield* tempDatabase()
    return yield* Effect.flatMap(SharedMemory, body).pipe(Effect.provide(memoryLayer({ filename, ...options })))
  })

describe("SharedMemory", () => {
  it.scoped("stores msgpack values per namespace and survives reopening the file", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      const value = { title: "Mandelbrot — 曼德博", scenes: [1, 2, 3], at: new Date(1_700_000_000_000), bytes: new Uint8Array([1, 2, 3]) }
      yield* Effect.gen(function*() {
        const memory = yield* SharedMemory
        yield* memory.set("jobs", "42", value)
        yield* memory.set("other", "42", "not the same namespace")
      }).pipe(Effect.provide(memoryLayer({ filename })))
      const reopened = yield* Effect.flatMap(SharedMemory, (memory) => Effect.all([memory.get("jobs", "42"), memory.get("jobs", "43")]))
        .pipe(
          Effect.provide(memoryLayer({ filename }))
        )
      const [stored, missing] = reopened
      expect(Option.isNone(missing)).toBe(true)
      const got = Option.getOrThrow(stored) as typeof value
      expect(got.title).toBe(value.title)
      expect(got.scenes).toEqual([1, 2, 3])
      expect(got.at.getTime()).toBe(1_700_000_000_000)
      expect(Array.from(got.bytes)).toEqual([1, 2, 3])
    }))

  it.scoped("expires entries after their TTL on the Effect clock", () =>
    withMemory((memory) =>
      Effect.gen(function*() {
        yield* memory.set("cache", "short", "s", { ttl: Duration.seconds(10) })
        yield* memory.set("cache", "long", "l", { ttl: Duration.minutes(10) })
        yield* memory.set("cache", "forever", "f")
        yield* TestClock.adjust(Duration.seconds(9))
        expect(Option.getOrNull(yield* memory.get("cache", "short"))).toBe("s")
        yield* TestClock.adjust(Duration.seconds(1))
        expect(Option.isNone(yield* memory.get("cache", "short"))).toBe(true)
        expect((yield* memory.list("cache")).map((e) => e.key)).toEqual(["forever", "long"])
        expect((yield* memory.usage).entries).toBe(3)
        expect(yield* memory.purgeExpired).toBe(1)
        expect((yield* memory.usage).entries).toBe(2)
        yield* TestClock.adjust(Duration.minutes(10))
        expect((yield* memory.list("cache")).map((e) => e.key)).toEqual(["forever"])
      })
    ))

  it.scoped("lists keys by glob pattern, in key order, page by page", () =>
    withMemory((memory) =>
      Effect.gen(function*() {
        for (const key of ["job:1:status", "job:2:status", "job:10:status", "job:1:log", "agent:x", "Job:3:status"]) {
          yield* memory.set("swarm", key, key.length)
        }
        const keys = (pattern: string) => Effect.map(memory.list("swarm", { pattern }), (es) => es.map((e) => e.key))
        // Byte order: ":" sorts after "0".
        expect(yield* keys("job:*:status")).toEqual(["job:10:status", "job:1:status", "job:2:status"])
        expect(yield* keys("job:?:*")).toEqual(["job:1:log", "job:1:status", "job:2:status"])
        expect(yield* keys("job:[12]:status")).toEqual(["job:1:status", "job:2:status"])
        expect(yield* keys("[Jj]ob:3:*")).toEqual(["Job:3:status"])
        const first = yield* memory.list("swarm", { pattern: "job:*", limit: 2 })
        const second = yield* memory.list("swarm", { pattern: "job:*", limit: 2, after: first[first.length - 1]!.key })
        expect([...first, ...second].map((e) => e.key)).toEqual(["job:10:status", "job:1:log", "job:1:status", "job:2:status"])
        expect(yield* memory.delete("swarm", "agent:x")).toBe(true)
        expect(yield* memory.delete("swarm", "agent:x")).toBe(false)
        expect(yield* keys("agent:*")).toEqual([])
      })
    ))

  it.scoped("compare-and-set writes only over the expected value and lets exactly one racer win", () =>
    withMemory((memory) =>
      Effect.gen(function*() {
        expect(yield* memory.compareAndSet("locks", "render", Option.none(), { owner: "a" })).toBe(true)
        expect(yield* memory.compareAndSet("locks", "render", Option.none(), { owner: "b" })).toBe(false)
        expect(yield* memory.compareAndSet("locks", "render", Option.some({ owner: "b" }), { owner: "c" })).toBe(false)
        expect(Option.getOrNull(yield* memory.get("locks", "render"))).toEqual({ owner: "a" })

        yield* memory.set("counters", "n", 0)
        const racers = yield* Effect.all(
          Array.from({ length: 10 }, (_, i) => memory.compareAndSet("counters", "n", Option.some(0), i + 1)),
          { concurrency: "unbounded" }
        )
        expect(racers.filter((won) => won)).toHaveLength(1)
        expect(Option.getOrNull(yield* memory.get("counters", "n"))).toBe(racers.indexOf(true) + 1)

        // An expired entry counts as absent.
        yield* memory.set("locks", "lease", "old", { ttl: Duration.seconds(5) })
        expect(yield* memory.compareAndSet("locks", "lease", Option.none(), "new")).toBe(false)
        yield* TestClock.adjust(Duration.seconds(5))
        expect(yield* memory.compareAndSet("locks", "lease", Option.some("old"), "newer")).toBe(false)
        expect(yield* memory.compareAndSet("locks", "lease", Option.none(), "new")).toBe(true)
        expect(Option.getOrNull(yield* memory.get("locks", "lease"))).toBe("new")
      })
    ))

  it.scoped("counts reads and writes without writing on every read", () =>
    withMemory((memory) =>
      Effect.gen(function*() {
        yield* memory.set("jobs", "a", 1)
        yield* TestClock.adjust(Duration.millis(500))
        yield* memory.set("jobs", "a", 2)
        yield* memory.get("jobs", "a")
        yield* TestClock.adjust(Duration.millis(250))
        yield* memory.get("jobs", "a")
        yield* memory.get("jobs", "missing")
        const stats = Option.getOrThrow(yield* memory.stats("jobs", "a"))
        expect(stats).toMatchObject({ reads: 2, writes: 2, createdAt: 0, updatedAt: 500, lastAccess: 750 })
        expect(stats.bytes).toBe("jobs".length + "a".length + 1)
        expect(Option.isNone(yield* memory.stats("jobs", "missing"))).toBe(true)
      })
    ))

  it.scoped("evicts least-recently-used entries over the size cap and spares pinned namespaces", () =>
    Effect.gen(function*() {
      // Every entry below is 2 + 2 + 3 bytes (namespace, key, msgpack of a 2-char string) = 7 bytes.
      const order = yield* withMemory((memory) =>
        Effect.gen(function*() {
          yield* memory.set("pn", "p1", "pp")
          yield* memory.set("ns", "k1", "v1")
          yield* memory.set("ns", "k2", "v2")
          yield* memory.set("ns", "k3", "v3")
          yield* memory.get("ns", "k1") // k1 is now more recent than k2 and k3
          yield* memory.set("ns", "k4", "v4") // 5 × 7 = 35 > 28: evict one, the LRU unpinned entry: k2
          const afterFirst = (yield* memory.list("ns")).map((e) => e.key)
          yield* memory.set("ns", "k5", "v5") // evicts k3
          yield* memory.set("ns", "k6", "v6") // evicts k1 (read before k4 was written)
          const afterAll = (yield* memory.list("ns")).map((e) => e.key)
          const pinned = (yield* memory.list("pn")).map((e) => e.key)
          return { afterFirst, afterAll, pinned, usage: yield* memory.usage }
        }), { maxBytes: 28, pinned: ["pn"] })
      expect(order.afterFirst).toEqual(["k1", "k3", "k4"])
      expect(order.afterAll).toEqual(["k4", "k5", "k6"])
      expect(order.pinned).toEqual(["p1"])
      expect(order.usage).toEqual({ entries: 4, bytes: 28, maxBytes: 28 })
    }))

  it.scoped("rejects values msgpack cannot encode with a typed error", () =>
    withMemory((memory) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(memory.set("jobs", "bad", Symbol("nope")))
        expect(error._tag).toBe("EncodeError")
        expect(error.message).toContain("memory jobs/bad")
      })
    ))
})
