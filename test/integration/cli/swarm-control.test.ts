/**
 * The swarm-control commands as they ship (the bundled CLI, `node <bundle>`): every command's help
 * has examples; every `--json` read command prints one JSON document and nothing else on stdout;
 * exit codes, the config file and the environment behave as docs/cli.md says; `memory` round-trips;
 * and `status` and `events --follow` watch a job that runs in another process.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { SCRIPT } from "../agents/library-fixture.ts"
import { runBundle, startBundle } from "./bundle-fixture.ts"
import { footageIn } from "./cli-fixture.ts"

const tempDir = scopedTempDir("swarm-control")
const cli = (args: ReadonlyArray<string>, options: Parameters<typeof runBundle>[1] = {}) => runBundle(args, options)

/** One JSON document on stdout: parsing all of it must succeed. */
const jsonOf = (stdout: string): unknown => JSON.parse(stdout)

const COMMANDS = [
  [],
  ["demo"],
  ["run"],
  ["batch"],
  ["resume"],
  ["jobs"],
  ["jobs", "list"],
  ["jobs", "show"],
  ["jobs", "cancel"],
  ["status"],
  ["agents"],
  ["events"],
  ["memory"],
  ["memory", "get"],
  ["memory", "set"],
  ["memory", "list"],
  ["memory", "delete"],
  ["footage"],
  ["footage", "index"],
  ["footage", "search"],
  ["footage", "sample"],
  ["doctor"]
] as const

