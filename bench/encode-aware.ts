/**
 * Content-aware encoding benchmark: bytes and SSIM per content class, the fixed setting against
 * content-aware encoding, on a representative subset of the procedural sample library (lavfi shots,
 * classed by the catalogue's measured SI/TI) and two synthetic "real-looking" clips drawn here and
 * read as files (classed by measuring them, media/analysis's SI/TI): a camera-like landscape with
 * film grain, gradients and a slow pan, and a code screen with scrolling text and flat UI colour.
 *
 * Each clip is one scene of a render plan, encoded through the renderer's own segment encode
 * (`renderSegment`: libx264 veryfast, the cuttable encode at constant QP with a forced IDR per
 * cut), and compared with ffmpeg's `ssim` and `psnr` filters against a lossless render of the same
 * plan (the frames the encoder was given):
 *
 *   fixed          QP 28 (quality 23, the renderer's default), no zones
 *   aware_same_qp  content-aware at the same QP (what a render with `--encode-aware on` writes)
 *   aware_equal_ssim  content-aware at the largest QP whose SSIM still reaches the fixed encode's,
 *                  found by bisection over whole QPs 22–34: the bytes "the same SSIM" costs
 *
 * and the same for a mixed timeline of all the clips as scenes (the zones switching inside one
 * encode). Bytes and SSIM do not depend on the machine's load; the CPU seconds (ffmpeg's, from
 * /proc/self/stat) do, a little, and wall time a lot: it is not reported.
 *
 *   npx tsx bench/encode-aware.ts            the benchmark, one JSON object
 *   npx tsx bench/encode-aware.ts --table    SI/TI of every sample clip (SAMPLE_CLIP_CHARACTER), one JSON object
 */
import { Effect, Option } from "effect"
import { createHash } from "node:crypto"
import { existsSync } from "node:fs"
import { mkdir, stat, writeFile } from "node:fs/promises"
import { cpus, loadavg } from "node:os"
import { join, resolve } from "node:path"
import { measureSiTi } from "../media/analysis/index.ts"
import {
  CHARACTER_ANALYSIS_WIDTH,
  classifyContent,
  CONTENT_THRESHOLDS,
  type ContentClass,
  X264_CLASS_SETTINGS
} from "../media/content-class.ts"
import { ENCODER_CATALOGUE, X264_CUTTABLE_QP_OFFSET } from "../media/encoders.ts"
import { runFfmpeg } from "../media/ffmpeg.ts"
import { SAMPLE_CLIPS, sampleClipRef, sampleGraph } from "../media/footage/sample-library.ts"
import { probe } from "../media/probe.ts"
import {
  CHARACTER_ANALYSIS,
  filterGraphPath,
  measureShotCharacter,
  planRender,
  type RenderPlan,
  renderSegment,
  shotCharacter,
  type TimelineInput,
  type TimelineShot,
  withShotCharacters
} from "../media/timeline.ts"
import { childCpuSeconds } from "./reference.ts"

const CACHE = resolve(".reelswarm/bench/encode-aware")
const WIDTH = 360
const HEIGHT = 640
const FPS = 25
const CLIP_SECONDS = 2
const FIXED_QP = 28
const QP_RANGE = [22, 34] as const
/** Synthetic clips are drawn at the analysis size of a 1080x1920 render and scaled down by the render. */
const DRAWN = { width: 640, height: 1136, seconds: 4 }

const SAMPLES = [
  "mandelbrot-zoom",
  "mandelbrot-spiral",
  "noise",
  "life-seeds",
  "rule-110",
  "sierpinski-carpet",
  "gradients",
  "ripples",
  "test-pattern"
]

const libx264 = ENCODER_CATALOGUE.find((e) => e.name === "libx264")!
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits
const pct = (after: number, before: number) => round(100 * (1 - after / before), 1)

