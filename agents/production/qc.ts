/**
 * Quality control of a finished video (`run --qc`, a job request's `qc: true`): the MP4 is analysed
 * by the analysis swarm (agents/analyzer) and held to the rules a platform or a viewer would hold it
 * to. A rule broken fails the job with every reason; the report beside the MP4 says what was measured
 * against what. The rules (docs/analyze.md, "QC"):
 *
 * - loudness: integrated loudness within ±1 LU of the job's target (−14 LUFS unless it gave one);
 * - true peak: at most −1 dBTP;
 * - black and frozen frames: none the plan did not ask for (a still image without motion asks for
 *   frozen frames over its scene; nothing asks for black);
 * - A/V offset: the audio starts within one frame of the picture (the container's start times);
 * - captions: no caption word read on screen (OCR) lies outside the caption safe area (its
 *   margins on every side; a box may pass an edge by half a percent of the height: the glyphs'
 *   outline and the OCR box's slack).
 */
import { Effect } from "effect"
import { dirname } from "node:path"
import { AnalysisError, type AnalysisReport, type RenderPlan, safeArea } from "../../media/index.ts"
import { analyzeFiles } from "../analyzer/analysis-job.ts"
import type { QcCheck, QcResult } from "./qc-result.ts"

export const DEFAULT_LOUDNESS_TOLERANCE_LU = 1
export const MAX_TRUE_PEAK_DBTP = -1
/** How far (a share of the frame's height) a word box read by OCR may pass the safe area's edge: the outline and the box's own slack. */
export const OCR_BOX_SLACK = 0.005

/** What the job asked for: the loudness target, the frames allowed to stand still, the caption words. */
export interface QcExpectations {
  readonly loudnessTarget: number
  /** [start, end) seconds where the plan shows a still picture (an image without motion). */
  readonly stillSpans: ReadonlyArray<{ readonly start: number; readonly end: number }>
  /** The narration's words, which the captions show. */
  readonly captionWords: ReadonlyArray<string>
  readonly width: number
  readonly height: number
  readonly fps: number
}

const f1 = (n: number) => (Math.round(n * 10) / 10).toFixed(1)
const span = (s: { readonly start: number; readonly end: number }) => `${s.start.toFixed(2)}-${s.end.toFixed(2)} s`

/** The part of [start, end) not covered by `allowed` (seconds), ignoring slivers under a frame. */
const uncovered = (
  interval: { readonly start: number; readonly end: number },
  allowed: ReadonlyArray<{ readonly start: number; readonly end: number }>,
  frame: number
): number => {
  let left = interval.end - interval.start
  for (const a of allowed) left -= Math.max(0, Math.min(interval.end, a.end) - Math.max(interval.start, a.start))
  return left > frame ? left : 0
}

/** A word as captions and OCR both spell it: lower case, letters and digits only. */
const wordKey = (word: string) => word.toLocaleLowerCase().replace(/[^\p{L}\p{N}]/gu, "")

