/**
 * The in-memory sink's fan-out: each subscriber has a bounded, sliding buffer of its own, so a
 * reader that falls behind costs bounded memory, learns what it lost, and slows no one.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Stream } from "effect"
import {
  EVENTS_DROPPED,
  layerInMemory as eventsInMemory,
  makeInMemory,
  type SwarmEvent,
  type SwarmEventsService
} from "../../../runtime/events.ts"
import { layer as swarmLayer, Swarm } from "../../../runtime/swarm.ts"
import { Worker } from "./fixtures.ts"

const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

const publishNotes = (events: SwarmEventsService, from: number, to: number) =>
  Effect.forEach(seqs(from, to), (n) => events.publish({ type: "note", data: { n } }), { discard: true })

/** What the subscriber has waiting now: it reads exactly `count` events. */
const read = (live: Stream.Stream<SwarmEvent>, count: number) =>
  Effect.map(Stream.runCollect(Stream.take(live, count)), Chunk.toReadonlyArray)

const SWARM_SUBSCRIBER_BUFFER = 2

const ids = (events: ReadonlyArray<SwarmEvent>) => events.map((event) => event.id)

const strictlyIncreasing = (values: ReadonlyArray<number>) => values.every((value, i) => i === 0 || value > values[i - 1]!)

/** Gives every fiber that can run a couple of hundred turns: a reader still waiting after that has nothing to read. */
const letEverythingRun = Effect.repeatN(Effect.yieldNow(), 200)

/** Yields until `condition` holds, failing the test when it still does not after every fiber has had many turns. */
const eventually = (condition: () => boolean) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 20_000 && !condition(); turn++) yield* Effect.yieldNow()
    expect(condition()).toBe(true)
  })

describe("in-memory events: bounded fan-out", () => {
  it.scoped("a subscriber that fell behind reads one events-dropped with what it lost, then the newest events in order", () =>
    Effect.gen(function*() {
      const buffer = 128
      const events = yield* makeInMemory(100_000, buffer)
      const slow = yield* events.subscribe

      yield* publishNotes(events, 1, 10 * buffer)
      const first = yield* read(slow, buffer + 1)
      expect(first[0]).toMatchObject({
        type: EVENTS_DROPPED,
        id: 9 * buffer,
        data: { dropped: 9 * buffer, firstId: 1, lastId: 9 * buffer }
      })
      expect(ids(first.slice(1))).toEqual(seqs(9 * buffer + 1, 10 * buffer))
      expect(first.slice(1).map((event) => event.data?.n)).toEqual(seqs(9 * buffer + 1, 10 * buffer))
      expect(first.filter((event) => event.type === EVENTS_DROPPED)).toHaveLength(1)

      // Falling behind again reports the new gap on its own, not a running total.
      yield* publishNotes(events, 10 * buffer + 1, 13 * buffer)
      const second = yield* read(slow, buffer + 1)
      expect(second[0]).toMatchObject({
        type: EVENTS_DROPPED,
        id: 12 * buffer,
        data: { dropped: 2 * buffer, firstId: 10 * buffer + 1, lastId: 12 * buffer }
      })
      expect(ids(second.slice(1))).toEqual(seqs(12 * buffer + 1, 13 * buffer))
      expect(strictlyIncreasing(ids([...first, ...second]))).toBe(true)

      // Caught up: nothing more is waiting, and the next event comes alone.
      const next = yield* Effect.fork(read(slow, 1))
      yield* letEverythingRun
      expect(next.unsafePoll()).toBeNull()
      yield* events.publish({ type: "note", data: { n: 13 * buffer + 1 } })
      expect(ids(yield* Fiber.join(next))).toEqual([13 * buffer + 1])
    }))

  it.scoped("a subscriber that keeps up sees every event, and none dropped, while another on the same sink reads nothing", () =>
    Effect.gen(function*() {
      const buffer = 4
      const total = 10 * buffer
      const events = yield* makeInMemory(1_000, buffer)
      const slow = yield* events.subscribe
      const fast = yield* events.subscribe
      const seenByFast: Array<SwarmEvent> = []
      yield* Effect.fork(Stream.runForEach(fast, (event) => Effect.sync(() => seenByFast.push(event))))

      // Never more than a buffer's worth unread by the fast reader: it reads between batches.
      for (let published = 0; published < total; published += buffer) {
        yield* events.publishAll(seqs(published + 1, published + buffer).map((n) => ({ type: "note", data: { n } })))
        yield* eventually(() => seenByFast.length === published + buffer)
      }
      expect(ids(seenByFast)).toEqual(seqs(1, total))
      expect(seenByFast.some((event) => event.type === EVENTS_DROPPED)).toBe(false)

      const late = yield* read(slow, buffer + 1)
      expect(late[0]).toMatchObject({ type: EVENTS_DROPPED, data: { dropped: total - buffer, firstId: 1, lastId: total - buffer } })
      expect(ids(late.slice(1))).toEqual(seqs(total - buffer + 1, total))
      expect(ids(yield* events.since(0))).toEqual(seqs(1, total))
    }))

  it.effect("once a subscriber's scope has closed it is fed nothing more, and publishing goes on", () =>
    Effect.gen(function*() {
      const events = yield* makeInMemory(100, 4)
      const gone = yield* Effect.scoped(events.subscribe)
      yield* publishNotes(events, 1, 10)

      // Still subscribed, it would have an events-dropped and four events waiting.
      const reading = yield* Effect.fork(Stream.runHead(gone))
      yield* letEverythingRun
      expect(reading.unsafePoll()).toBeNull()
      yield* Fiber.interrupt(reading)

      expect(ids(yield* events.since(0))).toEqual(seqs(1, 10))
      const afterwards = yield* Effect.scoped(
        Effect.gen(function*() {
          const live = yield* events.subscribe
          yield* publishNotes(events, 11, 12)
          return yield* read(live, 2)
        })
      )
      expect(ids(afterwards)).toEqual([11, 12])
    }))

  it.scoped("a swarm's slow event reader loses the oldest lifecycle events, told so, while the swarm goes on", () =>
    Effect.gen(function*() {
      const buffer = SWARM_SUBSCRIBER_BUFFER
      const swarm = yield* Swarm
      const slow = yield* swarm.events.subscribe
      const before = ids(yield* swarm.events.since(0)).at(-1) ?? 0

      for (const n of seqs(1, 6)) yield* swarm.spawn(Worker, { name: `worker-${n}` })
      yield* letEverythingRun
      const published = yield* swarm.events.since(before)
      expect(published.filter((event) => event.type === "spawned")).toHaveLength(6)

      const lost = published.slice(0, -buffer)
      const got = yield* read(slow, buffer + 1)
      expect(got[0]).toMatchObject({
        type: EVENTS_DROPPED,
        id: lost.at(-1)!.id,
        data: { dropped: lost.length, firstId: lost[0]!.id, lastId: lost.at(-1)!.id }
      })
      expect(got.slice(1)).toEqual(published.slice(-buffer))
    }).pipe(Effect.provide(swarmLayer().pipe(Layer.provideMerge(eventsInMemory(1_000, SWARM_SUBSCRIBER_BUFFER))))))
})