/** A camera-like landscape: sky gradient, hills, a sun, textured ground, film grain, a slow pan, a vignette. */
const CAMERA_GRAPH = (() => {
  const horizon = "(150+20*sin(X/37)+10*sin(X/11))"
  const sun = "lt(hypot(X-120,Y-60),14)"
  const channel = (sky: string, sunValue: number, ground: string) => `if(lt(Y,${horizon}),if(${sun},${sunValue},${sky}),${ground})`
  const r = channel("110+90*Y/150", 255, `70+8*sin(X/7)*sin(Y/5)+50*(Y-${horizon})/140`)
  const g = channel("165+60*Y/150", 240, `105+10*sin(X/9)*sin(Y/4)+10*(Y-${horizon})/140`)
  const b = channel("235", 200, "40+5*sin(X/5)")
  return [
    `nullsrc=s=400x284:r=${FPS},format=rgb24,geq=r='${r}':g='${g}':b='${b}',scale=1600x1136:flags=bicubic,format=yuv444p[scene]`,
    `color=c=gray:s=800x568:r=${FPS},noise=alls=90:allf=0,gblur=sigma=0.8,scale=1600x1136:flags=bicubic,format=yuv444p[texture]`,
    `[scene][texture]blend=all_mode=softlight:all_opacity=0.85,crop=640:1136:x='t*24':y=0,noise=alls=10:allf=t+u,vignette=PI/6,format=yuv420p`
  ].join(";")
})()

/** 80 lines of code-like text, the same every run (a fixed linear congruential sequence). */
const screenText = (): string => {
  const words =
    "const render plan segment scene encoder frames keyframe zone class motion text calm bitrate ssim cut shot value return await yield effect layer schema pipe map filter"
      .split(" ")
  let state = 4
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state % n
  }
  return Array.from({ length: 80 }, (_, i) => {
    const indent = "  ".repeat(next(4))
    const line = Array.from({ length: 2 + next(5) }, () => words[next(words.length)]).join(" ")
    return `${String(i + 1).padStart(3)}  ${indent}${line};`
  }).join("\n") + "\n"
}

/** A code editor: a title bar, scrolling monospace text, a scroll thumb, a blinking cursor, a progress bar. */
const screenGraph = (textFile: string) => {
  const font = "font=DejaVu Sans Mono"
  return [
    `color=c=0xF4F5F7:s=640x1136:r=${FPS}`,
    `drawtext=${font}:textfile=${filterGraphPath(textFile)}:fontsize=22:fontcolor=0x1F2937:line_spacing=10:x=40:y='150-t*48'`,
    "drawbox=x=0:y=0:w=640:h=120:color=0x1E3A8A:t=fill",
    `drawtext=${font}:text='reelswarm  -  plan.ts':fontsize=30:fontcolor=white:x=30:y=45`,
    "drawbox=x=0:y=1036:w=640:h=100:color=0xE5E7EB:t=fill",
    "drawbox=x=30:y=1070:w='20+t*100':h=24:color=0x10B981:t=fill",
    "drawbox=x=600:y=150:w=6:h=60:color=0x9CA3AF:t=fill",
    "drawbox=x=40:y=1000:w=12:h=26:color=0x111827:t=fill:enable='lt(mod(t,1),0.5)'",
    "format=yuv420p"
  ].join(",")
}

/** `<dir>/<name>-<hash of the graph>.mkv`: a graph drawn once and kept, redrawn when the graph changes. */
const drawnFile = (dir: string, name: string, graph: string) =>
  join(dir, `${name}-${createHash("sha256").update(graph).digest("hex").slice(0, 12)}.mkv`)

/** A lavfi graph drawn to a lossless file once (kept for later runs). */
const drawOnce = (graph: string, file: string, seconds: number) =>
  existsSync(file) ? Effect.void : runFfmpeg({
    args: ["-f", "lavfi", "-i", graph, "-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"],
    output: file
  })

interface Clip {
  readonly name: string
  readonly source: "sample library" | "synthetic"
  readonly shot: TimelineShot
}

const syntheticClips = Effect.gen(function*() {
  yield* Effect.promise(() => mkdir(CACHE, { recursive: true }))
  const textFile = join(CACHE, "screen.txt")
  yield* Effect.promise(() => writeFile(textFile, screenText()))
  const drawn = [
    { name: "camera-pan", graph: CAMERA_GRAPH },
    { name: "screen-text", graph: screenGraph(textFile) }
  ]
  return yield* Effect.forEach(drawn, ({ graph, name }) =>
    Effect.gen(function*() {
      const file = drawnFile(CACHE, name, graph)
      yield* drawOnce(graph, file, DRAWN.seconds)
      const info = yield* probe(file)
      const shot: TimelineShot = { path: file, kind: "video", media: info }
      return { name, source: "synthetic", shot } satisfies Clip
    }))
})

const sampleClips: ReadonlyArray<Clip> = SAMPLES.map((name) => ({
  name,
  source: "sample library",
  shot: {
    path: Option.getOrThrow(sampleClipRef(name)),
    kind: "lavfi",
    media: { width: WIDTH, height: HEIGHT, fps: FPS, duration: CLIP_SECONDS + 1 }
  }
}))

