/**
 * Learned encode capacity: frames per second an encoder (libx264, h264_nvenc, …) reaches at one
 * output size, measured on every encode and kept as an exponential moving average in shared
 * memory, so the next run starts from what this machine did before. It decides which idle slot gets
 * which segment (the longest to the fastest), the ETA published with the progress, and the estimate
 * a job publishes before its render starts (estimate.ts).
 */
import { Effect, Option, Schema } from "effect"
import { SharedMemory } from "../../memory/index.ts"

/** The shared-memory namespace of the renderer's learned facts. */
export const CAPACITY_NAMESPACE = "renderer"

/** Weight of the newest measurement in the moving average. */
export const CAPACITY_SMOOTHING = 0.3

export const CapacityRecord = Schema.Struct({
  framesPerSecond: Schema.Number.pipe(Schema.positive()),
  /** Measurements averaged so far. */
  samples: Schema.Int
})
export type CapacityRecord = typeof CapacityRecord.Type

export const capacityKey = (encoder: string, width: number, height: number) => `capacity/${encoder}/${width}x${height}`

/** The moving average after one more measurement. */
export const nextCapacity = (previous: CapacityRecord | undefined, framesPerSecond: number): CapacityRecord =>
  previous === undefined
    ? { framesPerSecond, samples: 1 }
    : {
      framesPerSecond: previous.framesPerSecond + CAPACITY_SMOOTHING * (framesPerSecond - previous.framesPerSecond),
      samples: previous.samples + 1
    }

/** One encode's speed; an encode measured as taking no time (a coarse or test clock) counts as one millisecond. */
export const measuredCapacity = (frames: number, seconds: number) => frames / Math.max(seconds, 0.001)

const decodeRecord = Schema.decodeUnknownOption(CapacityRecord)

/**
 * The capacities whose key matches the glob `pattern`, by key, each split into its encoder and size.
 * Without shared memory in the environment (an embedded swarm without memory/), or when it cannot be
 * read, nothing is known yet: a warning, not a failure — capacity only orders and estimates the work.
 */
const listCapacities = (pattern: string) =>
  Effect.gen(function*() {
    const found: Array<{ readonly encoder: string; readonly size: string; readonly record: CapacityRecord }> = []
    const memory = yield* Effect.serviceOption(SharedMemory)
    if (Option.isNone(memory)) return found
    const entries = yield* memory.value.list(CAPACITY_NAMESPACE, { pattern }).pipe(
      Effect.catchAll((error) => Effect.as(Effect.logWarning(`renderer: cannot read learned capacities: ${error.message}`), []))
    )
    for (const entry of entries) {
      const record = decodeRecord(entry.value)
      const key = /^capacity\/(.+)\/(\d+x\d+)$/.exec(entry.key)
      if (Option.isSome(record) && key !== null) found.push({ encoder: key[1]!, size: key[2]!, record: record.value })
    }
    return found
  })

/** Every capacity learned at `width`x`height`, by encoder (nothing known without shared memory: see listCapacities). */
export const readCapacities = (width: number, height: number): Effect.Effect<Map<string, CapacityRecord>> =>
  Effect.map(
    listCapacities(`capacity/*/${width}x${height}`),
    (found) => new Map(found.map(({ encoder, record }) => [encoder, record]))
  )

/** Every capacity `encoder` learned, by output size (`WIDTHxHEIGHT`). */
export const readEncoderCapacities = (encoder: string): Effect.Effect<Map<string, CapacityRecord>> =>
  Effect.map(
    listCapacities(`capacity/${encoder}/*`),
    (found) => new Map(found.filter((c) => c.encoder === encoder).map(({ record, size }) => [size, record]))
  )

/** Stores one encoder's capacity at one size; one that cannot be written is only not remembered. */
export const writeCapacity = (encoder: string, width: number, height: number, record: CapacityRecord): Effect.Effect<void> =>
  Effect.flatMap(Effect.serviceOption(SharedMemory), (memory) =>
    Option.isNone(memory)
      ? Effect.void
      : memory.value.set(CAPACITY_NAMESPACE, capacityKey(encoder, width, height), record).pipe(
        Effect.catchAll((error) => Effect.logWarning(`renderer: cannot remember the capacity of ${encoder}: ${error.message}`))
      ))

/**
 * Which of the waiting items an idle slot takes: slots are ranked fastest first (unknown capacity
 * counts as fastest, so a new device gets measured; a slot behind an open breaker ranks last), items
 * longest first, and the n-th fastest idle slot takes the n-th longest item. None when faster idle
 * slots will take every waiting item. Ties keep their order, so the result does not depend on timing.
 */
export const pickFor = <Item>(
  slot: string,
  idle: ReadonlyArray<string>,
  speedOf: (slot: string) => number,
  waiting: ReadonlyArray<Item>,
  framesOf: (item: Item) => number
): Item | undefined => {
  const position = rankSlots(slot, idle, speedOf).indexOf(slot)
  const longestFirst = waiting.map((item, order) => ({ item, order })).sort((a, b) =>
    framesOf(b.item) - framesOf(a.item) || a.order - b.order
  )
  return longestFirst[position]?.item
}

/** `slot` and the idle slots, fastest first (pickFor's order); ties by name, so the order does not depend on timing. */
export const rankSlots = (slot: string, idle: Iterable<string>, speedOf: (slot: string) => number): ReadonlyArray<string> =>
  [...new Set([...idle, slot])].sort((a, b) => speedOf(b) - speedOf(a) || (a < b ? -1 : a > b ? 1 : 0))

/** Seconds left at the summed capacity of the slots, or undefined when no slot's capacity is known. */
export const etaSeconds = (remainingFrames: number, capacities: ReadonlyArray<number | undefined>): number | undefined => {
  const known = capacities.filter((c): c is number => c !== undefined && Number.isFinite(c) && c > 0)
  if (known.length === 0) return undefined
  const total = known.reduce((sum, c) => sum + c, 0)
  return Math.round((remainingFrames / total) * 10) / 10
}
