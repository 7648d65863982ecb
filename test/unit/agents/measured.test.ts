import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { measuredSentenceDurations } from "../../../agents/director/measured.ts"
import { planScenes } from "../../../agents/director/script.ts"
import { splitSentences } from "../../../agents/director/sentences.ts"
import { toSentences } from "../../../media/tts/text-units.ts"

const timed = (starts: ReadonlyArray<number>) => starts.map((start) => ({ start, end: start + 0.3 }))

describe("measured sentence durations", () => {
  it("cuts between sentences at the next sentence's first word and adds up to the narration", () => {
    const durations = Either.getOrThrow(
      measuredSentenceDurations(["Cells live.", "Gliders walk — far!", "Done."], timed([0.1, 0.5, 1.2, 1.6, 2.0, 3.1]), 3.8)
    )
    expect(durations.map((d) => Number(d.toFixed(3)))).toEqual([1.2, 1.9, 0.7])
    expect(durations.reduce((a, b) => a + b, 0)).toBeCloseTo(3.8)
  })

  it("reports a word-count mismatch instead of guessing", () => {
    const result = measuredSentenceDurations(["One two.", "Three."], timed([0, 1]), 2)
    expect(Either.isLeft(result)).toBe(true)
    expect(Either.isLeft(result) && result.left.message).toContain("2 timed words for 3 words")
  })

  it("counts the words the narration times in scripts without spaces and with symbols", () => {
    const script =
      "你好。世界！再见？ Dr. Smith paid $3.50 (7.5% off) vs. €5 & more, e.g. on 3/4/2025 at 10:30. 🎉 こんにちは。元気ですか？"
    const sentences = splitSentences(script).map((s) => s.text)
    const narrated = toSentences(sentences.join(" ")).flatMap((s) => s.words)
    expect(narrated).toHaveLength(3 + 14 + 1 + 3)
    const durations = measuredSentenceDurations(sentences, timed(narrated.map((_, i) => i)), narrated.length)
    expect(Either.getOrThrow(durations)).toEqual([1, 1, 1, 14, 1, 3])
  })

  it("feeds planScenes: real durations regroup the scenes", () => {
    const sentences = splitSentences("Cells live. Cells die. Gliders walk. Colonies grow.")
    const slow = Either.getOrThrow(
      measuredSentenceDurations(sentences.map((s) => s.text), timed([0, 1, 3, 4, 6, 7, 9, 10]), 12)
    )
    expect(slow).toEqual([3, 3, 3, 3])
    expect(planScenes(sentences, slow).map((s) => s.sentences.length)).toEqual([1, 1, 1, 1])
  })
})
