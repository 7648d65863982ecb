import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Exit, Fiber, Stream } from "effect"
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { type FfmpegProgress, ffmpegProgress, runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"

const dir = suiteTempDir("ffmpeg")

const testClip = (seconds: number) => ["-f", "lavfi", "-i", `testsrc=size=180x320:rate=25:duration=${seconds}`]

/** ffmpeg children of this process, zombies included ([pid, state]). */
const ffmpegChildren = async (): Promise<Array<[number, string]>> => {
  const found: Array<[number, string]> = []
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "")
    const m = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat)
    if (m !== null && m[1] === "ffmpeg" && Number(m[3]) === process.pid) found.push([Number(entry), m[2]!])
  }
  return found
}

describe("ffmpeg runner", () => {
  it.effect("writes the output under its final name and reports progress", () =>
    Effect.gen(function*() {
      const output = join(dir(), "ok.mp4")
      const seen: Array<FfmpegProgress> = []
      yield* runFfmpeg(
        { args: [...testClip(2), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], output },
        { onProgress: (p) => seen.push(p) }
      )
      const info = yield* probe(output, { countFrames: true })
      expect(info).toMatchObject({ width: 180, height: 320, fps: 25, frames: 50, codec: "h264", hasAudio: false, isImage: false })
      expect(seen.at(-1)).toMatchObject({ frame: 50 })
      expect(seen.at(-1)!.outTimeSeconds).toBeGreaterThan(1.9)
      expect((yield* Effect.promise(() => readdir(dir()))).filter((f) => f.includes("partial"))).toEqual([])
    }))

  it.effect("fails with FfmpegError carrying the arguments and the stderr tail, leaving no file", () =>
    Effect.gen(function*() {
      const output = join(dir(), "broken.mp4")
      const error = yield* Effect.flip(runFfmpeg({ args: ["-i", join(dir(), "missing.mov"), "-c:v", "libx264"], output }))
      expect(error._tag).toBe("FfmpegError")
      expect(error.reason).toBe("exit")
      expect(error.exitCode).toBe(1)
      expect(error.stderrTail).toContain("No such file or directory")
      expect(error.args).toContain(join(dir(), "missing.mov"))
      const files = yield* Effect.promise(() => readdir(dir()))
      expect(files.filter((f) => f.includes("broken"))).toEqual([])
    }))

  it.live("interrupting an encode kills ffmpeg, reaps it and leaves no file under the final name", () =>
    Effect.gen(function*() {
      const output = join(dir(), "interrupted.mp4")
      const started = yield* Deferred.make<void>()
      // -re paces the input in real time, so this would run for 10 minutes.
      const fiber = yield* runFfmpeg(
        { args: ["-re", ...testClip(600), "-c:v", "libx264", "-preset", "ultrafast"], output },
        { onProgress: () => Deferred.unsafeDone(started, Exit.void) }
      ).pipe(Effect.fork)
      yield* Deferred.await(started)
      expect(yield* Effect.promise(ffmpegChildren)).toHaveLength(1)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(yield* Effect.promise(ffmpegChildren)).toEqual([])
      const files = yield* Effect.promise(() => readdir(dir()))
      expect(files.filter((f) => f.includes("interrupted"))).toEqual([])
    }))

  it.live("a progress stream whose consumer stops early stops ffmpeg", () =>
    Effect.gen(function*() {
      const output = join(dir(), "stream.mp4")
      const first = yield* ffmpegProgress({ args: ["-re", ...testClip(600), "-c:v", "libx264", "-preset", "ultrafast"], output }).pipe(
        Stream.take(2),
        Stream.runCollect
      )
      expect(Chunk.size(first)).toBe(2)
      expect(yield* Effect.promise(ffmpegChildren)).toEqual([])
      expect((yield* Effect.promise(() => readdir(dir()))).filter((f) => f.includes("stream"))).toEqual([])
    }))
})

describe("probe", () => {
  it.effect("reads rotation, still images and audio", () =>
    Effect.gen(function*() {
      const upright = join(dir(), "upright.mp4")
      const rotated = join(dir(), "rotated.mp4")
      yield* runFfmpeg({
        args: [...testClip(1), "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "libx264", "-preset", "ultrafast", "-shortest"],
        output: upright
      })
      // A phone-style clip: the pixels stay 180x320, the container says "turn by 90 degrees".
      yield* runFfmpeg({ args: ["-i", upright, "-c", "copy", "-metadata:s:v:0", "rotate=90"], output: rotated })
      expect(yield* probe(rotated)).toMatchObject({ rotation: 90, width: 320, height: 180, hasAudio: true, audioCodec: "aac" })
      const still = join(dir(), "still.png")
      yield* runFfmpeg({ args: ["-f", "lavfi", "-i", "color=c=red:s=64x48", "-frames:v", "1"], output: still })
      expect(yield* probe(still)).toMatchObject({ isImage: true, width: 64, height: 48, duration: 0, frames: 1, codec: "png" })
    }))

  it.effect("fails with ProbeError naming the file for missing or corrupt input", () =>
    Effect.gen(function*() {
      const corrupt = join(dir(), "corrupt.mp4")
      yield* Effect.promise(() => writeFile(corrupt, "this is not a video"))
      for (const file of [corrupt, join(dir(), "nowhere.mp4")]) {
        const error = yield* Effect.flip(probe(file))
        expect(error._tag).toBe("ProbeError")
        expect(error.file).toBe(file)
        expect(error.message).toContain(file)
      }
    }))
})
