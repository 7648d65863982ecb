import { describe, expect, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { openSync } from "node:fs"
import { mkdir } from "node:fs/promises"
import { dirname, join } from "node:path"
import { productionLayer } from "../../../agents/production/environment.ts"
import type { JobSpec } from "../../../agents/production/job.ts"
import { ProduceVideo } from "../../../agents/production/workflow.ts"
import { probe } from "../../../media/probe.ts"
import { EventLog, memoryLayer } from "../../../memory/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, tinyJob } from "./library-fixture.ts"

/** Four scenes, so one encoder slot encodes four segments in turn and there is time to kill it. */
const SCRIPT = [
  "Fractals repeat the same shapes forever, at every scale you look.",
  "Cells on a grid live and die by counting their neighbours.",
  "The Mandelbrot set hides spirals inside spirals, without an end.",
  "A glider walks across the grid of the Game of Life, step by step."
].join("\n\n")

const tempDir = scopedTempDir("resume")

const killGroup = (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  try {
    process.kill(-child.pid, "SIGKILL")
  } catch {
    // Already gone: nothing to kill.
  }
}

/** Starts the child in its own process group, so SIGKILL reaches tsx's node process and ffmpeg alike. */
const startChild = (spec: JobSpec, database: string) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "produce-child.ts"), JSON.stringify(spec), database], {
        detached: true,
        stdio: ["ignore", "ignore", openSync(join(dirname(database), "child.log"), "w")]
      })
    ),
    (child) => Effect.sync(() => killGroup(child))
  )

const readEvents = (database: string, types: ReadonlyArray<string>) =>
  Effect.scoped(
    Effect.flatMap(EventLog, (log) => log.query({ types, limit: 10_000 })).pipe(Effect.provide(memoryLayer({ filename: database })))
  )

describe("resume after SIGKILL", () => {
  it.scopedLive("a job killed while encoding finishes on the next run without redoing finished stages or segments", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => mkdir(join(dir, "footage")))
      yield* makeLibrary(join(dir, "footage"))
      const database = join(dir, "swarm.db")
      const spec = tinyJob(dir, { script: SCRIPT, output: { width: 360, height: 640, fps: 30, captions: "karaoke" }, segments: 4 })

      const child = yield* startChild(spec, database)
      // Wait until the first segment is encoded, then kill the whole process group mid-render.
      yield* readEvents(database, ["part-encoded"]).pipe(
        Effect.orElseSucceed(() => ({ events: [] })),
        Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: (page) => page.events.length >= 1 }),
        Effect.timeout("90 seconds")
      )
      killGroup(child)
      yield* Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) resume(Effect.void)
        else child.once("exit", () => resume(Effect.void))
      })
      const beforeKill = yield* readEvents(database, ["part-encoded", "render-finished"])
      expect(beforeKill.events.filter((e) => e.type === "render-finished")).toHaveLength(0)

      const report = yield* ProduceVideo.execute(spec).pipe(
        Effect.provide(productionLayer({ database, topology: "mesh", encoders: [{}], pollInterval: "200 millis" })),
        Effect.scoped
      )
      const info = yield* probe(report.output, { countFrames: true })
      expect([info.width, info.height, info.hasAudio]).toEqual([360, 640, true])
      expect(Math.abs(info.duration - report.narration.durationSec)).toBeLessThan(0.1)

      const { events } = yield* readEvents(database, ["stage-started", "part-encoded"])
      const startsOf = (stage: string) => events.filter((e) => e.type === "stage-started" && e.data?.["stage"] === stage).length
      for (const stage of ["script", "narration", "scenes", "footage", "shots", "fetch", "plan"]) expect(startsOf(stage)).toBe(1)
      expect(startsOf("render")).toBe(2)
      expect(startsOf("report")).toBe(1)
      // Segments finished before the kill are reused, not encoded again.
      const parts = events.filter((e) => e.type === "part-encoded").map((e) => e.data as { index: number; reused: boolean })
      const encodedBeforeKill = beforeKill.events.filter((e) => e.type === "part-encoded").map((e) => (e.data as { index: number }).index)
      for (const index of encodedBeforeKill) {
        expect(parts.filter((p) => p.index === index && !p.reused)).toHaveLength(1)
        expect(parts.filter((p) => p.index === index && p.reused)).toHaveLength(1)
      }
      expect(report.render.parts.filter((p) => p.reused).length).toBe(encodedBeforeKill.length)
    }))
})
