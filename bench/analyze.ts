/**
 * Analysis benchmark: the analysis swarm (agents/analyzer: a pool of analyzer agents, one per core)
 * on a 1920x1080 30 fps H.264 clip made for it (lavfi, in a temp folder: six shots with motion, a
 * black second, burned-in text, a tone that drops 12 dB halfway), against one ffmpeg pass that runs
 * every analyzer's filters in one graph.
 *
 *   realtime_ratio    = analysis wall time / clip duration          (goal <= 0.5 on 2 cores)
 *   single_pass_ratio = analysis wall time / the single pass's time  (goal <= 1.2)
 *   per_analyzer_seconds = each analyzer run alone (its own pass over the whole clip, OCR included
 *     in `text`): what each one costs, for choosing what to make cheaper
 *   tasks = the pool's tasks in the fastest analysis run, with their worker and seconds; found = what
 *     each run found (shots, black intervals, words read and where), a check that each did the whole job
 *
 * Wall time is what the goals are about; on a shared machine it moves with everyone else's work, so
 * the CPU seconds of the child processes (ffmpeg, tesseract; /proc/self/stat) are reported beside it:
 *   cpu_ratio          = analysis CPU / single-pass CPU  (the work the split into tasks adds)
 *   cpu_realtime_ratio = analysis CPU / (cores x duration)  (the realtime ratio if every core were free)
 * The analysis runs without its cache. Each side runs ROUNDS times (env BENCH_ROUNDS, default 3),
 * interleaved; the fastest run counts. The load average before and after says how busy the
 * machine was. Prints one JSON object.
 */
import { Clock, Effect, Either } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { availableParallelism, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { analyzeFiles } from "../agents/index.ts"
import {
  AnalysisOptions,
  type AnalysisReport,
  detectBlack,
  detectFlashes,
  detectFrozen,
  detectShots,
  measureAudio,
  measureSiTi,
  probe,
  readOnScreenText,
  runFfmpeg,
  runVideoAnalyzers,
  singlePassAnalysis
} from "../media/index.ts"
import { swarmLayerInMemory } from "../runtime/index.ts"

const ROUNDS = Math.max(1, Number(process.env["BENCH_ROUNDS"] ?? 3))
const FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
const SIZE = "1920x1080"
const FPS = 30

/** Six shots (drawn small and scaled up where a source is slow at 1080p), 26 s in all. */
const SHOTS = [
  `testsrc2=s=${SIZE}:r=${FPS}:d=5`,
  `gradients=s=${SIZE}:r=${FPS}:d=5:speed=0.02:seed=3,drawtext=fontfile=${FONT}:text='SPRING SALE':fontsize=140:fontcolor=white:box=1:boxcolor=black@0.7:boxborderw=30:x=(w-tw)/2:y=h*0.7`,
  `mandelbrot=s=480x270:r=${FPS},trim=end_frame=150,scale=${SIZE}`,
  `life=s=480x270:r=${FPS}:mold=10:ratio=0.3:seed=3:life_color=#80c0ff:death_color=#102040,trim=end_frame=150,scale=${SIZE}:flags=neighbor`,
  `color=c=black:s=${SIZE}:r=${FPS}:d=1`,
  `gradients=s=${SIZE}:r=${FPS}:d=5:speed=0.05:c0=red:c1=blue:seed=3,drawtext=fontfile=${FONT}:text='THANK YOU':fontsize=120:fontcolor=yellow:x=(w-tw)/2:y=(h-th)/2`
]
const DURATION = 26

const makeClip = (file: string) =>
  runFfmpeg({
    args: [
      ...SHOTS.flatMap((source) => ["-f", "lavfi", "-i", source]),
      "-f",
      "lavfi",
      "-i",
      `sine=f=330:r=48000:d=${DURATION},volume='if(lt(t,13),1.6,0.4)':eval=frame`,
      "-filter_complex",
      `${SHOTS.map((_, i) => `[${i}:v]`).join("")}concat=n=${SHOTS.length}:v=1:a=0,format=yuv420p[v]`,
      "-map",
      "[v]",
      "-map",
      `${SHOTS.length}:a`,
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-b:v",
      "8M",
      "-maxrate",
      "10M",
      "-bufsize",
      "16M",
      "-c:a",
      "aac",
      "-b:a",
      "128k"
    ],
    output: file
  })

/** CPU seconds of this process's finished children (ffmpeg, tesseract): /proc/self/stat's cutime + cstime. */
const childCpuSeconds = () => {
  const fields = readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /, "").split(" ")
  // After the command name: field 3 is the state, so cutime (16) and cstime (17) are at 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / 100
}

