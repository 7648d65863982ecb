/**
 * Which cached files a job used, and when: a job's narration, its render folder, its footage
 * folder's probe cache. The bounded cache of a state directory (apps/cli/state-cache.ts) reads these
 * records to tell least-recently-used artifacts from recent ones (file times alone cannot: a
 * narration reused from the cache is read, not written, and atime is unreliable under
 * relatime/noatime) and to keep every artifact a pending job recorded: a job resumed after a crash
 * replays its finished stages' results, which name these files.
 *
 * The records are shared memory (`artifact-uses` namespace: one entry per file and job, its value
 * `{ path, job, at }`), in the job's own SQLite file beside the workflow's records they stand with:
 * a database started afresh (`doctor --repair`) forgets both, and its jobs run every stage again.
 */
import { Clock, Effect, Option, Schema } from "effect"
import { resolve } from "node:path"
import { mediaFileSystem } from "../../media/index.ts"
import { SharedMemory } from "../../memory/index.ts"

export const ARTIFACT_USES_NAMESPACE = "artifact-uses"

/** One use of one file. */
export const ArtifactUse = Schema.Struct({
  /** The file's absolute real path (symbolic links resolved when it exists). */
  path: Schema.String,
  /** The job that used it; absent for a use outside any job. */
  job: Schema.optional(Schema.String),
  /** When, in epoch milliseconds. */
  at: Schema.Number
})
export type ArtifactUse = typeof ArtifactUse.Type

/** One entry per file and job: a later use by the same job replaces the earlier one. */
export const artifactUseKey = (use: Pick<ArtifactUse, "job" | "path">) => `${use.job ?? "-"} ${use.path}`

/**
 * Records that `job` (or no job) used `files` now. Without shared memory (an embedded swarm) there
 * is no cache to tell; a record that cannot be written is a warning, never the job's failure.
 */
export const recordArtifactUse = (files: ReadonlyArray<string>, job?: string): Effect.Effect<void> =>
  Effect.flatMap(
    Effect.serviceOption(SharedMemory),
    (memory) =>
      Option.isNone(memory) || files.length === 0 ? Effect.void : Effect.gen(function*() {
        const fs = yield* mediaFileSystem
        const at = yield* Clock.currentTimeMillis
        const uses = yield* Effect.forEach(files, (file) =>
          Effect.map(
            Effect.orElseSucceed(fs.realPath(file), () => resolve(file)),
            (path): ArtifactUse => (job === undefined ? { path, at } : { path, job, at })
          ))
        yield* memory.value.setMany(ARTIFACT_USES_NAMESPACE, uses.map((use) => [artifactUseKey(use), Schema.encodeSync(ArtifactUse)(use)]))
      }).pipe(
        Effect.catchAll((error) => Effect.logWarning(`cannot record the use of ${files.join(", ")}: ${error.message}`))
      )
  )