/** A plan of these shots, `seconds` each, encoded at `qp` (content-aware or not), named `name`. */
const planOf = (name: string, shots: ReadonlyArray<TimelineShot>, seconds: number, settings: TimelineInput["output"]["encoderSettings"]) =>
  Effect.gen(function*() {
    const input: TimelineInput = {
      scenes: shots.map((_, i) => ({ text: `scene ${i}`, narration: { start: i * seconds, end: (i + 1) * seconds }, duration: seconds })),
      shots,
      output: {
        path: join(CACHE, "out", `${name}.mp4`),
        width: WIDTH,
        height: HEIGHT,
        fps: FPS,
        encoder: "libx264",
        ...(settings === undefined ? {} : { encoderSettings: settings }),
        // Not read: segment commands carry no audio.
        narration: { path: join(CACHE, "silence.wav"), duration: shots.length * seconds },
        workDir: join(CACHE, "out")
      }
    }
    // One segment whatever the scene count (K only bounds memory; these are small).
    return yield* planRender(input, { segments: 1, decoderLimit: 64 })
  })

interface Encoded {
  readonly file: string
  readonly bytes: number
  readonly cpu_s: number
}

/** The plan's one segment through the renderer's own command; bytes and ffmpeg's CPU seconds. */
const encode = (plan: RenderPlan) =>
  Effect.gen(function*() {
    const before = childCpuSeconds()
    const file = yield* renderSegment(plan, 0, { encoder: libx264 })
    const cpu = childCpuSeconds() - before
    const { size } = yield* Effect.promise(() => stat(file))
    return { file, bytes: size, cpu_s: round(cpu, 2) } satisfies Encoded
  })

/** Mean SSIM (All) and PSNR (from the mean MSE, as ffmpeg's summary) of `file` against `reference`. */
const compare = (file: string, reference: string) =>
  Effect.gen(function*() {
    const { stdout } = yield* runFfmpeg({
      args: [
        "-i",
        file,
        "-i",
        reference,
        "-lavfi",
        "[1:v]split[r1][r2];[0:v][r1]ssim=stats_file=-[m];[m][r2]psnr=stats_file=-",
        "-f",
        "null",
        "-"
      ]
    }, { captureStdout: true })
    const ssim: Array<number> = []
    const mse: Array<number> = []
    for (const line of stdout.split("\n")) {
      const s = / All:([0-9.]+)/.exec(line)
      if (s !== null) ssim.push(Number(s[1]))
      const m = / mse_avg:([0-9.]+)/.exec(line)
      if (m !== null) mse.push(Number(m[1]))
    }
    const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
    return { ssim: round(mean(ssim), 5), psnr: round(10 * Math.log10((255 * 255) / Math.max(1e-9, mean(mse))), 2), frames: ssim.length }
  })

const settingsAt = (qp: number, contentAware: boolean) => ({ crf: qp - X264_CUTTABLE_QP_OFFSET, contentAware })

/** One measured encode: QP, bytes, SSIM, PSNR, CPU. */
const measuredEncode = (name: string, shots: ReadonlyArray<TimelineShot>, seconds: number, qp: number, aware: boolean, reference: string) =>
  Effect.gen(function*() {
    const plan = yield* planOf(`${name}-${aware ? "aware" : "fixed"}-qp${qp}`, shots, seconds, settingsAt(qp, aware))
    const encoded = yield* encode(plan)
    const quality = yield* compare(encoded.file, reference)
    return { qp, bytes: encoded.bytes, ssim: quality.ssim, psnr: quality.psnr, cpu_s: encoded.cpu_s, plan }
  })

type Measured = Effect.Effect.Success<ReturnType<typeof measuredEncode>>
const figures = ({ bytes, cpu_s, psnr, qp, ssim }: Measured) => ({ qp, bytes, ssim, psnr, cpu_s })

/**
 * Fixed vs content-aware for these shots: the fixed encode, content-aware at the same QP, and the
 * largest whole QP in QP_RANGE at which content-aware still reaches the fixed SSIM (bisection; SSIM
 * falls as QP rises).
 */