/** Wall seconds and the CPU seconds its child processes used. */
const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const cpu = childCpuSeconds()
    const value = yield* effect
    return { value, seconds: ((yield* Clock.currentTimeMillis) - start) / 1000, cpu: childCpuSeconds() - cpu }
  })

const round3 = (n: number) => Math.round(n * 1000) / 1000

const program = Effect.gen(function*() {
  const dir = mkdtempSync(join(tmpdir(), "reelswarm-bench-analyze-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
  const clip = join(dir, "clip-1080p.mp4")
  yield* makeClip(clip)
  const info = yield* probe(clip)
  const workers = availableParallelism()
  const loadBefore = loadavg()[0]!
  const swarmRuns: Array<{ seconds: number; cpu: number; report: AnalysisReport }> = []
  const singleRuns: Array<{ seconds: number; cpu: number }> = []
  for (let round = 0; round < ROUNDS; round++) {
    const state = join(dir, `state-${round}`)
    const analysis = yield* timed(
      analyzeFiles([clip], { stateDir: state, workers, reuse: false }).pipe(Effect.provide(swarmLayerInMemory()))
    )
    const report = Either.getOrThrowWith(analysis.value[0]!, (e) => new Error(e.message)).report
    swarmRuns.push({ seconds: analysis.seconds, cpu: analysis.cpu, report })
    const single = yield* timed(singlePassAnalysis(clip))
    singleRuns.push({ seconds: single.seconds, cpu: single.cpu })
  }
  const options = new AnalysisOptions({})
  const alone = {
    shots: detectShots(clip),
    signal: runVideoAnalyzers(clip, ["signal"]),
    siti: measureSiTi(clip),
    black: detectBlack(clip),
    frozen: detectFrozen(clip),
    flashes: detectFlashes(clip),
    colours: runVideoAnalyzers(clip, ["colours"]),
    text: readOnScreenText(clip, options),
    audio: measureAudio(clip, options)
  }
  const perAnalyzer: Record<string, number> = {}
  for (const [name, run] of Object.entries(alone)) {
    perAnalyzer[name] = round3((yield* timed(run as Effect.Effect<unknown, unknown>)).seconds)
  }
  const loadAfter = loadavg()[0]!
  const best = swarmRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a))
  const single = Math.min(...singleRuns.map((r) => r.seconds))
  const analysisCpu = Math.min(...swarmRuns.map((r) => r.cpu))
  const singleCpu = Math.min(...singleRuns.map((r) => r.cpu))
  return {
    clip: { width: info.width, height: info.height, fps: info.fps, duration: info.duration, codec: info.codec },
    cores: workers,
    rounds: ROUNDS,
    analysis_seconds: round3(best.seconds),
    single_pass_seconds: round3(single),
    realtime_ratio: round3(best.seconds / info.duration),
    single_pass_ratio: round3(best.seconds / single),
    goals: { realtime_ratio: 0.5, single_pass_ratio: 1.2 },
    analysis_cpu_seconds: round3(analysisCpu),
    single_pass_cpu_seconds: round3(singleCpu),
    cpu_ratio: round3(analysisCpu / singleCpu),
    cpu_realtime_ratio: round3(analysisCpu / (workers * info.duration)),
    analysis_runs: swarmRuns.map((r) => ({ seconds: round3(r.seconds), cpu: round3(r.cpu) })),
    single_pass_runs: singleRuns.map((r) => ({ seconds: round3(r.seconds), cpu: round3(r.cpu) })),
    tasks: best.report.timings.map((t) => ({ ...t })),
    found: swarmRuns.map(({ report }) => ({
      shots: report.shots.length,
      black: report.black.length,
      words: [...new Set(report.text.flatMap((s) => s.words.map((w) => w.text)))],
      read_at: report.text.map((s) => s.time)
    })),
    per_analyzer_seconds: perAnalyzer,
    load_average: { before: round3(loadBefore), after: round3(loadAfter) }
  }
})

Effect.runPromise(Effect.scoped(program)).then(
  (result) => console.log(JSON.stringify(result, null, 2)),
  (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  }
)
