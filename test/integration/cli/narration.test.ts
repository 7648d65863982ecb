/**
 * Bring your own voice and images, as a user runs it: `run --narration FILE` narrates the script with
 * the recording (its words timed on it, the captions following it), a footage folder of images only
 * works, and `run --image A.jpg --narration B.wav` is image + audio → video in one command. A
 * recording that cannot narrate is refused before any work, in one line naming the file.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { probe } from "../../../media/probe.ts"
import { encodeWav } from "../../../media/tts/wav.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { recordWithEspeak } from "../media/recording-fixture.ts"
import { reelswarm } from "./cli-fixture.ts"

const tempDir = scopedTempDir("cli-narration")

const SCRIPT = "The Mandelbrot set is a fractal. In the Game of Life, simple cells follow simple rules. Patterns emerge everywhere."

const SMALL = ["--size", "180x320", "--fps", "15", "--encoder", "libx264", "--segments", "1"] as const

/** Three still images (a JPEG, a PNG and a WebP) of what the script is about, and nothing else, in `dir/images`. */
const imagesIn = (dir: string) =>
  Effect.promise(async () => {
    const images = join(dir, "images")
    await mkdir(images)
    const still = (source: string, file: string) =>
      execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", source, "-frames:v", "1", join(images, file)])
    still("mandelbrot=size=320x240", "fractal-mandelbrot.jpg")
    still("life=size=240x320:mold=10:ratio=0.1", "cells-life.png")
    still("cellauto=size=300x300", "pattern-rule.webp")
    return images
  })

/** `Dialogue: layer,start,end,style,name,margins,effect,text` → its start and its text without override tags. */
const dialogues = (ass: string) =>
  [...ass.matchAll(/^Dialogue: \d+,(\d+):(\d\d):(\d\d\.\d\d),[^,]*,[^,]*,[^,]*,\d+,\d+,\d+,[^,]*,(.*)$/gm)].map((m) => ({
    start: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]),
    text: m[4]!.replace(/\{[^}]*\}/g, "")
  }))

