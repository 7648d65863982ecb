/**
 * The footage index reads Matroska/WebM clips and PNG/JPEG stills from their headers, without ffprobe,
 * and what it reads is what ffprobe says: for ffmpeg-made files (H.264, H.265, VP8, VP9; NTSC rates;
 * audio or none; portrait, square; progressive JPEG, 16-bit and palette PNG). Anything it does not
 * understand (an animated PNG, truncated headers, random bytes, a live Matroska with no duration, a
 * JPEG in a .png name that is really a clip) is left to ffprobe, so the index still gives what ffprobe gives.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { factsFromImageHead, readImageHeader } from "../../../media/footage/image-header.ts"
import { indexFolder } from "../../../media/footage/index.ts"
import { factsFromHeaders, nearestFraction, readMkvHeader } from "../../../media/footage/mkv-header.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { ffprobeFacts } from "./ffprobe-facts.ts"

const tempDir = scopedTempDir("container-headers")

interface Recipe {
  readonly name: string
  readonly input: ReadonlyArray<string>
  readonly output: ReadonlyArray<string>
}

const clip = (
  name: string,
  size: string,
  rate: string,
  seconds: number,
  codec: ReadonlyArray<string>,
  audio?: ReadonlyArray<string>
): Recipe => ({
  name,
  input: [
    ...["-f", "lavfi", "-i", `testsrc2=size=${size}:rate=${rate}`],
    ...(audio === undefined ? [] : ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
  ],
  output: ["-t", String(seconds), ...codec, ...(audio ?? [])]
})

const H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
const H265 = ["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error"]
const VP8 = ["-c:v", "libvpx", "-b:v", "100k", "-deadline", "realtime"]
const VP9 = ["-c:v", "libvpx-vp9", "-b:v", "100k", "-deadline", "realtime", "-cpu-used", "8"]
const still = (name: string, source: string, extra: ReadonlyArray<string> = []): Recipe => ({
  name,
  input: ["-f", "lavfi", "-i", source],
  output: ["-frames:v", "1", ...extra]
})

const RECIPES: ReadonlyArray<Recipe> = [
  clip("h264-10-36x64.mkv", "36x64", "10", 1, H264),
  clip("h264-ntsc-720x404-opus.mkv", "720x404", "30000/1001", 1.3, H264, ["-c:a", "libopus"]),
  clip("h265-25-320x180-aac.mkv", "320x180", "25", 0.6, H265, ["-c:a", "aac"]),
  clip("vp8-10-48x48.webm", "48x48", "10", 2, VP8),
  clip("vp9-24-1080x1920-vorbis.webm", "1080x1920", "24", 0.5, VP9, ["-c:a", "libvorbis"]),
  clip("vp9-ntsc-film-320x240.webm", "320x240", "24000/1001", 0.7, VP9),
  still("testsrc-36x64.jpg", "testsrc=size=36x64"),
  still("progressive-640x360.jpeg", "testsrc=size=640x360", ["-c:v", "mjpeg", "-q:v", "3"]),
  still("rgb48-100x30.png", "testsrc=size=100x30", ["-pix_fmt", "rgb48be"]),
  still("palette-64x64.png", "testsrc=size=64x64", ["-pix_fmt", "pal8"]),
  still("gray-2x2.png", "color=c=gray:s=2x2", ["-pix_fmt", "gray"])
]

const make = (dir: string, recipe: Recipe) => runFfmpeg({ args: [...recipe.input, ...recipe.output], output: join(dir, recipe.name) })

const isStillName = (name: string) => /\.(png|jpe?g)$/.test(name)
const readHeaderOf = (file: string) => (isStillName(file) ? readImageHeader(file) : readMkvHeader(file))

const expectSame = (
  facts: { durationSec: number; width: number; height: number; fps: number; hasAudio: boolean; isImage: boolean },
  file: string
) =>
  Effect.gen(function*() {
    const ffprobe = yield* ffprobeFacts(file)
    expect({ width: facts.width, height: facts.height, hasAudio: facts.hasAudio, isImage: facts.isImage }, file).toEqual({
      width: ffprobe.width,
      height: ffprobe.height,
      hasAudio: ffprobe.hasAudio,
      isImage: ffprobe.isImage
    })
    // ffprobe prints the duration in microseconds; the header's is exact.
    expect(Math.abs(facts.durationSec - ffprobe.durationSec), file).toBeLessThan(0.001)
    expect(Math.abs(facts.fps - ffprobe.fps), file).toBeLessThan(1e-6)
  })

describe("Matroska, WebM, PNG and JPEG header reading", () => {
  it.scoped(
    "gives ffprobe's duration, size, frame rate, audio and still-ness, and the index needs no ffprobe for them",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        yield* Effect.forEach(RECIPES, (recipe) => make(dir, recipe), { concurrency: 2, discard: true })
        for (const { name } of RECIPES) {
          const header = yield* readHeaderOf(join(dir, name))
          expect(Option.isSome(header), `${name} is read from its headers`).toBe(true)
          yield* expectSame(Option.getOrThrow(header), join(dir, name))
        }
        const index = yield* indexFolder(dir)
        expect([index.probed, index.ffprobed, index.warnings]).toEqual([RECIPES.length, 0, []])
        for (const found of index.clips) yield* expectSame({ ...found, isImage: found.kind === "image" }, found.path)
        const byName = new Map(index.clips.map((c) => [c.path.slice(dir.length + 1), c]))
        expect(byName.get("vp9-24-1080x1920-vorbis.webm")).toMatchObject({ width: 1080, height: 1920, hasAudio: true, fps: 24 })
        expect(byName.get("h264-ntsc-720x404-opus.mkv")!.fps).toBeCloseTo(30000 / 1001, 9)
        expect(byName.get("progressive-640x360.jpeg")).toMatchObject({ width: 640, height: 360, kind: "image", durationSec: 0 })
      }),
    180_000
  )

  it.scoped(
    "leaves animated, truncated, live, random and mislabelled files to ffprobe, and the index still gives what ffprobe gives",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        yield* Effect.forEach(
          [
            clip("source.mkv", "320x240", "25", 1, H264, ["-c:a", "aac"]),
            still("source.png", "testsrc=size=64x36"),
            still("source.jpg", "testsrc=size=64x36"),
            {
              name: "animated.png",
              input: ["-f", "lavfi", "-i", "testsrc=size=32x32:rate=5"],
              output: ["-t", "1", "-f", "apng", "-plays", "0"]
            },
            { name: "live.mkv", input: ["-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10"], output: ["-t", "1", ...H264, "-live", "1"] },
            {
              name: "clip-named.jpg",
              input: ["-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10"],
              output: ["-t", "1", ...H264, "-f", "matroska"]
            }
          ],
          (recipe) => make(dir, recipe),
          { concurrency: 2, discard: true }
        )
        const mkv = readFileSync(join(dir, "source.mkv"))
        const png = readFileSync(join(dir, "source.png"))
        const jpg = readFileSync(join(dir, "source.jpg"))
        const damaged = (name: string, bytes: Buffer) => {
          writeFileSync(join(dir, name), bytes)
          return name
        }
        // the Tracks element's size (after its ID, whose first appearance is the SeekHead's entry for it) made huge
        const tracksId = Buffer.from([0x16, 0x54, 0xae, 0x6b])
        const hugeTracks = Buffer.from(mkv)
        hugeTracks.writeUInt32BE(0x1fffffff, mkv.indexOf(tracksId, mkv.indexOf(tracksId) + 4) + 4)
        const names = [
          "animated.png",
          "live.mkv",
          "clip-named.jpg",
          damaged("truncated-head.mkv", mkv.subarray(0, 200)),
          damaged("huge-tracks.mkv", hugeTracks),
          damaged("random.webm", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251))),
          damaged("truncated-ihdr.png", png.subarray(0, 24)),
          damaged("truncated-sof.jpg", jpg.subarray(0, 20)),
          damaged("empty.jpeg", Buffer.alloc(0))
        ]
        for (const name of names) {
          expect(Option.isNone(yield* readHeaderOf(join(dir, name))), `${name} is left to ffprobe`).toBe(true)
        }
        expect(Option.isNone(factsFromImageHead(new Uint8Array([0x89, 0x50, 0x4e, 0x47])))).toBe(true)

        const index = yield* indexFolder(dir)
        expect(index.ffprobed).toBe(names.length)
        for (const name of names) {
          const path = join(dir, name)
          const ffprobe = yield* Effect.either(ffprobeFacts(path))
          const indexed = index.clips.find((c) => c.path === path)
          if (indexed === undefined) {
            // ffprobe cannot read it, or reads no picture in it (a zero size): left out, and named
            expect(index.warnings.some((w) => w.file === path), `${name} is named in a warning`).toBe(true)
          } else if (isStillName(name)) {
            // a file named as a still is used as one (its first frame), whatever ffprobe calls it
            const facts = Either.getOrThrow(ffprobe)
            expect(indexed).toMatchObject({ kind: "image", width: facts.width, height: facts.height })
          } else {
            yield* expectSame({ ...indexed, isImage: indexed.kind === "image" }, path)
          }
        }
      }),
    180_000
  )

  it("derives the frame rate from a default duration as the nearest fraction with terms up to 30,000", () => {
    expect(nearestFraction(1e9 / 33_366_667, 30_000)).toBe(30000 / 1001)
    expect(nearestFraction(1e9 / 41_708_333, 30_000)).toBe(24000 / 1001)
    expect(nearestFraction(1e9 / 40_000_000, 30_000)).toBe(25)
    expect(nearestFraction(Math.PI, 30_000)).toBe(355 / 113)
  })

  it.scoped(
    "never throws on damaged headers: every truncation and many corrupted bytes give an answer or none",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        yield* make(dir, clip("clip.mkv", "160x120", "25", 0.4, H264, ["-c:a", "aac"]))
        yield* make(dir, still("still.png", "testsrc=size=40x30"))
        yield* make(dir, still("still.jpg", "testsrc=size=40x30"))
        let seed = 11
        const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
        const corrupted = (bytes: Buffer, round: number) => {
          const copy = Buffer.from(bytes)
          for (let flips = 0; flips < 1 + round % 4; flips++) copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256)
          return copy
        }
        const plausible = (
          facts: Option.Option<{ width: number; height: number; durationSec: number; fps: number }>,
          stillImage: boolean
        ) => {
          if (Option.isNone(facts)) return
          expect(facts.value.width).toBeGreaterThan(0)
          expect(facts.value.height).toBeGreaterThan(0)
          if (!stillImage) expect(facts.value.durationSec > 0 && Number.isFinite(facts.value.fps) && facts.value.fps > 0).toBe(true)
        }
        for (const name of ["still.png", "still.jpg"]) {
          const head = readFileSync(join(dir, name)).subarray(0, 2048)
          expect(Option.isSome(factsFromImageHead(head))).toBe(true)
          for (let length = 0; length < head.length; length++) plausible(factsFromImageHead(head.subarray(0, length)), true)
          for (let round = 0; round < 2000; round++) plausible(factsFromImageHead(corrupted(head, round)), true)
        }
        // Info and Tracks as the reader finds them: the Segment's children after the SeekHead's references
        const mkv = readFileSync(join(dir, "clip.mkv"))
        const element = (id: ReadonlyArray<number>) => {
          const key = Buffer.from(id)
          const at = mkv.indexOf(key, mkv.indexOf(key) + 4)
          const sizeLength = Math.clz32(mkv[at + 4]!) - 23
          const size = mkv.subarray(at + 4, at + 4 + sizeLength).reduce((v, b, i) => v * 256 + (i === 0 ? b & (0xff >> sizeLength) : b), 0)
          const start = at + 4 + sizeLength
          return { bytes: mkv.subarray(at, start + size), at, element: { id: 0, start, end: start + size } }
        }
        const info = element([0x15, 0x49, 0xa9, 0x66])
        const tracks = element([0x16, 0x54, 0xae, 0x6b])
        expect(Option.getOrThrow(factsFromHeaders(info, tracks))).toMatchObject({ width: 160, height: 120, fps: 25, hasAudio: true })
        for (let round = 0; round < 3000; round++) {
          const damagedInfo = { ...info, bytes: round % 2 === 0 ? corrupted(info.bytes, round) : info.bytes }
          const damagedTracks = { ...tracks, bytes: round % 2 === 1 ? corrupted(tracks.bytes, round) : tracks.bytes }
          plausible(factsFromHeaders(damagedInfo, damagedTracks), false)
        }
      }),
    60_000
  )
})
