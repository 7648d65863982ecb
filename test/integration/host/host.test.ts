/**
 * The job host behind `reelswarm serve`, on a real production layer over a temp state directory:
 * real ffmpeg, espeak-ng and SQLite. Jobs are tiny (160x284 at 10 fps, no captions) unless a test
 * needs a render long enough to catch it running.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdir, readdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { jobId } from "../../../agents/index.ts"
import { markPending } from "../../../apps/cli/run-job.ts"
import {
  hostDirs,
  type JobDetail,
  JobHost,
  type JobHostService,
  type JobRequest,
  type JobState,
  layer,
  toJobSpec
} from "../../../apps/host/index.ts"
import { probe } from "../../../media/probe.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, SCRIPT } from "../agents/library-fixture.ts"

const tempDir = scopedTempDir("host")

/** A state directory and a footage folder beside it. */
const setUp = Effect.gen(function*() {
  const dir = yield* tempDir
  const footage = join(dir, "footage")
  yield* Effect.promise(() => mkdir(footage))
  yield* makeLibrary(footage)
  return { state: join(dir, "state"), footage, dir }
})

const tiny = (footage: string, script = SCRIPT): JobRequest =>
  ({
    script,
    footage,
    size: "160x284",
    fps: 10,
    captions: "none",
    encoder: "libx264",
    voice: "en",
    aspect: "9:16",
    captionPosition: "bottom",
    voiceRate: 1,
    musicVolume: 0.2,
    segments: 1,
    seed: "1",
    loudness: -14,
    qc: false
  }) satisfies JobRequest

/** A job whose render is long enough to be caught running. */
const bigJob = (footage: string): JobRequest => {
  const long = Array.from({ length: 6 }, (_, i) => `Fractal number ${i + 1} repeats its shapes at every scale, again and again.`)
    .join("\n\n")
  return { ...tiny(footage, long), size: "360x640", fps: 30 }
}

/** A host on `state` for the scope. */
const openHost = (state: string, concurrency = 1) =>
  Effect.map(
    Layer.build(layer({ state, topology: "star", concurrency, encoderSlots: 1 })),
    (context) => Context.get(context, JobHost)
  )

/** The job once `ready` holds (looked at every 100 ms: the outcome does not depend on how long it takes). */
const when = (host: JobHostService, id: string, ready: (job: JobDetail) => boolean) =>
  host.get(id).pipe(
    Effect.filterOrFail(ready, () => "not yet" as const),
    Effect.retry({ while: (error) => error === "not yet", schedule: Schedule.spaced("100 millis") })
  )

const whenIn = (host: JobHostService, id: string, states: ReadonlyArray<JobState>) => when(host, id, (job) => states.includes(job.state))

/** The ffmpeg processes this test process started and that still run, each as its pid and command line. */
const ffmpegChildren = () => {
  try {
    return execFileSync("ps", ["-o", "pid=,comm=,args=", "--ppid", String(process.pid)], { encoding: "utf8" })
      .split("\n").filter((line) => /^\s*\d+\s+ffmpeg\b/.test(line))
  } catch {
    return []
  }
}

/** Holds once `condition` does, looked at every 100 ms for at most `seconds`: a generous deadline, not a sleep. */
const eventually = (condition: () => boolean, seconds = 60) =>
  Effect.suspend(() => (condition() ? Effect.void : Effect.fail("not yet" as const))).pipe(
    Effect.retry({ schedule: Schedule.spaced("100 millis"), times: seconds * 10 })
  )

