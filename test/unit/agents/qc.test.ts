/**
 * Quality control's rules over an analysis report: a video inside every rule passes; each rule
 * broken fails with its measurement in words, and frames the plan asked to stand still (an image
 * without motion) are not frozen frames to complain about.
 */
import { describe, expect, it } from "@effect/vitest"
import { plannedStills, qcChecks, type QcExpectations } from "../../../agents/index.ts"
import { DEFAULT_LOUDNESS_LUFS as REQUEST_DEFAULT_LOUDNESS } from "../../../apps/host/job-request.ts"
import {
  AnalysisOptions,
  AnalysisReport,
  DEFAULT_LOUDNESS_LUFS,
  Loudness,
  type RenderPlan,
  TextSighting,
  TimeSpan,
  WordSighting
} from "../../../media/index.ts"

const W = 1080
const H = 1920
const FPS = 30

const span = (start: number, end: number) =>
  new TimeSpan({ start, end, startFrame: Math.round(start * FPS), endFrame: Math.round(end * FPS) })

const report = (overrides: Partial<ConstructorParameters<typeof AnalysisReport>[0]> = {}) =>
  new AnalysisReport({
    file: "/out/video.mp4",
    duration: 20,
    fps: FPS,
    frames: 600,
    size: { width: W, height: H },
    analysisWidth: 640,
    shots: [],
    cuts: [],
    black: [],
    frozen: [],
    flashes: [],
    loudness: new Loudness({ integrated: -14.2, lra: 3, truePeak: -1.6, curve: [] }),
    silences: [],
    text: [],
    avOffsetMs: 0,
    avSync: null,
    signal: [],
    timings: [],
    wallSeconds: 3,
    analyzer: { version: "1", options: new AnalysisOptions({}) },
    cached: false,
    ...overrides
  })

const expectations: QcExpectations = {
  loudnessTarget: -14,
  stillSpans: [{ start: 10, end: 14 }],
  captionWords: ["Simple", "rules", "is", "can", "build", "astonishing", "worlds."],
  width: W,
  height: H,
  fps: FPS
}

const word = (text: string, x: number, y: number) => new WordSighting({ text, confidence: 90, x, y, width: 200, height: 80 })
const failed = (r: AnalysisReport, e: QcExpectations = expectations) => qcChecks(r, e).filter((c) => !c.passed).map((c) => c.rule)

describe("quality control", () => {
  it("passes a video inside every rule, saying what it measured", () => {
    const checks = qcChecks(
      report({ text: [new TextSighting({ time: 1, frame: 30, words: [word("Simple", 300, 1200), word("rules", 520, 1200)] })] }),
      expectations
    )
    expect(checks.map((c) => c.rule)).toEqual(["loudness", "true-peak", "black", "frozen", "av-offset", "captions-safe-area"])
    expect(checks.every((c) => c.passed)).toBe(true)
    expect(checks.find((c) => c.rule === "loudness")!.detail).toBe("-14.2 LUFS, target -14 ± 1")
    expect(checks.find((c) => c.rule === "captions-safe-area")!.detail).toContain("2 caption words read on screen")
  })

  it("fails loudness off the target by more than 1 LU, either way, and a true peak above -1 dBTP", () => {
    expect(failed(report({ loudness: new Loudness({ integrated: -15.2, lra: 3, truePeak: -2, curve: [] }) }))).toEqual(["loudness"])
    expect(failed(report({ loudness: new Loudness({ integrated: -12.9, lra: 3, truePeak: -2, curve: [] }) }))).toEqual(["loudness"])
    expect(failed(report({ loudness: new Loudness({ integrated: -13.1, lra: 3, truePeak: -0.4, curve: [] }) }))).toEqual(["true-peak"])
    // silent: nothing to normalise
    expect(failed(report({ loudness: new Loudness({ integrated: null, lra: null, truePeak: null, curve: [] }) }))).toEqual([
      "loudness",
      "true-peak"
    ])
    // the job's own target
    expect(failed(report({ loudness: new Loudness({ integrated: -23.4, lra: 3, truePeak: -9, curve: [] }) }), {
      ...expectations,
      loudnessTarget: -23
    })).toEqual([])
  })

  it("fails black frames anywhere and frozen frames outside the plan's stills", () => {
    const [black] = qcChecks(report({ black: [span(4, 5)] }), expectations).filter((c) => !c.passed)
    expect(black).toMatchObject({ rule: "black", detail: "black frames the plan did not ask for at 4.00-5.00 s" })
    expect(failed(report({ frozen: [span(10.5, 13.5)] }))).toEqual([])
    // spilling past the still by more than a frame
    expect(failed(report({ frozen: [span(12, 15)] }))).toEqual(["frozen"])
    expect(failed(report({ frozen: [span(13.99, 14.02)] }))).toEqual([])
    expect(failed(report({ frozen: [span(2, 3)] }))).toEqual(["frozen"])
  })

  it("fails audio more than one frame off the picture, and a video without audio", () => {
    expect(failed(report({ avOffsetMs: 33 }))).toEqual([])
    expect(failed(report({ avOffsetMs: -34 }))).toEqual(["av-offset"])
    expect(failed(report({ avOffsetMs: null }))).toEqual(["av-offset"])
  })

  it("fails caption words read outside the safe area, not other text", () => {
    // the safe area's bottom edge at 1920 × (1 - 0.22) = 1498; OCR boxes may pass it by 0.5 % of the height
    expect(failed(report({ text: [new TextSighting({ time: 2, frame: 60, words: [word("rules", 300, 1425)] })] }))).toEqual([])
    const outside = report({
      text: [new TextSighting({ time: 2, frame: 60, words: [word("astonishing", 300, 1850), word("EXIT", 0, 0)] })]
    })
    const [check] = qcChecks(outside, expectations).filter((c) => !c.passed)
    expect(check).toMatchObject({ rule: "captions-safe-area" })
    expect(check!.detail).toContain(`"astonishing" at 2.00 s`)
    expect(check!.detail).not.toContain("EXIT")
    // a word of two letters is too common to tell a caption by; one of three counts
    const at = (text: string) => report({ text: [new TextSighting({ time: 2, frame: 60, words: [word(text, 0, 0)] })] })
    expect(failed(at("is"))).toEqual([])
    expect(failed(at("can"))).toEqual(["captions-safe-area"])
  })

  it("holds a job to the loudness its soundtrack is made to: the job request's default is the mix's", () => {
    expect(REQUEST_DEFAULT_LOUDNESS).toBe(DEFAULT_LOUDNESS_LUFS)
    expect(DEFAULT_LOUDNESS_LUFS).toBe(-14)
  })

  it("reads the plan's stills: image scenes without motion", () => {
    const scene = (index: number, startFrame: number, frames: number, shot: RenderPlan["scenes"][number]["shot"]) =>
      ({ index, startFrame, frames, tailFrames: 0, shot, source: { inPoint: 0, readSeconds: 0, slowdown: 1, loop: false } }) as RenderPlan[
        "scenes"
      ][number]
    const media = { duration: 0, width: 100, height: 100, fps: 0 }
    const plan = {
      fps: 30,
      scenes: [
        scene(0, 0, 60, { path: "/a.mp4", kind: "video", media } as never),
        scene(1, 60, 90, { path: "/b.jpg", kind: "image", media, motion: "none" } as never),
        scene(2, 150, 30, { path: "/c.jpg", kind: "image", media, motion: "zoom-in" } as never)
      ]
    } as unknown as RenderPlan
    expect(plannedStills(plan)).toEqual([{ start: 2, end: 5 }])
  })
})
