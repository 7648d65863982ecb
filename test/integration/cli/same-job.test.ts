/**
 * One state directory, two processes: they take turns. The same job started twice at once used to
 * stall both processes (two workflow runners on one SQLite file take each other's messages); now
 * the second waits for the first, says so, and is then answered from the finished job.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdir, readdir, writeFile } from "node:fs/promises"
import { hostname } from "node:os"
import { join } from "node:path"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { SCRIPT } from "../agents/library-fixture.ts"
import { footageIn, reelswarm, TINY } from "./cli-fixture.ts"

const tempDir = scopedTempDir("same-job")

const videoFrames = (file: string) =>
  Number(
    execFileSync("ffprobe", [
      "-v",
      "error",
      "-count_frames",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=nb_read_frames",
      "-of",
      "csv=p=0",
      file
    ], { encoding: "utf8" }).trim()
  )

describe("one state directory, two processes", () => {
  it.scoped(
    "the same job started twice at once: both exit 0 with the one output, the second having waited for the first",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const footage = yield* footageIn(dir)
        const script = join(dir, "patterns.txt")
        yield* Effect.promise(() => writeFile(script, SCRIPT))
        const out = join(dir, "out", "patterns.mp4")
        const state = join(dir, "state")
        // Two segments: two encoder agents, the case that stalled most often.
        const args = ["run", "--script", script, "--footage", footage, "--out", out, ...TINY, "--segments", "2", "--state", state, "--json"]
        const [first, second] = yield* Effect.all([reelswarm(args), reelswarm(args)], { concurrency: 2 })
        for (const outcome of [first, second]) expect(outcome.code, outcome.stderr).toBe(0)
        const reports = [first, second].map((o) => JSON.parse(o.stdout))
        expect(reports.map((r) => r.output)).toEqual([out, out])
        expect(reports[0].job).toBe(reports[1].job)
        // The one that came second said once whom it waited for.
        const waits = (first.stderr + second.stderr).match(/waiting for job job-\w+ \(pid \d+\) to finish in .*…/g) ?? []
        expect(waits).toHaveLength(1)
        expect(waits[0]).toContain(reports[0].job)
        const frames = videoFrames(out)
        expect(Math.abs(frames - reports[0].narration.durationSec * 15)).toBeLessThanOrEqual(2)
        expect(yield* Effect.promise(() => readdir(join(dir, "out")))).toEqual(["patterns.json", "patterns.mp4"])
        // Nothing left behind: no lock, no pending job.
        expect(existsSync(join(state, "lock"))).toBe(false)
        expect(yield* Effect.promise(() => readdir(join(state, "jobs")))).toEqual([])
      }),
    // A hang guard only: the two jobs take seconds.
    240_000
  )

  it.scoped(
    "a lock left by a killed process is taken over without waiting",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const footage = yield* footageIn(dir)
        const state = join(dir, "state")
        yield* Effect.promise(() => mkdir(state))
        // A pid that has exited: a child that ran and is gone.
        const dead = Number(execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }))
        const stale = {
          pid: dead,
          host: hostname(),
          startedAt: Date.now() - 60_000,
          token: "gone",
          job: "job-0000000000000000",
          command: "run"
        }
        yield* Effect.promise(() => writeFile(join(state, "lock"), JSON.stringify(stale)))
        const out = join(dir, "out.mp4")
        const run = yield* reelswarm(["run", "--footage", footage, "--out", out, ...TINY, "--state", state], { stdin: SCRIPT })
        expect(run.code, run.stderr).toBe(0)
        expect(run.stderr).not.toMatch(/waiting for job/)
        expect(existsSync(out)).toBe(true)
        expect(existsSync(join(state, "lock"))).toBe(false)
      }),
    240_000
  )
})
