/**
 * However many scenes a timeline has, its render never holds more than K clip decoders open: no
 * segment command reads more than its share of K (K over the segment commands that run at once), and
 * the segments still cover every frame exactly once. `segments: "auto"` picks segments x threads from
 * the cores.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { ENCODER_CATALOGUE } from "../../../media/encoders.ts"
import {
  chooseSegmentLayout,
  decoderLimit,
  DEFAULT_DECODER_LIMIT,
  type Machine,
  MIN_PIECES_PER_SEGMENT,
  planRender,
  segmentCommand,
  singlePassCommand,
  type TimelineInput
} from "../../../media/timeline.ts"

const libx264 = ENCODER_CATALOGUE.find((e) => e.name === "libx264")!
const GiB = 1024 ** 3
const laptop: Machine = { cores: 2, memoryBytes: 24 * GiB }

/** `scenes` scenes of `seconds` each, alternating two clips and a still; hard cuts or a fade. */
const timeline = (scenes: number, seconds: number, fade: boolean): TimelineInput => ({
  scenes: Array.from({ length: scenes }, (_, i) => ({ text: `s${i}`, narration: { start: i * seconds, end: (i + 1) * seconds } })),
  shots: Array.from({ length: scenes }, (_, i) =>
    i % 3 === 2
      ? { path: "/f/still.png", kind: "image" as const, media: { duration: 0, width: 800, height: 600, fps: 0 } }
      : { path: `/f/clip-${i % 3}.mp4`, kind: "video" as const, media: { duration: 5, width: 1920, height: 1080, fps: 25 } }),
  output: {
    path: "/out/long.mp4",
    width: 160,
    height: 284,
    fps: 10,
    encoder: "libx264",
    narration: { path: "/out/narration.wav", duration: scenes * seconds },
    ...(fade ? { transition: { kind: "fade", duration: 0.2 } } : {})
  }
})

/** The clip inputs of one ffmpeg command (the narration and music inputs are not clips). */
const clipInputs = (args: ReadonlyArray<string>) => args.filter((a, i) => args[i - 1] === "-i" && a.startsWith("/f/")).length

