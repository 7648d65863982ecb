/**
 * The footage index reads MP4/MOV/M4V clips from their headers, without ffprobe, and what it reads is
 * what ffprobe says: for a matrix of ffmpeg-made files (frame rates, audio or none, H.264 and H.265,
 * moov first or last, .mov, rotation, odd sizes). Anything unusual (truncated, fragmented, random
 * bytes, absurd or zero box sizes) is left to ffprobe, so the index still gives what ffprobe gives.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { indexFolder } from "../../../media/footage/index.ts"
import { factsFromMoov, readMp4Header } from "../../../media/footage/mp4-header.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { ffprobeFacts } from "./ffprobe-facts.ts"

const tempDir = scopedTempDir("mp4-header")

interface Recipe {
  readonly name: string
  readonly size: string
  readonly rate: string
  readonly seconds: number
  readonly audio?: boolean
  readonly codec?: ReadonlyArray<string>
  readonly extra?: ReadonlyArray<string>
}

const H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
/** the default preset: B-frames, so a ctts and an edit list that shifts the video */
const H264_BFRAMES = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
const H265 = ["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error"]

const RECIPES: ReadonlyArray<Recipe> = [
  { name: "h264-24-1920x1080.mp4", size: "1920x1080", rate: "24", seconds: 0.5 },
  {
    name: "h264-25-1080x1920-aac-faststart.mp4",
    size: "1080x1920",
    rate: "25",
    seconds: 0.6,
    audio: true,
    extra: ["-movflags", "+faststart"]
  },
  { name: "h264-30-720x404-aac.mov", size: "720x404", rate: "30", seconds: 1, audio: true },
  { name: "h264-60-320x240.m4v", size: "320x240", rate: "60", seconds: 0.5, extra: ["-f", "mp4"] },
  { name: "h264-ntsc-720x404-aac-bframes.mp4", size: "720x404", rate: "30000/1001", seconds: 1.2, audio: true, codec: H264_BFRAMES },
  { name: "h264-ntsc-640x360-faststart.mov", size: "640x360", rate: "30000/1001", seconds: 0.7, extra: ["-movflags", "+faststart"] },
  { name: "h265-25-720x404-aac.mp4", size: "720x404", rate: "25", seconds: 0.6, audio: true, codec: H265 },
  {
    name: "h265-30-320x180-hvc1-faststart.mp4",
    size: "320x180",
    rate: "30",
    seconds: 0.5,
    codec: H265,
    extra: ["-tag:v", "hvc1", "-movflags", "+faststart"]
  }
]

const make = (dir: string, recipe: Recipe) =>
  runFfmpeg({
    args: [
      ...["-f", "lavfi", "-i", `testsrc2=size=${recipe.size}:rate=${recipe.rate}`],
      ...(recipe.audio === true ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] : []),
      ...["-t", String(recipe.seconds)],
      ...(recipe.codec ?? H264),
      ...(recipe.audio === true ? ["-c:a", "aac", "-b:a", "64k"] : []),
      ...(recipe.extra ?? [])
    ],
    output: join(dir, recipe.name)
  })

/** ffmpeg 5.1 writes a rotation matrix for the rotate tag on a stream copy (not on an encode). */
const rotated = (dir: string, source: string, degrees: number, name: string) =>
  runFfmpeg({ args: ["-i", join(dir, source), "-c", "copy", "-metadata:s:v:0", `rotate=${degrees}`], output: join(dir, name) })

const expectSameAsFfprobe = (file: string) =>
  Effect.gen(function*() {
    const header = yield* readMp4Header(file)
    const ffprobe = yield* ffprobeFacts(file)
    expect(Option.isSome(header), `${file} is read from its headers`).toBe(true)
    const facts = Option.getOrThrow(header)
    expect({ width: facts.width, height: facts.height, hasAudio: facts.hasAudio }).toEqual({
      width: ffprobe.width,
      height: ffprobe.height,
      hasAudio: ffprobe.hasAudio
    })
    // ffprobe prints the duration in microseconds; the header's is exact.
    expect(Math.abs(facts.durationSec - ffprobe.durationSec)).toBeLessThan(0.001)
    expect(Math.abs(facts.fps - ffprobe.fps)).toBeLessThan(0.001)
    return facts
  })

