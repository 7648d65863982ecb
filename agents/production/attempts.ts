/**
 * Running a job again after a failure. A failed workflow execution keeps its failure under its
 * idempotency key, so the next run of the same job must be a new execution: the attempt after a
 * failure is kept in a small file per job id, and every later run of the job uses it (a finished
 * execution is then answered from the workflow's record, as for any job). The job id, the report
 * and the content-addressed artifacts do not depend on the attempt, so a new attempt reuses them.
 */
import type { PlatformError } from "@effect/platform/Error"
import { Cause, Effect, Schema } from "effect"
import { join } from "node:path"
import { readJsonFile, writeFileAtomic } from "../../media/index.ts"
import { jobId, type JobSpec } from "./job.ts"

const attemptFile = (dir: string, spec: JobSpec) => join(dir, jobId(spec))

/**
 * The spec with the attempt to run: the one recorded after the job's last failure, if later. A
 * damaged attempt file counts as none (with a warning naming it): the run tries the spec's own
 * attempt, and a recorded failure there moves the job on to a fresh attempt file.
 */
export const currentAttempt = (dir: string, spec: JobSpec): Effect.Effect<JobSpec> =>
  readJsonFile(Schema.NonNegativeInt, attemptFile(dir, spec)).pipe(
    Effect.tapError((
      error
    ) => (error.reason === "invalid" ? Effect.logWarning(`ignoring the attempt file ${error.message}`) : Effect.void)),
    Effect.orElseSucceed(() => 0),
    Effect.map((recorded) => ({ ...spec, attempt: Math.max(spec.attempt ?? 0, recorded) }))
  )

/** Records that `spec`'s attempt failed; returns the spec of the next attempt. `dir` is created if need be. */
export const recordFailure = (dir: string, spec: JobSpec): Effect.Effect<JobSpec, PlatformError> =>
  Effect.gen(function*() {
    const next = { ...spec, attempt: (spec.attempt ?? 0) + 1 }
    yield* writeFileAtomic(attemptFile(dir, spec), JSON.stringify(next.attempt))
    return next
  })

/**
 * Runs `run` on the job's current attempt (attempt files in `dir`); a failure that is not an
 * interruption moves the job to its next attempt, and `onFailure` sees that attempt's spec and the
 * failure (the CLI marks the job failed with it). The job's failure is what the caller gets: one in
 * recording the next attempt is logged as a warning naming the file, since without it the next run
 * repeats this attempt's recorded failure.
 */
export const withAttempts = <A, E, R>(
  dir: string,
  spec: JobSpec,
  run: (spec: JobSpec) => Effect.Effect<A, E, R>,
  onFailure: (next: JobSpec, cause: Cause.Cause<E>) => Effect.Effect<void, PlatformError> = () => Effect.void
): Effect.Effect<A, E, R> =>
  Effect.flatMap(currentAttempt(dir, spec), (current) =>
    Effect.onError(run(current), (cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.void
        : recordFailure(dir, current).pipe(
          Effect.flatMap((next) => onFailure(next, cause)),
          Effect.catchAll((error) =>
            Effect.logWarning(`the job's next attempt could not be recorded, so a run again repeats this failure: ${error.message}`)
          )
        )))
