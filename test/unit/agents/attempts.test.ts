import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { currentAttempt, recordFailure, withAttempts } from "../../../agents/production/attempts.ts"
import { jobId, type JobSpec } from "../../../agents/production/job.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { warningsOf } from "../../fixtures/warnings.ts"

const tempDir = scopedTempDir("attempts")

const spec = (dir: string, attempt?: number): JobSpec => ({
  script: { _tag: "Text", title: "Patterns", text: "Fractals repeat." },
  footage: { _tag: "Folder", dir: join(dir, "footage") },
  output: { path: join(dir, "out.mp4"), width: 180, height: 320, fps: 15, encoder: "libx264", captions: "none" },
  voice: "en",
  seed: "1",
  segments: 1,
  workDir: join(dir, "work"),
  ...(attempt === undefined ? {} : { attempt })
})

const writeAttemptFile = (dir: string, content: string) =>
  Effect.promise(async () => {
    await mkdir(join(dir, "attempts"), { recursive: true })
    await writeFile(join(dir, "attempts", jobId(spec(dir))), content)
  })

describe("job attempts", () => {
  it.scoped("a recorded failure moves every later run of the job to the next attempt", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const attempts = join(dir, "attempts")
      expect((yield* currentAttempt(attempts, spec(dir))).attempt).toBe(0)
      const next = yield* recordFailure(attempts, spec(dir))
      expect(next.attempt).toBe(1)
      expect(yield* Effect.promise(() => readFile(join(attempts, jobId(spec(dir))), "utf8"))).toBe("1")
      expect((yield* currentAttempt(attempts, spec(dir))).attempt).toBe(1)
      // A spec asking for a later attempt keeps it.
      expect((yield* currentAttempt(attempts, spec(dir, 3))).attempt).toBe(3)
    }))

  it.scoped("an attempt file with garbage in it counts as none, with a warning naming it, and the job still runs", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const attempts = join(dir, "attempts")
      const file = join(attempts, jobId(spec(dir)))
      for (const garbage of ["\u0000\u0007garbage", "-2", "1.5", "{\"attempt\": 2}", ""]) {
        yield* writeAttemptFile(dir, garbage)
        const { value, warnings } = yield* warningsOf(currentAttempt(attempts, spec(dir)))
        expect(value.attempt).toBe(0)
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toContain(file)
      }

      // A run over the damaged file fails as its own work fails, and records the next attempt.
      const seen: Array<number | undefined> = []
      const failing = withAttempts(
        attempts,
        spec(dir),
        (job) => Effect.zipRight(Effect.sync(() => seen.push(job.attempt)), Effect.fail("no footage"))
      )
      expect(yield* Effect.flip(failing)).toBe("no footage")
      const succeeding = withAttempts(attempts, spec(dir), (job) => Effect.sync(() => seen.push(job.attempt)))
      yield* succeeding
      expect(seen).toEqual([0, 1])
      expect(yield* Effect.promise(() => readFile(file, "utf8"))).toBe("1")
    }))
})
