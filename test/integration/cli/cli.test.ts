/**
 * The `reelswarm` command as a user runs it: a real process, real ffmpeg and espeak-ng, a state
 * directory with its SQLite file. Bad input exits 2 with a message naming what was wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { probe } from "../../../media/probe.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { fakeMessagesApi } from "../agents/fake-messages-api.ts"
import { makeLibrary, SCRIPT } from "../agents/library-fixture.ts"
import { reelswarm } from "./cli-fixture.ts"

const tempDir = scopedTempDir("cli")

describe("reelswarm CLI", () => {
  it.scoped("rejects bad input with exit code 2 and says what was wrong", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const noKey = { ANTHROPIC_API_KEY: "" }
      const cases: Array<[ReadonlyArray<string>, RegExp, string?]> = [
        [["run", "--footage", dir, "--out", join(dir, "x.mov"), "--state", dir], /--out must name an \.mp4 file/, SCRIPT],
        [
          ["run", "--footage", dir, "--out", join(dir, "x.mp4"), "--state", dir, "--size", "181x320"],
          /--size must be WIDTHxHEIGHT/,
          SCRIPT
        ],
        [["run", "--footage", dir, "--out", join(dir, "x.mp4"), "--state", dir], /the script is empty/, "  \n"],
        [
          ["run", "--topic", "tides", "--footage", dir, "--out", join(dir, "x.mp4"), "--state", dir],
          /set ANTHROPIC_API_KEY.*--script FILE/
        ],
        [["run", "--footage", join(dir, "missing"), "--out", join(dir, "x.mp4")], /missing/],
        [["run", "--script", join(dir, "s.txt")], /--footage/]
      ]
      for (const [args, message, stdin] of cases) {
        const outcome = yield* reelswarm(args, { env: noKey, ...(stdin === undefined ? {} : { stdin }) })
        expect({ args, code: outcome.code }).toEqual({ args, code: 2 })
        expect(outcome.stderr + outcome.stdout).toMatch(message)
      }
    }))

  it.scoped(
    "a state directory that cannot be written or read is an error naming it, with exit code 3 and no stack",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        // A plain file where the state directory keeps its jobs folder: no write or read there can succeed, even as root.
        const state = join(dir, "state")
        yield* Effect.promise(() => mkdir(state))
        yield* Effect.promise(() => writeFile(join(state, "jobs"), ""))
        const footage = join(dir, "footage")
        yield* Effect.promise(() => mkdir(footage))
        const runArgs = (
          stateDir: string
        ) => ["run", "--footage", footage, "--out", join(dir, "x.mp4"), "--encoder", "libx264", "--state", stateDir]
        const run = yield* reelswarm(runArgs(state), { stdin: SCRIPT })
        expect(run.code, run.stderr).toBe(3)
        expect(run.stderr).toMatch(
          new RegExp(`${state}/jobs.*: cannot write the state directory ${state} \\(EEXIST.*\\); make it writable`)
        )
        const resume = yield* reelswarm(["resume", "--state", state])
        expect(resume.code, resume.stderr).toBe(3)
        expect(resume.stderr).toMatch(
          new RegExp(`${state}/jobs.*: cannot read the state directory ${state} \\(ENOTDIR.*\\); make it readable`)
        )
        // A state directory under a plain file is refused while the options are read.
        const underFile = join(state, "jobs", "state")
        const refused = yield* reelswarm(runArgs(underFile), { stdin: SCRIPT })
        expect(refused.code, refused.stderr).toBe(1)
        expect(refused.stderr).toMatch(new RegExp(`ENOTDIR.*'${underFile}'`))
        for (const outcome of [run, resume, refused]) expect(outcome.stderr).not.toMatch(/\n\s+at /)
      }),
    120_000
  )

  it.scoped("turns a script on stdin into an MP4 and a JSON report, and leaves nothing to resume", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const footage = join(dir, "footage")
      yield* Effect.promise(() => mkdir(footage))
      yield* makeLibrary(footage)
      const out = join(dir, "out", "patterns.mp4")
      const state = join(dir, "state")
      const args = [
        "run",
        "--footage",
        footage,
        "--out",
        out,
        "--size",
        "180x320",
        "--fps",
        "15",
        "--captions",
        "words",
        "--segments",
        "2",
        "--state",
        state
      ]

      const first = yield* reelswarm([...args, "--json"], { stdin: SCRIPT })
      expect(first.code, first.stderr).toBe(0)
      const report = JSON.parse(first.stdout)
      expect(report.output).toBe(out)
      expect(report.scenes.length).toBe(2)
      expect(report.shots.map((s: { clip: { path: string } }) => s.clip.path.split("/").pop())).toEqual(["mandelbrot.mp4", "life.mp4"])
      expect(JSON.parse(yield* Effect.promise(() => readFile(join(dir, "out", "patterns.json"), "utf8"))).job).toBe(report.job)
      // `--segments 2`: two segments, each encoded by its own encoder agent, then stitched.
      expect(report.render.parts.map((p: { kind: string; agent: string }) => `${p.kind}@${p.agent}`).sort()).toEqual([
        "segment@encoder-0",
        "segment@encoder-1"
      ])

      const media = yield* probe(out)
      expect([media.width, media.height]).toEqual([180, 320])
      expect(Math.abs(media.duration - report.narration.durationSec)).toBeLessThanOrEqual(2 / 15)
      // Progress went to stderr as plain lines (not a terminal), one per stage.
      expect(first.stderr).toMatch(/render: done in/)
      // The job finished, so nothing is pending and the proven encoder was remembered.
      expect(yield* Effect.promise(() => readdir(join(state, "jobs")))).toEqual([])
      expect(existsSync(join(state, "encoder.json"))).toBe(true)

      const resumed = yield* reelswarm(["resume", "--state", state])
      expect(resumed.code).toBe(0)
      expect(resumed.stderr).toMatch(/nothing to resume/)

      // A music file ffmpeg cannot read fails the job at planning, naming the file, with exit code 1.
      const music = join(dir, "not-music.mp3")
      yield* Effect.promise(() => writeFile(music, "this is not audio"))
      const failed = yield* reelswarm([...args.slice(0, 4), join(dir, "out", "with-music.mp4"), ...args.slice(5), "--music", music], {
        stdin: SCRIPT
      })
      expect(failed.code).toBe(1)
      expect(failed.stderr).toMatch(/plan failed: music .*not-music\.mp3/)
      expect(existsSync(join(dir, "out", "with-music.mp4"))).toBe(false)
    }))

  it.scopedLive("--topic has Claude write the script (real SDK against a loopback Messages API) and makes the video", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const footage = join(dir, "footage")
      yield* Effect.promise(() => mkdir(footage))
      yield* makeLibrary(footage)
      const written = {
        title: "Patterns that build themselves",
        scenes: [
          { sentences: ["The Mandelbrot set hides endless fractal detail in one formula."] },
          { sentences: ["In the Game of Life, cells on a grid live or die by their neighbours."] },
          { sentences: ["Zoom into the fractal again and the same shapes return."] }
        ]
      }
      const api = yield* fakeMessagesApi([{ text: JSON.stringify(written) }])
      const out = join(dir, "topic.mp4")
      const run = yield* reelswarm(
        [
          "run",
          "--topic",
          "emergent patterns",
          "--footage",
          footage,
          "--out",
          out,
          "--size",
          "180x320",
          "--fps",
          "15",
          "--state",
          join(dir, "state"),
          "--json"
        ],
        { env: { ANTHROPIC_API_KEY: "sk-test-key", ANTHROPIC_BASE_URL: api.baseURL } }
      )
      expect(run.code, run.stderr).toBe(0)
      const report = JSON.parse(run.stdout)
      expect(report.title).toBe(written.title)
      expect(report.scenes.map((s: { text: string }) => s.text)).toEqual(written.scenes.map((s) => s.sentences[0]))
      expect(report.shots.map((s: { clip: { path: string } }) => s.clip.path.split("/").pop())).toEqual([
        "mandelbrot.mp4",
        "life.mp4",
        "mandelbrot.mp4"
      ])
      expect(api.requests).toHaveLength(1)
      expect(JSON.stringify(api.requests[0]!.body.messages)).toContain("emergent patterns")
      expect(existsSync(out)).toBe(true)
    }))
})
