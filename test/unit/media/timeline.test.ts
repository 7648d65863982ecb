import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { resolve } from "node:path"
import { ENCODER_CATALOGUE } from "../../../media/encoders.ts"
import {
  chooseCuts,
  concatList,
  concatListPath,
  cutCandidates,
  escapeFilterGraph,
  escapeFilterOption,
  filterGraphPath,
  planRender,
  type RenderPlan,
  segmentCommand,
  singlePassCommand,
  stitchCommand,
  type TimelineInput
} from "../../../media/timeline.ts"

const libx264 = ENCODER_CATALOGUE.find((e) => e.name === "libx264")!
const clip = (duration: number) => ({ duration, width: 1920, height: 1080, fps: 25 })

const input = (overrides: Partial<TimelineInput["output"]> = {}): TimelineInput => ({
  scenes: [
    { text: "one", narration: { start: 0.1, end: 1.9 } },
    { text: "two", narration: { start: 2.0, end: 3.4 } },
    { text: "three", narration: { start: 3.5, end: 4.8 } },
    { text: "four", narration: { start: 5.0, end: 6.9 } }
  ],
  shots: [
    { path: "/f/a.mp4", kind: "video", inPoint: 1, media: clip(10) },
    { path: "/f/b.mp4", kind: "video", media: clip(1.2) },
    { path: "/f/c.png", kind: "image", media: { duration: 0, width: 800, height: 600, fps: 0 } },
    { path: "/f/d.mp4", kind: "video", media: clip(0.5), whenShort: "loop" }
  ],
  output: {
    path: "/out/video.mp4",
    width: 1080,
    height: 1920,
    fps: 30,
    encoder: "libx264",
    narration: { path: "/out/narration.wav", duration: 7.01 },
    ...overrides
  }
})

const plan = (i: TimelineInput, segments?: number): RenderPlan => Either.getOrThrow(planRender(i, { segments }))

describe("timeline plan: frame accounting", () => {
  it("gives each scene whole frames from scene boundaries and the total from the narration", () => {
    const p = plan(input())
    expect(p.totalFrames).toBe(210) // round(7.01 * 30)
    expect(p.scenes.map((s) => [s.startFrame, s.frames])).toEqual([[0, 60], [60, 45], [105, 45], [150, 60]])
    expect(p.scenes.reduce((n, s) => n + s.frames, 0)).toBe(p.totalFrames)
    expect(p.durationSeconds).toBeCloseTo(7, 6)
    expect(p.segments).toEqual([{
      index: 0,
      startFrame: 0,
      frames: 210,
      pieces: [
        { scene: 0, from: 0, to: 60 },
        { scene: 1, from: 0, to: 45 },
        { scene: 2, from: 0, to: 45 },
        { scene: 3, from: 0, to: 60 }
      ]
    }])
  })

  it("honours explicit scene durations", () => {
    const i = input()
    const p = plan({ ...i, scenes: i.scenes.map((s) => ({ ...s, duration: 1 })) })
    expect(p.scenes.map((s) => s.frames)).toEqual([30, 30, 30, 30])
    expect(p.totalFrames).toBe(120)
  })

  it("fits short clips: slows down up to 2x, else loops, or holds the last frame", () => {
    const p = plan(input())
    expect(p.scenes[0]!.source).toMatchObject({ inPoint: 1, slowdown: 1, loop: false })
    expect(p.scenes[1]!.source.slowdown).toBeCloseTo(1.5 / 1.2, 6) // 45 frames = 1.5 s from a 1.2 s clip
    expect(p.scenes[3]!.source.loop).toBe(true)
    const i = input()
    const held = plan({ ...i, shots: i.shots.map((s, n) => (n === 1 ? { ...s, whenShort: "hold" as const } : s)) })
    expect(held.scenes[1]!.source).toMatchObject({ slowdown: 1, loop: false, readSeconds: 1.2 })
  })

  it("cuts segments on scene boundaries, after the blend when there is a transition", () => {
    const hard = plan(input(), 2)
    expect(hard.segments.map((s) => [s.startFrame, s.frames])).toEqual([[0, 105], [105, 105]])
    const faded = plan(input({ transition: { kind: "fade", duration: 0.2 } }), 2)
    expect(faded.transitionFrames).toBe(6)
    expect(faded.scenes.map((s) => s.tailFrames)).toEqual([6, 6, 6, 0])
    expect(faded.segments.map((s) => [s.startFrame, s.frames])).toEqual([[0, 111], [111, 99]])
    // Scene 2's head (blended with scene 1's tail) ends segment 0; the rest of it opens segment 1.
    expect(faded.segments[0]!.pieces).toEqual([{ scene: 0, from: 0, to: 66 }, { scene: 1, from: 0, to: 51 }, { scene: 2, from: 0, to: 6 }])
    expect(faded.segments[1]!.pieces).toEqual([{ scene: 2, from: 6, to: 51 }, { scene: 3, from: 0, to: 60 }])
    expect(faded.segments.reduce((n, s) => n + s.frames, 0)).toBe(faded.totalFrames)
  })

  it("never makes more segments than scenes allow", () => {
    expect(plan(input(), 9).segments).toHaveLength(4)
    expect(chooseCuts([10, 20, 30], 40, 2)).toEqual([20])
    expect(chooseCuts([5], 40, 3)).toEqual([5])
  })

  it.effect("rejects inconsistent input with a TimelineError that says why", () =>
    Effect.gen(function*() {
      const i = input()
      const mismatch = yield* Effect.flip(planRender({ ...i, shots: i.shots.slice(1) }))
      expect(mismatch.reason).toBe("shots")
      const odd = yield* Effect.flip(planRender(input({ width: 1081 })))
      expect(odd.reason).toBe("size")
      const outside = yield* Effect.flip(planRender({ ...i, shots: i.shots.map((s, n) => (n === 0 ? { ...s, inPoint: 12 } : s)) }))
      expect(outside).toMatchObject({ reason: "shot", scene: 0 })
      expect(outside.message).toContain("/f/a.mp4")
    }))
})

