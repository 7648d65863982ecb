/**
 * The planner, the narration and the measured scene lengths agree on any script: the planner's
 * sentences, re-split by the narration from the text it is given (the sentences joined by spaces),
 * are the same sentences with the same words, so measuring sentence lengths from timed words can
 * never fail with "N timed words for M words" — in any script, with symbols, emoji and no spaces.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { measuredSentenceDurations } from "../../../agents/director/measured.ts"
import { splitSentences as planSentences } from "../../../agents/director/sentences.ts"
import { wordCount } from "../../../media/index.ts"
import { toSentences } from "../../../media/tts/text-units.ts"

const fragments = [
  "Dr.",
  "Mr.",
  "No.",
  "vs.",
  "e.g.",
  "z.B.",
  "Sr.",
  "J.",
  "Smith",
  "paid",
  "the",
  "$3.50",
  "(7.5%",
  "off)",
  "€5",
  "&",
  "3/4/2025",
  "10:30",
  "3.14",
  "Wait...",
  "end…",
  "Yes!",
  "Why?",
  "“Stop.”",
  "'Really?'",
  "—",
  "-",
  "…",
  "🎉",
  "👩‍👩‍👧",
  "❤️",
  "你好",
  "世界",
  "。",
  "！",
  "？",
  "「再见」",
  "こんにちは",
  "元気ですか",
  "สวัสดีครับ",
  "مرحبا",
  "؟",
  "नमस्ते",
  "।",
  "Привет.",
  "Γεια",
  "안녕하세요.",
  "שלום"
]
const separators = ["", " ", " ", " ", "  ", "\n", "\n\n", "\t"]

const scripts = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom(...fragments), fc.constantFrom(...separators)), { maxLength: 40 }).map((parts) =>
    parts.map(([fragment, separator]) => fragment + separator).join("")
  ),
  fc.string({ maxLength: 80, unit: "grapheme" }),
  fc.string({ maxLength: 60, unit: fc.constantFrom(..."a B.!?。！？؟। \n🎉$%&—「」\"'".split("")) })
)

const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)

describe("one segmentation for planner, narration and captions", () => {
  it.prop("the narration re-splits the planner's sentences into the same words, so measuring never mismatches", [scripts], ([script]) => {
    const planned = planSentences(script)
    const narration = toSentences(planned.map((s) => s.text).join(" "))
    const plannedWords = sum(planned.map((s) => wordCount(s.text)))
    const timed = narration.flatMap((s) => s.words).map((_, i) => ({ start: i, end: i + 0.5 }))
    expect(timed.length).toBe(plannedWords)
    expect(Either.isRight(measuredSentenceDurations(planned.map((s) => s.text), timed, timed.length + 1))).toBe(true)
    // Within one paragraph the narration finds exactly the planner's sentences.
    if (!planned.some((s) => s.paragraph > 0)) expect(narration.map((s) => s.text)).toEqual(planned.map((s) => s.text))
    // Every word has something to say, and the words put back together are the sentence.
    for (const sentence of narration) {
      for (const word of sentence.words) expect(word.text).toMatch(/[\p{L}\p{N}]/u)
      expect(sentence.words.map((w) => w.text).join("").replace(/\s/gu, "")).toBe(sentence.text.replace(/\s/gu, ""))
    }
  }, { fastCheck: { numRuns: 500, seed: 1111 } })
})
