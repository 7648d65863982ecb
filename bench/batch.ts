/**
 * Batch benchmark: `reelswarm batch` of BENCH_JOBS (default 50) small jobs at each concurrency of
 * BENCH_CONCURRENCY (default 1,2,4), against the same kind of jobs run one `reelswarm run` each.
 * Every job has its own two-sentence script (so nothing is reused between jobs: each narrates,
 * plans and encodes), four tagged 320x180 lavfi clips as footage, output 160x284 at 10 fps with
 * line captions, libx264. Each batch starts from a fresh state directory.
 *
 *   jobs_per_minute = finished jobs / batch wall time (the whole `reelswarm batch` process) * 60
 *   peak_rss_mb     = the batch's node process alone (its own maxRSS, from process.resourceUsage(),
 *                     as --json reports it when each job finishes; ffmpeg and espeak-ng are children, not counted)
 *                     (peak_rss_mb_first_tenth: the same once a tenth of the jobs had finished: growth with the job count)
 *   ratio           = batch wall time / sum of single-job wall times                (goal <= 1.0 at concurrency 2)
 *
 * The sum of single-job times is estimated from BENCH_SINGLES (default 5) of the jobs, spread over
 * the batch, each run alone as `reelswarm run` in the same benchmark run (one fresh state directory
 * for all of them, as a user running them one by one would have): their mean wall time times the
 * number of jobs. `ratio_in_process` divides by the singles' time inside the CLI instead (`run.seconds`:
 * from the job's start on its built layer to its report; no node start-up, module loading, input
 * checks or layer start). The CLI is the esbuild bundle run by node, as in bench/job.ts (tsx if the
 * build fails). Prints one JSON object.
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { mkdir, rm, writeFile } from "node:fs/promises"
import { cpus, loadavg } from "node:os"
import { join, resolve } from "node:path"
import { ffmpegVersion } from "../media/ffmpeg.ts"
import { buildCli as buildCliIn, ensureTaggedClips } from "./reference.ts"

const ROOT = resolve(".reelswarm/bench/batch")
const FOOTAGE = join(ROOT, "footage")
const DIST = join(ROOT, "dist")
const JOBS = Math.max(1, Number(process.env["BENCH_JOBS"] ?? 50))
const SINGLES = Math.min(JOBS, Math.max(1, Number(process.env["BENCH_SINGLES"] ?? 5)))
const CONCURRENCIES = (process.env["BENCH_CONCURRENCY"] ?? "1,2,4").split(",").map(Number).filter((n) => n >= 1)
const SIZE = "160x284"
const FPS = 10

const CLIPS = [
  { name: "fractal", source: "mandelbrot=size=320x180:rate=10", tags: ["fractal", "shapes", "scale", "spiral"] },
  { name: "cells", source: "life=size=320x180:rate=10:mold=10", tags: ["cells", "grid", "rules", "life"] },
  { name: "waves", source: "gradients=size=320x180:rate=10:speed=0.05", tags: ["waves", "colour", "light", "sea"] },
  { name: "automaton", source: "cellauto=size=320x180:rate=10:rule=110", tags: ["pattern", "rows", "automaton", "snow"] }
]

const OPENINGS = [
  "Fractals repeat the same shapes at every scale",
  "Cells on a grid live and die by simple rules",
  "Waves of colour roll across the sea at dusk",
  "Each row of the automaton follows from the one above",
  "A spiral of seeds packs a sunflower without gaps",
  "Snowflakes grow six arms from one frozen seed",
  "Light bends as it passes from air into water",
  "Rules this small can still draw endless patterns",
  "The grid forgets nothing and repeats nothing",
  "Zoom in on the edge and the shapes come back"
]
const CLOSINGS = [
  "Watch closely and the pattern returns.",
  "Nobody planned it, yet it holds together.",
  "Simple steps add up to something rich.",
  "It never looks the same way twice.",
  "Mathematics hides in plain sight."
]

/** Job `i`'s script: its own words, so no job reuses another's narration or render. */
const scriptOf = (i: number) => `${OPENINGS[i % OPENINGS.length]}, in video ${i + 1}.\n\n${CLOSINGS[Math.floor(i / 10) % CLOSINGS.length]}`

const ensureFootage = ensureTaggedClips(FOOTAGE, CLIPS, 4)

const buildCli = buildCliIn(DIST)

interface Cli {
  readonly command: string
  readonly args: ReadonlyArray<string>
}

/** Runs the CLI; its wall time, stdout, stderr and exit code. */
const runCli = (cli: Cli, args: ReadonlyArray<string>) =>
  Effect.promise(
    () =>
      new Promise<{ wall: number; code: number | null; stdout: string; stderr: string }>((done) => {
        const start = performance.now()
        const child = spawn(cli.command, [...cli.args, ...args], { stdio: ["ignore", "pipe", "pipe"] })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (b: Buffer) => (stdout += b.toString()))
        child.stderr.on("data", (b: Buffer) => (stderr += b.toString()))
        child.on("close", (code) => done({ wall: (performance.now() - start) / 1000, code, stdout, stderr }))
      })
  )

const failIf = (failed: boolean, what: string, outcome: { code: number | null; stderr: string }) =>
  failed ? Effect.dieMessage(`${what} exited ${outcome.code}: ${outcome.stderr.slice(-2000)}`) : Effect.void

