/**
 * The analysis swarm on videos made for the test (analyze-fixture.ts): every cut, the black and
 * the frozen second found within one frame, the loud and the quiet part measured, the burned-in
 * words read; the passes over ranges join into exactly what one pass says; A/V offsets measured;
 * a second analysis of the same file read back from the cache without running ffmpeg.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { execFile } from "node:child_process"
import { utimesSync } from "node:fs"
import { promisify } from "node:util"
import { analyzeFiles, type CachedAnalysis } from "../../agents/index.ts"
import {
  AnalysisOptions,
  type AnalysisReport,
  analyzeVideoRange,
  assembleReport,
  encodeReport,
  measureAvOffset,
  measureSiTi,
  mergeVideoRanges,
  probe,
  VideoRangeRequest
} from "../../media/index.ts"
import { swarmLayerInMemory } from "../../runtime/index.ts"
import { scopedTempDir } from "../fixtures/temp-dir.ts"
import { CLIP, FPS, makeAnalysisClip, makeSyncClip, SYNC } from "./analyze-fixture.ts"

const FRAME = 1 / FPS

const analyze = (files: ReadonlyArray<string>, stateDir: string, workers = 2, minRangeSeconds?: number) =>
  analyzeFiles(files, { stateDir, workers, minRangeSeconds }).pipe(
    Effect.map((outcomes) => outcomes.map((o) => Either.getOrThrowWith(o, (e) => new Error(e.message)))),
    Effect.provide(swarmLayerInMemory())
  )

const expectWithinFrame = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1)

/** Mean momentary (400 ms) loudness of the curve points inside [from, to]. */
const momentaryBetween = (report: AnalysisReport, from: number, to: number) => {
  const values = report.loudness.curve.filter((p) => p.time >= from && p.time <= to && p.momentary !== null).map((p) => p.momentary!)
  expect(values.length).toBeGreaterThan(2)
  return values.reduce((a, b) => a + b, 0) / values.length
}