const compareSettings = (name: string, shots: ReadonlyArray<TimelineShot>, seconds: number) =>
  Effect.gen(function*() {
    const lossless = yield* planOf(`${name}-lossless`, shots, seconds, { preset: "ultrafast", crf: 0 })
    const reference = (yield* encode(lossless)).file
    const fixed = yield* measuredEncode(name, shots, seconds, FIXED_QP, false, reference)
    const same = yield* measuredEncode(name, shots, seconds, FIXED_QP, true, reference)
    const tried = new Map<number, Measured>([[FIXED_QP, same]])
    const at = (qp: number) =>
      tried.has(qp) ? Effect.succeed(tried.get(qp)!) : Effect.tap(measuredEncode(name, shots, seconds, qp, true, reference), (m) => {
        tried.set(qp, m)
      })
    const reaches = (m: Measured) => m.ssim >= fixed.ssim
    let [lo, hi] = reaches(same) ? [FIXED_QP, QP_RANGE[1]] : [QP_RANGE[0], FIXED_QP - 1]
    if (!reaches(same) && !reaches(yield* at(lo))) hi = lo - 1
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2)
      if (reaches(yield* at(mid))) lo = mid
      else hi = mid - 1
    }
    const equal = hi >= lo ? yield* at(lo) : undefined
    // Whole QPs are coarse (one step is about 8 % of the bytes): where the next QP was tried and fell
    // short, the bytes at exactly the fixed SSIM, log-linear between the two (an estimate, reported apart).
    const next = equal === undefined ? undefined : tried.get(equal.qp + 1)
    const interpolated = equal === undefined || next === undefined || next.ssim >= equal.ssim
      ? undefined
      : Math.exp(
        Math.log(equal.bytes) + ((equal.ssim - fixed.ssim) / (equal.ssim - next.ssim)) * (Math.log(next.bytes) - Math.log(equal.bytes))
      )
    return {
      classes: same.plan.scenes.map((s) => s.contentClass ?? "unclassed"),
      fixed,
      same,
      equal,
      interpolated,
      tried: [...tried.keys()].sort((a, b) => a - b)
    }
  })

