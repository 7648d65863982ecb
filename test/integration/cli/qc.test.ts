/**
 * `--qc`, as a user runs it: the finished MP4 is analysed and held to the rules. A render with black
 * frames nobody asked for fails the job (exit 1) with the reason in one line and in the report beside
 * the MP4; the offline demo passes every rule.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { reelswarm } from "./cli-fixture.ts"

const tempDir = scopedTempDir("cli-qc")

interface Check {
  readonly rule: string
  readonly passed: boolean
  readonly detail: string
}
const qcOf = (reportFile: string) =>
  (JSON.parse(readFileSync(reportFile, "utf8")) as { qc?: { passed: boolean; checks: ReadonlyArray<Check> } }).qc

describe("reelswarm --qc", () => {
  it.scoped(
    "fails a render with black frames the plan did not ask for, naming them, and keeps the video and its report",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const footage = join(dir, "footage")
        yield* Effect.promise(() => mkdir(footage))
        const clip = (source: string, name: string) =>
          execFileSync("ffmpeg", [
            ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", source, "-t", "6"],
            ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", join(footage, name)]
          ])
        clip("testsrc2=size=320x180:rate=15", "city-street.mp4")
        clip("color=c=black:size=320x180:rate=15", "night-sky.mp4")
        const script = join(dir, "script.txt")
        writeFileSync(script, "The city street is busy all day long.\n\nAt night the sky turns dark and quiet.\n")
        const out = join(dir, "out", "video.mp4")
        const run = yield* reelswarm([
          ...["run", "--script", script, "--footage", footage, "--out", out, "--state", join(dir, "state")],
          ...["--size", "180x320", "--fps", "15", "--encoder", "libx264", "--segments", "1", "--qc"]
        ])
        expect(run.code, run.stderr).toBe(1)
        const last = run.stderr.trim().split("\n").at(-1)!
        expect(last).toContain("failed quality control")
        expect(last).toContain("black: black frames the plan did not ask for at")
        expect(run.stderr).not.toMatch(/\n\s+at /)
        expect(existsSync(out)).toBe(true)
        const qc = qcOf(join(dir, "out", "video.json"))!
        expect(qc.passed).toBe(false)
        expect(qc.checks.map((c) => c.rule)).toEqual(["loudness", "true-peak", "black", "frozen", "av-offset", "captions-safe-area"])
        const black = qc.checks.find((c) => c.rule === "black")!
        expect(black.passed).toBe(false)
        // the loudness was made to the target, and measured there
        expect(qc.checks.find((c) => c.rule === "loudness")).toMatchObject({ passed: true })
      }),
    600_000
  )

  it.scoped(
    "passes the offline demo: loudness on target, true peak under -1 dBTP, no black or frozen frames, audio in sync",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const run = yield* reelswarm(["demo", "--out", join(dir, "out"), "--state", join(dir, "state"), "--qc", "--json"])
        expect(run.code, run.stderr).toBe(0)
        const printed = JSON.parse(run.stdout) as { qc?: { passed: boolean; checks: ReadonlyArray<Check> } }
        expect(printed.qc?.passed, JSON.stringify(printed.qc)).toBe(true)
        const qc = qcOf(join(dir, "out", "demo.json"))!
        expect(qc.checks.filter((c) => !c.passed)).toEqual([])
        expect(qc.checks).toHaveLength(6)
      }),
    900_000
  )
})