const round3 = (x: number) => Math.round(x * 1000) / 1000

const common = ["--encoder", "libx264", "--json"]

const main = Effect.gen(function*() {
  yield* Effect.promise(() => mkdir(FOOTAGE, { recursive: true }))
  yield* ensureFootage
  const cli = yield* buildCli
  const jobOptions = { footage: FOOTAGE, size: SIZE, fps: FPS, captions: "lines" }

  // Singles: jobs spread over the batch, each its own `reelswarm run`, on one fresh state directory.
  const singlesDir = join(ROOT, "singles")
  yield* Effect.promise(() => rm(singlesDir, { recursive: true, force: true }))
  yield* Effect.promise(() => mkdir(singlesDir, { recursive: true }))
  const singles: Array<{ job: number; wall: number; inProcess: number }> = []
  for (let k = 0; k < SINGLES; k++) {
    const i = Math.floor((k * JOBS) / SINGLES)
    const script = join(singlesDir, `script-${i}.txt`)
    yield* Effect.promise(() => writeFile(script, scriptOf(i)))
    const outcome = yield* runCli(cli, [
      "run",
      "--script",
      script,
      "--footage",
      FOOTAGE,
      "--out",
      join(singlesDir, "out", `job-${i}.mp4`),
      "--size",
      SIZE,
      "--fps",
      String(FPS),
      "--captions",
      "lines",
      "--state",
      join(singlesDir, "state"),
      ...common
    ])
    yield* failIf(outcome.code !== 0, `single job ${i}`, outcome)
    const report = JSON.parse(outcome.stdout) as { run: { seconds: number } }
    singles.push({ job: i, wall: outcome.wall, inProcess: report.run.seconds })
    console.error(JSON.stringify({ single: i, wall_s: round3(outcome.wall), in_process_s: report.run.seconds }))
  }
  const meanSingle = singles.reduce((s, x) => s + x.wall, 0) / singles.length
  const meanInProcess = singles.reduce((s, x) => s + x.inProcess, 0) / singles.length
  const sumSingle = meanSingle * JOBS
  const sumInProcess = meanInProcess * JOBS

  const batches = []
  for (const concurrency of CONCURRENCIES) {
    const dir = join(ROOT, `c${concurrency}`)
    yield* Effect.promise(() => rm(dir, { recursive: true, force: true }))
    yield* Effect.promise(() => mkdir(dir, { recursive: true }))
    const file = join(dir, "jobs.jsonl")
    const lines = Array.from(
      { length: JOBS },
      (_, i) => JSON.stringify({ script: scriptOf(i), out: join(dir, "out", `job-${i}.mp4`), ...jobOptions })
    )
    yield* Effect.promise(() => writeFile(file, lines.join("\n") + "\n"))
    const outcome = yield* runCli(cli, ["batch", file, "--concurrency", String(concurrency), "--state", join(dir, "state"), ...common])
    yield* failIf(outcome.code !== 0, `batch at concurrency ${concurrency}`, outcome)
    const jobs = JSON.parse(outcome.stdout) as ReadonlyArray<{ status: string; seconds: number; peakRssMb?: number }>
    const finished = jobs.filter((j) => j.status === "finished")
    const readAhead = /at most (\d+) jobs read and not yet finished/.exec(outcome.stderr)?.[1]
    const figures = {
      concurrency,
      jobs: jobs.length,
      finished: finished.length,
      wall_s: round3(outcome.wall),
      jobs_per_minute: round3((finished.length / outcome.wall) * 60),
      peak_rss_mb: Math.max(...finished.map((j) => j.peakRssMb ?? 0)),
      // maxRSS only grows, so the reports sorted are in finishing order: the peak after the first tenth of the jobs, to compare.
      peak_rss_mb_first_tenth: finished.map((j) => j.peakRssMb ?? 0).sort((a, b) => a - b)[Math.floor(finished.length / 10)] ?? null,
      ratio: round3(outcome.wall / sumSingle),
      ratio_in_process: round3(outcome.wall / sumInProcess),
      mean_job_s: round3(finished.reduce((s, j) => s + j.seconds, 0) / finished.length),
      max_read_ahead: readAhead === undefined ? null : Number(readAhead)
    }
    // Each batch's figures as they come, on stderr: a run cut short still tells something.
    console.error(JSON.stringify(figures))
    batches.push(figures)
  }
  return {
    bench: "batch",
    ffmpeg: yield* ffmpegVersion(),
    cpus: cpus().length,
    load_average_1m: round3(loadavg()[0]!),
    cli: cli.how,
    jobs: JOBS,
    output_size: SIZE,
    fps: FPS,
    encoder: "libx264",
    singles: {
      sampled: singles.length,
      mean_wall_s: round3(meanSingle),
      mean_in_process_s: round3(meanInProcess),
      sum_single_s: round3(sumSingle),
      sum_single_in_process_s: round3(sumInProcess),
      runs: singles.map((s) => ({ job: s.job, wall_s: round3(s.wall), in_process_s: round3(s.inProcess) }))
    },
    batches,
    peak_rss_whose: "the batch's node process alone: process.resourceUsage().maxRSS, reported per job by `batch --json`; children excluded"
  }
})

Effect.runPromise(main).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error)
    process.exitCode = 1
  }
)
