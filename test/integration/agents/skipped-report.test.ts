import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { ProduceVideo, productionLayer, reportPath } from "../../../agents/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, tinyJob } from "./library-fixture.ts"

const tempDir = scopedTempDir("skipped-report")

describe("the job report", () => {
  it.scopedLive("lists every footage file the job skipped, with its reason, and makes the video from the rest", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const footage = join(dir, "footage")
      yield* Effect.promise(() => mkdir(footage))
      yield* makeLibrary(footage)
      const corrupt = join(footage, "broken.mp4")
      yield* Effect.promise(() => writeFile(corrupt, "not a video at all"))

      const job = tinyJob(dir, { script: "Fractals repeat the same shapes forever." })
      const report = yield* Effect.scoped(
        ProduceVideo.execute(job).pipe(Effect.provide(productionLayer({ database: join(dir, "swarm.db"), pollInterval: "100 millis" })))
      )
      expect(report.skipped).toEqual([{ file: corrupt, reason: "corrupt", message: expect.any(String) }])
      expect(report.shots.map((s) => s.clip.path)).not.toContain(corrupt)

      const written = JSON.parse(yield* Effect.promise(() => readFile(reportPath(report.output), "utf8")))
      expect(written.skipped).toEqual([{ file: corrupt, reason: "corrupt", message: report.skipped[0]!.message }])
    }))
})
