/**
 * Scale benchmark: how the job's time and memory grow with the work, all in one run against the
 * hand-written one-pass ffmpeg (bench/reference.ts, the job bench's reference) on the same shots.
 * Prints one JSON object.
 *
 * Jobs: `reelswarm run` (the CLI bundle, a child process) of scripts of 6, 30 and 120 one-sentence
 * paragraphs (about 30 s, 2 min and 8 min of espeak-ng narration; one scene each) over twelve tagged
 * 1920x1080 lavfi clips (cached under .reelswarm/bench/scale/footage), 720x1280 at 30 fps, line
 * captions, libx264 veryfast crf 23 on both sides, each from a fresh state directory. Per size:
 *
 *   job_ratio         = the run's wall time / the reference's wall time on the job's own plan  (goal <= 1.10)
 *   tree_peak_rss_mb  = peak of the summed RSS of the run's whole process tree (node + every ffmpeg,
 *                       espeak-ng …), sampled every 50 ms from /proc (bench/tree-rss.ts)
 *   ffmpeg_peak_rss_mb / reference_peak_rss_mb = the largest peak RSS (VmHWM) of one of our ffmpeg
 *                       processes / of the reference's ffmpeg
 *
 *   tree_rss_growth   = tree_peak_rss_mb at 8 min / at 30 s                       (goal <= 1.2: flat)
 *   ffmpeg_rss_ratio  = our encode's ffmpeg peak RSS / the reference's, at 30 s    (goal <= 1.0; every size in sizes[])
 *
 * Library (bench/scale-library.ts): index_10k_s, reindex_10k_s (goal <= 1 s), match_100_scenes_ms
 * (goal <= 200 ms).
 *
 * Demo: `node bin/reelswarm.js demo` (the README's command) after `make demo`'s build step (the bundle
 * is built by the first `node bin/reelswarm.js` when missing or stale): demo_cold_s from a fresh state
 * directory (goal <= 32 s) and demo_warm_ratio = the same command again / the cold run (goal <= 0.05).
 *
 * BENCH_SIZES=6,30 limits the job sizes (scene counts); BENCH_PARTS=jobs,library,demo the parts.
 */
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { mkdir, readdir, rm, writeFile } from "node:fs/promises"
import { cpus, loadavg, totalmem } from "node:os"
import { join, resolve } from "node:path"
import { readPlan } from "../agents/index.ts"
import { ffmpegVersion } from "../media/ffmpeg.ts"
import { probe } from "../media/probe.ts"
import { ensureTaggedClips, referenceArgs, runChildOrDie } from "./reference.ts"
import { libraryFigures } from "./scale-library.ts"

const ROOT = resolve(".reelswarm/bench/scale")
const FOOTAGE = join(ROOT, "footage")
const PRESET = "veryfast"
const CRF = 23
const SIZE = { width: 720, height: 1280 }
const SIZES = (process.env["BENCH_SIZES"] ?? "6,30,120").split(",").map(Number).filter((n) => n >= 1)
const PARTS = new Set((process.env["BENCH_PARTS"] ?? "jobs,library,demo").split(","))
const CLI = resolve("bin/reelswarm.js")