describe("analyze", () => {
  it.scoped("finds the clip's cuts, black and frozen seconds within a frame, measures its loud and quiet parts and reads its words", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("analyze")
      const clip = yield* makeAnalysisClip(dir)
      const [analysis] = yield* analyze([clip], `${dir}/state`)
      const report = analysis!.report
      expect(report.fps).toBe(FPS)
      expect(report.frames).toBe(CLIP.frames)
      expect(report.cached).toBe(false)

      expect(report.cuts.map((c) => c.frame)).toHaveLength(CLIP.cutFrames.length)
      report.cuts.forEach((cut, i) => {
        expectWithinFrame(cut.frame, CLIP.cutFrames[i]!)
        expect(cut.time).toBeCloseTo(cut.frame * FRAME, 6)
      })
      expect(report.shots).toHaveLength(CLIP.cutFrames.length + 1)
      expect(report.shots.at(-1)!.endFrame).toBe(CLIP.frames)

      expect(report.black).toHaveLength(1)
      expectWithinFrame(report.black[0]!.startFrame, CLIP.black.startFrame)
      expectWithinFrame(report.black[0]!.endFrame, CLIP.black.endFrame)
      // The still test card is frozen (so is the black second: a black picture does not move either).
      const still = report.frozen.find((f) => Math.abs(f.startFrame - CLIP.frozen.startFrame) <= 1)
      expect(still).toBeDefined()
      expectWithinFrame(still!.endFrame, CLIP.frozen.endFrame)
      expect(report.frozen.every((f) => f.startFrame >= CLIP.black.startFrame - 1 && f.endFrame <= CLIP.frozen.endFrame + 1)).toBe(true)

      // The quiet part is gated out of the integrated loudness (more than 10 LU below), so it is the loud part's.
      expect(report.loudness.integrated!).toBeCloseTo(CLIP.loud.lufs, 0)
      // AAC rings where the loud sine stops: the encoded file's true peak is above the sine's own −6 dBTP.
      expect(report.loudness.truePeak!).toBeGreaterThanOrEqual(CLIP.loud.truePeak - 0.1)
      // The figures are ebur128's own: its summary of the same file says the same (to its one decimal).
      const summary = yield* ebur128Summary(clip)
      expect(Math.abs(report.loudness.integrated! - summary.integrated)).toBeLessThanOrEqual(0.06)
      expect(Math.abs(report.loudness.lra! - summary.lra)).toBeLessThanOrEqual(0.06)
      expect(Math.abs(report.loudness.truePeak! - summary.truePeak)).toBeLessThanOrEqual(0.06)
      const loud = momentaryBetween(report, CLIP.loud.start + 0.5, CLIP.loud.end)
      const quiet = momentaryBetween(report, CLIP.quiet.start + 0.5, CLIP.quiet.end)
      expect(loud).toBeCloseTo(CLIP.loud.lufs, 0)
      expect(Math.abs(loud - quiet - CLIP.quiet.belowLoud)).toBeLessThan(1)
      expect(report.loudness.lra!).toBeGreaterThan(10)
      expect(report.silences).toHaveLength(1)
      expect(Math.abs(report.silences[0]!.start - CLIP.silence.start)).toBeLessThanOrEqual(FRAME)
      expect(Math.abs(report.silences[0]!.end - CLIP.silence.end)).toBeLessThanOrEqual(FRAME)

      const textShot = report.shots.at(-1)!
      expect(textShot.text).toEqual(expect.arrayContaining([...CLIP.words]))
      expect(report.text.flatMap((s) => s.words.map((w) => w.text))).toEqual(expect.arrayContaining([...CLIP.words]))
      for (const shot of report.shots.slice(0, -1)) expect(shot.text).not.toContain("HELLO")

      // The black shot is black and grey; the gradient is bright; every shot has a thumbnail and colours.
      expect(report.shots[1]!.colours[0]!.hex).toBe("#000000")
      expect(report.shots[0]!.brightness).toBeGreaterThan(report.shots[1]!.brightness + 100)
      expect(report.shots.every((s) => s.thumbnailTime !== undefined && s.colours.length > 0)).toBe(true)
      expect(report.avOffsetMs).toBe(0)
    }))

  it.scoped("passes over ranges join into what one pass over the whole file says, across a cut and a freeze at their boundaries", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("analyze-ranges")
      const clip = yield* makeAnalysisClip(dir)
      const info = yield* probe(clip)
      const options = new AnalysisOptions({})
      const pass = (start: number, end: number | undefined, workDir: string) =>
        analyzeVideoRange(
          new VideoRangeRequest({
            file: clip,
            analyzers: ["shots", "signal", "siti", "black", "frozen", "flashes", "colours"],
            options,
            start,
            ...(end === undefined ? {} : { end }),
            lead: start === 0 ? 0 : 2,
            fps: FPS,
            videoStartTime: 0,
            workDir
          })
        )
      const report = (ranges: ReadonlyArray<Parameters<typeof mergeVideoRanges>[0][number]>) =>
        assembleReport({ info, options, video: mergeVideoRanges(ranges, FPS), audio: undefined, text: [], timings: [], wallSeconds: 0 })
      const whole = yield* report([yield* pass(0, undefined, `${dir}/whole`)])
      // Boundaries on the cut into black (frame 50) and inside the frozen still (frame 137).
      const parts = yield* Effect.all([pass(0, 2, `${dir}/a`), pass(2, 5.48, `${dir}/b`), pass(5.48, undefined, `${dir}/c`)], {
        concurrency: 3
      })
      const joined = yield* report(parts)
      const comparable = (r: AnalysisReport) => ({ ...encodeReport(r), timings: [], wallSeconds: 0 })
      expect(joined.frames).toBe(CLIP.frames)
      expect(joined.cuts.map((c) => c.frame)).toEqual(whole.cuts.map((c) => c.frame))
      expect(joined.black).toEqual(whole.black)
      expect(joined.frozen).toEqual(whole.frozen)
      expect(comparable(joined)).toEqual(comparable(whole))
    }))

  it.scoped("three workers, each passing over a third of the file and reading its text, make the report one pass makes", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("analyze-pool")
      const clip = yield* makeAnalysisClip(dir)
      const [one] = yield* analyze([clip], `${dir}/one`, 1)
      const [three] = yield* analyze([clip], `${dir}/three`, 3, 2)
      expect(three!.report.timings.filter((t) => t.analyzer.startsWith("video"))).toHaveLength(3)
      expect(new Set(three!.report.timings.map((t) => t.worker)).size).toBeGreaterThan(1)
      const shape = (a: CachedAnalysis) => {
        const r = encodeReport(a.report)
        return { ...r, text: [], shots: r.shots.map((s) => ({ ...s, text: [] })), timings: [], wallSeconds: 0 }
      }
      expect(shape(three!)).toEqual(shape(one!))
      // A shot that runs on into the next range has a sample read in each: the words are the same.
      expect(three!.report.shots.map((s) => s.text)).toEqual(one!.report.shots.map((s) => s.text))
    }))

  it.scoped("measures SI/TI of a time range: the still has no motion, the Game of Life under the text does", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("analyze-siti")
      const clip = yield* makeAnalysisClip(dir)
      const still = yield* measureSiTi(clip, { start: CLIP.frozen.startFrame * FRAME, end: CLIP.frozen.endFrame * FRAME })
      const life = yield* measureSiTi(clip, { start: 6, end: 9 })
      expect(still.frames).toBe(CLIP.frozen.endFrame - CLIP.frozen.startFrame)
      expect(still.ti.max).toBe(0)
      expect(still.si.mean).toBeGreaterThan(10)
      expect(life.ti.mean).toBeGreaterThan(1)
    }))

  it.scoped("measures A/V offset: the container's stream starts and the gap between each flash and its beep", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("analyze-sync")
      const inSync = yield* measureAvOffset(yield* makeSyncClip(dir, 0))
      const late = yield* measureAvOffset(yield* makeSyncClip(dir, 0.2))
      expect(inSync.avSync?.pairs).toBe(SYNC.flashTimes.length)
      expect(Math.abs(inSync.avSync!.offsetMs)).toBeLessThanOrEqual(FRAME * 1000)
      expect(Math.abs(inSync.avOffsetMs!)).toBeLessThanOrEqual(FRAME * 1000)
      expect(late.avSync?.pairs).toBe(SYNC.flashTimes.length)
      expect(Math.abs(late.avSync!.offsetMs - 200)).toBeLessThanOrEqual(FRAME * 1000)
      expect(Math.abs(late.avOffsetMs! - 200)).toBeLessThanOrEqual(FRAME * 1000)
    }))

  it.scoped("finds the white frames of the sync clip as flashes, starting on their frames", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("analyze-flash")
      const [analysis] = yield* analyze([yield* makeSyncClip(dir, 0)], `${dir}/state`, 1)
      const flashes = analysis!.report.flashes
      expect(flashes.map((f) => f.startFrame)).toEqual(SYNC.flashTimes.map((t) => t * FPS))
    }))

  it.scoped("reads a second analysis of the same file from the cache, without running ffmpeg, and redoes it once the file changes", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("analyze-cache")
      const clip = yield* makeAnalysisClip(dir)
      const state = `${dir}/state`
      const [first] = yield* analyze([clip], state)
      // With no ffmpeg to run, only the cache can answer.
      const [second] = yield* analyze([clip], state).pipe(withoutFfmpeg)
      const plain = (a: CachedAnalysis) => ({ ...encodeReport(a.report), cached: false })
      expect(second!.report.cached).toBe(true)
      expect(second!.key).toBe(first!.key)
      expect(plain(second!)).toEqual(plain(first!))
      utimesSync(clip, new Date(), new Date(Date.now() + 5000))
      const [third] = yield* analyze([clip], state)
      expect(third!.report.cached).toBe(false)
      expect(third!.key).not.toBe(first!.key)
    }))
})