/** The checks for `report` against `expect` (pure). */
export const qcChecks = (report: AnalysisReport, expect: QcExpectations): ReadonlyArray<QcCheck> => {
  const frame = 1 / expect.fps
  const { integrated, truePeak } = report.loudness
  const loudness: QcCheck = integrated === null
    ? { rule: "loudness", passed: false, detail: "no integrated loudness (silent or no audio)" }
    : {
      rule: "loudness",
      passed: Math.abs(integrated - expect.loudnessTarget) <= DEFAULT_LOUDNESS_TOLERANCE_LU,
      detail: `${f1(integrated)} LUFS, target ${expect.loudnessTarget} ± ${DEFAULT_LOUDNESS_TOLERANCE_LU}`
    }
  const peak: QcCheck = {
    rule: "true-peak",
    passed: truePeak !== null && truePeak <= MAX_TRUE_PEAK_DBTP,
    detail: truePeak === null ? "no true peak measured" : `${f1(truePeak)} dBTP, at most ${MAX_TRUE_PEAK_DBTP}`
  }
  const unasked = (intervals: ReadonlyArray<{ readonly start: number; readonly end: number }>, allowed: typeof expect.stillSpans) =>
    intervals.filter((i) => uncovered(i, allowed, frame) > 0)
  const black = unasked(report.black, [])
  const frozen = unasked(report.frozen, expect.stillSpans)
  const offset = report.avOffsetMs
  const captionKeys = new Set(expect.captionWords.map(wordKey).filter((w) => w.length >= 3))
  const area = safeArea(expect.width, expect.height)
  // Tesseract's boxes take in the glyphs' outline and a pixel or two of slack
  const slack = Math.max(4, Math.round(expect.height * OCR_BOX_SLACK))
  const outside = report.text.flatMap((sighting) =>
    sighting.words.filter((w) => captionKeys.has(wordKey(w.text))).filter((w) =>
      w.x < area.marginL - slack || w.x + w.width > expect.width - area.marginR + slack ||
      w.y + w.height > expect.height - area.marginV + slack || w.y < area.marginV - slack
    ).map((w) => `"${w.text}" at ${sighting.time.toFixed(2)} s`)
  )
  const read = report.text.reduce((n, s) => n + s.words.filter((w) => captionKeys.has(wordKey(w.text))).length, 0)
  return [
    loudness,
    peak,
    {
      rule: "black",
      passed: black.length === 0,
      detail: black.length === 0 ? "no black frames" : `black frames the plan did not ask for at ${black.map(span).join(", ")}`
    },
    {
      rule: "frozen",
      passed: frozen.length === 0,
      detail: frozen.length === 0
        ? "no frozen frames beyond the plan's stills"
        : `frozen frames the plan did not ask for at ${frozen.map(span).join(", ")}`
    },
    {
      rule: "av-offset",
      passed: offset !== null && Math.abs(offset) <= frame * 1000 + 1e-6,
      detail: offset === null
        ? "no audio stream"
        : `audio starts ${f1(offset)} ms after the picture, at most one frame (${f1(frame * 1000)} ms)`
    },
    {
      rule: "captions-safe-area",
      passed: outside.length === 0,
      detail: outside.length === 0
        ? `${read} caption word${read === 1 ? "" : "s"} read on screen, all inside the safe area`
        : `caption words outside the safe area: ${outside.slice(0, 5).join(", ")}${
          outside.length > 5 ? ` and ${outside.length - 5} more` : ""
        }`
    }
  ]
}

/** Spans of the plan's scenes that show a still image without motion: frozen frames asked for. */
export const plannedStills = (plan: RenderPlan): ReadonlyArray<{ readonly start: number; readonly end: number }> =>
  plan.scenes.filter((scene) => scene.shot.kind === "image" && scene.shot.motion === "none").map((scene) => ({
    start: scene.startFrame / plan.fps,
    end: (scene.startFrame + scene.frames) / plan.fps
  }))

/**
 * Analyses `output` on the swarm's analysis pool (cached under the state directory beside `workDir`)
 * and checks it. Rules broken are the result's, not a failure: the caller fails the job after writing
 * its report.
 */
export const runQc = (output: string, workDir: string, expect: QcExpectations) =>
  Effect.gen(function*() {
    const [outcome] = yield* analyzeFiles([output], { stateDir: dirname(workDir), poolName: "qc-analyzers" })
    if (outcome === undefined) {
      return yield* new AnalysisError({ file: output, analyzer: "qc", reason: "failed", message: `${output} was not analysed` })
    }
    if (outcome._tag === "Left") {
      return yield* outcome.left
    }
    const checks = qcChecks(outcome.right.report, expect)
    const result: QcResult = {
      passed: checks.every((c) => c.passed),
      checks,
      analysisSeconds: outcome.right.report.wallSeconds
    }
    return result
  })