describe("timeline commands", () => {
  it("escapes paths for the filter graph: quotes, colons, commas, brackets, backslashes, percent, CJK", () => {
    expect(escapeFilterOption("a'b:c\\d")).toBe("a\\'b\\:c\\\\d")
    expect(escapeFilterGraph("x[1],y;z")).toBe("x\\[1\\]\\,y\\;z")
    expect(filterGraphPath("/t/it's: [a,b] 100% 字幕.ass")).toBe("/t/it\\\\\\'s\\\\: \\[a\\,b\\] 100% 字幕.ass")
    expect(concatListPath("/t/it's.ts")).toBe("'/t/it'\\''s.ts'")
  })

  it("encodes a segment to MPEG-TS with its exact frame count and no audio", () => {
    const p = plan(input({ transition: { kind: "wipeleft", duration: 0.2 }, captions: "/c/caps.ass" }), 2)
    const cmd = segmentCommand(p, 1, libx264)
    expect(cmd.output).toBe("/out/video.part-1.ts")
    const args = cmd.args.join(" ")
    expect(args).toContain("-frames:v 99")
    expect(args).toContain("-an -f mpegts")
    const graph = cmd.args[cmd.args.indexOf("-filter_complex") + 1]!
    // Scene 2 starts 6 frames before this segment; the transition into scene 3 starts at frame 150 - 111 = 39.
    expect(graph).toContain("trim=start_frame=6:end_frame=51")
    expect(graph).toContain("xfade=transition=wipeleft:duration=0.200000:offset=1.300000")
    // Captions are timed for the whole video: the segment is shifted to its place before burning.
    expect(graph).toContain("setpts=PTS+3.700000/TB,subtitles=filename=/c/caps.ass,setpts=PTS-STARTPTS")
    expect(cmd.args.filter((a) => a === "-i")).toHaveLength(2)
  })

  it("builds the single pass with every input once, the mixed audio and +faststart", () => {
    const p = plan(input({ music: { path: "/m/music.mp3" } }), 3)
    const cmd = singlePassCommand(p, libx264)
    expect(cmd.output).toBe("/out/video.mp4")
    const inputs = cmd.args.flatMap((a, i) => (a === "-i" ? [cmd.args[i + 1]] : []))
    expect(inputs).toEqual(["/f/a.mp4", "/f/b.mp4", "/f/c.png", "/f/d.mp4", "/out/narration.wav", "/m/music.mp3"])
    const graph = cmd.args[cmd.args.indexOf("-filter_complex") + 1]!
    expect(graph).toContain("concat=n=4:v=1:a=0")
    expect(graph).toContain("sidechaincompress")
    expect(graph).toContain("loudnorm=I=-14:TP=-2:")
    expect(graph).toContain("atrim=end=7.000000")
    expect(graph).toContain("zoompan=")
    // The frame count is pinned in the graph: `-frames:v` would cut the soundtrack short.
    expect(graph).toContain("[vout]trim=end_frame=210[vframes]")
    expect(cmd.args).not.toContain("-frames:v")
    expect(cmd.args.slice(-3)).toEqual(["2", "-movflags", "+faststart"])
  })

  it("opens a closed GOP wherever a segment may start, in the single pass and in every segment", () => {
    const p = plan(input({ transition: { kind: "wipeleft", duration: 0.2 } }), 2)
    // Scene boundaries at 60, 105, 150, each plus the 6 frames of the blend; segment 1 starts at 111.
    expect(cutCandidates(p)).toEqual([66, 111, 156])
    const forced = (cmd: { readonly args: ReadonlyArray<string> }) => cmd.args[cmd.args.indexOf("-force_key_frames") + 1]
    expect(forced(singlePassCommand(p, libx264))).toBe("expr:eq(n,66)+eq(n,111)+eq(n,156)")
    expect(forced(segmentCommand(p, 0, libx264))).toBe("expr:eq(n,66)")
    expect(forced(segmentCommand(p, 1, libx264))).toBe("expr:eq(n,45)")
    // libx264 without rate-control memory across those frames: constant QP, CRF 23 + 5.
    for (const cmd of [singlePassCommand(p, libx264), segmentCommand(p, 1, libx264)]) {
      expect(cmd.args.join(" ")).toContain("-c:v libx264 -preset veryfast -qp 28 -forced-idr 1")
    }
  })

  it("stitches by stream copy with exact segment durations", () => {
    const p = plan(input(), 2)
    expect(concatList(p, p.files.segments)).toBe(
      "ffconcat version 1.0\nfile '/out/video.part-0.ts'\nduration 3.500000\nfile '/out/video.part-1.ts'\nduration 3.500000\n"
    )
    // ffmpeg reads a relative path against the list's folder: the list names the files absolutely
    expect(concatList(p, ["state/work/a.part-0.ts", "b.part-1.ts"]).split("\n").filter((l) => l.startsWith("file"))).toEqual([
      `file '${resolve("state/work/a.part-0.ts")}'`,
      `file '${resolve("b.part-1.ts")}'`
    ])
    const cmd = stitchCommand(p, p.files.concatList, p.files.audio, libx264)
    expect(cmd.args).toEqual([
      "-f",
      "concat",
      "-safe",
      "0",
      "-i",
      "/out/video.concat.txt",
      "-i",
      "/out/video.audio.m4a",
      "-map",
      "0:v:0",
      "-map",
      "1:a:0",
      "-c",
      "copy",
      "-movflags",
      "+faststart"
    ])
  })
})