/** A lavfi source at 1920x1080, 30 fps (its own options, if any, after the name). */
const lavfi = (source: string) => `${source}${source.includes("=") ? ":" : "="}size=1920x1080:rate=30`
/** Twelve subjects, each a clip tagged for it and a few sentences about it. */
const SUBJECTS = [
  { name: "ocean-sunlight", source: lavfi("gradients=speed=0.02"), tags: ["ocean", "sunlight", "water"] },
  { name: "fractal-coast", source: lavfi("mandelbrot"), tags: ["fractal", "coast", "shapes"] },
  {
    name: "lantern-fish",
    source: lavfi("life=mold=10:ratio=0.1:seed=7:death_color=#2b0a3d:life_color=#f5c542"),
    tags: ["lantern", "fish", "glow"]
  },
  { name: "test-pattern", source: lavfi("testsrc2"), tags: ["signal", "pattern", "broadcast"] },
  { name: "snow-automaton", source: lavfi("cellauto=rule=110:seed=3"), tags: ["snow", "automaton", "rows"] },
  { name: "colour-bars", source: lavfi("smptehdbars"), tags: ["colour", "bars", "studio"] },
  { name: "city-lights", source: lavfi("life=mold=25:ratio=0.3:seed=11:life_color=#ffd27f"), tags: ["city", "lights", "night"] },
  { name: "desert-dunes", source: lavfi("gradients=speed=0.05:c0=#c2a060:c1=#7a5230"), tags: ["desert", "dunes", "sand"] },
  { name: "forest-canopy", source: lavfi("cellauto=rule=30:seed=5"), tags: ["forest", "canopy", "leaves"] },
  { name: "mountain-peaks", source: lavfi("mandelbrot=start_scale=1.5:end_scale=0.5"), tags: ["mountain", "peaks", "rock"] },
  { name: "river-delta", source: lavfi("gradients=speed=0.03:c0=#104070:c1=#60a0c0"), tags: ["river", "delta", "flow"] },
  { name: "storm-clouds", source: lavfi("testsrc"), tags: ["storm", "clouds", "rain"] }
]
const CLIP_SECONDS = 8

const VERBS = [
  "keeps changing in ways that scientists are still trying to measure",
  "was photographed from above by a camera on a long flight",
  "looks completely different at dawn than it does at dusk",
  "hides small details that only patient observers ever notice",
  "has been studied for more than a hundred years by careful people"
]

/** `scenes` one-sentence paragraphs (about four seconds each), cycling through the subjects. */
const scriptOf = (scenes: number) =>
  Array.from({ length: scenes }, (_, i) => {
    const subject = SUBJECTS[i % SUBJECTS.length]!
    const verb = VERBS[Math.floor(i / SUBJECTS.length) % VERBS.length]!
    return `The ${subject.tags[0]} ${subject.tags[1]} ${verb}.`
  }).join("\n\n") + "\n"

const round3 = (x: number) => Math.round(x * 1000) / 1000

/** One job of `scenes` scenes and the reference on its plan. */
const jobSize = (scenes: number) =>
  Effect.gen(function*() {
    const dir = join(ROOT, `job-${scenes}`)
    const state = join(dir, "state")
    yield* Effect.promise(() => rm(dir, { recursive: true, force: true }))
    yield* Effect.promise(() => mkdir(dir, { recursive: true }))
    const script = join(dir, "script.txt")
    yield* Effect.promise(() => writeFile(script, scriptOf(scenes)))
    const output = join(dir, "job.mp4")
    const job = yield* runChildOrDie("reelswarm run", process.execPath, [
      CLI,
      "run",
      "--script",
      script,
      "--footage",
      FOOTAGE,
      "--out",
      output,
      "--size",
      `${SIZE.width}x${SIZE.height}`,
      "--fps",
      "30",
      "--captions",
      "lines",
      "--encoder",
      "libx264",
      "--state",
      state,
      "--json"
    ])
    const report = JSON.parse(job.stdout) as {
      readonly scenes: ReadonlyArray<unknown>
      readonly narration: { readonly durationSec: number }
      readonly stages: Record<string, number>
      readonly parts?: ReadonlyArray<unknown>
    }
    const work = join(state, "work")
    const renders = (yield* Effect.promise(() => readdir(work))).filter((d) => d.startsWith("render-"))
    if (renders.length !== 1) return yield* Effect.dieMessage(`expected one render plan in ${work}, found ${renders.length}`)
    const plan = yield* Effect.orDie(readPlan(join(work, renders[0]!, "plan.json")))
    const referenceOut = join(dir, "reference.mp4")
    const reference = yield* runChildOrDie("the reference ffmpeg", "ffmpeg", [
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-y",
      ...referenceArgs(plan, { preset: PRESET, crf: CRF }),
      referenceOut
    ])
    const [jobInfo, referenceInfo] = yield* Effect.all([probe(output, { countFrames: true }), probe(referenceOut, { countFrames: true })])
    // Kept small on disk: a later size needs the room more than anyone needs these files.
    yield* Effect.promise(() => rm(dir, { recursive: true, force: true }))
    return {
      scenes: report.scenes.length,
      segments: plan.segments.length,
      narration_s: round3(report.narration.durationSec),
      frames: jobInfo.frames,
      reference_frames: referenceInfo.frames,
      planned_frames: plan.totalFrames,
      job_s: round3(job.wall),
      reference_s: round3(reference.wall),
      job_ratio: round3(job.wall / reference.wall),
      job_cpu_s: round3(job.cpu),
      reference_cpu_s: round3(reference.cpu),
      job_cpu_ratio: round3(job.cpu / reference.cpu),
      tree_peak_rss_mb: job.memory.treePeakMb,
      ffmpeg_peak_rss_mb: job.memory.processPeakMb["ffmpeg"] ?? 0,
      node_peak_rss_mb: job.memory.processPeakMb["node"] ?? 0,
      reference_peak_rss_mb: reference.memory.processPeakMb["ffmpeg"] ?? 0,
      ffmpeg_rss_ratio: round3((job.memory.processPeakMb["ffmpeg"] ?? 0) / (reference.memory.processPeakMb["ffmpeg"] ?? 1)),
      processes: job.memory.processes,
      stages: report.stages
    }
  })

