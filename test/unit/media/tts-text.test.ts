import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { sentencesFromWords, wordsFromCharacters } from "../../../media/tts/elevenlabs.ts"
import { makeTts, validateRequest } from "../../../media/tts/narration.ts"
import { splitSentences, splitWords, toSentences } from "../../../media/tts/text-units.ts"
import { concatPcm, decodeWav, encodeWav, pcmFromS16le } from "../../../media/tts/wav.ts"

describe("text units", () => {
  it("splits sentences on terminal punctuation, CJK full stops and blank lines", () => {
    expect(splitSentences("The set is a fractal. Is it?  Yes!\n\nNew paragraph… 它很美。再见！ — ")).toEqual([
      "The set is a fractal.",
      "Is it?",
      "Yes!",
      "New paragraph…",
      "它很美。",
      "再见！"
    ])
  })

  it("keeps each word's punctuation and offset; unspeakable tokens join the previous word", () => {
    expect(splitWords(`"Rule 110" — is it (really) universal? 🎉`)).toEqual([
      { text: `"Rule`, spoken: "Rule", speech: `"Rule`, offset: 0 },
      { text: `110" —`, spoken: "110", speech: `110" —`, offset: 6 },
      { text: "is", spoken: "is", speech: "is", offset: 13 },
      { text: "it", spoken: "it", speech: "it", offset: 16 },
      { text: "(really)", spoken: "really", speech: "(really)", offset: 19 },
      { text: "universal? 🎉", spoken: "universal", speech: "universal? 🎉", offset: 28 }
    ])
  })
})

describe("what the voice is given", () => {
  it("says words with their symbols, and an abbreviation's period only where it would not end a clause", () => {
    const [sentence] = toSentences("Dr. Smith paid $3.50 (7.5% off) vs. €5 & more, e.g. on 3/4/2025 at 10:30.")
    expect(sentence!.speech).toBe("Dr Smith paid $3.50 (7.5% off) vs €5 & more, e.g. on 3/4/2025 at 10:30.")
    expect(sentence!.words.map((w) => w.speech)).toEqual([
      "Dr",
      "Smith",
      "paid",
      "$3.50",
      "(7.5%",
      "off)",
      "vs",
      "€5 &",
      "more,",
      "e.g.",
      "on",
      "3/4/2025",
      "at",
      "10:30."
    ])
    expect(toSentences("J. R. R. Tolkien wrote No. 5.")[0]!.speech).toBe("J R R Tolkien wrote No 5.")
  })

  it("cuts Chinese and Japanese without spaces into sentences and words", () => {
    expect(toSentences("你好。世界！こんにちは。元気ですか？").map((s) => s.words.map((w) => w.text))).toEqual([
      ["你好。"],
      ["世界！"],
      ["こんにちは。"],
      ["元気", "です", "か？"]
    ])
  })
})

describe("ElevenLabs alignment → words", () => {
  it("groups characters into words with the first start and last end, offset by the chunk start", () => {
    const characters = [..."Hi, you. Bye!"]
    const words = wordsFromCharacters(
      {
        characters,
        character_start_times_seconds: characters.map((_, i) => i / 10),
        character_end_times_seconds: characters.map((_, i) => (i + 1) / 10)
      },
      2
    )
    expect(words).toEqual([
      { word: "Hi,", start: 2, end: 2.3 },
      { word: "you.", start: 2.4, end: 2.8 },
      { word: "Bye!", start: 2.9, end: 3.3 }
    ])
    expect(sentencesFromWords(words, 3.5).map((s) => [s.text, s.start, s.end])).toEqual([
      ["Hi, you.", 2, 2.9],
      ["Bye!", 2.9, 3.5]
    ])
  })
})

describe("WAV", () => {
  it("round-trips 16-bit mono PCM and joins parts", () => {
    const pcm = concatPcm(22050, [Int16Array.from([1, -2, 3]), Int16Array.from([32767, -32768])])
    const bytes = encodeWav(pcm)
    expect(bytes.length).toBe(44 + 10)
    expect(decodeWav(bytes)).toEqual({ sampleRate: 22050, samples: Int16Array.from([1, -2, 3, 32767, -32768]) })
    expect(pcmFromS16le(Uint8Array.from([1, 0, 255, 255]), 24000).samples).toEqual(Int16Array.from([1, -1]))
    expect(() => decodeWav(new TextEncoder().encode("not a wav file at all"))).toThrow(/RIFF/)
  })
})

describe("requests", () => {
  it.effect("untrusted text, voice, rate and pitch are validated", () =>
    Effect.gen(function*() {
      const bad = [
        { text: "   ...  ", voice: "en" },
        { text: "hello", voice: "en; rm -rf /" },
        { text: "hello", voice: "en", rate: 0 },
        { text: "hello", voice: "en", pitch: 101 },
        { text: "x".repeat(100_001), voice: "en" }
      ]
      for (const request of bad) {
        const error = yield* Effect.flip(validateRequest("espeak-ng", request))
        expect(error.reason).toBe("invalid-request")
      }
      yield* validateRequest("espeak-ng", { text: "Hello, 世界!", voice: "en-us", rate: 1.5, pitch: 0 })
    }))

  it.effect("an unknown provider name is a typed error listing the registered ones", () =>
    Effect.gen(function*() {
      const tts = makeTts([{ name: "a", synthesize: () => Effect.die("unused") }])
      const error = yield* Effect.flip(tts.synthesize({ text: "hi", voice: "v", provider: "b" }, "/tmp"))
      expect(error).toMatchObject({ reason: "unknown-provider", provider: "b" })
      expect(error.message).toContain("registered: a")
    }))
})
