import { describe, expect, it } from "@effect/vitest"
import { splitSentences } from "../../../agents/director/sentences.ts"

const texts = (script: string) => splitSentences(script).map((s) => s.text)

describe("sentence splitting", () => {
  it("ends sentences at . ! ? and keeps decimals and titles inside", () => {
    expect(texts("Dr. Smith measured 3.14 meters. Then he left! Did he? Yes.")).toEqual([
      "Dr. Smith measured 3.14 meters.",
      "Then he left!",
      "Did he?",
      "Yes."
    ])
  })

  it("keeps closing quotes with their sentence", () => {
    expect(texts(`He said "Stop." Then he ran. 'Really?' she asked.`)).toEqual([
      `He said "Stop."`,
      "Then he ran.",
      "'Really?' she asked."
    ])
  })

  it("splits after an ellipsis only when a new sentence starts", () => {
    expect(texts("Wait... and see. The end… Another one begins.")).toEqual([
      "Wait... and see.",
      "The end…",
      "Another one begins."
    ])
  })

  it("does not split after e.g., initials or Fig. before a number", () => {
    expect(texts("Patterns emerge, e.g. the Mandelbrot set. J. R. R. Tolkien wrote it. See Fig. 3 for details.")).toEqual([
      "Patterns emerge, e.g. the Mandelbrot set.",
      "J. R. R. Tolkien wrote it.",
      "See Fig. 3 for details."
    ])
  })

  it("treats blank lines as paragraph breaks, even without a final period", () => {
    expect(splitSentences("A heading without a period\n\nSecond paragraph. With two sentences\r\n\r\n  \n")).toEqual([
      { text: "A heading without a period", paragraph: 0 },
      { text: "Second paragraph.", paragraph: 1 },
      { text: "With two sentences", paragraph: 1 }
    ])
  })

  it("joins lines wrapped inside a paragraph and collapses whitespace", () => {
    expect(texts("One sentence\nwrapped   over lines. Two?!  Three")).toEqual(["One sentence wrapped over lines.", "Two?!", "Three"])
  })

  it("splits Chinese, Japanese, Arabic and Hindi sentences at their own full stops, with or without a space", () => {
    expect(texts("你好。世界！再见？")).toEqual(["你好。", "世界！", "再见？"])
    expect(texts("こんにちは。元気ですか？")).toEqual(["こんにちは。", "元気ですか？"])
    expect(texts("مرحبا بالعالم؟ كيف حالك؟")).toEqual(["مرحبا بالعالم؟", "كيف حالك؟"])
    expect(texts("नमस्ते दुनिया। आप कैसे हैं।")).toEqual(["नमस्ते दुनिया।", "आप कैसे हैं।"])
  })

  it("keeps titles, vs., e.g., prices, percentages, dates and times in one sentence", () => {
    expect(texts("Dr. Smith paid $3.50 (7.5% off) vs. €5 & more, e.g. on 3/4/2025 at 10:30. Mr. Lee did not.")).toEqual([
      "Dr. Smith paid $3.50 (7.5% off) vs. €5 & more, e.g. on 3/4/2025 at 10:30.",
      "Mr. Lee did not."
    ])
  })

  it("returns nothing for an empty script", () => {
    expect(splitSentences("  \n\n ")).toEqual([])
  })
})
