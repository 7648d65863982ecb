/**
 * `reelswarm run --encode-aware`, as a user runs it: the job renders (two segments, joined) into a
 * valid MP4 of the planned frames; its plan records a content class for every scene, measured from
 * the footage over the frames each scene shows, with each measurement cached in the work folder.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { probe } from "../../../media/probe.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { SCRIPT } from "../agents/library-fixture.ts"
import { footageIn, reelswarm, TINY } from "./cli-fixture.ts"

const tempDir = scopedTempDir("cli-encode-aware")

describe("reelswarm run --encode-aware", () => {
  it.scoped("renders with a measured class per scene, and caches the measurements", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const footage = yield* footageIn(dir)
      const state = join(dir, "state")
      const out = join(dir, "out", "video.mp4")
      const run = yield* reelswarm([
        "run",
        "--footage",
        footage,
        "--out",
        out,
        ...TINY,
        "--segments",
        "2",
        "--encode-aware",
        "--state",
        state
      ], {
        stdin: SCRIPT
      })
      expect(run.code, run.stderr).toBe(0)
      const work = join(state, "work")
      const renders = readdirSync(work).filter((name) => name.startsWith("render-"))
      expect(renders).toHaveLength(1)
      const plan = JSON.parse(readFileSync(join(work, renders[0]!, "plan.json"), "utf8")) as {
        totalFrames: number
        input: { output: { encoderSettings?: { contentAware?: boolean } } }
        scenes: ReadonlyArray<{ contentClass?: string; shot: { character?: { si: number; ti: number } } }>
      }
      expect(plan.input.output.encoderSettings).toEqual({ contentAware: true })
      expect(plan.scenes.length).toBeGreaterThan(0)
      for (const scene of plan.scenes) {
        expect(["high-motion", "text-graphics", "calm"]).toContain(scene.contentClass)
        expect(scene.shot.character).toBeDefined()
      }
      expect(readdirSync(join(work, "siti")).length).toBeGreaterThan(0)
      expect(existsSync(out)).toBe(true)
      const info = yield* probe(out)
      expect(Math.round(info.duration * 15)).toBeGreaterThanOrEqual(plan.totalFrames - 1)
    }), 300_000)
})
