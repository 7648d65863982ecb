import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { type EncoderSpec, withEncoderFallback } from "../../../media/encoders.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import { planRender, render, renderSegment, renderSinglePass } from "../../../media/timeline.ts"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"
import { CAPTIONS_NAME, type Fixtures, makeFixtures } from "./timeline-fixtures.ts"

const tempDir = suiteTempDir("timeline")
let fx: Fixtures
beforeAll(async () => {
  fx = await Effect.runPromise(makeFixtures(tempDir()))
})

const out = (name: string) => join(fx.dir, name)
const captions = () => join(fx.dir, CAPTIONS_NAME)
const transition = { kind: "fade", duration: 0.2 }

/** Per-frame timestamps and MD5s of the decoded video. */
const frameHashes = (file: string) =>
  Effect.gen(function*() {
    const list = `${file}.framemd5`
    yield* runFfmpeg({ args: ["-i", file, "-map", "0:v:0", "-f", "framemd5"], output: list })
    const text = yield* Effect.promise(() => readFile(list, "utf8"))
    return text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => {
      const f = l.split(",").map((c) => c.trim())
      return `${f[2]} ${f[5]}`
    })
  })

/** Frame `n` as 8-bit luma, width x height bytes. */
const lumaOfFrame = (file: string, n: number) =>
  Effect.gen(function*() {
    const raw = `${file}.${n}.gray`
    yield* runFfmpeg({
      args: ["-i", file, "-vf", `select=eq(n\\,${n})`, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray"],
      output: raw
    })
    return yield* Effect.promise(() => readFile(raw))
  })

const meanAbsDiff = (a: Buffer, b: Buffer, fromRow: number, toRow: number, width: number) => {
  let sum = 0
  for (let i = fromRow * width; i < toRow * width; i++) sum += Math.abs(a[i]! - b[i]!)
  return sum / ((toRow - fromRow) * width)
}

/** ffmpeg children of this process, zombies included. */
const ffmpegChildren = async () => {
  const found: Array<string> = []
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const m = /^\d+ \((.*)\) (\S) (\d+)/.exec(await readFile(`/proc/${entry}/stat`, "utf8").catch(() => ""))
    if (m !== null && m[1] === "ffmpeg" && Number(m[3]) === process.pid) found.push(entry)
  }
  return found
}

