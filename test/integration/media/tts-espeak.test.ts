import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { basename } from "node:path"
import { fileURLToPath } from "node:url"
import { splitSentences, wordCount } from "../../../media/index.ts"
import { espeakNg, makeTts, type SentenceTiming } from "../../../media/tts/index.ts"
import { type TextSentence, toSentences } from "../../../media/tts/text-units.ts"
import { decodeWav } from "../../../media/tts/wav.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const referenceScript = fileURLToPath(new URL("./tts-espeak-reference.py", import.meta.url))

interface Reference {
  readonly sampleRate: number
  readonly words: ReadonlyArray<{ readonly char: number; readonly sample: number }>
}

/**
 * espeak-ng's espeakEVENT_WORD positions for one sentence of what it was given to say, mapped onto our
 * words by character range: a word's reference onset is the first event inside it. espeak-ng gives some
 * words no event of their own ("the" in "In the Game" is spoken inside "In"'s): those have none here.
 */
const referenceOnsets = (
  timing: SentenceTiming,
  sentence: TextSentence,
  voice: string,
  wpm: number,
  pitch: number
): ReadonlyArray<number | undefined> => {
  const ref = JSON.parse(
    execFileSync("python3", [referenceScript], { input: JSON.stringify({ text: sentence.speech, voice, wpm, pitch }) }).toString()
  ) as Reference
  let searchFrom = 0
  return sentence.words.map((word) => {
    const at = sentence.speech.indexOf(word.speech, searchFrom)
    expect(at, `"${word.speech}" in "${sentence.speech}"`).toBeGreaterThanOrEqual(0)
    searchFrom = at + word.speech.length
    const first = [...sentence.speech.slice(0, at)].length
    const last = first + [...word.speech].length
    const event = ref.words.find((e) => e.char >= first && e.char < last)
    return event === undefined ? undefined : timing.start + event.sample / ref.sampleRate
  })
}

interface OnsetCase {
  readonly text: string
  readonly voice: string
  readonly rate: number
  readonly pitch: number
}

/** Narrates each case and returns every word's onset error (seconds, + late, − early) against espeak-ng's own word events. */
const onsetErrors = (dir: string, cases: ReadonlyArray<OnsetCase>) =>
  Effect.gen(function*() {
    const tts = makeTts([espeakNg()])
    const errors: Array<{ readonly word: string; readonly error: number }> = []
    for (const { text, voice, rate, pitch } of cases) {
      const narration = yield* tts.synthesize({ text, voice, rate, pitch }, dir)
      const sentences = toSentences(text)
      expect(narration.sentences.map((s) => s.text)).toEqual(sentences.map((s) => s.text))
      const wav = decodeWav(readFileSync(narration.audioFile))
      expect(wav.samples.length / wav.sampleRate).toBeCloseTo(narration.durationSec, 3)
      narration.sentences.forEach((timing, s) => {
        const reference = referenceOnsets(timing, sentences[s]!, voice, Math.round(175 * rate), pitch)
        timing.words.forEach((w, i) => {
          const onset = reference[i]
          if (onset !== undefined) errors.push({ word: w.word, error: w.start - onset })
        })
        expect(reference.filter((onset) => onset === undefined).length).toBeLessThanOrEqual(1)
        for (const w of timing.words) {
          expect(w.end).toBeGreaterThanOrEqual(w.start)
          expect(w.start).toBeGreaterThanOrEqual(timing.start)
          expect(w.end).toBeLessThanOrEqual(timing.end)
        }
      })
    }
    return errors
  })

const figures = (errors: ReadonlyArray<{ readonly word: string; readonly error: number }>) => {
  const worst = errors.reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a))
  return {
    meanMs: (1000 * errors.reduce((a, b) => a + Math.abs(b.error), 0)) / errors.length,
    maxMs: 1000 * Math.abs(worst.error),
    worst: worst.word,
    words: errors.length
  }
}

