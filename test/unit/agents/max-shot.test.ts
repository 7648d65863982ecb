import { describe, expect, it } from "@effect/vitest"
import { cutScene, cutScenes, type TimedWord } from "../../../agents/director/cuts.ts"
import { SHOT_LENGTHS } from "../../../agents/director/mood.ts"
import type { Pace, Scene, ShotSpan } from "../../../agents/director/scene.ts"

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

/** The shots follow one another from 0 and add up to the scene. */
const expectCovers = (shots: ReadonlyArray<ShotSpan>, durationSec: number) => {
  expect(shots[0]!.start).toBe(0)
  for (const [i, shot] of shots.entries()) {
    if (i > 0) expect(shot.start).toBeCloseTo(shots[i - 1]!.start + shots[i - 1]!.duration, 6)
  }
  expect(shots.reduce((sum, s) => sum + s.duration, 0)).toBeCloseTo(durationSec, 6)
}

describe("a job's longest shot (maxShotSeconds)", () => {
  it("cuts a 40 s relaxed scene into the fewest shots of at most 3 s, each cut between two words", () => {
    const words = narratedWords(12, 40)
    const shots = cutScene("slow", 12, 40, words, { maxShotSeconds: 3 })
    expect(shots).toHaveLength(Math.ceil(40 / 3))
    expectCovers(shots, 40)
    for (const shot of shots) expect(shot.duration).toBeLessThanOrEqual(3)
    const cuts = shots.slice(1).map((s) => 12 + s.start)
    expect(cuts.filter((cut) => words.some((w) => w.start < cut - 1e-9 && cut + 1e-9 < w.end))).toEqual([])
  })

  it("cuts a scene its pace would keep whole when it is longer than the cap, and no more than needed", () => {
    expect(cutScene("medium", 0, 3.8)).toHaveLength(1)
    expect(cutScene("medium", 0, 3.8, [], { maxShotSeconds: 2 })).toEqual([{ start: 0, duration: 1.9 }, { start: 1.9, duration: 1.9 }])
    expect(cutScene("medium", 0, 3.8, [], { maxShotSeconds: 3.8 })).toEqual([{ start: 0, duration: 3.8 }])
  })

  it("leaves the pace's shorter shots as they are: a cap above the pace's longest shot changes nothing", () => {
    const words = narratedWords(0, 40)
    for (const pace of ["slow", "medium", "fast"] as const) {
      expect(cutScene(pace, 0, 40, words, { maxShotSeconds: SHOT_LENGTHS[pace].max + 1 })).toEqual(cutScene(pace, 0, 40, words))
      expect(cutScene(pace, 0, 40, words, { maxShotSeconds: 30 })).toEqual(cutScene(pace, 0, 40, words))
    }
  })

  it("holds for every pace, scene length and cap, with or without word timings, even a cap shorter than the pace's shortest shot", () => {
    const paces: ReadonlyArray<Pace> = ["slow", "medium", "fast"]
    for (const pace of paces) {
      for (const durationSec of [0.5, 2.2, 4.9, 7.3, 12, 19.99, 33.3]) {
        for (const cap of [1, 1.25, 2, 2.5, 3, 4.4, 6]) {
          for (const words of [[], narratedWords(5, durationSec)]) {
            const shots = cutScene(pace, 5, durationSec, words, { maxShotSeconds: cap })
            const label = `${pace} ${durationSec} s, cap ${cap} s, ${words.length} words`
            expectCovers(shots, durationSec)
            for (const shot of shots) expect(shot.duration, label).toBeLessThanOrEqual(cap)
            const paceShots = cutScene(pace, 5, durationSec, words).length
            expect(shots.length, label).toBe(Math.max(paceShots, Math.ceil(durationSec / Math.min(cap, SHOT_LENGTHS[pace].max))))
          }
        }
      }
    }
  })

  it("applies to every scene of a plan", () => {
    const scenes = [scene({ estimatedSec: 3, pace: "medium" }), scene({ index: 1, estimatedSec: 12 })]
    const [first, second] = cutScenes(scenes, narratedWords(0, 15), { maxShotSeconds: 1.5 })
    expect(first!.shots).toHaveLength(2)
    expect(second!.shots).toHaveLength(8)
    for (const shot of [...first!.shots!, ...second!.shots!]) expect(shot.duration).toBeLessThanOrEqual(1.5)
  })
})
