import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { basename } from "node:path"
import { fileURLToPath } from "node:url"
import { espeakNg, makeTts, type SentenceTiming } from "../../../media/tts/index.ts"
import { decodeWav } from "../../../media/tts/wav.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const referenceScript = fileURLToPath(new URL("./tts-espeak-reference.py", import.meta.url))

interface Reference {
  readonly sampleRate: number
  readonly words: ReadonlyArray<{ readonly char: number; readonly sample: number }>
}

/** espeak-ng's espeakEVENT_WORD positions for one sentence, mapped onto our words by character range. */
const referenceOnsets = (sentence: SentenceTiming, voice: string, wpm: number, pitch: number): ReadonlyArray<number> => {
  const ref = JSON.parse(
    execFileSync("python3", [referenceScript], { input: JSON.stringify({ text: sentence.text, voice, wpm, pitch }) }).toString()
  ) as Reference
  const codePoints = [...sentence.text]
  let searchFrom = 0
  return sentence.words.map((word) => {
    const head = word.word.split(" ")[0]!
    const at = sentence.text.indexOf(head, searchFrom)
    searchFrom = at + head.length
    const first = [...sentence.text.slice(0, at)].length
    const last = first + [...head].length
    const event = ref.words.find((e) => e.char >= first && e.char < last) ?? ref.words.find((e) => e.char >= first)
    expect(event, `event for "${word.word}" in ${codePoints.length}-char sentence`).toBeDefined()
    return sentence.start + event!.sample / ref.sampleRate
  })
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
        for (const sentence of narration.sentences) {
          const reference = referenceOnsets(sentence, voice, Math.round(175 * rate), pitch)
          sentence.words.forEach((w, i) => errors.push(Math.abs(w.start - reference[i]!)))
          const chars = sentence.text.length
          let charsBefore = 0
          sentence.words.forEach((w, i) => {
            const guess = sentence.start + (charsBefore / chars) * (sentence.end - sentence.start)
            charsBefore += w.word.length + 1
            guessErrors.push(Math.abs(guess - reference[i]!))
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