const jobs = Effect.gen(function*() {
  yield* Effect.promise(() => mkdir(FOOTAGE, { recursive: true }))
  yield* ensureTaggedClips(FOOTAGE, SUBJECTS, CLIP_SECONDS)
  const sizes = yield* Effect.forEach(SIZES, jobSize)
  const first = sizes[0]!
  const last = sizes[sizes.length - 1]!
  return {
    output_size: `${SIZE.width}x${SIZE.height}`,
    clip_size: "1920x1080",
    fps: 30,
    preset: PRESET,
    crf: CRF,
    job_ratio_max: Math.max(...sizes.map((s) => s.job_ratio)),
    tree_rss_growth: round3(last.tree_peak_rss_mb / first.tree_peak_rss_mb),
    ffmpeg_rss_ratio: first.ffmpeg_rss_ratio,
    sizes
  }
})

/** The README's `node bin/reelswarm.js demo`, cold from a fresh state directory, then warm. */
const demo = Effect.gen(function*() {
  const dir = join(ROOT, "demo")
  yield* Effect.promise(() => rm(dir, { recursive: true, force: true }))
  // make demo's build step: the first `node bin/reelswarm.js` builds the bundle when missing or stale.
  yield* runChildOrDie("node bin/reelswarm.js --version", process.execPath, [CLI, "--version"])
  const args = [CLI, "demo", "--state", join(dir, "state"), "--out", join(dir, "out"), "--json"]
  const cold = yield* runChildOrDie("reelswarm demo (cold)", process.execPath, args)
  const warm = yield* runChildOrDie("reelswarm demo (warm)", process.execPath, args)
  const video = join(dir, "out", "demo.mp4")
  const info = existsSync(video) ? yield* probe(video, { countFrames: true }) : undefined
  return {
    demo_cold_s: round3(cold.wall),
    demo_cold_cpu_s: round3(cold.cpu),
    demo_warm_s: round3(warm.wall),
    demo_warm_ratio: round3(warm.wall / cold.wall),
    demo_video_s: info === undefined ? undefined : round3(info.duration),
    demo_tree_peak_rss_mb: cold.memory.treePeakMb
  }
})

const main = Effect.gen(function*() {
  const started = performance.now()
  const header = {
    bench: "scale",
    ffmpeg: yield* ffmpegVersion(),
    cpus: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    load_average_1m_start: round3(loadavg()[0]!)
  }
  const jobFigures = PARTS.has("jobs") ? yield* jobs : {}
  const library = PARTS.has("library") ? yield* libraryFigures() : {}
  const demoFigures = PARTS.has("demo") ? yield* demo : {}
  return {
    ...header,
    ...jobFigures,
    ...library,
    ...demoFigures,
    load_average_1m_end: round3(loadavg()[0]!),
    bench_s: round3((performance.now() - started) / 1000)
  }
})

Effect.runPromise(main).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error)
    process.exitCode = 1
  }
)
