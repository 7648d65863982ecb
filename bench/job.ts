/**
 * Job benchmark: the whole `reelswarm run` (script to MP4, a child process of the built CLI) against
 * the one-command ffmpeg single-pass reference on the same chosen shots, same run. A script of six
 * one-sentence paragraphs (about 25 s of espeak-ng narration, 6 scenes), six tagged 1920x1080 lavfi
 * clips (cached under .reelswarm/bench/job/footage), output 1080x1920 at 30 fps, libx264 preset
 * veryfast crf 23 on both sides.
 *
 *   job_ratio   = cold `reelswarm run` wall time / reference wall time           (goal <= 1.15)
 *   warm_ratio  = the same command again (unchanged job) / the cold run          (goal <= 0.05)
 *   peak_rss_mb = the reelswarm process's peak RSS (its own maxRSS, from --json)  (goal <= 250)
 *
 * The cold run starts from a fresh state directory (no workflow record, no narration, no plan);
 * the footage and its probe cache are kept. The CLI is bundled (scripts/bundle-cli.mjs) into .reelswarm/bench/job/dist
 * and run with node; if the build fails, with tsx. Each side runs BENCH_ROUNDS times (default 2),
 * interleaved; the fastest counts. Wall time gives the ratios asked for; CPU time (the reelswarm
 * process and its ffmpeg and espeak-ng children; the reference's ffmpeg) is reported beside them,
 * being far less disturbed by other work on a shared machine. Prints one JSON object.
 */
import { Effect } from "effect"
import { mkdir, readdir, rm, writeFile } from "node:fs/promises"
import { cpus, loadavg } from "node:os"
import { join, resolve } from "node:path"
import { readPlan } from "../agents/index.ts"
import { ffmpegVersion, runFfmpeg } from "../media/ffmpeg.ts"
import { probe } from "../media/probe.ts"
import type { RenderPlan } from "../media/timeline.ts"
import { buildCli as buildCliIn, childCpuSeconds, ensureTaggedClips, referenceArgs, runChildOrDie } from "./reference.ts"

const ROOT = resolve(".reelswarm/bench/job")
const FOOTAGE = join(ROOT, "footage")
const STATE = join(ROOT, "state")
const DIST = join(ROOT, "dist")
const OUT = join(ROOT, "out")
const PRESET = "veryfast"
const CRF = 23
const ROUNDS = Math.max(1, Number(process.env["BENCH_ROUNDS"] ?? 2))

/** Six paragraphs of one sentence: six scenes of about 4 s each. */
const SCRIPT = [
  "Deep in the ocean, sunlight fades within the first few hundred metres of water.",
  "Below that lies the twilight zone, where animals make their own light.",
  "Lantern fish glow along their bellies to hide their shadows from hunters below.",
  "Anglerfish dangle a shining lure to draw curious prey towards their jaws.",
  "Some jellyfish flash blue rings when attacked, calling for larger predators.",
  "Scientists think most creatures of the deep sea can make light of some kind."
].join("\n\n")

/** One clip per scene, named and tagged for it (as stock footage would be). */
const CLIPS = [
  { name: "ocean-sunlight", source: "gradients=size=1920x1080:rate=30:speed=0.02", tags: ["ocean", "sunlight", "water", "surface"] },
  { name: "twilight-zone", source: "mandelbrot=size=1920x1080:rate=30", tags: ["twilight", "zone", "animals", "dark"] },
  {
    name: "lantern-fish",
    source: "life=size=1920x1080:rate=30:mold=10:ratio=0.1:death_color=#2b0a3d:life_color=#f5c542",
    tags: ["lantern fish", "glow", "bellies", "shadows"]
  },
  { name: "anglerfish-lure", source: "testsrc2=size=1920x1080:rate=30", tags: ["anglerfish", "lure", "prey", "jaws"] },
  { name: "jellyfish-rings", source: "cellauto=size=1920x1080:rate=30:rule=110", tags: ["jellyfish", "blue rings", "predators"] },
  { name: "deep-sea-creatures", source: "smptehdbars=size=1920x1080:rate=30", tags: ["deep sea", "creatures", "scientists"] }
]
const CLIP_SECONDS = 6

const ensureFootage = ensureTaggedClips(FOOTAGE, CLIPS, CLIP_SECONDS)

const buildCli = buildCliIn(DIST)

interface RunOutcome {
  readonly wall: number
  readonly cpu: number
  readonly report: Record<string, unknown> & { readonly run: { readonly seconds: number; readonly peakRssMb: number } }
}

const runCli = (cli: { command: string; args: ReadonlyArray<string> }, args: ReadonlyArray<string>) =>
  Effect.map(runChildOrDie("reelswarm", cli.command, [...cli.args, ...args]), (run): RunOutcome => ({
    wall: run.wall,
    cpu: run.cpu,
    report: JSON.parse(run.stdout) as RunOutcome["report"]
  }))

const timed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const start = performance.now()
    const cpuStart = childCpuSeconds()
    yield* effect
    return { wall: (performance.now() - start) / 1000, cpu: childCpuSeconds() - cpuStart }
  })

