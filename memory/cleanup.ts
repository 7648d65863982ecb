/**
 * Scheduled cleanup: deletes expired memory entries and events past the retention window, and records
 * each run in the event log (`memory.cleanup`, or `memory.cleanup-failed` with the error).
 */
import { Clock, Context, Duration, Effect, Layer, Schema } from "effect"
import { eventKind, type SwarmEventInput } from "../runtime/index.ts"
import type { DatabaseError } from "./database.ts"
import { EventLog } from "./event-log.ts"
import { SharedMemory } from "./shared-memory.ts"

export const CleanupEvent = eventKind("memory.cleanup", {
  expiredEntries: Schema.Number,
  prunedEvents: Schema.Number,
  durationMs: Schema.Number
})

export const CleanupFailedEvent = eventKind("memory.cleanup-failed", { error: Schema.String, filename: Schema.String })

export interface CleanupReport {
  readonly expiredEntries: number
  readonly prunedEvents: number
  readonly durationMs: number
}

export interface CleanupOptions {
  /** Time between runs; the first run comes one interval after the layer starts. Default 1 hour. */
  readonly interval?: Duration.DurationInput | undefined
}

export interface CleanupService {
  /** One cleanup now, recorded in the event log. */
  readonly runOnce: Effect.Effect<CleanupReport, DatabaseError>
}

export class Cleanup extends Context.Tag("reelswarm/memory/Cleanup")<Cleanup, CleanupService>() {}

export const make: Effect.Effect<CleanupService, never, SharedMemory | EventLog> = Effect.gen(function*() {
  const memory = yield* SharedMemory
  const log = yield* EventLog

  const report = (event: SwarmEventInput) =>
    log.append([event]).pipe(
      Effect.catchAll((error) => Effect.logWarning("memory cleanup: could not record its report", error))
    )

  const runOnce = Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const expiredEntries = yield* memory.purgeExpired
    const prunedEvents = yield* log.prune
    const result: CleanupReport = {
      expiredEntries,
      prunedEvents,
      durationMs: (yield* Clock.currentTimeMillis) - started
    }
    yield* report(CleanupEvent.make(result))
    return result
  }).pipe(
    Effect.tapError((error) => report(CleanupFailedEvent.make({ error: error.message, filename: error.filename }))),
    Effect.withSpan("Cleanup.runOnce")
  )

  return { runOnce } satisfies CleanupService
})

/** The service, plus a fiber (scoped to the layer) that runs it every `interval`. */
export const layer = (options: CleanupOptions = {}): Layer.Layer<Cleanup, never, SharedMemory | EventLog> =>
  Layer.scoped(
    Cleanup,
    Effect.gen(function*() {
      const cleanup = yield* make
      const interval = options.interval ?? Duration.hours(1)
      yield* Effect.sleep(interval).pipe(
        // A failed pass is logged and the next one runs on time: cleanup is housekeeping, never a reason to stop the swarm.
        Effect.zipRight(
          Effect.catchAllCause(cleanup.runOnce, (cause) => Effect.logWarning("memory cleanup failed; retried next interval", cause))
        ),
        Effect.forever,
        Effect.forkScoped
      )
      return cleanup
    })
  )
