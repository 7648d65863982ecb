import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { withAttempts } from "../../../agents/production/attempts.ts"
import { productionLayer } from "../../../agents/production/environment.ts"
import { executionId, jobId, type JobSpec } from "../../../agents/production/job.ts"
import { ProduceVideo } from "../../../agents/production/workflow.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, tinyJob } from "./library-fixture.ts"

const tempDir = scopedTempDir("attempt")

const spec = (dir: string, attempt?: number): JobSpec => tinyJob(dir, attempt === undefined ? {} : { attempt })

/** One run in its own environment over the same SQLite file, as a fresh process would have it. */
const run = (dir: string, job: JobSpec) =>
  Effect.scoped(
    Effect.either(ProduceVideo.execute(job)).pipe(
      Effect.provide(productionLayer({ database: join(dir, "swarm.db"), pollInterval: "100 millis" }))
    )
  )

describe("a failed job run again", () => {
  it.scopedLive("the same attempt answers with the recorded failure; the next attempt is a fresh execution of the same job", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      // The footage folder is empty: the job fails at the shot-matcher.
      yield* Effect.promise(() => mkdir(join(dir, "footage")))
      const failed = yield* run(dir, spec(dir))
      expect(failed._tag).toBe("Left")
      if (failed._tag === "Left") expect(failed.left.stage).toBe("shots")

      // The input is fixed, but attempt 0 is the recorded failure.
      yield* makeLibrary(join(dir, "footage"))
      const recorded = yield* run(dir, spec(dir))
      expect(recorded._tag).toBe("Left")

      expect(jobId(spec(dir, 1))).toBe(jobId(spec(dir)))
      expect(executionId(spec(dir, 1))).not.toBe(executionId(spec(dir)))
      const retried = yield* run(dir, spec(dir, 1))
      expect(retried._tag).toBe("Right")
      if (retried._tag === "Right") {
        expect(retried.right.job).toBe(jobId(spec(dir)))
        expect(retried.right.shots.map((s) => s.clip.path)).toEqual([
          join(dir, "footage", "mandelbrot.mp4"),
          join(dir, "footage", "life.mp4")
        ])
      }
    }))

  it.scopedLive("withAttempts: a run after a failure is the next attempt, and later runs keep finding it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const attempts = join(dir, "attempts")
      const execute = (job: JobSpec) => run(dir, job).pipe(Effect.flatMap((result) => result))
      const seen: Array<number | undefined> = []
      const runJob = withAttempts(attempts, spec(dir), (job) => Effect.zipRight(Effect.sync(() => seen.push(job.attempt)), execute(job)))

      yield* Effect.promise(() => mkdir(join(dir, "footage")))
      const failed = yield* Effect.flip(runJob)
      expect(failed._tag === "ProductionError" && failed.stage).toBe("shots")
      yield* makeLibrary(join(dir, "footage"))
      const fixed = yield* runJob
      const again = yield* runJob
      expect(again).toEqual(fixed)
      expect(seen).toEqual([0, 1, 1])
      expect(fixed.job).toBe(jobId(spec(dir)))
    }))
})
