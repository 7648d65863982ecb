/**
 * The rules behind assignment and the ETA, as plain functions (the renderer's behaviour with real
 * ffmpeg and a faulty runner is in renderer-faults.test.ts): the fastest idle slot takes the longest
 * item, a slot never measured is tried, one behind an open breaker waits for faster ones, and the
 * moving average follows the measurements.
 */
import { describe, expect, it } from "@effect/vitest"
import { etaSeconds, measuredCapacity, nextCapacity, pickFor } from "../../../agents/renderer/capacity.ts"

const frames = { a: 10, b: 30, c: 20 } as const
type Item = keyof typeof frames
const waiting: ReadonlyArray<Item> = ["a", "b", "c"]

describe("which idle slot takes which item", () => {
  const speeds: Record<string, number> = { fast: 100, slow: 10, broken: Number.NEGATIVE_INFINITY }
  const speedOf = (slot: string) => speeds[slot] ?? Number.POSITIVE_INFINITY
  const pick = (slot: string, idle: ReadonlyArray<string>, items: ReadonlyArray<Item> = waiting) =>
    pickFor(slot, idle, speedOf, items, (item) => frames[item])

  it("the fastest idle slot takes the longest item, the next one the next longest, whoever asks first", () => {
    expect(pick("fast", ["slow"])).toBe("b")
    expect(pick("slow", ["fast"])).toBe("c")
    expect(pick("slow", [])).toBe("b")
  })

  it("a slower slot gets nothing while faster idle slots will take every item", () => {
    expect(pick("slow", ["fast"], ["a"])).toBeUndefined()
    expect(pick("fast", ["slow"], ["a"])).toBe("a")
  })

  it("a slot never measured ranks first, so it gets measured; one behind an open breaker ranks last", () => {
    expect(pick("new", ["fast", "slow"])).toBe("b")
    expect(pick("broken", ["fast", "slow"], ["a", "b"])).toBeUndefined()
    expect(pick("broken", ["fast", "slow"])).toBe("a")
    // Alone, a slot behind a breaker still encodes (in software).
    expect(pick("broken", [])).toBe("b")
  })

  it("ties keep the queue's order and the slots' names, so the pick does not depend on timing", () => {
    const even = (slot: string) => (slot === "x" ? 5 : 5)
    expect(pickFor("y", ["x"], even, ["a", "c"] as const, () => 1)).toBe("c")
    expect(pickFor("x", ["y"], even, ["a", "c"] as const, () => 1)).toBe("a")
  })
})

describe("learned capacity and the ETA", () => {
  it("is a moving average of frames per second, the newest measurement weighing 0.3", () => {
    const first = nextCapacity(undefined, measuredCapacity(100, 2))
    expect(first).toEqual({ framesPerSecond: 50, samples: 1 })
    expect(nextCapacity(first, 150)).toEqual({ framesPerSecond: 80, samples: 2 })
    // An encode the clock saw take no time counts as one millisecond, not as infinitely fast.
    expect(measuredCapacity(10, 0)).toBe(10_000)
  })

  it("the ETA is the frames left over the summed known capacity, and unknown without any", () => {
    expect(etaSeconds(300, [100, 50, undefined])).toBe(2)
    expect(etaSeconds(300, [undefined])).toBeUndefined()
    expect(etaSeconds(0, [10])).toBe(0)
  })
})
