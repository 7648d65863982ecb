/**
 * The hardware tier and the ETA as a user meets them: `reelswarm doctor` shows the tier with its
 * reasons and the defaults it gives a job, in words and in JSON; `reelswarm run` says its ETA on
 * stderr before the render starts, with `--json` keeping stdout to the one report, which carries the
 * estimate beside the render's real time.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { SCRIPT } from "../agents/library-fixture.ts"
import { footageIn, reelswarm, TINY } from "./cli-fixture.ts"

const tempDir = scopedTempDir("tier-eta")

describe("tier and ETA on the command line", () => {
  it.scoped(
    "doctor shows the tier, its reasons and its defaults; run prints its ETA before the render and reports it",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const state = join(dir, "state")

        const doctor = yield* reelswarm(["doctor", "--state", state, "--json"])
        const machine = JSON.parse(doctor.stdout).machine as {
          tier: string
          tierReasons: Array<string>
          defaults: { segments: number; encoder: string | null; previewSize: number }
          encoders: { proven: Array<string> }
        }
        expect(["low", "medium", "high", "ultra"]).toContain(machine.tier)
        expect(machine.tierReasons[0]).toMatch(/^\d+ cores, [\d.]+ GiB RAM, /)
        expect(machine.encoders.proven).toContain(machine.defaults.encoder)
        expect(Number.isInteger(machine.defaults.segments) && machine.defaults.segments >= 1).toBe(true)
        expect(machine.defaults.previewSize).toBeGreaterThan(0)
        const words = yield* reelswarm(["doctor", "--state", state])
        expect(words.stdout).toContain(`hardware tier: ${machine.tier} (${machine.tierReasons.join("; ")}); defaults: `)

        const footage = yield* footageIn(dir)
        const out = join(dir, "out", "eta.mp4")
        const run = yield* reelswarm(["run", "--footage", footage, "--out", out, ...TINY, "--state", state, "--json"], { stdin: SCRIPT })
        expect(run.code, run.stderr).toBe(0)
        const report = JSON.parse(run.stdout) as { eta: { estimatedSec: number; actualSec: number; ratio: number } }
        expect(Number.isFinite(report.eta.estimatedSec) && report.eta.estimatedSec > 0).toBe(true)
        expect(Number.isFinite(report.eta.actualSec) && report.eta.actualSec > 0).toBe(true)
        expect(Number.isFinite(report.eta.ratio)).toBe(true)
        const lines = run.stderr.split("\n")
        const eta = lines.findIndex((line) =>
          /^ETA ~\d+(m\d\ds|s), estimate \(no history\): [\d,]+ frames at .* fps assumed for libx264$/.test(line)
        )
        expect(eta, run.stderr).toBeGreaterThan(lines.findIndex((line) => line.startsWith("plan: done")))
        expect(eta).toBeLessThan(lines.indexOf("render: started"))
      }),
    240_000
  )
})
