/**
 * A job publishes its ETA once its render is planned and before the render starts, and its report
 * sets the estimate beside the render's real time. The first job on a machine has no history and
 * says so; the next one estimates from the frames/s the first one's encodes taught the state's
 * SQLite file. No figure is asserted on: how close the estimate comes is a bench matter.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { productionLayer } from "../../../agents/production/environment.ts"
import { ProduceVideo, reportPath } from "../../../agents/production/workflow.ts"
import { EventLog } from "../../../memory/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, tinyJob } from "./library-fixture.ts"

const tempDir = scopedTempDir("job-eta")

interface LoggedEvent {
  readonly type: string
  readonly job?: string | undefined
  readonly data: unknown
}

const positiveFinite = (n: number) => Number.isFinite(n) && n > 0

describe("a job's ETA", () => {
  it.scopedLive(
    "is published after the plan and before the render, and the report compares it with the render's time",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        yield* Effect.promise(() => mkdir(join(dir, "footage")))
        yield* makeLibrary(join(dir, "footage"))
        const database = join(dir, "swarm.db")
        // Another output is another render (the output is part of the plan's key): nothing is reused.
        const specs = ["first", "second"].map((name) => tinyJob(dir, { output: { path: join(dir, "out", `${name}.mp4`) }, segments: 2 }))

        const { events, reports } = yield* Effect.gen(function*() {
          const reports = []
          for (const spec of specs) reports.push(yield* ProduceVideo.execute(spec))
          const page = yield* (yield* EventLog).query({ limit: 10_000 })
          return { events: page.events as ReadonlyArray<LoggedEvent>, reports }
        }).pipe(Effect.provide(productionLayer({ database, encoders: [{}, {}], pollInterval: "100 millis" })))

        const etas = reports.map((report) => {
          const mine = events.filter((e) => e.job === report.job)
          const at = (type: string, stage?: string) =>
            mine.findIndex((e) => e.type === type && (stage === undefined || (e.data as { stage?: string }).stage === stage))
          const eta = at("job-eta")
          expect(eta).toBeGreaterThan(at("stage-finished", "plan"))
          expect(eta).toBeLessThan(at("stage-started", "render"))
          expect(mine.filter((e) => e.type === "job-eta")).toHaveLength(1)
          return mine[eta]!.data as { estimatedSeconds: number; frames: number; source: string; samples: number; slots: number }
        })
        expect(etas[0]).toMatchObject({ source: "default", samples: 0, slots: 2 })
        expect(etas[1]!.source).toBe("learned")
        expect(etas[1]!.samples).toBeGreaterThan(0)
        for (const [i, report] of reports.entries()) {
          expect(etas[i]!.frames).toBe(Math.round(report.narration.durationSec * 15))
          const eta = report.eta!
          expect(eta.estimatedSec).toBe(etas[i]!.estimatedSeconds)
          expect(positiveFinite(eta.estimatedSec)).toBe(true)
          expect(eta.actualSec).toBe(report.stages["render"])
          expect(positiveFinite(eta.actualSec)).toBe(true)
          expect(eta.ratio).toBeCloseTo(eta.estimatedSec / eta.actualSec, 2)
          // The report beside the MP4 carries it too.
          const written = JSON.parse(yield* Effect.promise(() => readFile(reportPath(report.output), "utf8")))
          expect(written.eta).toEqual(eta)
        }
      }),
    240_000
  )
})
