import { describe, expect, it } from "@effect/vitest"
import { cutScene, cutScenes, type TimedWord } from "../../../agents/director/cuts.ts"
import { SHOT_LENGTHS } from "../../../agents/director/mood.ts"
import type { Scene } from "../../../agents/director/scene.ts"
import { timelineInput } from "../../../agents/renderer/timeline-input.ts"
import { type Clip, rankShots, type SceneQuery } from "../../../agents/shot-matcher/match.ts"
import { planRender } from "../../../media/index.ts"

const video = (path: string, tags: ReadonlyArray<string>, durationSec = 7): Clip => ({
  path,
  kind: "video",
  durationSec,
  width: 1080,
  height: 1920,
  tags
})
const portrait = { width: 1080, height: 1920 }

/** Narration of `seconds`: words of 0.25–0.55 s with 0.05–0.15 s between them, from `from`. */
const narratedWords = (from: number, seconds: number): ReadonlyArray<TimedWord> => {
  const words: Array<TimedWord> = []
  for (let t = from, i = 0; t < from + seconds - 0.3; i++) {
    const length = 0.25 + (i % 4) * 0.1
    words.push({ start: t, end: Math.min(t + length, from + seconds) })
    t += length + 0.05 + (i % 3) * 0.05
  }
  return words
}

const scene = (overrides: Partial<Scene> = {}): Scene => ({
  index: 0,
  text: "Forests grow slowly, tree by tree.",
  sentences: ["Forests grow slowly, tree by tree."],
  keywords: ["forest", "tree"],
  mood: "calm",
  pace: "slow",
  estimatedSec: 40,
  ...overrides
})

