/**
 * `reelswarm batch` as a user runs it: a file of jobs, run side by side on one swarm over one state
 * directory, real ffmpeg and espeak-ng. A bad line refuses the batch before any work; a job that
 * fails late fails alone.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { existsSync } from "node:fs"
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { probe } from "../../../media/probe.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { footageIn, reelswarm } from "./cli-fixture.ts"

const tempDir = scopedTempDir("batch")

/** Tiny jobs: 160x284 at 10 fps, no captions unless a line asks. */
const tiny = { size: "160x284", fps: 10, captions: "none" }

const Outcome = Schema.Struct({
  line: Schema.Number,
  job: Schema.String,
  status: Schema.Literal("finished", "failed"),
  output: Schema.optional(Schema.String),
  stage: Schema.optional(Schema.String),
  error: Schema.optional(Schema.String)
})
const Outcomes = Schema.parseJson(Schema.Array(Outcome))

const Report = Schema.Struct({
  output: Schema.String,
  scenes: Schema.Array(Schema.Struct({ text: Schema.String })),
  narration: Schema.Struct({ durationSec: Schema.Number })
})

const lines = (jobs: ReadonlyArray<object>) => jobs.map((j) => JSON.stringify(j)).join("\n") + "\n"

describe("reelswarm batch", () => {
  it.scoped("runs its jobs two at a time on one swarm, each to its own video; a job that fails late fails alone", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* footageIn(dir)
      yield* Effect.promise(() => writeFile(join(dir, "fractals.txt"), "Fractals repeat the same shapes at every scale."))
      // Not audio: found only when the render is planned, after narration.
      yield* Effect.promise(() => writeFile(join(dir, "noise.mp3"), "this is not a music file"))
      const scripts = [
        "Cells on a grid live and die by counting their neighbours.",
        undefined,
        "A spiral of seeds packs a sunflower without gaps.",
        "Snowflakes grow six arms from one frozen seed."
      ]
      const file = join(dir, "jobs.jsonl")
      yield* Effect.promise(() =>
        writeFile(
          file,
          lines([
            { script: scripts[0], out: "out/cells.mp4", footage: "footage", ...tiny },
            { scriptFile: "fractals.txt", out: "out/fractals.mp4", footage: "footage", ...tiny, captions: "lines" },
            { script: scripts[2], out: "out/spiral.mp4", footage: "footage", ...tiny, music: "noise.mp3" },
            { script: scripts[3], out: "out/snow.mp4", footage: "footage", ...tiny }
          ])
        )
      )
      const state = join(dir, "state")
      const run = yield* reelswarm(["batch", file, "--concurrency", "2", "--encoder", "libx264", "--state", state, "--json"])
      expect(run.code, run.stderr).toBe(1)

      const outcomes = Schema.decodeUnknownSync(Outcomes)(run.stdout)
      expect(outcomes.map((o) => [o.line, o.status])).toEqual([[1, "finished"], [2, "finished"], [3, "failed"], [4, "finished"]])
      const failed = outcomes[2]!
      expect(failed.stage).toBe("plan")
      expect(failed.error).toMatch(/noise\.mp3/)
      expect(run.stderr).toMatch(/1 of 4 jobs failed: line 3 \(job-\w+, plan\)/)

      // Two jobs ran at once: the second started before the first finished.
      const at = (text: RegExp) => run.stderr.search(text)
      expect(at(/line 2: job-\w+ started/)).toBeLessThan(at(/line 1: job-\w+ finished/))

      const texts = [scripts[0]!, "Fractals repeat the same shapes at every scale.", undefined, scripts[3]!]
      for (const [i, outcome] of outcomes.entries()) {
        if (outcome.status !== "finished") continue
        const report = Schema.decodeUnknownSync(Schema.parseJson(Report))(
          yield* Effect.promise(() => readFile(outcome.output!.replace(/\.mp4$/, ".json"), "utf8"))
        )
        // Each video is its own job's: its script, narrated and cut to its length.
        expect(report.scenes.map((s) => s.text).join(" ")).toBe(texts[i])
        const info = yield* probe(outcome.output!, { countFrames: true })
        expect([info.width, info.height, info.hasAudio]).toEqual([160, 284, true])
        expect(Math.abs((info.frames ?? 0) - report.narration.durationSec * 10)).toBeLessThanOrEqual(1)
      }
      expect(existsSync(join(dir, "out", "spiral.mp4"))).toBe(false)

      // Only the failed job's file is left, marked failed for `jobs show`.
      const left = yield* Effect.promise(() => readdir(join(state, "jobs")))
      expect(left).toEqual([`${failed.job}.json`])
      const shown = yield* reelswarm(["jobs", "show", failed.job, "--state", state, "--json"])
      expect(JSON.parse(shown.stdout)).toMatchObject({ status: "failed", failure: { stage: "plan" } })
    }))

  it.scoped("refuses a batch with bad lines before any work, listing each line, field and why", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* footageIn(dir)
      const file = join(dir, "jobs.csv")
      yield* Effect.promise(() =>
        writeFile(
          file,
          [
            "script,out,footage,fps,size,voice",
            // Good, with a comma and a line break inside quotes.
            "\"Cells live, and die.\n\nThey count.\",out/ok.mp4,footage,10,160x284,en",
            "Hello,out/x.mov,footage,10,160x284,en",
            "Hello,out/y.mp4,missing,fast,161x284,en",
            "Hello,out/z.mp4,missing,10,160x284,zz-nonsense",
            "Hello,out/ok.mp4,footage,10,160x284,en",
            "too,few,cells"
          ].join("\n") + "\n"
        )
      )
      const state = join(dir, "state")
      const run = yield* reelswarm(["batch", file, "--encoder", "libx264", "--state", state])
      expect(run.code, run.stderr).toBe(2)
      expect(run.stderr).toMatch(/5 bad lines, so no job was run/)
      for (
        const problem of [
          /line 5, out: must name an \.mp4 file/,
          /line 6, fps: must be a whole number/,
          /line 6, size: must be WIDTHxHEIGHT/,
          /line 7, footage: .*missing is not a folder/,
          /line 7, voice: unknown voice zz-nonsense/,
          /line 8, out: line 2 writes .*ok\.mp4 too/,
          /line 9: has 3 cells, the header 6/
        ]
      ) expect(run.stderr).toMatch(problem)
      expect(run.stderr).not.toMatch(/line 2,/)
      // Nothing ran: no job files, no output.
      expect(existsSync(join(state, "jobs"))).toBe(false)
      expect(existsSync(join(dir, "out", "ok.mp4"))).toBe(false)
    }))
})
