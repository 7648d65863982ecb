/**
 * A state directory's jobs over their life: a failed job is kept as failed (with its stage and
 * message) and not run again by `resume` unless `--failed`; `resume` finishes every other job, each
 * on its own; `jobs list|show|cancel` show and forget them.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { writeFile } from "node:fs/promises"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { probe } from "../../../media/probe.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { SCRIPT } from "../agents/library-fixture.ts"
import { footageIn, killGroup, reelswarm, startReelswarm, TINY } from "./cli-fixture.ts"

const tempDir = scopedTempDir("jobs")

interface ListedJob {
  readonly id: string
  readonly status: string
  readonly output: string
  readonly attempt: number
  readonly failure?: { readonly stage: string; readonly message: string }
  readonly pid?: number
}

const listJobs = (state: string) =>
  Effect.map(reelswarm(["jobs", "list", "--state", state, "--json"]), (o) => {
    expect(o.code, o.stderr).toBe(0)
    return (JSON.parse(o.stdout) as Array<ListedJob>).map((j) => ({ ...j })).sort((a, b) => a.output.localeCompare(b.output))
  })

describe("reelswarm jobs and resume", () => {
  it.scoped(
    "a failed job stays failed and does not block resume, which finishes the killed job behind it",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const footage = yield* footageIn(dir)
        const state = join(dir, "state")
        const run = (
          out: string,
          ...more: Array<string>
        ) => ["run", "--footage", footage, "--out", join(dir, out), ...TINY, "--state", state, ...more]

        // A job that fails at planning: its music is not audio.
        const music = join(dir, "not-music.mp3")
        yield* Effect.promise(() => writeFile(music, "this is not audio"))
        const failed = yield* reelswarm(run("a-failed.mp4", "--music", music), { stdin: SCRIPT })
        expect(failed.code).toBe(1)

        // A job killed (with its whole process group) in the middle.
        const killed = yield* startReelswarm(run("b-killed.mp4"), /narration: started/, { stdin: SCRIPT })
        killGroup(killed.child)
        yield* killed.exit

        const before = yield* listJobs(state)
        expect(before.map((j) => [j.output, j.status])).toEqual([
          [join(dir, "a-failed.mp4"), "failed"],
          [join(dir, "b-killed.mp4"), "pending"]
        ])
        const [failedJob, killedJob] = before as [ListedJob, ListedJob]
        expect(failedJob.failure?.stage).toBe("plan")
        expect(failedJob.failure?.message).toMatch(/plan failed: music .*not-music\.mp3/)

        // resume skips the failed job (saying so) and finishes the killed one.
        const resumed = yield* reelswarm(["resume", "--state", state])
        expect(resumed.code, resumed.stderr).toBe(0)
        expect(resumed.stderr).toContain(`skipping ${failedJob.id}, which failed: plan failed`)
        expect(resumed.stdout).toContain(`wrote ${join(dir, "b-killed.mp4")}`)
        const media = yield* probe(join(dir, "b-killed.mp4"))
        expect([media.width, media.height]).toEqual([180, 320])
        expect((yield* listJobs(state)).map((j) => j.id)).toEqual([failedJob.id])
        expect(killedJob.id).not.toBe(failedJob.id)

        // resume --failed runs it again (its next attempt), and exits 1 naming it.
        const retried = yield* reelswarm(["resume", "--failed", "--state", state])
        expect(retried.code).toBe(1)
        expect(retried.stderr).toContain(`1 of 1 jobs failed: ${failedJob.id} (plan)`)

        const shown = yield* reelswarm(["jobs", "show", failedJob.id.slice(0, 10), "--state", state, "--json"])
        expect(shown.code, shown.stderr).toBe(0)
        const detail = JSON.parse(shown.stdout)
        expect({ id: detail.id, status: detail.status, attempt: detail.attempt, stage: detail.failure.stage }).toEqual({
          id: failedJob.id,
          status: "failed",
          attempt: 2,
          stage: "plan"
        })
        expect(detail.spec.output.path).toBe(join(dir, "a-failed.mp4"))

        const cancelled = yield* reelswarm(["jobs", "cancel", failedJob.id, "--state", state])
        expect(cancelled.code, cancelled.stderr).toBe(0)
        expect(yield* listJobs(state)).toEqual([])
        const gone = yield* reelswarm(["jobs", "show", failedJob.id, "--state", state])
        expect(gone.code).toBe(2)
        expect(gone.stderr).toMatch(/no job job-\w+ in .*jobs list/)
        const nothing = yield* reelswarm(["resume", "--state", state])
        expect(nothing.code).toBe(0)
        expect(nothing.stderr).toMatch(/nothing to resume/)
      }),
    300_000
  )

  it.scoped(
    "jobs cancel stops the process running the job and forgets it",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const footage = yield* footageIn(dir)
        const state = join(dir, "state")
        // A Messages API that never answers: the job stays in its script stage until it is cancelled.
        const silent = yield* Effect.acquireRelease(
          Effect.async<Server>((resume) => {
            const server = createServer(() => {})
            server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
          }),
          (server) => Effect.sync(() => (server.closeAllConnections(), server.close()))
        )
        const { port } = silent.address() as AddressInfo
        const env = { ANTHROPIC_API_KEY: "sk-test-key", ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` }
        const args = ["run", "--topic", "tides", "--footage", footage, "--out", join(dir, "cancelled.mp4"), ...TINY, "--state", state]
        const running = yield* startReelswarm(args, /script: started/, { env })
        const [listed] = yield* listJobs(state)
        expect({ status: listed?.status, pid: listed?.pid }).toEqual({ status: "running", pid: running.child.pid })
        const cancelled = yield* reelswarm(["jobs", "cancel", listed!.id, "--state", state])
        expect(cancelled.code, cancelled.stderr).toBe(0)
        expect(cancelled.stderr).toContain(`stopped pid ${running.child.pid}`)
        // It stopped as on Ctrl-C (exit 130), without finishing the video.
        expect(yield* running.exit).toBe(130)
        expect(existsSync(join(dir, "cancelled.mp4"))).toBe(false)
        expect(yield* listJobs(state)).toEqual([])
        expect(existsSync(join(state, "lock"))).toBe(false)
      }),
    120_000
  )
})