describe("long scenes cut into shots", () => {
  it("cuts a 40 s relaxed scene into 3–5 s shots that cover it, each cut between two words", () => {
    const words = narratedWords(12, 40)
    const shots = cutScene("slow", 12, 40, words)
    expect(shots.length).toBeGreaterThanOrEqual(8)
    expect(shots[0]!.start).toBe(0)
    expect(shots.reduce((sum, s) => sum + s.duration, 0)).toBeCloseTo(40, 6)
    for (const [i, shot] of shots.entries()) {
      if (i > 0) expect(shot.start).toBeCloseTo(shots[i - 1]!.start + shots[i - 1]!.duration, 6)
      expect(shot.duration).toBeGreaterThanOrEqual(SHOT_LENGTHS.slow.min * 0.75)
      expect(shot.duration).toBeLessThanOrEqual(SHOT_LENGTHS.slow.max * 1.25)
    }
    const cuts = shots.slice(1).map((s) => 12 + s.start)
    const inside = cuts.filter((cut) => words.some((w) => w.start < cut - 1e-9 && cut + 1e-9 < w.end))
    expect(inside).toEqual([])
  })

  it("leaves a scene its pace allows whole, and cuts rapid scenes shorter than relaxed ones", () => {
    expect(cutScene("medium", 0, 3.8)).toEqual([{ start: 0, duration: 3.8 }])
    expect(cutScene("fast", 0, 8).length).toBeGreaterThan(cutScene("slow", 0, 8).length)
    for (const shot of cutScene("fast", 0, 8)) expect(shot.duration).toBeLessThanOrEqual(SHOT_LENGTHS.fast.max)
    const [first, second] = cutScenes([scene({ estimatedSec: 3 }), scene({ index: 1, estimatedSec: 12 })], narratedWords(0, 15))
    expect(first!.shots).toEqual([{ start: 0, duration: 3 }])
    expect(second!.shots!.length).toBe(3)
  })

  it("gives the shots of a 40 s relaxed scene distinct clips when enough match, and renders one timeline scene per shot", () => {
    const [cut] = cutScenes([scene()], narratedWords(0, 40))
    const clips = [
      ...Array.from({ length: 12 }, (_, i) => video(`lib/forest-${i}.mp4`, ["forest", "trees"])),
      video("lib/ocean.mp4", ["ocean"])
    ]
    const picks = rankShots([cut!], clips, { frame: portrait, seed: 1 })
    expect(picks.length).toBe(cut!.shots!.length)
    expect(picks.length).toBeGreaterThanOrEqual(8)
    expect(new Set(picks.map((p) => p.clip.path)).size).toBe(picks.length)
    expect(picks.map((p) => p.clip.path)).not.toContain("lib/ocean.mp4")
    expect(picks.every((p) => !p.looped && p.inPointSec === 0)).toBe(true)
    expect(picks.map((p) => p.shot)).toEqual(picks.map((_, i) => i))
    expect(picks.map((p) => p.startSec)).toEqual(cut!.shots!.map((s) => s.start))

    const media = new Map(clips.map((c) => [c.path, { duration: c.durationSec, width: c.width, height: c.height, fps: 25 }]))
    const input = timelineInput({
      scenes: [cut!],
      picks,
      media,
      narration: { path: "narration.wav", duration: 40 },
      output: { path: "out/long.mp4", width: 1080, height: 1920, fps: 25, encoder: "libx264", captions: "none" },
      captionsFile: undefined,
      workDir: "work"
    })
    expect(input._tag).toBe("Right")
    if (input._tag !== "Right") return
    expect(input.right.scenes.length).toBe(picks.length)
    expect(input.right.scenes.map((s) => s.narration.start)).toEqual(cut!.shots!.map((s) => s.start))
    const plan = planRender(input.right)
    expect(plan._tag === "Right" && plan.right.durationSeconds).toBe(40)
  })

  it("loops the one matching clip over a long scene rather than cutting to unrelated footage, and says so", () => {
    const [cut] = cutScenes([scene()], narratedWords(0, 40))
    const clips = [video("lib/forest.mp4", ["forest"]), video("lib/ocean.mp4", ["ocean"]), video("lib/city.mp4", ["city"])]
    const picks = rankShots([cut!], clips, { frame: portrait, seed: 1 })
    expect(picks).toHaveLength(1)
    const [pick] = picks
    expect(pick!.clip.path).toBe("lib/forest.mp4")
    expect([pick!.startSec, pick!.durationSec]).toEqual([0, 40])
    expect(pick!.looped).toBe(true)
    expect(pick!.reasons.join(" ")).toContain("looped: no other clip matched")

    const media = new Map(clips.map((c) => [c.path, { duration: c.durationSec, width: c.width, height: c.height, fps: 25 }]))
    const input = timelineInput({
      scenes: [cut!],
      picks,
      media,
      narration: { path: "narration.wav", duration: 40 },
      output: { path: "out/loop.mp4", width: 1080, height: 1920, fps: 25, encoder: "libx264", captions: "none" },
      captionsFile: undefined,
      workDir: "work"
    })
    expect(input._tag === "Right" && input.right.shots).toEqual([expect.objectContaining({ path: "lib/forest.mp4", whenShort: "loop" })])
  })

  it("alternates two matching clips, each going on where it stopped, and flags only the shots that run a clip past its end", () => {
    const [cut] = cutScenes([scene({ estimatedSec: 20 })], narratedWords(0, 20))
    const clips = [video("lib/forest-a.mp4", ["forest"], 9), video("lib/forest-b.mp4", ["forest"], 9), video("lib/ocean.mp4", ["ocean"])]
    const picks = rankShots([cut!], clips, { frame: portrait, seed: 2 })
    expect(picks.length).toBe(cut!.shots!.length)
    expect(picks.map((p) => p.clip.path)).not.toContain("lib/ocean.mp4")
    for (const [i, pick] of picks.entries()) if (i > 0) expect(pick.clip.path).not.toBe(picks[i - 1]!.clip.path)
    const played = new Map<string, number>()
    for (const pick of picks) {
      const before = played.get(pick.clip.path) ?? 0
      expect(pick.inPointSec).toBeCloseTo(before % 9, 3)
      expect(pick.looped).toBe(pick.inPointSec + pick.durationSec > 9 + 1e-6)
      played.set(pick.clip.path, before + pick.durationSec)
    }
    expect(picks.some((p) => p.looped)).toBe(true)
  })

  it("keeps one pick per scene for scenes the director did not cut", () => {
    const queries: ReadonlyArray<SceneQuery> = [
      { index: 0, keywords: ["forest"], estimatedSec: 4 },
      { index: 1, keywords: ["ocean"], estimatedSec: 4 }
    ]
    const picks = rankShots(queries, [video("lib/forest.mp4", ["forest"]), video("lib/ocean.mp4", ["ocean"])], { frame: portrait, seed: 1 })
    expect(picks.map((p) => [p.scene, p.shot, p.startSec, p.durationSec, p.looped])).toEqual([[0, 0, 0, 4, false], [1, 0, 0, 4, false]])
    expect(picks.every((p) => p.reasons.length === 5)).toBe(true)
  })
})
