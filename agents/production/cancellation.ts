/**
 * A job's cancellation, as the workflow sees it. The cluster workflow engine cannot interrupt a
 * running execution or its activities from outside, so a cancelled execution is marked in shared
 * memory (`production` / `cancelled/<execution id>`, in the job's own SQLite file) and every stage
 * looks for the mark before it starts: one keyed read, so the check costs next to nothing. The mark
 * is per execution: the job's next attempt (a new execution id) runs as a fresh one.
 */
import { Effect, Option } from "effect"
import { SharedMemory } from "../../memory/index.ts"
import { executionId, type JobSpec } from "./job.ts"

export const CANCELLATION_NAMESPACE = "production"

const markKey = (execution: string) => `cancelled/${execution}`

/** Marks the execution of `spec` (its attempt) cancelled: none of its stages starts from now on. */
export const cancelJob = (spec: JobSpec) =>
  Effect.flatMap(SharedMemory, (memory) => memory.set(CANCELLATION_NAMESPACE, markKey(executionId(spec)), { at: Date.now() }))

/**
 * Whether the execution of `spec` was cancelled. Without shared memory (an embedded swarm) nothing
 * can cancel it; a mark that cannot be read counts as none, with a warning: the stage runs.
 */
export const isCancelled = (spec: JobSpec): Effect.Effect<boolean> =>
  Effect.flatMap(
    Effect.serviceOption(SharedMemory),
    (memory) =>
      Option.isNone(memory) ? Effect.succeed(false) : memory.value.get(CANCELLATION_NAMESPACE, markKey(executionId(spec))).pipe(
        Effect.map(Option.isSome),
        Effect.catchAll((error) => Effect.as(Effect.logWarning(`cannot read whether the job was cancelled: ${error.message}`), false))
      )
  )