describe("timeline render", () => {
  it.effect("a single pass lasts the narration to within one frame and has exactly the planned frames", () =>
    Effect.gen(function*() {
      const plan = yield* planRender(
        fx.input({ path: out("single.mp4"), captions: captions(), transition, music: { path: out("music.wav") } })
      )
      expect(plan.totalFrames).toBe(61) // round(2.43 s * 25)
      yield* renderSinglePass(plan)
      const info = yield* probe(plan.files.output, { countFrames: true })
      expect(info).toMatchObject({ width: 180, height: 320, fps: 25, frames: 61, hasAudio: true, codec: "h264", audioCodec: "aac" })
      expect(Math.abs(info.duration - fx.narrationSeconds)).toBeLessThanOrEqual(1 / 25)
    }))

  it.effect("burns the captions into the picture (pixels change in the caption area only)", () =>
    Effect.gen(function*() {
      const withCaptions = yield* planRender(fx.input({ path: out("captioned.mp4"), captions: captions() }))
      const without = yield* planRender(fx.input({ path: out("plain.mp4") }))
      yield* Effect.all([renderSinglePass(withCaptions), renderSinglePass(without)])
      const [a, b] = yield* Effect.all([lumaOfFrame(withCaptions.files.output, 30), lumaOfFrame(without.files.output, 30)])
      expect(a.length).toBe(180 * 320)
      // The caption box sits at the bottom (alignment 2, margin 20, 40 px font): rows 250-300.
      expect(meanAbsDiff(a, b, 250, 300, 180)).toBeGreaterThan(20)
      expect(meanAbsDiff(a, b, 0, 200, 180)).toBe(0)
    }))

  it.effect("contain letterboxes a landscape clip in black; cover fills the frame", () =>
    Effect.gen(function*() {
      const base = fx.input({ path: out("contain.mp4") })
      const oneScene = (path: string, fit: "cover" | "contain") =>
        planRender({ ...base, scenes: base.scenes.slice(0, 1), shots: base.shots.slice(0, 1), output: { ...base.output, path, fit } })
      const contain = yield* oneScene(out("contain.mp4"), "contain")
      const cover = yield* oneScene(out("cover.mp4"), "cover")
      yield* Effect.all([renderSinglePass(contain), renderSinglePass(cover)])
      const [boxed, filled] = yield* Effect.all([lumaOfFrame(contain.files.output, 10), lumaOfFrame(cover.files.output, 10)])
      // 320x180 scaled into 180x320 is 180x101: black bands of about 109 rows above and below.
      const rows = (buf: Buffer, from: number, to: number) => buf.subarray(from * 180, to * 180)
      expect(Math.max(...rows(boxed, 0, 100))).toBeLessThanOrEqual(20)
      expect(Math.max(...rows(boxed, 225, 320))).toBeLessThanOrEqual(20)
      expect(Math.max(...rows(filled, 0, 100))).toBeGreaterThan(100)
    }))

  for (const k of [2, 3]) {
    it.effect(`${k} stitched segments decode to exactly the single pass's frames (no frame duplicated or dropped at a join)`, () =>
      Effect.gen(function*() {
        const settings = { captions: captions(), transition, music: { path: out("music.wav") } }
        const single = yield* planRender(fx.input({ path: out(`ref-${k}.mp4`), ...settings }))
        const split = yield* planRender(fx.input({ path: out(`stitched-${k}.mp4`), ...settings }), { segments: k })
        expect(split.segments).toHaveLength(k)
        yield* renderSinglePass(single)
        yield* render(split)
        const [ref, stitched] = yield* Effect.all([frameHashes(single.files.output), frameHashes(split.files.output)])
        expect(ref).toHaveLength(61)
        expect(stitched).toEqual(ref)
        const info = yield* probe(split.files.output)
        expect(info.hasAudio).toBe(true)
        expect(Math.abs(info.duration - fx.narrationSeconds)).toBeLessThanOrEqual(1 / 25)
        // Intermediate segments, audio and list are gone; only the output remains.
        expect(yield* Effect.promise(() => readdir(split.files.workDir))).not.toContain(`stitched-${k}.part-0.ts`)
      }))
  }

  it.live("an interrupted render leaves no ffmpeg process and no file under the final name", () =>
    Effect.gen(function*() {
      const base = fx.input({ path: out("interrupted.mp4") })
      // Ten minutes of screen time: far longer than the test waits.
      const plan = yield* planRender({ ...base, scenes: base.scenes.map((s) => ({ ...s, duration: 200 })) })
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(renderSinglePass(plan, { onProgress: () => Deferred.unsafeDone(started, Exit.void) }))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      expect(yield* Effect.promise(ffmpegChildren)).toEqual([])
      const files = yield* Effect.promise(() => readdir(fx.dir))
      expect(files.filter((f) => f.includes("interrupted"))).toEqual([])
    }))

  it.effect("a segment whose encoder fails is re-encoded with the next encoder of the chain", () =>
    Effect.gen(function*() {
      const plan = yield* planRender(fx.input({ path: out("fallback.mp4") }), { segments: 2 })
      // An encoder that fails the way a dead device does: ffmpeg cannot open it.
      const dead: EncoderSpec = { name: "h264_deadgpu", codec: "h264", family: "nvenc" }
      const software: EncoderSpec = { name: "libx264", codec: "h264", family: "software" }
      const tried: Array<string> = []
      const file = yield* withEncoderFallback([dead, software], (encoder) => {
        tried.push(encoder.name)
        return renderSegment(plan, 1, { encoder })
      })
      expect(tried).toEqual(["h264_deadgpu", "libx264"])
      const info = yield* probe(file, { countFrames: true })
      expect(info.frames).toBe(plan.segments[1]!.frames)
    }))
})