/** A box's offset in a file: the first time its type appears (good enough for the small files made here). */
const offsetOf = (bytes: Buffer, type: string) => bytes.indexOf(Buffer.from(type, "latin1")) - 4

describe("MP4 header reading", () => {
  it.scoped(
    "gives ffprobe's duration, display size, frame rate and audio for ffmpeg-made MP4, MOV and M4V files",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        yield* Effect.forEach(RECIPES, (recipe) => make(dir, recipe), { concurrency: 2, discard: true })
        yield* rotated(dir, "h264-ntsc-720x404-aac-bframes.mp4", 90, "rotated-90.mov")
        yield* rotated(dir, "h264-ntsc-720x404-aac-bframes.mp4", 180, "rotated-180.mp4")
        yield* rotated(dir, "h264-24-1920x1080.mp4", 270, "rotated-270.mp4")
        const names = [...RECIPES.map((r) => r.name), "rotated-90.mov", "rotated-180.mp4", "rotated-270.mp4"]
        const facts = yield* Effect.forEach(names, (name) => expectSameAsFfprobe(join(dir, name)))
        const byName = new Map(names.map((name, i) => [name, facts[i]!]))
        // The matrix covers what it says it does.
        expect(byName.get("rotated-90.mov")).toMatchObject({ width: 404, height: 720, hasAudio: true })
        expect(byName.get("rotated-270.mp4")).toMatchObject({ width: 1080, height: 1920, hasAudio: false })
        expect(byName.get("rotated-180.mp4")).toMatchObject({ width: 720, height: 404 })
        expect(byName.get("h264-ntsc-640x360-faststart.mov")!.fps).toBeCloseTo(30000 / 1001, 6)
        expect(byName.get("h264-60-320x240.m4v")!.fps).toBe(60)

        // The index reads them all without ffprobe, and gives what an ffprobe-only index would.
        const index = yield* indexFolder(dir)
        expect([index.probed, index.ffprobed, index.warnings]).toEqual([names.length, 0, []])
        for (const clip of index.clips) {
          const ffprobe = yield* ffprobeFacts(clip.path)
          expect({ width: clip.width, height: clip.height, hasAudio: clip.hasAudio }).toEqual({
            width: ffprobe.width,
            height: ffprobe.height,
            hasAudio: ffprobe.hasAudio
          })
          expect(Math.abs(clip.durationSec - ffprobe.durationSec)).toBeLessThan(0.001)
          expect(Math.abs(clip.fps - ffprobe.fps)).toBeLessThan(0.001)
        }
      }),
    120_000
  )

  it.scoped(
    "leaves truncated, fragmented, random and malformed files to ffprobe, and the index still gives what ffprobe gives",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const moovLast = join(dir, "source-moov-last.mp4")
        const moovFirst = join(dir, "source-moov-first.mp4")
        yield* make(dir, { name: "source-moov-last.mp4", size: "320x240", rate: "25", seconds: 1, audio: true })
        yield* make(dir, { name: "source-moov-first.mp4", size: "320x240", rate: "25", seconds: 1, extra: ["-movflags", "+faststart"] })
        yield* make(dir, {
          name: "fragmented.mp4",
          size: "320x240",
          rate: "25",
          seconds: 1,
          extra: ["-movflags", "frag_keyframe+empty_moov"]
        })
        const last = readFileSync(moovLast)
        const first = readFileSync(moovFirst)
        const damaged = (name: string, bytes: Buffer) => {
          writeFileSync(join(dir, name), bytes)
          return name
        }
        const patched = (source: Buffer, type: string, size: number) => {
          const bytes = Buffer.from(source)
          bytes.writeUInt32BE(size, offsetOf(bytes, type))
          return bytes
        }
        const names = [
          "fragmented.mp4",
          damaged("truncated-moov-last.mp4", last.subarray(0, Math.floor(last.length / 2))),
          damaged("truncated-mdat.mp4", first.subarray(0, first.length - 100)),
          damaged("random.mp4", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251))),
          damaged("huge-moov.mp4", patched(last, "moov", 0xfffffff0)),
          damaged("huge-mdat.mp4", patched(first, "mdat", 0xfffffff0)),
          damaged("zero-size-tkhd.mov", patched(first, "tkhd", 0)),
          damaged("zero-size-mdat.mp4", patched(last, "mdat", 0))
        ]
        // A moov that says it is 70 MiB, in a (sparse) file that long: over the cap, so not read.
        const oversized = join(dir, "oversized-moov.mp4")
        const header = Buffer.alloc(32)
        header.write("\0\0\0\x10ftypisom\0\0\0\0", 0, "latin1")
        header.writeUInt32BE(1, 16)
        header.write("moov", 20, "latin1")
        header.writeBigUInt64BE(BigInt(70 * 1024 * 1024), 24)
        writeFileSync(oversized, header)
        truncateSync(oversized, 16 + 70 * 1024 * 1024)
        names.push("oversized-moov.mp4")

        for (const name of names) {
          expect(Option.isNone(yield* readMp4Header(join(dir, name))), `${name} is left to ffprobe`).toBe(true)
        }

        // Indexed: every one of them goes to ffprobe, and each clip or warning is ffprobe's.
        copyFileSync(moovLast, join(dir, "intact.mp4"))
        const index = yield* indexFolder(dir)
        expect(index.ffprobed).toBe(names.length)
        for (const name of names) {
          const path = join(dir, name)
          const ffprobe = yield* Effect.either(ffprobeFacts(path))
          const clip = index.clips.find((c) => c.path === path)
          if (ffprobe._tag === "Left") {
            expect(clip, `${name}: ffprobe rejects it, so the index leaves it out`).toBeUndefined()
            expect(index.warnings.find((w) => w.file === path)?.message).toBe(ffprobe.left.message)
          } else if (ffprobe.right.width > 0 && ffprobe.right.height > 0) {
            expect(clip, `${name}: ffprobe reads it`).toMatchObject({
              durationSec: ffprobe.right.durationSec,
              width: ffprobe.right.width,
              height: ffprobe.right.height,
              fps: ffprobe.right.fps,
              hasAudio: ffprobe.right.hasAudio
            })
          } else {
            expect(clip).toBeUndefined()
          }
        }
      }),
    120_000
  )

  it.scoped(
    "never throws on a damaged moov: every truncation and many corrupted bytes give an answer or none",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        yield* make(dir, { name: "clip.mp4", size: "160x120", rate: "25", seconds: 0.4, audio: true, codec: H264_BFRAMES })
        const bytes = readFileSync(join(dir, "clip.mp4"))
        const at = offsetOf(bytes, "moov")
        const moov = bytes.subarray(at + 8, at + bytes.readUInt32BE(at))
        expect(Option.isSome(factsFromMoov(moov))).toBe(true)
        for (let length = 0; length < moov.length; length++) factsFromMoov(moov.subarray(0, length))
        let seed = 7
        const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
        for (let round = 0; round < 3000; round++) {
          const corrupt = Buffer.from(moov)
          for (let flips = 0; flips < 1 + round % 4; flips++) corrupt[Math.floor(next() * corrupt.length)] = Math.floor(next() * 256)
          const facts = factsFromMoov(corrupt)
          if (Option.isSome(facts)) {
            expect(facts.value.width).toBeGreaterThan(0)
            expect(facts.value.durationSec).toBeGreaterThan(0)
            expect(Number.isFinite(facts.value.fps) && facts.value.fps > 0).toBe(true)
          }
        }
      }),
    60_000
  )
})
