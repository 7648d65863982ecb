/**
 * The hand-written one-command ffmpeg reference the benches compare against: the same timeline as
 * a render plan (same shots, same frame counts, same captions and narration) written as a single
 * ffmpeg command: trim, scale/crop, concat, captions, loudness-normalised narration, libx264.
 */
import { Effect } from "effect"
import { execFile, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"
import { runFfmpeg } from "../media/ffmpeg.ts"
import { sampleGraph } from "../media/index.ts"
import type { RenderPlan } from "../media/timeline.ts"
import { sampleTree, type TreeMemory } from "./tree-rss.ts"

export interface ReferenceSettings {
  /** libx264 preset, e.g. "veryfast" (the compiler's default). */
  readonly preset: string
  readonly crf: number
}

/** The reference's ffmpeg arguments, without the output file. */
export const referenceArgs = (plan: RenderPlan, settings: ReferenceSettings): Array<string> => {
  const { width, height, fps, captions } = plan.input.output
  const inputs = plan.scenes.flatMap((s) => {
    const seconds = ((s.frames + 2) / fps).toFixed(3)
    // A sample clip is its lavfi source, as the render generates it.
    return s.shot.kind === "lavfi"
      ? ["-f", "lavfi", "-t", seconds, "-i", sampleGraph(s.shot.path, { ...s.shot.media, durationSec: s.shot.media.duration })]
      : ["-ss", "0", "-t", seconds, "-i", s.shot.path]
  })
  const chains = plan.scenes.map((s, i) =>
    `[${i}:v]fps=${fps},scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1,trim=end_frame=${s.frames}[v${i}]`
  )
  const n = plan.scenes.length
  const filter = [
    ...chains,
    `${plan.scenes.map((_, i) => `[v${i}]`).join("")}concat=n=${n}:v=1:a=0${
      captions === undefined ? "" : `,subtitles=filename=${captions}`
    },format=yuv420p[v]`,
    `[${n}:a]loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000,apad,atrim=end=${plan.durationSeconds.toFixed(6)}[a]`
  ].join(";")
  return [
    ...inputs,
    "-i",
    plan.input.output.narration.path,
    "-filter_complex",
    filter,
    "-map",
    "[v]",
    "-map",
    "[a]",
    "-frames:v",
    String(plan.totalFrames),
    "-c:v",
    "libx264",
    "-preset",
    settings.preset,
    "-crf",
    String(settings.crf),
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-b:a",
    "192k",
    "-ar",
    "48000",
    "-ac",
    "2",
    "-movflags",
    "+faststart"
  ]
}

/** A footage clip drawn from an ffmpeg lavfi source (H.264, CRF 20): what both benchmarks feed the swarm. */
export const lavfiClip = (source: string, seconds: number, output: string) =>
  runFfmpeg({
    args: [
      "-f",
      "lavfi",
      "-i",
      source,
      "-t",
      String(seconds),
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-crf",
      "20",
      "-pix_fmt",
      "yuv420p"
    ],
    output
  })

/** A benchmark's footage clip: its lavfi source and the tags its sidecar gives it. */
export interface TaggedClip {
  readonly name: string
  readonly source: string
  readonly tags: ReadonlyArray<string>
}

/** `dir/<name>.mp4` and its tag sidecar for each clip, drawn from lavfi once and kept for later runs. */
export const ensureTaggedClips = (dir: string, clips: ReadonlyArray<TaggedClip>, seconds: number) =>
  Effect.forEach(
    clips,
    ({ name, source, tags }) => {
      const file = join(dir, `${name}.mp4`)
      if (existsSync(file) && existsSync(`${file}.json`)) return Effect.void
      return lavfiClip(source, seconds, file).pipe(
        Effect.zipRight(Effect.promise(() => writeFile(`${file}.json`, JSON.stringify({ tags }))))
      )
    },
    { discard: true }
  )

/** The CLI as a command line: the esbuild bundle (what `npm run build` ships) in `dist`, run by node; else tsx on the sources. */
export const buildCli = (dist: string) =>
  Effect.promise(async () => {
    const bundle = join(dist, "cli.mjs")
    const built = await promisify(execFile)(process.execPath, ["scripts/bundle-cli.mjs", bundle]).then(() => true, () => false)
    return built
      ? { how: "node (esbuild bundle)", command: process.execPath, args: [bundle] }
      : { how: "tsx", command: "npx", args: ["tsx", "apps/cli/main.ts"] }
  })

/**
 * CPU seconds of this process's finished, reaped children and their reaped descendants (cutime +
 * cstime in /proc/self/stat): far less disturbed than wall time by other work on a shared machine.
 * Linux only; NaN elsewhere.
 */
export const childCpuSeconds = (): number => {
  if (!existsSync("/proc/self/stat")) return NaN
  const stat = readFileSync("/proc/self/stat", "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[13]) + Number(fields[14])) / 100
}

export interface ChildRun {
  /** Seconds from spawn to exit. */
  readonly wall: number
  /** CPU seconds of the child and everything under it. */
  readonly cpu: number
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** The child's process tree's memory, sampled while it ran (see tree-rss.ts). */
  readonly memory: TreeMemory
}

/** Runs `command args` to its end (never fails: the exit code is in the result). */
export const runChild = (command: string, args: ReadonlyArray<string>) =>
  Effect.promise(
    () =>
      new Promise<ChildRun>((done) => {
        const start = performance.now()
        const cpuStart = childCpuSeconds()
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] })
        const sampler = child.pid === undefined ? undefined : sampleTree(child.pid)
        const out: Array<Buffer> = []
        const err: Array<Buffer> = []
        child.stdout.on("data", (b: Buffer) => out.push(b))
        child.stderr.on("data", (b: Buffer) => err.push(b))
        // A command that cannot be spawned (ENOENT, EACCES) ends as a failed run with the reason, not a crash.
        child.on("error", (error) => err.push(Buffer.from(`cannot run ${command}: ${error.message}\n`)))
        child.on("close", (code) => {
          const memory = sampler?.stop() ?? { treePeakMb: 0, processPeakMb: {}, processes: {}, samples: 0 }
          done({
            wall: (performance.now() - start) / 1000,
            cpu: childCpuSeconds() - cpuStart,
            code,
            stdout: Buffer.concat(out).toString(),
            stderr: Buffer.concat(err).toString(),
            memory
          })
        })
      })
  )

/** `runChild`, failing the bench with the command's last stderr when it exits non-zero. */
export const runChildOrDie = (what: string, command: string, args: ReadonlyArray<string>) =>
  Effect.flatMap(
    runChild(command, args),
    (run) => (run.code === 0 ? Effect.succeed(run) : Effect.dieMessage(`${what} exited ${run.code}: ${run.stderr.slice(-2000)}`))
  )
