import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { productionLayer } from "../../../agents/production/environment.ts"
import type { JobSpec } from "../../../agents/production/job.ts"
import { sampleClips } from "../../../agents/production/samples.ts"
import { ProduceVideo } from "../../../agents/production/workflow.ts"
import { probe } from "../../../media/probe.ts"
import { RenderPlan } from "../../../media/timeline.ts"
import { EventLog } from "../../../memory/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { SCRIPT } from "./library-fixture.ts"

const tempDir = scopedTempDir("samples")

const FRAME = { width: 160, height: 284, fps: 10 }
const ONLY = ["mandelbrot-zoom", "life-conway", "rule-110", "plasma"]

describe("the sample library as footage", () => {
  it.effect("its records name each clip by reference, at the output's size and rate, and nothing is drawn", () =>
    Effect.gen(function*() {
      const records = yield* sampleClips({ durationSec: 3, only: ONLY }, FRAME)
      expect(records.map((r) => r.path)).toEqual([
        "sample://life-conway",
        "sample://mandelbrot-zoom",
        "sample://plasma",
        "sample://rule-110"
      ])
      for (const record of records) {
        expect(record).toMatchObject({ kind: "video", durationSec: 3, width: 160, height: 284, fps: 10 })
      }
      expect(records[1]!.tags).toEqual(expect.arrayContaining(["mandelbrot", "zoom", "fractal"]))
      const all = yield* sampleClips({ durationSec: 3 }, FRAME)
      expect(all.length).toBeGreaterThan(20)
    }))

  it.effect("unknown clip names and sizes the library cannot draw fail before anything runs", () =>
    Effect.gen(function*() {
      const unknown = yield* Effect.flip(sampleClips({ durationSec: 1, only: ["mandelbrot-zoom", "no-such-clip"] }, FRAME))
      expect(unknown.message).toContain("no-such-clip")
      const odd = yield* Effect.flip(sampleClips({ durationSec: 1 }, { ...FRAME, width: 161 }))
      expect(odd.message).toContain("161x284")
    }))

  it.scopedLive(
    "a sample-library job renders end to end: the frames the plan counts, generated in the render, no clip drawn",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const spec: JobSpec = {
          script: { _tag: "Text", title: "Patterns", text: SCRIPT },
          footage: { _tag: "Samples", dir: join(dir, "samples"), durationSec: 4, only: ONLY },
          output: { path: join(dir, "out", "samples.mp4"), ...FRAME, encoder: "libx264", captions: "none" },
          voice: "en",
          seed: "1",
          segments: 1,
          workDir: join(dir, "work")
        }
        const { events, report } = yield* Effect.scoped(
          Effect.gen(function*() {
            const report = yield* ProduceVideo.execute(spec)
            const page = yield* (yield* EventLog).query({ limit: 10_000 })
            return { report, events: page.events }
          }).pipe(Effect.provide(productionLayer({ database: join(dir, "swarm.db"), pollInterval: "100 millis" })))
        )
        // The report names each scene's sample clip.
        expect(report.shots.length).toBeGreaterThanOrEqual(2)
        for (const shot of report.shots) expect(ONLY.map((name) => `sample://${name}`)).toContain(shot.clip.path)
        // The fetch stage still runs (and is reported) but draws nothing.
        expect(events.filter((e) => e.type === "stage-finished").map((e) => (e.data as { stage: string }).stage)).toContain("fetch")
        expect(report.stages.fetch).toBeGreaterThanOrEqual(0)
        const entries = yield* Effect.promise(() => readdir(dir))
        expect(entries).not.toContain("samples")

        const renders = (yield* Effect.promise(() => readdir(spec.workDir))).filter((f) => f.startsWith("render-"))
        expect(renders).toHaveLength(1)
        const planText = yield* Effect.promise(() => readFile(join(spec.workDir, renders[0]!, "plan.json"), "utf8"))
        const plan = Schema.decodeUnknownSync(Schema.parseJson(RenderPlan))(planText)
        expect(plan.scenes.map((s) => s.shot.kind)).toEqual(plan.scenes.map(() => "lavfi"))
        expect(plan.scenes.map((s) => s.shot.path)).toEqual(report.shots.map((s) => s.clip.path))
        const info = yield* probe(report.output, { countFrames: true })
        expect(info).toMatchObject({ width: 160, height: 284, fps: 10, frames: plan.totalFrames, hasAudio: true })
        expect(plan.totalFrames).toBe(Math.round(report.narration.durationSec * 10))
      }),
    { timeout: 120_000 }
  )
})
