/**
 * A render's estimate before it starts: segments spread over the slots as the renderer hands them
 * out, plus the start cost; frames/s learned at the job's size, scaled from another size, or the
 * conservative default; and what was learned survives in the state's SQLite file for the next process.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import {
  AUDIO_MIX_SECONDS_PER_SECOND,
  DEFAULT_PIXELS_PER_SECOND,
  defaultFramesPerSecond,
  estimateRender,
  estimateSeconds,
  readCapacities,
  readEncoderCapacities,
  RENDER_START_SECONDS
} from "../../../agents/index.ts"
import { writeCapacity } from "../../../agents/renderer/capacity.ts"
import { memoryLayer } from "../../../memory/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("estimate")

describe("estimateSeconds", () => {
  it("is the frames over the frames/s plus the start cost for a single pass", () => {
    expect(estimateSeconds([900], [45], { startSeconds: 0 })).toBe(20)
    expect(estimateSeconds([900], [45])).toBe(20 + RENDER_START_SECONDS)
    expect(estimateSeconds([900], [45], { startSeconds: 1.5 })).toBe(21.5)
  })

  it("ends with the slot that finishes last, the longest segments given out first", () => {
    // Two equal slots, segments 600, 300, 300: one slot takes 600, the other both 300s.
    expect(estimateSeconds([300, 600, 300], [30, 30], { startSeconds: 0 })).toBe(20)
    // Three segments of 300 on two slots: one slot encodes two.
    expect(estimateSeconds([300, 300, 300], [30, 30], { startSeconds: 0 })).toBe(20)
    // A slot twice as fast takes the longer share.
    expect(estimateSeconds([400, 200], [40, 20], { startSeconds: 0 })).toBe(10)
    // More slots than segments: the spare ones wait.
    expect(estimateSeconds([300], [30, 30, 30], { startSeconds: 0 })).toBe(10)
  })

  it("lasts as long as what runs alongside the encodes when that takes longer (a segmented render's audio mix)", () => {
    expect(estimateSeconds([300, 300], [30, 30], { startSeconds: 0, alongsideSeconds: 4 })).toBe(10)
    expect(estimateSeconds([300, 300], [30, 30], { startSeconds: 0.5, alongsideSeconds: 12 })).toBe(12.5)
  })

  it("is infinite with no usable frames/s, and finite and positive otherwise", () => {
    expect(estimateSeconds([300], [], { startSeconds: 0 })).toBe(Number.POSITIVE_INFINITY)
    expect(estimateSeconds([300], [0, Number.NaN], { startSeconds: 0 })).toBe(Number.POSITIVE_INFINITY)
    expect(estimateSeconds([1], [1e6])).toBeGreaterThan(0)
  })

  it("assumes pixels per second by encoder family where nothing was learned", () => {
    expect(defaultFramesPerSecond("libx264", 720, 1280)).toBeCloseTo(DEFAULT_PIXELS_PER_SECOND.h264 / (720 * 1280))
    expect(defaultFramesPerSecond("libx265", 720, 1280)).toBeCloseTo(DEFAULT_PIXELS_PER_SECOND.hevc / (720 * 1280))
    expect(defaultFramesPerSecond("libsvtav1", 720, 1280)).toBeCloseTo(DEFAULT_PIXELS_PER_SECOND.av1 / (720 * 1280))
    expect(defaultFramesPerSecond("h264_nvenc", 720, 1280)).toBeCloseTo(DEFAULT_PIXELS_PER_SECOND.hardware / (720 * 1280))
    // A quarter of the pixels: four times the frames.
    expect(defaultFramesPerSecond("libx264", 540, 960) / defaultFramesPerSecond("libx264", 1080, 1920)).toBeCloseTo(4)
  })
})

describe("estimateRender over the state's SQLite file", () => {
  it.scoped("uses the default with no history, then what was learned, and finds it again in a new process's layer", () =>
    Effect.gen(function*() {
      const database = join(yield* tempDir, "swarm.db")
      const request = { encoder: "libx264", width: 720, height: 1280, segmentFrames: [600, 300], slots: 2, durationSeconds: 30 }
      const first = yield* Effect.scoped(
        Effect.gen(function*() {
          const before = yield* estimateRender(request)
          yield* writeCapacity("libx264", 720, 1280, { framesPerSecond: 30, samples: 4 })
          yield* writeCapacity("libx264", 360, 640, { framesPerSecond: 100, samples: 2 })
          yield* writeCapacity("libx265", 720, 1280, { framesPerSecond: 7, samples: 1 })
          return before
        }).pipe(Effect.provide(memoryLayer({ filename: database })))
      )
      expect(first).toMatchObject({ source: "default", samples: 0, frames: 900, slots: 2, encoder: "libx264" })
      expect(first.framesPerSecond).toBeCloseTo(defaultFramesPerSecond("libx264", 720, 1280))
      expect(first.estimatedSeconds).toBeCloseTo(estimateSeconds([600, 300], [first.framesPerSecond, first.framesPerSecond]), 1)
      expect(first.estimatedSeconds).toBeGreaterThan(30 * AUDIO_MIX_SECONDS_PER_SECOND)

      // The file closed and opened again, as the next run's process opens it.
      const [learned, scaled, single, longAudio, bySize, atSize] = yield* Effect.all([
        estimateRender(request),
        estimateRender({ ...request, width: 1080, height: 1920 }),
        estimateRender({ ...request, segmentFrames: [900], slots: 2 }),
        estimateRender({ ...request, durationSeconds: 120 }),
        readEncoderCapacities("libx264"),
        readCapacities(720, 1280)
      ]).pipe(Effect.provide(memoryLayer({ filename: database })), Effect.scoped)
      expect(learned).toEqual({
        estimatedSeconds: 20 + RENDER_START_SECONDS,
        frames: 900,
        framesPerSecond: 30,
        slots: 2,
        encoder: "libx264",
        width: 720,
        height: 1280,
        source: "learned",
        samples: 4
      })
      // 1080x1920 was never measured: 720x1280 is the nearest in pixels, its 30 fps scaled by 2.25 times the pixels.
      expect(scaled).toMatchObject({ source: "scaled", scaledFrom: "720x1280", samples: 4 })
      expect(scaled.framesPerSecond).toBeCloseTo(30 / 2.25)
      // One segment keeps one slot busy, whatever the slots; its audio is inside its single pass.
      expect(single).toMatchObject({ slots: 1, estimatedSeconds: 30 + RENDER_START_SECONDS })
      // Two minutes of audio to mix beside 20 s of encodes: the mix is the longer.
      expect(longAudio.estimatedSeconds).toBe(120 * AUDIO_MIX_SECONDS_PER_SECOND + RENDER_START_SECONDS)
      expect([...bySize.keys()].sort()).toEqual(["360x640", "720x1280"])
      expect(Object.fromEntries(atSize)).toEqual({
        libx264: { framesPerSecond: 30, samples: 4 },
        libx265: { framesPerSecond: 7, samples: 1 }
      })
    }))

  it.effect("without shared memory (an embedded swarm), estimates from the default", () =>
    Effect.map(
      estimateRender({ encoder: "h264_nvenc", width: 1080, height: 1920, segmentFrames: [900], slots: 1, durationSeconds: 30 }),
      (estimate) => {
        expect(estimate.source).toBe("default")
        expect(Number.isFinite(estimate.estimatedSeconds) && estimate.estimatedSeconds > 0).toBe(true)
      }
    ))
})