/** What ffmpeg's ebur128 prints as its summary for the file (its log, which the analysis does not read). */
const ebur128Summary = (file: string) =>
  Effect.promise(async () => {
    const { stderr } = await promisify(execFile)("ffmpeg", [
      "-hide_banner",
      "-nostats",
      "-i",
      file,
      "-map",
      "0:a",
      "-af",
      "ebur128=peak=true",
      "-f",
      "null",
      "-"
    ])
    const summary = stderr.slice(stderr.lastIndexOf("Summary:"))
    const figure = (pattern: RegExp) => Number(pattern.exec(summary)?.[1])
    return { integrated: figure(/I:\s+(-?[\d.]+) LUFS/), lra: figure(/LRA:\s+(-?[\d.]+) LU/), truePeak: figure(/Peak:\s+(-?[\d.]+) dBFS/) }
  })

/** Runs `effect` with FFMPEG_PATH pointing at no program, so any ffmpeg it starts fails. */
const withoutFfmpeg = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const before = process.env["FFMPEG_PATH"]
      process.env["FFMPEG_PATH"] = "/nonexistent/ffmpeg"
      return before
    }),
    () => effect,
    (before) =>
      Effect.sync(() => {
        if (before === undefined) delete process.env["FFMPEG_PATH"]
        else process.env["FFMPEG_PATH"] = before
      })
  )
