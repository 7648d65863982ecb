import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Logger, Option, Queue, Stream, TestClock } from "effect"
import { AgentRegistry, Cleanup, Database, EventLog, memoryLayer, SharedMemory, UnsavedEvents } from "../../../memory/index.ts"
import { type SwarmEvent, SwarmEvents } from "../../../runtime/events.ts"
import { tempDatabase } from "./temp-database.ts"

const inLog = <A, E, R>(body: Effect.Effect<A, E, R>, options: { readonly cleanupInterval?: Duration.DurationInput } = {}) =>
  Effect.gen(function*() {
    const filename = yield* tempDatabase()
    return yield* body.pipe(Effect.provide(memoryLayer({ filename, ...options })))
  })

/** Runs a tail in the background, handing each event to a queue the test reads from. */
const follow = (stream: Stream.Stream<SwarmEvent, unknown>) =>
  Effect.gen(function*() {
    const seen = yield* Queue.unbounded<SwarmEvent>()
    const fiber = yield* stream.pipe(Stream.runForEach((event) => Queue.offer(seen, event)), Effect.fork)
    const next = (n: number) => Effect.map(Effect.replicateEffect(Queue.take(seen), n), (events) => events.map((e) => e.id))
    return { fiber, next, pending: Queue.size(seen) }
  })