describe("reelswarm swarm control (bundled CLI)", () => {
  it.effect(
    "every command's --help exits 0 and shows examples; the top level lists the exit codes and completions work",
    () =>
      Effect.gen(function*() {
        for (const command of COMMANDS) {
          const outcome = yield* cli([...command, "--help"])
          expect({ command, code: outcome.code }).toEqual({ command, code: 0 })
          expect(outcome.stdout, command.join(" ")).toMatch(/Examples:\n {2}reelswarm /)
        }
        const top = yield* cli(["--help"])
        expect(top.stdout).toMatch(/Exit codes: 0 done; 1 .*2 bad usage.*3 the state directory.*130 interrupted/s)
        for (const shell of ["bash", "zsh", "fish", "sh"]) {
          const completions = yield* cli(["--completions", shell])
          expect({ shell, code: completions.code }).toEqual({ shell, code: 0 })
          expect(completions.stdout).toMatch(/reelswarm/)
          expect(completions.stdout).toMatch(/footage/)
        }
      }),
    300_000
  )

  it.scoped("every --json read command prints exactly one JSON document on stdout", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const footage = yield* footageIn(dir)
      const state = join(dir, "state")
      const s = ["--state", state]
      expect((yield* cli(["memory", "set", "greeting", "hello", ...s])).code).toBe(0)

      const status = jsonOf((yield* cli(["status", ...s, "--json"])).stdout) as Record<string, unknown>
      expect(status).toMatchObject({ state, holder: null, server: null, jobs: { pending: 0, failed: 0, running: 0 }, agents: [] })
      expect(jsonOf((yield* cli(["agents", ...s, "--json"])).stdout)).toEqual({ state, agents: [] })
      expect(jsonOf((yield* cli(["events", ...s, "--json"])).stdout)).toEqual([])
      expect(jsonOf((yield* cli(["memory", "list", ...s, "--json"])).stdout)).toEqual([
        { namespace: "default", key: "greeting", value: "hello", expiresAt: null }
      ])
      expect(jsonOf((yield* cli(["memory", "get", "greeting", ...s, "--json"])).stdout)).toEqual({
        namespace: "default",
        key: "greeting",
        value: "hello"
      })
      expect(jsonOf((yield* cli(["jobs", "list", ...s, "--json"])).stdout)).toEqual([])

      const index = jsonOf((yield* cli(["footage", "index", footage, ...s, "--json"])).stdout) as {
        clips: ReadonlyArray<{ path: string; durationSec: number }>
      }
      expect(index.clips.map((c) => c.path.split("/").pop()).sort()).toEqual(["life.mp4", "mandelbrot.mp4"])
      const search = jsonOf((yield* cli(["footage", "search", footage, "game of life cells", ...s, "--json"])).stdout) as {
        results: ReadonlyArray<{ path: string; score: { total: number } }>
      }
      expect(search.results).toHaveLength(2)
      expect(search.results[0]!.path).toMatch(/life\.mp4$/)
      expect(search.results[0]!.score.total).toBeGreaterThan(search.results[1]!.score.total)

      const doctor = yield* cli(["doctor", ...s, "--json"])
      const report = jsonOf(doctor.stdout) as {
        machine: { cpuCores: number; tier: string; ffmpeg: string; encoders: { proven: Array<string> } }
      }
      expect(report.machine.cpuCores).toBeGreaterThan(0)
      expect(["low", "medium", "high", "ultra"]).toContain(report.machine.tier)
      expect(report.machine.ffmpeg).toMatch(/^\d/)
      expect(report.machine.encoders.proven).toContain("libx264")
    }), 300_000)

  it.scoped(
    "flags win over REELSWARM_ variables, which win over the config file; bad settings exit 2 naming them",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const cwd = join(dir, "project")
        mkdirSync(cwd)
        const stateOf = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) =>
          Effect.map(cli(["status", "--json", ...args], { cwd, env }), (o) => (jsonOf(o.stdout) as { state: string }).state)

        expect(yield* stateOf([])).toBe(".reelswarm")
        writeFileSync(join(cwd, "reelswarm.config.json"), JSON.stringify({ state: "from-config", voice: "xx-config" }))
        expect(yield* stateOf([])).toBe("from-config")
        expect(yield* stateOf([], { REELSWARM_STATE: "from-env" })).toBe("from-env")
        expect(yield* stateOf(["--state", "from-flag"], { REELSWARM_STATE: "from-env" })).toBe("from-flag")

        // A job option, the same way: the voice named in the refusal is the one that won.
        const footage = yield* footageIn(dir)
        const run = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) =>
          cli(["run", "--footage", footage, "--out", join(dir, "x.mp4"), ...args], { cwd, env, stdin: SCRIPT })
        const fromConfig = yield* run([])
        expect(fromConfig.code).toBe(2)
        expect(fromConfig.stderr).toMatch(/unknown voice xx-config/)
        const fromEnv = yield* run([], { REELSWARM_VOICE: "xx-env" })
        expect(fromEnv.stderr).toMatch(/unknown voice xx-env/)
        const fromFlag = yield* run(["--voice", "xx-flag"], { REELSWARM_VOICE: "xx-env" })
        expect(fromFlag.stderr).toMatch(/unknown voice xx-flag/)

        const badEnv = yield* run([], { REELSWARM_FPS: "500" })
        expect(badEnv.code).toBe(2)
        expect(badEnv.stderr).toMatch(/REELSWARM_FPS: expected a number between 1 and 120, got 500/)

        writeFileSync(join(cwd, "reelswarm.config.json"), JSON.stringify({ captions: "big" }))
        const badField = yield* cli(["status"], { cwd })
        expect(badField.code).toBe(2)
        expect(badField.stderr).toContain(`reelswarm.config.json: captions: expected one of lines, words, karaoke, none, got "big"`)
        expect(badField.stdout).toBe("")

        const other = join(dir, "other.json")
        writeFileSync(other, JSON.stringify({ serve: { port: 8080, colour: "red" } }))
        const unknownField = yield* cli(["status", "--config", other], { cwd })
        expect(unknownField.code).toBe(2)
        expect(unknownField.stderr).toContain(`${other}: serve.colour: not a setting reelswarm knows`)

        const badFlag = yield* cli(["status", "--no-such-flag"], { cwd: dir })
        expect(badFlag.code).toBe(2)
        const badCommand = yield* cli(["no-such-command"], { cwd: dir })
        expect(badCommand.code).toBe(2)
        const missingKey = yield* cli(["memory", "get", "nothing", "--state", join(dir, "state")], { cwd: dir })
        expect(missingKey.code).toBe(1)
      }),
    300_000
  )

  it.scoped("memory set, get, list and delete round-trip JSON values, with a TTL", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const s = ["--state", join(dir, "state")]
      expect((yield* cli(["memory", "set", "limits", "{\"maxJobs\": 4, \"tags\": [\"a\"]}", "--ttl", "1h", ...s])).code).toBe(0)
      expect((yield* cli(["memory", "set", "note", "not json", ...s])).code).toBe(0)
      expect((yield* cli(["memory", "set", "count", "42", "--namespace", "other", ...s])).code).toBe(0)

      expect(jsonOf((yield* cli(["memory", "get", "limits", ...s])).stdout)).toEqual({ maxJobs: 4, tags: ["a"] })
      expect(jsonOf((yield* cli(["memory", "get", "note", ...s])).stdout)).toBe("not json")
      expect(jsonOf((yield* cli(["memory", "get", "count", "-n", "other", ...s])).stdout)).toBe(42)

      const listed = jsonOf((yield* cli(["memory", "list", ...s, "--json"])).stdout) as ReadonlyArray<
        { key: string; expiresAt: string | null }
      >
      expect(listed.map((e) => e.key)).toEqual(["limits", "note"])
      const expires = Date.parse(listed[0]!.expiresAt!)
      expect(expires).toBeGreaterThan(Date.now() + 50 * 60_000)
      expect(listed[1]!.expiresAt).toBeNull()

      expect((yield* cli(["memory", "delete", "limits", ...s])).code).toBe(0)
      expect((yield* cli(["memory", "get", "limits", ...s])).code).toBe(1)
      expect((yield* cli(["memory", "delete", "limits", ...s])).code).toBe(1)
      expect(jsonOf((yield* cli(["memory", "list", ...s, "--json"])).stdout)).toHaveLength(1)
    }), 300_000)

  it.scoped(
    "status shows the job another process runs, and events --follow prints its events as they are appended until killed",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const footage = yield* footageIn(dir)
        const state = join(dir, "state")
        // Following before the job exists: every event it prints was appended by the other process.
        const follower = yield* startBundle(["events", "--follow", "--json", "--state", state])
        const job = yield* startBundle([
          "run",
          "--footage",
          footage,
          "--out",
          join(dir, "out", "tiny.mp4"),
          "--size",
          "160x284",
          "--fps",
          "10",
          "--captions",
          "none",
          "--encoder",
          "libx264",
          "--state",
          state
        ], { stdin: SCRIPT })
        yield* job.waitFor("stderr", /script: started/)

        // Paused while status looks, so a tiny job on a fast machine cannot finish first; it holds the lock meanwhile.
        process.kill(job.child.pid!, "SIGSTOP")
        const status = jsonOf(
          (yield* cli(["status", "--state", state, "--json"]).pipe(
            Effect.ensuring(Effect.sync(() => process.kill(job.child.pid!, "SIGCONT")))
          )).stdout
        ) as {
          holder: { pid: number; command: string; job: string } | null
          jobs: { running: number }
        }
        expect(status.holder).toMatchObject({ pid: job.child.pid, command: "run" })
        expect(status.jobs.running).toBe(1)
        const id = status.holder!.job

        const finished = yield* job.exit
        expect(finished.code, job.stderr()).toBe(0)
        // The job's last stage, read by the follower from the other process's appends.
        yield* follower.waitFor("stdout", /"type":"stage-finished"[^\n]*"stage":"report"/)
        expect(follower.child.exitCode).toBeNull()

        follower.child.kill("SIGTERM")
        const ended = yield* follower.exit
        expect([0, 130]).toContain(ended.code)
        const events = follower.stdout().trim().split("\n").map((line) => JSON.parse(line) as { id: number; type: string; job?: string })
        expect(events.some((e) => e.type === "stage-started" && e.job === id)).toBe(true)
        const ids = events.map((e) => e.id)
        expect(ids).toEqual([...ids].sort((a, b) => a - b))
        expect(new Set(ids).size).toBe(ids.length)
      }),
    300_000
  )
})