const main = Effect.gen(function*() {
  yield* Effect.promise(() => mkdir(FOOTAGE, { recursive: true }))
  yield* Effect.promise(() => mkdir(OUT, { recursive: true }))
  yield* ensureFootage
  const scriptFile = join(ROOT, "script.txt")
  yield* Effect.promise(() => writeFile(scriptFile, SCRIPT + "\n"))
  const cli = yield* buildCli
  const output = join(OUT, "job.mp4")
  const args = [
    "run",
    "--script",
    scriptFile,
    "--footage",
    FOOTAGE,
    "--out",
    output,
    "--aspect",
    "9:16",
    "--fps",
    "30",
    "--captions",
    "lines",
    "--encoder",
    "libx264",
    "--state",
    STATE,
    "--json"
  ]

  const colds: Array<RunOutcome> = []
  const warms: Array<RunOutcome> = []
  const references: Array<{ wall: number; cpu: number }> = []
  let plan: RenderPlan | undefined
  const referenceRun = (plan: RenderPlan) =>
    timed(runFfmpeg({ args: referenceArgs(plan, { preset: PRESET, crf: CRF }), output: join(OUT, "reference.mp4") }))
  for (let round = 0; round < ROUNDS; round++) {
    // Later rounds run the reference first, so neither side always runs right after the other.
    if (plan !== undefined) references.push(yield* referenceRun(plan))
    // Cold: no workflow record, narration, plan or segments (the footage and its probe cache stay).
    yield* Effect.promise(() => rm(STATE, { recursive: true, force: true }))
    yield* Effect.promise(() => rm(output, { force: true }))
    colds.push(yield* runCli(cli, args))
    warms.push(yield* runCli(cli, args))
    // The plan of the job just run: the render directory in the fresh state's work folder.
    const work = join(STATE, "work")
    const renders = (yield* Effect.promise(() => readdir(work))).filter((d) => d.startsWith("render-"))
    if (renders.length !== 1) return yield* Effect.dieMessage(`expected one render plan in ${work}, found ${renders.length}`)
    plan = yield* Effect.orDie(readPlan(join(work, renders[0]!, "plan.json")))
    // The same chosen shots, as the report lists them.
    const shots = (colds.at(-1)!.report["shots"] as ReadonlyArray<{ clip: { path: string } }>).map((s) => s.clip.path)
    if (JSON.stringify(plan.scenes.map((s) => s.shot.path)) !== JSON.stringify(shots)) {
      return yield* Effect.dieMessage(`the plan's shots differ from the report's: ${JSON.stringify(shots)}`)
    }
    if (round === 0) references.push(yield* referenceRun(plan))
  }
  const [jobInfo, referenceInfo] = yield* Effect.all([
    probe(output, { countFrames: true }),
    probe(join(OUT, "reference.mp4"), { countFrames: true })
  ])
  const cold = colds.reduce((a, b) => (b.wall < a.wall ? b : a))
  const warm = warms.reduce((a, b) => (b.wall < a.wall ? b : a))
  const reference = Math.min(...references.map((r) => r.wall))
  const referenceCpu = Math.min(...references.map((r) => r.cpu))
  const coldCpu = Math.min(...colds.map((c) => c.cpu))
  const round3 = (x: number) => Math.round(x * 1000) / 1000
  const report = cold.report as unknown as {
    scenes: ReadonlyArray<unknown>
    shots: ReadonlyArray<{ clip: { path: string } }>
    narration: { durationSec: number }
    stages: Record<string, number>
  }
  return {
    bench: "job",
    ffmpeg: yield* ffmpegVersion(),
    cpus: cpus().length,
    load_average_1m: round3(loadavg()[0]!),
    cli: cli.how,
    rounds: ROUNDS,
    output_size: "1080x1920",
    clip_size: "1920x1080",
    fps: 30,
    encoder: "libx264",
    preset: PRESET,
    crf: CRF,
    narration_seconds: round3(report.narration.durationSec),
    scenes: report.scenes.length,
    shots: report.shots.map((s) => s.clip.path.split("/").pop()),
    frames: jobInfo.frames,
    reference_frames: referenceInfo.frames,
    planned_frames: plan?.totalFrames,
    job_s: round3(cold.wall),
    reference_s: round3(reference),
    warm_s: round3(warm.wall),
    job_ratio: round3(cold.wall / reference),
    job_cpu_s: round3(coldCpu),
    reference_cpu_s: round3(referenceCpu),
    job_cpu_ratio: round3(coldCpu / referenceCpu),
    warm_ratio: round3(warm.wall / cold.wall),
    peak_rss_mb: Math.max(...colds.map((c) => c.report.run.peakRssMb), ...warms.map((w) => w.report.run.peakRssMb)),
    /** Seconds inside the CLI (layer start to report) and per stage, cold run. */
    cold_in_process_s: cold.report.run.seconds,
    warm_in_process_s: warm.report.run.seconds,
    stages: report.stages,
    runs: {
      cold: colds.map((c) => ({ wall_s: round3(c.wall), cpu_s: round3(c.cpu) })),
      warm: warms.map((w) => ({ wall_s: round3(w.wall), cpu_s: round3(w.cpu) })),
      reference: references.map((r) => ({ wall_s: round3(r.wall), cpu_s: round3(r.cpu) }))
    }
  }
})

Effect.runPromise(main).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error)
    process.exitCode = 1
  }
)