describe("EventLog", () => {
  it.scoped("stamps consecutive ids and the clock's time, and answers queries page by page", () =>
    inLog(Effect.gen(function*() {
      const log = yield* EventLog
      yield* TestClock.adjust(Duration.seconds(100))
      const first = yield* log.append([
        { type: "spawned", agent: "director", job: "j1" },
        { type: "spawned", agent: "encoder-1", job: "j1", data: { node: "a" } }
      ])
      expect(first.map((e) => [e.id, e.ts])).toEqual([[1, 100_000], [2, 100_000]])
      yield* TestClock.adjust(Duration.seconds(100))
      for (let i = 0; i < 25; i++) {
        yield* log.append([{
          type: i % 5 === 0 ? "job.progress" : "metric",
          agent: `encoder-${i % 2}`,
          job: i % 2 ? "j2" : "j1",
          data: { i }
        }])
      }
      yield* log.append([{ type: "stopped", agent: "director", ts: 50_000 }])

      const ids = (page: { events: ReadonlyArray<SwarmEvent> }) => page.events.map((e) => e.id)
      expect(ids(yield* log.query({ types: ["spawned", "stopped"] }))).toEqual([1, 2, 28])
      expect((yield* log.query({ agent: "encoder-1", types: ["job.progress"] })).events.map((e) => e.data)).toEqual([{ i: 5 }, { i: 15 }])
      expect(ids(yield* log.query({ job: "j2", limit: 1000 }))).toHaveLength(12)
      expect(ids(yield* log.query({ from: 0, to: 100_000 }))).toEqual([28])
      expect(ids(yield* log.query({ from: 100_000, to: 100_001 }))).toEqual([1, 2])

      // Keyset pagination, both directions: every event exactly once.
      const collect = (order: "asc" | "desc") =>
        Effect.gen(function*() {
          const all: Array<number> = []
          let cursor: number | undefined = undefined
          while (true) {
            const page: { events: ReadonlyArray<SwarmEvent>; next?: number | undefined } = yield* log.query(
              order === "asc" ? { limit: 10, after: cursor } : { limit: 10, before: cursor, order }
            )
            all.push(...ids(page))
            if (page.next === undefined) return all
            cursor = page.next
          }
        })
      const ascending = Array.from({ length: 28 }, (_, i) => i + 1)
      expect(yield* collect("asc")).toEqual(ascending)
      expect(yield* collect("desc")).toEqual(ascending.toReversed())
      expect(yield* log.latestId).toBe(28)
    })))

  it.scoped("groups concurrent appends and returns each caller its own committed ids", () =>
    inLog(Effect.gen(function*() {
      const log = yield* EventLog
      const results = yield* Effect.all(
        Array.from({ length: 40 }, (_, caller) =>
          log.append(Array.from({ length: 1 + (caller % 7) }, (_, i) => ({ type: "metric", agent: `c${caller}`, data: { caller, i } })))),
        { concurrency: "unbounded" }
      )
      for (const [caller, events] of results.entries()) {
        expect(events.map((e) =>
          e.data
        )).toEqual(events.map((_, i) => ({ caller, i })))
        expect(events.map((e) => e.id - events[0]!.id)).toEqual(events.map((_, i) => i))
      }
      const all = results.flat().map((e) => e.id).sort((a, b) => a - b)
      expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1))
      const stored = yield* log.query({ limit: 1000 })
      expect(stored.events.map((e) => [e.id, e.agent, e.data])).toEqual(
        results.flat().sort((a, b) => a.id - b.id).map((e) => [e.id, e.agent, e.data])
      )
    })))

  it.scoped("rejects malformed events before they reach the transaction, without failing other appends", () =>
    inLog(Effect.gen(function*() {
      const log = yield* EventLog
      const [bad, good] = yield* Effect.all([
        Effect.flip(log.append([{ type: "metric" }, { type: "metric", ts: Number.NaN }])),
        log.append([{ type: "metric", agent: "encoder-1" }])
      ], { concurrency: 2 })
      expect(bad._tag).toBe("EncodeError")
      expect(bad.message).toContain("event #1")
      expect(good.map((e) => e.id)).toEqual([1])
      expect((yield* Effect.flip(log.append([{ type: "" }]))).message).toContain("type must be")
      expect((yield* Effect.flip(log.append([{ type: "x", agent: 7 as unknown as string }]))).message).toContain("agent and job")
      expect((yield* log.query()).events.map((e) => e.id)).toEqual([1])
    })))

  it.scoped("tails: replays from an id, goes live, and a reconnect after the last seen id misses and repeats nothing", () =>
    inLog(Effect.gen(function*() {
      const log = yield* EventLog
      yield* log.append(Array.from({ length: 5 }, (_, i) => ({ type: "metric", data: { i } })))

      const first = yield* follow(log.tail({ after: 2 }))
      expect(yield* first.next(3)).toEqual([3, 4, 5])
      yield* log.append([{ type: "metric" }, { type: "metric" }])
      yield* log.append([{ type: "metric" }])
      expect(yield* first.next(3)).toEqual([6, 7, 8])
      yield* Fiber.interrupt(first.fiber)

      // Disconnected: these land while nobody listens.
      yield* log.append([{ type: "metric" }, { type: "metric" }])
      const second = yield* follow(log.tail({ after: 8 }))
      expect(yield* second.next(2)).toEqual([9, 10])
      // Appends racing with the replay: each arrives once.
      yield* Effect.all([log.append([{ type: "metric" }]), log.append([{ type: "metric" }])], { concurrency: 2 })
      yield* log.append([{ type: "metric" }])
      expect(yield* second.next(3)).toEqual([11, 12, 13])
      expect(yield* second.pending).toBe(0)
      yield* Fiber.interrupt(second.fiber)
    })))

  it.scoped("a tail started with a long history pages through it before going live", () =>
    inLog(Effect.gen(function*() {
      const log = yield* EventLog
      yield* log.append(Array.from({ length: 2_500 }, () => ({ type: "metric" })))
      const tail = yield* follow(log.tail())
      const replayed = yield* tail.next(2_500)
      yield* log.append([{ type: "metric" }])
      const live = yield* tail.next(1)
      expect([...replayed, ...live]).toEqual(Array.from({ length: 2_501 }, (_, i) => i + 1))
      yield* Fiber.interrupt(tail.fiber)
    })))

  it.scoped("backs the runtime's SwarmEvents: subscribe-then-since sees every event once and lifecycle events keep the agents table", () =>
    inLog(Effect.gen(function*() {
      const events = yield* SwarmEvents
      const registry = yield* AgentRegistry
      yield* events.publishAll([
        { type: "spawned", agent: "encoder-1", data: { node: "gpu-host" } },
        { type: "spawned", agent: "director" }
      ])
      const live = yield* events.subscribe
      const fiber = yield* live.pipe(Stream.take(5), Stream.runCollect, Effect.fork)
      yield* events.publish({ type: "restarted", agent: "encoder-1" })
      yield* TestClock.adjust(Duration.seconds(3))
      yield* events.publishAll([
        { type: "restarted", agent: "encoder-1" },
        { type: "dead-letter", agent: "encoder-1", data: { tag: "Encode" } },
        { type: "heartbeat", agent: "director" }
      ])
      yield* events.publish({ type: "stopped", agent: "director" })
      const history = yield* events.since(0)
      const got = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      expect(history.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7])
      expect(got.map((e) => e.id)).toEqual([3, 4, 5, 6, 7])
      expect(yield* registry.list()).toEqual([
        { name: "director", state: "stopped", restarts: 0, deadLetters: 0, lastHeartbeat: 3_000, updatedAt: 3_000, lastEventId: 7 },
        { name: "encoder-1", node: "gpu-host", state: "running", restarts: 2, deadLetters: 1, updatedAt: 3_000, lastEventId: 5 }
      ])
      expect(Option.map(yield* registry.get("encoder-1"), (a) => a.restarts)).toEqual(Option.some(2))
      expect((yield* registry.list({ state: "stopped" })).map((a) => a.name)).toEqual(["director"])
      yield* TestClock.adjust(Duration.seconds(60))
      expect((yield* registry.silent(Duration.seconds(30))).map((a) => a.name)).toEqual(["encoder-1"])
    })))

  it.scoped("events that cannot be saved are counted and reported once, when the swarm stops, not per event", () =>
    Effect.gen(function*() {
      const filename = yield* tempDatabase()
      const logged: Array<{ level: string; message: unknown }> = []
      const capture = Logger.make(({ logLevel, message }) => {
        logged.push({ level: logLevel.label, message: Array.isArray(message) && message.length === 1 ? message[0] : message })
      })
      yield* Effect.gen(function*() {
        const events = yield* SwarmEvents
        yield* events.publish({ type: "job.started", job: "j1" })
        const { sql } = yield* Database
        // SQLite's page limit fails the next appends with SQLITE_FULL, as a full disk would.
        const pages = yield* sql.unsafe<{ page_count: number }>("PRAGMA page_count")
        yield* sql.unsafe(`PRAGMA max_page_count = ${pages[0]!.page_count}`)
        for (let i = 0; i < 20; i++) yield* events.publish({ type: "metric", data: { i, pad: "x".repeat(8_000) } })
        expect(logged).toEqual([])
      }).pipe(Effect.provide(memoryLayer({ filename })), Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
      expect(logged).toHaveLength(1)
      const [{ level, message }] = logged as [{ level: string; message: unknown }]
      expect(level).toBe("WARN")
      expect(message).toBeInstanceOf(UnsavedEvents)
      const summary = message as UnsavedEvents
      expect([summary.count, summary.filename, summary.reason]).toEqual([20, filename, "full"])
      expect(summary.message).toMatch(new RegExp(`^20 events could not be saved to ${filename} \\(full\\): `))
    }))

  it.scoped("cleanup removes events past retention and expired memory on its schedule, and reports itself", () =>
    inLog(
      Effect.gen(function*() {
        const log = yield* EventLog
        const memory = yield* SharedMemory
        yield* log.append(Array.from({ length: 3 }, () => ({ type: "metric" })))
        yield* memory.set("cache", "frame", 1, { ttl: Duration.hours(1) })
        yield* memory.set("cache", "script", 2)
        yield* TestClock.adjust(Duration.days(29))
        yield* log.append([{ type: "job.done" }])
        yield* TestClock.adjust(Duration.days(1))
        // Thirty daily runs so far; the first 3 events are exactly 30 days old: still kept.
        expect((yield* log.query({ types: ["metric"] })).events).toHaveLength(3)
        expect((yield* memory.usage).entries).toBe(1)
        yield* TestClock.adjust(Duration.days(1))
        const reports = (yield* log.query({ types: ["memory.cleanup"], limit: 1000 })).events
        expect(reports.length).toBe(31)
        expect(reports.map((e) => e.data).filter((d) => d!["expiredEntries"] !== 0 || d!["prunedEvents"] !== 0)).toEqual([
          { expiredEntries: 1, prunedEvents: 0, durationMs: 0 },
          { expiredEntries: 0, prunedEvents: 3, durationMs: 0 }
        ])
        expect((yield* log.query({ types: ["metric", "job.done"] })).events.map((e) => e.type)).toEqual(["job.done"])
        const manual = yield* (yield* Cleanup).runOnce
        expect(manual).toEqual({ expiredEntries: 0, prunedEvents: 0, durationMs: 0 })
      }),
      { cleanupInterval: Duration.days(1) }
    ))
})