describe("reelswarm run with a recorded narration", () => {
  it.scoped(
    "--narration: the MP4 lasts as long as the recording, and its captions start each word where the voice says it",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const images = yield* imagesIn(dir)
        const scriptFile = join(dir, "talk.txt")
        writeFileSync(scriptFile, SCRIPT)
        const recording = recordWithEspeak(join(dir, "talk.wav"), { text: SCRIPT, voice: "en", wpm: 130, pitch: 70, leadSec: 0.6 })
        const out = join(dir, "out", "talk.mp4")
        const state = join(dir, "state")
        const run = yield* reelswarm([
          "run",
          "--script",
          scriptFile,
          "--narration",
          recording.file,
          "--footage",
          images,
          "--out",
          out,
          "--captions",
          "words",
          "--state",
          state,
          "--json",
          ...SMALL
        ])
        expect(run.code, run.stderr).toBe(0)
        const report = JSON.parse(run.stdout)
        expect(report.narration).toMatchObject({ provider: "recording", voice: recording.file })
        expect(report.narration.durationSec).toBeCloseTo(recording.durationSec, 2)
        // Images only: every shot is one of them.
        for (const shot of report.shots) expect(shot.clip.kind).toBe("image")
        const info = yield* probe(out)
        expect(info.hasAudio).toBe(true)
        expect(Math.abs(info.duration - recording.durationSec)).toBeLessThan(1 / 15 + 0.05)

        // The report's words against the recording's own word events.
        const truth = recording.onsets.flat()
        const errors: Array<number> = report.narration.words.flatMap((w: { start: number }, i: number) => {
          const onset = truth[i]
          return onset === undefined ? [] : [Math.abs(w.start - onset)]
        })
        const meanMs = (1000 * errors.reduce((a, b) => a + b, 0)) / errors.length
        console.log(
          JSON.stringify({ cli_recorded_onset: { meanMs: Math.round(meanMs * 10) / 10, maxMs: Math.round(1000 * Math.max(...errors)) } })
        )
        expect(meanMs).toBeLessThanOrEqual(60)

        // The captions the job burned in: one per word (word by word), each shown from the aligned onset.
        const [render] = readdirSync(join(state, "work")).filter((name) => name.startsWith("render-"))
        const shown = dialogues(readFileSync(join(state, "work", render!, "captions.ass"), "utf8"))
        expect(shown.map((d) => d.text)).toEqual(report.narration.words.map((w: { word: string }) => w.word))
        shown.forEach((d, i) => expect(Math.abs(d.start - report.narration.words[i].start)).toBeLessThanOrEqual(0.011))
        expect(shown[0]!.start).toBeGreaterThan(0.5)
      }),
    240_000
  )

  it.scoped(
    "--image A.jpg --narration B.wav: image + audio → an MP4 the recording's length, without captions",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const images = yield* imagesIn(dir)
        const recording = recordWithEspeak(join(dir, "voice.wav"), { text: SCRIPT, voice: "en", wpm: 160, pitch: 40, tailSec: 0.5 })
        const mp3 = join(dir, "voice.mp3")
        execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", recording.file, "-c:a", "libmp3lame", "-b:a", "64k", mp3])
        const out = join(dir, "cover.mp4")
        const state = join(dir, "state")
        const image = join(images, "fractal-mandelbrot.jpg")
        const run = yield* reelswarm(["run", "--image", image, "--narration", mp3, "--out", out, "--state", state, "--json", ...SMALL])
        expect(run.code, run.stderr).toBe(0)
        const report = JSON.parse(run.stdout)
        expect(report.title).toBe("voice")
        expect(report.narration.words).toEqual([])
        expect(report.shots.map((s: { clip: { path: string } }) => s.clip.path)).toEqual(
          report.shots.map(() => image)
        )
        const info = yield* probe(out)
        expect(info.hasVideo && info.hasAudio).toBe(true)
        expect(Math.abs(info.duration - recording.durationSec)).toBeLessThan(1 / 15 + 0.1)
        const [render] = readdirSync(join(state, "work")).filter((name) => name.startsWith("render-"))
        expect(existsSync(join(state, "work", render!, "captions.ass"))).toBe(false)
      }),
    240_000
  )

  it.scoped("a recording that cannot narrate is refused with exit code 2, in one line naming the file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const images = yield* imagesIn(dir)
      const scriptFile = join(dir, "talk.txt")
      writeFileSync(scriptFile, SCRIPT)
      const silent = join(dir, "silent.wav")
      writeFileSync(silent, encodeWav({ sampleRate: 22050, samples: new Int16Array(22050 * 2) }))
      const notAudio = join(dir, "notes.wav")
      writeFileSync(notAudio, "these are notes, not a recording\n".repeat(20))
      const short = join(dir, "short.wav")
      recordWithEspeak(short, { text: "Fractal.", voice: "en", wpm: 175, pitch: 50 })
      const cases = [
        [join(dir, "missing.mp3"), /does not exist/],
        [notAudio, /not audio|no audio stream|cannot be decoded/],
        [silent, /is silent/],
        [short, /far too short for the script/]
      ] as const
      for (const [file, message] of cases) {
        const out = join(dir, "x.mp4")
        const outcome = yield* reelswarm([
          "run",
          "--script",
          scriptFile,
          "--narration",
          file,
          "--footage",
          images,
          "--out",
          out,
          "--state",
          join(dir, "state"),
          ...SMALL
        ])
        expect({ file, code: outcome.code }).toEqual({ file, code: 2 })
        const lines = outcome.stderr.trim().split("\n")
        expect(lines, outcome.stderr).toHaveLength(1)
        expect(lines[0]).toContain(file)
        expect(lines[0]).toMatch(message)
        expect(existsSync(out)).toBe(false)
      }
      // A topic cannot be narrated by a recording of another script.
      const topic = yield* reelswarm(
        ["run", "--topic", "tides", "--narration", short, "--footage", images, "--out", join(dir, "x.mp4"), "--state", join(dir, "state")],
        { env: { ANTHROPIC_API_KEY: "sk-test" } }
      )
      expect(topic.code).toBe(2)
      expect(topic.stderr).toMatch(/recorded narration.*not a topic/)
    }), 120_000)
})