describe("job host", () => {
  it.scopedLive("runs a submitted job to its video, report, thumbnails, stage timeline and render parts; the same request is one job", () =>
    Effect.gen(function*() {
      const { footage, state } = yield* setUp
      const host = yield* openHost(state)
      const request = tiny(footage)
      const submitted = yield* host.submit(request)
      expect(submitted.state).toBe("queued")
      // Written before it was acknowledged.
      expect(existsSync(join(state, "jobs", `${submitted.id}.json`))).toBe(true)
      const again = yield* host.submit(request)
      expect(again.id).toBe(submitted.id)

      const done = yield* whenIn(host, submitted.id, ["done", "failed"])
      expect(done.failure).toBeUndefined()
      expect(done.state).toBe("done")
      expect(done.progress).toBe(1)
      expect(done.title).toBe("Fractals repeat the same shapes forever…")
      expect(done.stages.map((s) => [s.stage, s.state, s.attempts]).sort()).toEqual(
        ["fetch", "footage", "narration", "plan", "render", "report", "scenes", "script", "shots"].map((s) => [s, "done", 1])
      )
      expect(done.parts).toEqual([{ kind: "single-pass", index: 0, agent: expect.stringMatching(/encoder/), encoder: "libx264" }])
      expect(done.report?.scenes.length).toBe(2)

      const files = yield* host.files(submitted.id)
      expect(files.video).toBe(join(state, "outputs", files.video.split("/").at(-2)!, "video.mp4"))
      const video = yield* probe(files.video, { countFrames: true })
      expect([video.width, video.height, video.hasAudio]).toEqual([160, 284, true])
      expect(existsSync(files.report)).toBe(true)
      expect(files.thumbnails).toHaveLength(2)
      for (const thumbnail of files.thumbnails) {
        const image = yield* probe(thumbnail)
        expect([image.width, image.height]).toEqual([270, 480])
      }
      // The job ran once: its file is gone, a third submission answers with the finished job.
      expect(yield* Effect.promise(() => readdir(join(state, "jobs")))).toEqual([])
      expect((yield* host.submit(request)).state).toBe("done")
      expect((yield* host.list()).total).toBe(1)

      yield* host.remove(submitted.id)
      expect(existsSync(files.video)).toBe(false)
      expect(yield* Effect.flip(host.get(submitted.id))).toMatchObject({ _tag: "JobNotFoundError" })
    }))

  it.scopedLive("refuses a request that cannot run, naming the field, before anything is written", () =>
    Effect.gen(function*() {
      const { dir, footage, state } = yield* setUp
      const host = yield* openHost(state)
      const { script: _script, ...noScript } = tiny(footage)
      const bad: Array<[string, JobRequest]> = [
        ["script", noScript],
        ["script", { ...tiny(footage), topic: "fractals" }],
        ["footage", { ...tiny(footage), footage: join(dir, "missing") }],
        ["music", { ...tiny(footage), music: "../../etc/passwd" }],
        ["music", { ...tiny(footage), music: "sub/song.mp3" }],
        ["voice", { ...tiny(footage), voice: "zz-nonsense" }],
        ["size", { ...tiny(footage), size: "161x284" }]
      ]
      for (const [field, request] of bad) {
        const refused = yield* Effect.flip(host.submit(request))
        expect([refused._tag, refused.field], refused.message).toEqual(["JobRequestError", field])
      }
      expect(existsSync(join(state, "jobs")) ? yield* Effect.promise(() => readdir(join(state, "jobs"))) : []).toEqual([])
      expect((yield* host.list()).total).toBe(0)
    }))

  it.scopedLive("a request without footage gets the server's uploaded footage, else the sample library; music by name is an upload", () =>
    Effect.gen(function*() {
      const { dir, footage, state } = yield* setUp
      const { footage: _footage, ...anywhere } = tiny(footage)
      const out = join(dir, "out", "video.mp4")
      const samples = yield* toJobSpec(anywhere, { state, out })
      expect(samples.footage).toMatchObject({ _tag: "Samples", dir: join(state, "samples") })

      const uploaded = hostDirs(state)
      yield* Effect.promise(() => mkdir(uploaded.footage, { recursive: true }))
      yield* makeLibrary(uploaded.footage)
      yield* Effect.promise(() => mkdir(uploaded.music, { recursive: true }))
      yield* Effect.promise(() => writeFile(join(uploaded.music, "calm.mp3"), "music"))
      const spec = yield* toJobSpec({ ...anywhere, music: "calm.mp3", musicVolume: 0.5 }, { state, out })
      expect(spec.footage).toEqual({ _tag: "Folder", dir: uploaded.footage })
      expect(spec.output.music).toEqual({ path: join(uploaded.music, "calm.mp3"), volume: 0.5 })
      const missing = yield* Effect.flip(toJobSpec({ ...anywhere, music: "loud.mp3" }, { state, out }))
      expect(missing.field).toBe("music")
    }))

  it.scopedLive("cancels a queued job and one caught rendering: its ffmpeg stops, its video is never written, the next job runs, and neither cancelled job runs again after a restart", () =>
    Effect.gen(function*() {
      const { footage, state } = yield* setUp
      const big = bigJob(footage)
      const [running, queued, next] = yield* Effect.scoped(Effect.gen(function*() {
        const host = yield* openHost(state)
        const running = yield* host.submit(big)
        const queued = yield* host.submit(tiny(footage))
        expect((yield* host.cancel(queued.id)).state).toBe("cancelled")

        // The render's ffmpeg writes into the job's output folder, `<outputs>/<key>/`.
        const outputs = hostDirs(state).outputs
        const ofJob = (line: string) => new RegExp(`${outputs}/([^/ ]+)/`).exec(line)?.[1]
        yield* when(
          host,
          running.id,
          (job) => job.stages.some((s) => s.stage === "render" && s.state === "running") && ffmpegChildren().some(ofJob)
        )
        const key = ffmpegChildren().map(ofJob).find((k) => k !== undefined)!
        expect((yield* host.cancel(running.id)).state).toBe("cancelled")
        expect(existsSync(join(state, "jobs", `${running.id}.json`))).toBe(false)
        expect(yield* Effect.flip(host.cancel(running.id))).toMatchObject({ _tag: "JobStateError" })

        // Its ffmpeg children are stopped, and its video never appears.
        yield* eventually(() => !ffmpegChildren().some((line) => ofJob(line) === key))
        expect(existsSync(join(outputs, key, "video.mp4"))).toBe(false)
        expect((yield* host.get(running.id)).state).toBe("cancelled")

        // The swarm is free for the next job.
        const next = yield* host.submit(tiny(footage, "Cells on a grid live and die by counting their neighbours."))
        const done = yield* whenIn(host, next.id, ["done", "failed"])
        expect([done.state, done.failure]).toEqual(["done", undefined])
        expect(existsSync(join(outputs, key, "video.mp4"))).toBe(false)
        return [running.id, queued.id, next.id] as const
      }))
      expect(yield* Effect.promise(() => readdir(join(state, "jobs")))).toEqual([])

      const host = yield* openHost(state)
      const after = yield* host.list()
      expect(after.jobs.map((j) => [j.id, j.state]).sort()).toEqual([[running, "cancelled"], [queued, "cancelled"], [next, "done"]].sort())
      expect(yield* Effect.promise(() => readdir(join(state, "jobs")))).toEqual([])
    }))

  it.scopedLive("closing the host while a job renders stops its ffmpeg at once; the next host renders it again and finishes it", () =>
    Effect.gen(function*() {
      const { footage, state } = yield* setUp
      const id = yield* Effect.scoped(Effect.gen(function*() {
        const host = yield* openHost(state)
        const running = yield* host.submit(bigJob(footage))
        yield* when(
          host,
          running.id,
          (job) => job.stages.some((s) => s.stage === "render" && s.state === "running") && ffmpegChildren().length > 0
        )
        return running.id
      }))
      // The close did not wait for the render: no ffmpeg is left, and the job is still pending.
      expect(ffmpegChildren()).toEqual([])
      expect(existsSync(join(state, "jobs", `${id}.json`))).toBe(true)

      const restarted = Date.now()
      const host = yield* openHost(state)
      const resumed = yield* whenIn(host, id, ["done", "failed"])
      expect([resumed.state, resumed.failure]).toEqual(["done", undefined])
      // Every stage is recorded done, the ones the engine resumed before this host queued the job again too.
      expect(resumed.stages.filter((s) => s.state !== "done")).toEqual([])
      const stage = (name: string) => resumed.stages.find((s) => s.stage === name)
      expect(stage("plan")?.finishedAt).toBeLessThan(restarted)
      // Its render (seconds of work) was stopped, not waited for and recorded: it ran again here.
      expect(stage("render")?.startedAt).toBeGreaterThan(restarted)
    }))

  it.scopedLive("resumes on restart every job it accepted: one running when the server stopped, one the CLI left pending", () =>
    Effect.gen(function*() {
      const { footage, state } = yield* setUp
      const first = tiny(footage)
      const id = yield* Effect.scoped(Effect.gen(function*() {
        const host = yield* openHost(state)
        const submitted = yield* host.submit(first)
        // The first stage done: the rest (narration, scenes, shots, the render …) is seconds of work still to do.
        yield* when(host, submitted.id, (job) => job.stages.some((s) => s.stage === "script" && s.state === "done"))
        return submitted.id
      }))
      // Stopped unfinished: its file is still pending.
      expect(existsSync(join(state, "jobs", `${id}.json`))).toBe(true)
      // A job written as `reelswarm run` writes it, before it waited for the lock.
      const spec = yield* toJobSpec(tiny(footage, "Cells on a grid live and die by counting their neighbours."), {
        state,
        out: join(state, "cli", "cells.mp4")
      })
      yield* Effect.orDie(markPending(state, spec, "star"))

      const restarted = Date.now()
      const host = yield* openHost(state)
      const resumed = yield* whenIn(host, id, ["done", "failed"])
      expect([resumed.state, resumed.failure]).toEqual(["done", undefined])
      // The stage finished before the restart was not run again; the render ran after it.
      const stage = (name: string) => resumed.stages.find((s) => s.stage === name)
      expect(stage("script")?.finishedAt).toBeLessThan(restarted)
      expect(stage("render")?.startedAt).toBeGreaterThan(restarted)
      const cli = yield* whenIn(host, jobId(spec), ["done", "failed"])
      expect([cli.state, cli.failure]).toEqual(["done", undefined])
      expect(cli.request.script).toBe("Cells on a grid live and die by counting their neighbours.")
      const video = yield* probe(join(state, "cli", "cells.mp4"))
      expect([video.width, video.height]).toEqual([160, 284])
      expect(yield* Effect.promise(() => readdir(join(state, "jobs")))).toEqual([])
    }))
})
