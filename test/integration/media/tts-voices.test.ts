/**
 * Voices by language with the real espeak-ng: a Chinese script narrated with `auto` is spoken in Mandarin,
 * not read out as "Chinese letter …" by the English voice; a mixed sentence switches voice per run and
 * keeps its word timings; a named voice that cannot speak the script is a warning.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { espeakNg, espeakVoices, voiceFor } from "../../../media/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

/** espeak-ng's phonemes for a text (`-x`): "(en)" marks a switch to English, which is how letter names are read. */
const phonemes = (text: string, voice: string) => execFileSync("espeak-ng", ["-q", "-x", "-v", voice, text]).toString()

const CHINESE = "我们今天学习数学。数学很有意思，也很有用。"

describe("narration voices by language", () => {
  it.effect("lists espeak-ng's voices once per process, Mandarin among them", () =>
    Effect.gen(function*() {
      const voices = yield* espeakVoices()
      expect(voices.names.has("cmn")).toBe(true)
      expect(yield* espeakVoices()).toBe(voices)
    }))

  it.scoped("a Chinese script narrated with auto is spoken by the Mandarin voice, not as letter names", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("reelswarm-voices-")
      const plan = yield* voiceFor(CHINESE)
      expect(plan.voice).toMatch(/^cmn/)
      expect(plan.warnings).toEqual([])
      // The English voice says "Chinese letter" for every character; the Mandarin voice says syllables
      // with tones (no switch to English: 1.51's plain cmn voice reads tone numbers in English).
      expect(phonemes(CHINESE, "en")).toContain("tS'aIni:z")
      const mandarin = phonemes(CHINESE, plan.voice)
      expect(mandarin).not.toContain("(en)")
      expect(mandarin).toMatch(/\d{2}/)

      const auto = yield* espeakNg().synthesize({ text: CHINESE, voice: "auto" }, dir)
      const english = yield* espeakNg().synthesize({ text: CHINESE, voice: "en" }, dir)
      // 19 syllables with their tones take about 5 s; the letter names ("Chinese letter" × 19) about 13 s.
      expect(auto.durationSec).toBeLessThan(english.durationSec / 2)
      expect(auto.durationSec).toBeGreaterThan(1.5)
      expect(auto.words.length).toBe(english.words.length)
      for (const [i, word] of auto.words.entries()) {
        expect(word.end).toBeGreaterThan(word.start)
        if (i > 0) expect(word.start).toBeGreaterThanOrEqual(auto.words[i - 1]!.end - 0.05)
      }
    }))

  it.scoped("a mixed sentence switches voice per run and every word is timed in order", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("reelswarm-voices-")
      const text = "My friend 王小明 said hello to everyone. Then we went to 北京 together."
      const plan = yield* voiceFor(text)
      expect(plan.voices).toEqual(["en", expect.stringMatching(/^cmn/)])
      const mixed = yield* espeakNg().synthesize({ text, voice: "auto" }, dir)
      const english = yield* espeakNg().synthesize({ text, voice: "en" }, dir)
      expect(mixed.words.map((w) => w.word)).toEqual(english.words.map((w) => w.word))
      for (const [i, word] of mixed.words.entries()) {
        expect(word.end).toBeGreaterThan(word.start)
        if (i > 0) expect(word.start).toBeGreaterThanOrEqual(mixed.words[i - 1]!.end - 0.05)
      }
      // The Chinese names are syllables, not "Chinese letter" three times over.
      const name = (narration: typeof mixed, word: string) => {
        const at = narration.words.findIndex((w) => w.word.startsWith(word))
        return narration.words[at + 1]!.start - narration.words[at]!.start
      }
      expect(name(mixed, "王")).toBeLessThan(name(english, "王") / 2)
      expect(mixed.durationSec).toBeLessThan(english.durationSec)
    }))

  it.effect("a named voice that cannot speak the script's characters is a warning naming them", () =>
    Effect.gen(function*() {
      const plan = yield* voiceFor(CHINESE, "en")
      expect(plan.voices).toEqual(["en"])
      expect(plan.warnings).toEqual([
        expect.objectContaining({ voice: "en", script: "Han", characters: expect.stringContaining("我们今天") })
      ])
      expect((yield* voiceFor("Hello there.", "en")).warnings).toEqual([])
    }))
})