const script = "The Mandelbrot set is a fractal, endlessly detailed at every zoom. " +
  "In the Game of Life, simple cells follow simple rules, and patterns emerge. " +
  "Rule 110 is a cellular automaton that can compute anything! " +
  "Is the Sierpinski triangle chaos, or order?"

describe("espeak-ng narration", () => {
  it.scoped("word onsets are within 40 ms of espeak-ng's own word events, across rates, pitches, pauses and languages", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-espeak")
      const tts = makeTts([espeakNg()])
      const errors: Array<number> = []
      // What a character-count guess would give (the FFCreator approach), for the record.
      const guessErrors: Array<number> = []
      const cases = [
        { text: script, voice: "en", rate: 1, pitch: 50 },
        { text: script, voice: "en", rate: 1.3, pitch: 70 },
        {
          text: "Dr. Smith paid $42.50 on 3/4/2021 for 12 apples, then left at 5 p.m. Wow — that's quick!",
          voice: "en-us",
          rate: 1,
          pitch: 50
        },
        { text: "Die Mandelbrot-Menge ist ein Fraktal. Das Spiel des Lebens zeigt Emergenz, nicht wahr?", voice: "de", rate: 1, pitch: 50 },
        {
          text: "La règle 110 est un automate cellulaire universel. Le triangle de Sierpiński est partout !",
          voice: "fr",
          rate: 0.8,
          pitch: 40
        }
      ]
      for (const { text, voice, rate, pitch } of cases) {
        const narration = yield* tts.synthesize({ text, voice, rate, pitch }, dir)
        if (text === script) expect(narration.sentences.map((s) => s.words[0]?.word)).toEqual(["The", "In", "Rule", "Is"])
        expect(narration.words.length).toBe(text.split(" ").filter((t) => /[\p{L}\p{N}]/u.test(t)).length)
        const wav = decodeWav(readFileSync(narration.audioFile))
        expect(wav.samples.length / wav.sampleRate).toBeCloseTo(narration.durationSec, 3)
        const textSentences = toSentences(text)
        for (const [s, sentence] of narration.sentences.entries()) {
          const reference = referenceOnsets(sentence, textSentences[s]!, voice, Math.round(175 * rate), pitch)
          const chars = sentence.text.length
          let charsBefore = 0
          sentence.words.forEach((w, i) => {
            const guess = sentence.start + (charsBefore / chars) * (sentence.end - sentence.start)
            charsBefore += w.word.length + 1
            const onset = reference[i]
            if (onset === undefined) return
            errors.push(Math.abs(w.start - onset))
            guessErrors.push(Math.abs(guess - onset))
          })
          for (const w of sentence.words) {
            expect(w.end).toBeGreaterThanOrEqual(w.start)
            expect(w.start).toBeGreaterThanOrEqual(sentence.start)
            expect(w.end).toBeLessThanOrEqual(sentence.end)
          }
        }
      }
      const meanMs = (1000 * errors.reduce((a, b) => a + b, 0)) / errors.length
      const guessMeanMs = (1000 * guessErrors.reduce((a, b) => a + b, 0)) / guessErrors.length
      console.log(
        JSON.stringify({
          word_onset_mae_ms: Math.round(meanMs * 10) / 10,
          word_onset_max_ms: Math.round(1000 * Math.max(...errors)),
          char_count_guess_mae_ms: Math.round(guessMeanMs * 10) / 10,
          words: errors.length
        })
      )
      expect(meanMs).toBeLessThanOrEqual(40)
    }))

  it.scoped("plain prose: word onsets within 15 ms of espeak-ng's own word events on average", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-espeak")
      const errors = yield* onsetErrors(dir, [{ text: script, voice: "en", rate: 1, pitch: 50 }])
      const result = figures(errors)
      console.log(JSON.stringify({ prose_onset: result, per_word_ms: errors.map((e) => [e.word, Math.round(1000 * e.error)]) }))
      expect(result.meanMs).toBeLessThanOrEqual(15)
    }))

  it.scoped("mixed text (currency, percent, dates, times, abbreviations, &): onsets within 25 ms on average, 100 ms at worst", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-espeak")
      const cases: ReadonlyArray<OnsetCase> = [
        { text: "Dr. Smith paid $3.50 (7.5% off) vs. €5 & more, e.g. on 3/4/2025 at 10:30.", voice: "en", rate: 1, pitch: 50 },
        {
          text: "Mr. Jones & Mrs. Lee spent £1,200 on No. 7 at 9:45 p.m. on 12/31/2024, i.e. 15% more than St. Louis. " +
            "Prof. Kim sold 3 shares @ $19.99 each, up 0.25%.",
          voice: "en-us",
          rate: 1.2,
          pitch: 60
        }
      ]
      const errors = yield* onsetErrors(dir, cases)
      const result = figures(errors)
      console.log(JSON.stringify({ mixed_onset: result, per_word_ms: errors.map((e) => [e.word, Math.round(1000 * e.error)]) }))
      expect(result.meanMs).toBeLessThanOrEqual(25)
      expect(result.maxMs).toBeLessThanOrEqual(100)
    }))

  it.scoped("a script with every kind of character is narrated with exactly the words the planner counts", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-espeak")
      const text = "Dr. Smith paid $3.50 (7.5% off) vs. €5 & more, e.g. on 3/4/2025 at 10:30. 你好。世界！再见？" +
        "こんにちは。元気ですか？ مرحبا بالعالم؟ नमस्ते दुनिया। Party 🎉 — “quoted!” [x] 50°C, #tag @user a+b=c ½ ❤️ 👩‍👩‍👧 ok."
      const planned = splitSentences(text).map((s) => s.text)
      const narration = yield* makeTts([espeakNg()]).synthesize({ text: planned.join(" "), voice: "en" }, dir)
      expect(narration.sentences.map((s) => s.text)).toEqual(planned)
      expect(narration.words.length).toBe(planned.reduce((n, s) => n + wordCount(s), 0))
      for (const w of narration.words) expect(w.end).toBeGreaterThanOrEqual(w.start)
    }))

  it.scoped("a finished narration is reused; an unknown voice is a typed error with espeak-ng's message", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-espeak")
      const tts = makeTts([espeakNg()])
      const first = yield* tts.synthesize({ text: "Cells live. Cells die.", voice: "en" }, dir)
      const mtime = statSync(first.audioFile).mtimeMs
      const again = yield* tts.synthesize({ text: "Cells live. Cells die.", voice: "en" }, dir)
      expect(again).toEqual(first)
      expect(statSync(first.audioFile).mtimeMs).toBe(mtime)
      expect(readdirSync(dir).sort()).toEqual([basename(first.audioFile).replace(".wav", ".json"), basename(first.audioFile)].sort())

      const error = yield* Effect.flip(tts.synthesize({ text: "Hello.", voice: "xx-nonexistent" }, dir))
      expect(error).toMatchObject({ _tag: "TtsError", provider: "espeak-ng", reason: "process-failed" })
      expect(error.detail).toContain("voice does not exist")
    }))
})

/** Live espeak-ng processes whose parent is this test process. */
const espeakChildren = () =>
  readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
        const [, comm, state, ppid] = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat) ?? []
        return comm === "espeak-ng" && Number(ppid) === process.pid && state !== "Z" ? [pid] : []
      } catch {
        return []
      }
    })

describe("espeak-ng interruption", () => {
  it.live("an interrupted narration leaves no espeak-ng process and no narration file", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-espeak")
      const text = Array.from({ length: 200 }, (_, i) => `Sentence number ${i} talks about cells and fractals.`).join(" ")
      const fiber = yield* Effect.fork(espeakNg().synthesize({ text, voice: "en" }, dir))
      // Wait until synthesis is under way (a child exists), then interrupt.
      yield* Effect.repeat(Effect.sync(espeakChildren), { schedule: Schedule.spaced("5 millis"), until: (children) => children.length > 0 })
      yield* Fiber.interrupt(fiber)
      expect(espeakChildren()).toEqual([])
      expect(readdirSync(dir)).toEqual([])
    }).pipe(Effect.scoped))
})
