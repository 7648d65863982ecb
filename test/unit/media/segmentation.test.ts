import { describe, expect, it } from "@effect/vitest"
import { splitSentences, splitWords, wordCount } from "../../../media/index.ts"

const texts = (text: string, language?: string) => splitSentences(text, language === undefined ? {} : { language }).map((s) => s.text)
const words = (sentence: string) => splitWords(sentence).map((w) => w.text)

describe("sentences in every script", () => {
  it("ends Chinese and Japanese sentences at 。！？ with or without a space", () => {
    expect(texts("你好。世界！再见？")).toEqual(["你好。", "世界！", "再见？"])
    expect(texts("こんにちは。元気ですか？")).toEqual(["こんにちは。", "元気ですか？"])
    expect(texts("「你好。」他说。 好！")).toEqual(["「你好。」", "他说。", "好！"])
  })

  it("ends Arabic sentences at ؟ and Hindi sentences at ।, spaced or not", () => {
    expect(texts("مرحبا بالعالم؟كيف حالك؟ هذا جيد.")).toEqual(["مرحبا بالعالم؟", "كيف حالك؟", "هذا جيد."])
    expect(texts("नमस्ते दुनिया। आप कैसे हैं।ठीक है")).toEqual(["नमस्ते दुनिया।", "आप कैसे हैं।", "ठीक है"])
  })

  it("keeps a line of abbreviations, currency, percent, dates and times as one sentence", () => {
    const line = "Dr. Smith paid $3.50 (7.5% off) vs. €5 & more, e.g. on 3/4/2025 at 10:30."
    expect(texts(`${line} Then he left.`)).toEqual([line, "Then he left."])
  })

  it("knows each language's abbreviations, and every language's when none is given", () => {
    expect(texts("Herr Dr. Müller kommt z.B. Montag. Nr. 5 fehlt.", "de")).toEqual(["Herr Dr. Müller kommt z.B. Montag.", "Nr. 5 fehlt."])
    expect(texts("Mme. Curie arrive. Elle part.", "fr-FR")).toEqual(["Mme. Curie arrive.", "Elle part."])
    expect(texts("La Sra. López llega. Se va.")).toEqual(["La Sra. López llega.", "Se va."])
    // "No." is an abbreviation before a number only.
    expect(texts("See No. 5 here. I said no. Then he left.", "en")).toEqual(["See No. 5 here.", "I said no.", "Then he left."])
  })

  it("gives a symbol-only sentence to the one before it and leaves out trailing bare punctuation", () => {
    expect(texts("It works. 🎉 Next one! —")).toEqual(["It works. 🎉", "Next one!"])
    expect(texts("***\n\nReal text.")).toEqual(["Real text."])
  })

  it("keeps the source offsets and paragraph of each sentence", () => {
    const source = "One.  Two?\n\n  你好。世界"
    expect(splitSentences(source).map((s) => [source.slice(s.start, s.end), s.paragraph])).toEqual([
      ["One.", 0],
      ["Two?", 0],
      ["你好。", 1],
      ["世界", 1]
    ])
  })
})

describe("caption words", () => {
  it("cuts scripts without spaces into words with Intl.Segmenter, punctuation going with the word before it", () => {
    expect(words("元気ですか？")).toEqual(["元気", "です", "か？"])
    expect(words("「你好」他说。")).toEqual(["「你好」", "他", "说。"])
    expect(words("สวัสดีครับ ผมชื่อสมชาย")).toEqual(["สวัสดี", "ครับ", "ผม", "ชื่อ", "สมชาย"])
  })

  it("keeps symbols with their word, and gives a symbol-only token to the word before it", () => {
    expect(words("Dr. Smith paid $3.50 (7.5% off) vs. €5 & more 🎉")).toEqual([
      "Dr.",
      "Smith",
      "paid",
      "$3.50",
      "(7.5%",
      "off)",
      "vs.",
      "€5 &",
      "more 🎉"
    ])
    expect(words("— “Go,” she said 👩‍👩‍👧")).toEqual(["— “Go,”", "she", "said 👩‍👩‍👧"])
  })

  it("keeps each word's offset and its core without punctuation and symbols", () => {
    const sentence = "Paid $3.50, नमस्ते।"
    expect(splitWords(sentence).map((w) => [w.text, w.core, sentence.slice(w.offset, w.offset + w.text.length)])).toEqual([
      ["Paid", "Paid", "Paid"],
      ["$3.50,", "3.50", "$3.50,"],
      ["नमस्ते।", "नमस्ते", "नमस्ते।"]
    ])
    expect(wordCount("你好。世界！")).toBe(2)
  })
})
