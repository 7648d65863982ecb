import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { execFile } from "node:child_process"
import { mkdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"
import { VideoSwarmEvent } from "../../../agents/index.ts"
import { productionLayer } from "../../../agents/production/environment.ts"
import type { JobSpec } from "../../../agents/production/job.ts"
import type { TopologyChoice } from "../../../agents/production/video-swarm.ts"
import { ProduceVideo, reportPath } from "../../../agents/production/workflow.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import { EventLog } from "../../../memory/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, tinyJob } from "./library-fixture.ts"

const tempDir = scopedTempDir("production")

const spec = (dir: string, output: string): JobSpec => tinyJob(dir, { output: { path: output, captions: "lines" }, segments: 2 })

/** One run in its own environment, as a fresh process would have it. */
const run = (dir: string, database: string, topology: TopologyChoice, output: string) =>
  Effect.scoped(
    Effect.gen(function*() {
      const report = yield* ProduceVideo.execute(spec(dir, output))
      const log = yield* EventLog
      const page = yield* log.query({ limit: 10_000 })
      return { report, events: page.events }
    }).pipe(Effect.provide(productionLayer({ database, topology, encoders: [{}, {}], pollInterval: "100 millis" })))
  )

/** Duration of each stream, by type, as ffprobe reports it. */
const streamDurations = (file: string) =>
  Effect.promise(async () => {
    const { stdout } = await promisify(execFile)("ffprobe", [
      "-v",
      "error",
      "-show_entries",
      "stream=codec_type,duration",
      "-of",
      "json",
      file
    ])
    const streams = JSON.parse(stdout).streams as Array<{ codec_type: string; duration: string }>
    return Object.fromEntries(streams.map((s) => [s.codec_type, Number(s.duration)]))
  })

/** Mean absolute difference of the bottom third of a frame (where captions sit) between two videos. */
const captionAreaDifference = (a: string, b: string, at: number) =>
  Effect.map(
    runFfmpeg(
      {
        args: [
          "-ss",
          String(at),
          "-i",
          a,
          "-ss",
          String(at),
          "-i",
          b,
          "-filter_complex",
          "[0:v]crop=iw:ih/3:0:ih*2/3[x];[1:v]crop=iw:ih/3:0:ih*2/3[y];[x][y]blend=all_mode=difference,format=gray,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-",
          "-frames:v",
          "1",
          "-f",
          "null",
          "-"
        ]
      },
      { captureStdout: true }
    ),
    (r) => Number(/YAVG=([\d.]+)/.exec(String(r.stdout))?.[1] ?? "NaN")
  )

const frameHashes = (file: string) =>
  Effect.map(
    runFfmpeg({ args: ["-i", file, "-map", "0:v", "-f", "framemd5", "-"] }, { captureStdout: true }),
    (r) => String(r.stdout).split("\n").filter((line) => !line.startsWith("#")).map((line) => line.split(",").pop()!.trim())
  )

describe("the production workflow (SingleRunner + SQLite, five agents, real ffmpeg and espeak-ng)", () => {
  it.scopedLive("produces the MP4 and its report; the same job again is answered from the workflow's record; star equals mesh", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => mkdir(join(dir, "footage")))
      yield* makeLibrary(join(dir, "footage"))

      const starOut = join(dir, "out", "star.mp4")
      const first = yield* run(dir, join(dir, "star.db"), "star", starOut)
      expect(first.report.output).toBe(starOut)
      expect(first.report.shots.map((s) => s.clip.path.split("/").pop())).toEqual(["mandelbrot.mp4", "life.mp4"])
      // The director cut each scene after narration; one matching clip per scene gives it one pick.
      expect(first.report.scenes.every((s) => (s.shots?.length ?? 0) >= 1)).toBe(true)
      expect(first.report.shots.map((s) => [s.scene, s.shot, s.startSec])).toEqual([[0, 0, 0], [1, 0, 0]])
      expect(first.report.skipped).toEqual([])
      const info = yield* probe(starOut, { countFrames: true })
      expect([info.width, info.height, info.hasAudio]).toEqual([180, 320, true])
      expect(Math.abs(info.duration - first.report.narration.durationSec)).toBeLessThan(0.15)
      const durations = yield* streamDurations(starOut)
      expect(Math.abs(durations["video"]! - durations["audio"]!)).toBeLessThanOrEqual(1 / 15)

      const written = JSON.parse(yield* Effect.promise(() => readFile(reportPath(starOut), "utf8")))
      expect(written.job).toBe(first.report.job)
      expect(written.shots[0].reasons.length).toBeGreaterThan(0)
      expect(written.skipped).toEqual([])
      expect(Object.keys(written.stages).sort()).toEqual(
        ["fetch", "footage", "narration", "plan", "render", "scenes", "script", "shots"].sort()
      )

      // Every event the swarm published decodes with the one union, strictly: no field its kind does not define.
      const decode = Schema.decodeUnknownEither(VideoSwarmEvent, { onExcessProperty: "error" })
      const undecodable = first.events.flatMap((e) =>
        Either.match(decode(e), { onLeft: (error) => [`${e.type}: ${error.message}`], onRight: () => [] })
      )
      expect(undecodable).toEqual([])
      expect([...new Set(first.events.map((e) => e.type))]).toEqual(expect.arrayContaining([
        "spawned",
        "stage-started",
        "stage-finished",
        "shot-picked",
        "render-started",
        "part-encoded",
        "encode-progress",
        "render-finished",
        "heartbeat"
      ]))

      const started = (events: ReadonlyArray<{ type: string }>) => events.filter((e) => e.type === "stage-started").length
      expect(started(first.events)).toBe(9)
      expect(first.events.filter((e) => e.type === "shot-picked")).toHaveLength(2)

      const again = yield* run(dir, join(dir, "star.db"), "star", starOut)
      expect(again.report).toEqual(first.report)
      expect(started(again.events)).toBe(9)

      const meshOut = join(dir, "out", "mesh.mp4")
      const viaMesh = yield* run(dir, join(dir, "mesh.db"), "mesh", meshOut)
      expect(viaMesh.report.scenes).toEqual(first.report.scenes)
      expect(viaMesh.report.shots).toEqual(first.report.shots)
      expect(yield* frameHashes(meshOut)).toEqual(yield* frameHashes(starOut))

      // The same job without captions differs exactly where captions are burned in.
      const bareOut = join(dir, "out", "bare.mp4")
      yield* Effect.scoped(
        ProduceVideo.execute({ ...spec(dir, bareOut), output: { ...spec(dir, bareOut).output, captions: "none" } }).pipe(
          Effect.provide(productionLayer({ database: join(dir, "star.db"), topology: "star", pollInterval: "100 millis" }))
        )
      )
      const firstWord = first.report.narration.words[0]!
      expect(yield* captionAreaDifference(starOut, bareOut, (firstWord.start + firstWord.end) / 2)).toBeGreaterThan(1)
    }))
})
