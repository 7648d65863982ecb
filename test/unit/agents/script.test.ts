import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { BUNDLED_SCRIPT } from "../../../agents/director/bundled-script.ts"
import { moodOf, paceOf } from "../../../agents/director/mood.ts"
import { Scene } from "../../../agents/director/scene.ts"
import { estimateSentenceSec, groupSentences, keywordsOf, planScenes, planScript } from "../../../agents/director/script.ts"
import { splitSentences } from "../../../agents/director/sentences.ts"

const total = (scenes: ReadonlyArray<Scene>) => scenes.reduce((sum, s) => sum + s.estimatedSec, 0)

describe("scene planning", () => {
  it("plans the bundled demo script as 6–9 scenes of 2–6 s, 30–45 s in all, one subject each", () => {
    const scenes = planScript(BUNDLED_SCRIPT)
    expect(scenes.length).toBeGreaterThanOrEqual(6)
    expect(scenes.length).toBeLessThanOrEqual(9)
    expect(total(scenes)).toBeGreaterThan(30)
    expect(total(scenes)).toBeLessThan(45)
    for (const scene of scenes) {
      expect(scene.estimatedSec).toBeGreaterThanOrEqual(2)
      expect(scene.estimatedSec).toBeLessThanOrEqual(6)
    }
    expect(scenes.map((s) => s.index)).toEqual(scenes.map((_, i) => i))
    const subjects = ["mandelbrot", "life", "110", "sierpinski"]
    for (const subject of subjects) expect(scenes.some((s) => s.keywords.includes(subject))).toBe(true)
    for (const scene of scenes) expect(Schema.is(Scene)(scene)).toBe(true)
  })

  it("groups short sentences and keeps long ones alone", () => {
    // Durations in seconds: three short ones, a long one, two medium ones.
    const ranges = groupSentences([1.5, 1.5, 1.2, 7, 2.5, 2.2], [0, 0, 0, 0, 0, 0])
    expect(ranges).toEqual([[0, 3], [3, 4], [4, 6]])
  })

  it("prefers cutting at paragraph breaks", () => {
    const sameParagraph = groupSentences([2, 2, 2, 2], [0, 0, 0, 0])
    const brokenParagraphs = groupSentences([2, 2, 2, 2], [0, 1, 1, 2])
    expect(sameParagraph).toEqual([[0, 2], [2, 4]])
    expect(brokenParagraphs).toEqual([[0, 1], [1, 3], [3, 4]])
  })

  it("re-plans on measured durations: the same sentences regroup when the voice is slower", () => {
    const sentences = splitSentences("Cells live. Cells die. Gliders walk. Colonies grow. Patterns emerge. Nobody planned them.")
    const estimated = planScenes(sentences)
    const measured = planScenes(sentences, sentences.map(() => 2.9))
    expect(estimated.length).toBeLessThan(measured.length)
    expect(measured.every((s) => s.estimatedSec <= 6)).toBe(true)
    expect(measured.flatMap((s) => s.sentences)).toEqual(sentences.map((s) => s.text))
    expect(() => planScenes(sentences, [1, 2])).toThrow(RangeError)
  })

  it("estimates from words per second plus a sentence pause", () => {
    expect(estimateSentenceSec("one two three four five six", { wordsPerSecond: 3, sentencePauseSec: 0.5 })).toBeCloseTo(2.5)
  })

  it("ranks keywords by distinctiveness, one surface form per stem, without stopwords", () => {
    const [first, second] = keywordsOf(
      ["Patterns of patterns: the Mandelbrot pattern is a fractal.", "The pattern of cells in the Game of Life."],
      4
    )
    // "patterns" is said three times here (one surface form for pattern/patterns), "mandelbrot" once but only here.
    expect(first!.slice(0, 2)).toEqual(["patterns", "mandelbrot"])
    expect(first).not.toContain("pattern")
    expect(first).not.toContain("the")
    expect(second).toEqual(["cells", "game", "life", "pattern"])
  })

  it("is deterministic", () => {
    expect(planScript(BUNDLED_SCRIPT)).toEqual(planScript(BUNDLED_SCRIPT))
  })
})

describe("mood and pace", () => {
  it("reads mood from its lexicon, neutral when nothing matches", () => {
    expect(moodOf("An infinite, mysterious universe of endless beauty.")).toBe("wonder")
    expect(moodOf("Chaos and collapse: the storm destroys the city.")).toBe("tense")
    expect(moodOf("A gentle, quiet and peaceful morning.")).toBe("calm")
    expect(moodOf("The table has four legs.")).toBe("neutral")
  })

  it("reads pace from fast and slow words, exclamations and sentence length", () => {
    expect(paceOf(["It spreads rapidly!", "Bursts everywhere!"])).toBe("fast")
    expect(paceOf(["The light drifts slowly and gently across the still water of the lake at dawn."])).toBe("slow")
    expect(paceOf(["The set is drawn by repeating one formula for every point of the plane."])).toBe("medium")
  })
})
