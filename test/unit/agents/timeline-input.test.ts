import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import type { Scene } from "../../../agents/director/scene.ts"
import { timelineInput } from "../../../agents/renderer/timeline-input.ts"
import { type Clip, rankShots } from "../../../agents/shot-matcher/match.ts"

const clip = (path: string, tags: ReadonlyArray<string>): Clip => ({
  path,
  kind: "video",
  durationSec: 6,
  width: 1080,
  height: 1920,
  fps: 30,
  tags
})

const scene = (index: number, keyword: string): Scene => ({
  index,
  text: `About ${keyword}.`,
  sentences: [`About ${keyword}.`],
  keywords: [keyword],
  mood: "calm",
  pace: "slow",
  estimatedSec: 3
})

describe("renderer: picks to timeline shots", () => {
  it("a pick of a sample clip is a lavfi shot naming it; a folder's clip, or a look-alike path, is read from its file", () => {
    const clips = [
      clip("sample://rule-110", ["automaton"]),
      clip("footage/ocean.mp4", ["ocean"]),
      clip("sample://no-such-clip", ["forest"])
    ]
    const scenes = [scene(0, "automaton"), scene(1, "ocean"), scene(2, "forest")]
    const picks = rankShots(scenes, clips, { frame: { width: 1080, height: 1920 }, seed: 1 })
    const input = Either.getOrThrow(timelineInput({
      scenes,
      picks,
      media: new Map(clips.map((c) => [c.path, { duration: c.durationSec, width: c.width, height: c.height, fps: 30 }])),
      narration: { path: "narration.wav", duration: 9 },
      output: { path: "out/v.mp4", width: 1080, height: 1920, fps: 30, encoder: "libx264", captions: "none" },
      captionsFile: undefined,
      workDir: "work"
    }))
    expect(input.shots.map((s) => [s.path, s.kind])).toEqual([
      ["sample://rule-110", "lavfi"],
      ["footage/ocean.mp4", "video"],
      ["sample://no-such-clip", "video"]
    ])
    expect(input.shots[0]!.media).toEqual({ duration: 6, width: 1080, height: 1920, fps: 30 })
  })
})