describe("timeline plan: bounded decoders", () => {
  it("keeps every segment command within its share of K, for any number of scenes, segments and concurrency", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 3, max: 12 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 6 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (scenes, tenths, fade, segments, concurrency) => {
          const plan = Either.getOrThrow(
            planRender(timeline(scenes, tenths / 10, fade), { segments, concurrency, machine: laptop })
          )
          const running = concurrency ?? segments
          expect(plan.concurrency).toBe(running)
          expect(plan.decoderLimit).toBe(decoderLimit(laptop, running))
          const share = Math.floor(plan.decoderLimit / running)
          for (const segment of plan.segments) {
            expect(segment.pieces.length).toBeLessThanOrEqual(share)
            if (plan.segments.length > 1) expect(clipInputs(segmentCommand(plan, segment.index, libx264).args)).toBe(segment.pieces.length)
          }
          // Whatever runs at once stays within K.
          expect(share * running).toBeLessThanOrEqual(plan.decoderLimit)
          // Frame accounting: the segments tile the output, and every scene is in one of them.
          let next = 0
          for (const segment of plan.segments) {
            expect(segment.startFrame).toBe(next)
            next += segment.frames
          }
          expect(next).toBe(plan.totalFrames)
          expect(plan.scenes.reduce((n, s) => n + s.frames, 0)).toBe(plan.totalFrames)
          expect(new Set(plan.segments.flatMap((s) => s.pieces.map((p) => p.scene))).size).toBe(scenes)
        }
      ),
      { numRuns: 100 }
    ))

  it("renders a short timeline in one pass and cuts a long one into segments of at most K clips", () => {
    const short = Either.getOrThrow(planRender(timeline(6, 5, false), { machine: laptop }))
    expect(short.segments).toHaveLength(1)
    expect(clipInputs(singlePassCommand(short, libx264).args)).toBe(6)
    const long = Either.getOrThrow(planRender(timeline(120, 4, false), { machine: laptop }))
    expect(long.decoderLimit).toBe(DEFAULT_DECODER_LIMIT)
    // As few segments as K allows: 120 even scenes, 6 a segment.
    expect(long.segments).toHaveLength(Math.ceil(120 / DEFAULT_DECODER_LIMIT))
    expect(Math.max(...long.segments.map((s) => s.pieces.length))).toBeLessThanOrEqual(DEFAULT_DECODER_LIMIT)
  })

  it("gives each clip decoder one thread and each encode the machine's threads, whatever the segments", () => {
    const threadArgs = (args: ReadonlyArray<string>) => args.flatMap((a, i) => (a === "-threads" ? [args[i + 1]] : []))
    // One encode at a time on this machine (2 cores): x264 keeps its own thread count, for every plan.
    const one = Either.getOrThrow(planRender(timeline(12, 2, false), { machine: laptop }))
    const three = Either.getOrThrow(planRender(timeline(12, 2, false), { segments: 3, machine: laptop }))
    expect([one.encoderThreads, three.encoderThreads]).toEqual([undefined, undefined])
    const clipsOf = (plan: typeof three, index: number) => plan.segments[index]!.pieces.filter((p) => p.scene % 3 !== 2).length
    expect(threadArgs(segmentCommand(three, 1, libx264).args)).toEqual(Array.from({ length: clipsOf(three, 1) }, () => "1"))
    // Two encodes of 8 threads on 16 cores: every plan's encodes get 8, a single pass's too.
    const big = { cores: 16, memoryBytes: 64 * GiB }
    const single = Either.getOrThrow(planRender(timeline(12, 2, false), { machine: big }))
    const split = Either.getOrThrow(planRender(timeline(12, 2, false), { segments: 3, machine: big }))
    expect([single.encoderThreads, split.encoderThreads]).toEqual([8, 8])
    expect(threadArgs(segmentCommand(split, 1, libx264).args)).toEqual([...Array.from({ length: clipsOf(split, 1) }, () => "1"), "8"])
  })

  it("shrinks K where memory is short, never below a segment's smallest share", () => {
    expect(decoderLimit({ cores: 2, memoryBytes: 24 * GiB }, 1)).toBe(DEFAULT_DECODER_LIMIT)
    expect(decoderLimit({ cores: 2, memoryBytes: 2 * GiB }, 1)).toBe(5)
    expect(decoderLimit({ cores: 2, memoryBytes: 0.5 * GiB }, 1)).toBe(MIN_PIECES_PER_SEGMENT)
    expect(decoderLimit({ cores: 64, memoryBytes: 256 * GiB }, 8)).toBe(8 * MIN_PIECES_PER_SEGMENT)
  })
})

describe("segments auto", () => {
  it("runs two encodes at once from 2 cores, then splits the cores into segments of up to 8 threads", () => {
    const layout = (cores: number, memoryGiB = 64) => chooseSegmentLayout({ cores, memoryBytes: memoryGiB * GiB })
    // Fewer than 2 cores each: x264's own thread count.
    expect(layout(1)).toEqual({ segments: 1 })
    expect(layout(2)).toEqual({ segments: 2 })
    expect(layout(3)).toEqual({ segments: 2 })
    expect(layout(4)).toEqual({ segments: 2, threads: 2 })
    expect(layout(8)).toEqual({ segments: 2, threads: 4 })
    expect(layout(12)).toEqual({ segments: 2, threads: 6 })
    expect(layout(16)).toEqual({ segments: 2, threads: 8 })
    expect(layout(64)).toEqual({ segments: 8, threads: 8 })
    // Memory caps the encodes that run at once.
    expect(layout(64, 6)).toEqual({ segments: 2, threads: 32 })
  })

  it("plans the auto layout: its segments, run at once, each encode with its threads", () => {
    const plan = Either.getOrThrow(
      planRender(timeline(40, 2, true), { segments: "auto", machine: { cores: 16, memoryBytes: 64 * GiB } })
    )
    expect(plan.concurrency).toBe(2)
    expect(plan.encoderThreads).toBe(8)
    expect(plan.segments.length).toBeGreaterThanOrEqual(2)
    for (const segment of plan.segments) expect(segment.pieces.length).toBeLessThanOrEqual(plan.decoderLimit / 2)
  })
})