const benchmark = Effect.gen(function*() {
  const started = performance.now()
  const synthetic = yield* syntheticClips
  // The file clips' SI/TI measured as a render measures them: over the frames their scene reads.
  const probePlan = yield* planOf("probe", synthetic.map((c) => c.shot), CLIP_SECONDS, { contentAware: true })
  const measured = yield* withShotCharacters(probePlan.input, measureShotCharacter)
  const clips: ReadonlyArray<Clip> = [...sampleClips, ...synthetic.map((c, i) => ({ ...c, shot: measured.shots[i]! }))]

  const results = yield* Effect.forEach(clips, (clip) =>
    Effect.gen(function*() {
      const character = shotCharacter(clip.shot)!
      const r = yield* compareSettings(clip.name, [clip.shot], CLIP_SECONDS)
      return {
        name: clip.name,
        source: clip.source,
        si: character.si,
        ti: character.ti,
        class: r.classes[0]!,
        fixed: figures(r.fixed),
        aware_same_qp: figures(r.same),
        aware_equal_ssim: r.equal === undefined ? null : figures(r.equal),
        qps_tried: r.tried,
        saved_pct_same_qp: pct(r.same.bytes, r.fixed.bytes),
        ssim_gain_same_qp: round(r.same.ssim - r.fixed.ssim, 5),
        saved_pct_equal_ssim: r.equal === undefined ? null : pct(r.equal.bytes, r.fixed.bytes),
        saved_pct_interpolated: r.interpolated === undefined ? null : pct(r.interpolated, r.fixed.bytes)
      }
    }))

  const classes = Object.fromEntries((["high-motion", "text-graphics", "calm"] as ReadonlyArray<ContentClass>).map((cls) => {
    const of = results.filter((r) => r.class === cls)
    const sum = (f: (r: (typeof results)[number]) => number) => of.reduce((a, r) => a + f(r), 0)
    const fixedBytes = sum((r) => r.fixed.bytes)
    const equalBytes = sum((r) => r.aware_equal_ssim?.bytes ?? r.fixed.bytes)
    const sameBytes = sum((r) => r.aware_same_qp.bytes)
    const interpolatedBytes = sum((r) => r.fixed.bytes * (1 - (r.saved_pct_interpolated ?? r.saved_pct_equal_ssim ?? 0) / 100))
    return [cls, {
      clips: of.map((r) => r.name),
      fixed_bytes: fixedBytes,
      aware_bytes_equal_ssim: equalBytes,
      saved_pct_equal_ssim: pct(equalBytes, fixedBytes),
      aware_bytes_same_qp: sameBytes,
      saved_pct_same_qp: pct(sameBytes, fixedBytes),
      saved_pct_interpolated: pct(interpolatedBytes, fixedBytes),
      ssim_gain_same_qp_min: round(Math.min(...of.map((r) => r.ssim_gain_same_qp)), 5),
      cpu_ratio_same_qp: round(sum((r) => r.aware_same_qp.cpu_s) / Math.max(0.01, sum((r) => r.fixed.cpu_s)), 2),
      equal_ssim_goal_met: pct(equalBytes, fixedBytes) >= 15,
      better_ssim_fewer_bytes: of.every((r) => r.ssim_gain_same_qp > 0 && r.saved_pct_same_qp > 0)
    }]
  }))

  // Every clip as a scene of one timeline: the zones switch inside one encode.
  const mixedSeconds = 1.2
  const mixed = yield* compareSettings("mixed", clips.map((c) => c.shot), mixedSeconds)

  return {
    bench: "encode-aware",
    method: "libx264 veryfast cuttable encode (constant QP, forced IDR per scene) through renderSegment; SSIM (All) and PSNR " +
      "against a lossless render of the same plan. fixed: QP 28 without zones. aware_same_qp: the per-class x264 zones at QP 28. " +
      `aware_equal_ssim: content-aware at the largest whole QP in ${QP_RANGE[0]}–${QP_RANGE[1]} whose SSIM reaches the fixed ` +
      "encode's, by bisection; saved_pct_*: bytes saved against fixed; saved_pct_interpolated: an estimate of the bytes at exactly " +
      "the fixed SSIM, log-linear between that QP and the next (whole QP steps are coarse). Per class: sums over its clips. " +
      "equal_ssim_goal_met: saved_pct_equal_ssim >= 15; better_ssim_fewer_bytes: every clip of the class has a better SSIM in " +
      "fewer bytes at the same QP. Bytes and SSIM do not depend " +
      "on the machine's load; cpu_s (ffmpeg user+system) does a little, on a shared machine.",
    output: { width: WIDTH, height: HEIGHT, fps: FPS, clip_seconds: CLIP_SECONDS, mixed_scene_seconds: mixedSeconds },
    thresholds: { ...CONTENT_THRESHOLDS, analysis_width: CHARACTER_ANALYSIS_WIDTH },
    settings: X264_CLASS_SETTINGS,
    clips: results,
    classes,
    mixed: {
      scenes: clips.length,
      classes: mixed.classes,
      fixed: figures(mixed.fixed),
      aware_same_qp: figures(mixed.same),
      aware_equal_ssim: mixed.equal === undefined ? null : figures(mixed.equal),
      saved_pct_same_qp: pct(mixed.same.bytes, mixed.fixed.bytes),
      ssim_gain_same_qp: round(mixed.same.ssim - mixed.fixed.ssim, 5),
      saved_pct_equal_ssim: mixed.equal === undefined ? null : pct(mixed.equal.bytes, mixed.fixed.bytes),
      saved_pct_interpolated: mixed.interpolated === undefined ? null : pct(mixed.interpolated, mixed.fixed.bytes)
    },
    goal: "per class: the fixed setting's SSIM at >= 15 % fewer bytes",
    machine: { cpus: cpus().length, loadavg: loadavg().map((l) => round(l, 2)) },
    seconds: round((performance.now() - started) / 1000, 1)
  }
})

/** SI/TI of every sample clip drawn at DRAWN's size (what SAMPLE_CLIP_CHARACTER holds). */
const table = Effect.gen(function*() {
  const dir = join(CACHE, "table")
  yield* Effect.promise(() => mkdir(dir, { recursive: true }))
  const params = { width: DRAWN.width, height: DRAWN.height, fps: FPS, durationSec: DRAWN.seconds }
  const rows = yield* Effect.forEach(SAMPLE_CLIPS, (clip) =>
    Effect.gen(function*() {
      const graph = sampleGraph(Option.getOrThrow(sampleClipRef(clip.name)), params)
      const file = drawnFile(dir, clip.name, graph)
      yield* drawOnce(graph, file, DRAWN.seconds)
      const m = yield* measureSiTi(file, { options: CHARACTER_ANALYSIS })
      return [clip.name, { si: m.si.mean, ti: m.ti.mean, class: classifyContent({ si: m.si.mean, ti: m.ti.mean }) }] as const
    }))
  return { bench: "encode-aware --table", drawn: params, analysis_width: CHARACTER_ANALYSIS_WIDTH, clips: Object.fromEntries(rows) }
})

const main: Effect.Effect<unknown, unknown> = process.argv.includes("--table") ? table : benchmark
Effect.runPromise(main).then(
  (result) => console.log(JSON.stringify(result, null, 1)),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
