/**
 * A recorded voice as the narration: the script's words are timed on the recording by aligning an
 * espeak-ng rendition (default rate and pitch) to it. The recordings are espeak-ng's too, made at
 * another rate and pitch in one go, so their own word events say where each word really starts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { espeakNg, inspectRecording, narrateRecording, type Narration } from "../../../media/tts/index.ts"
import { decodeWav, encodeWav } from "../../../media/tts/wav.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { type Recording, recordWithEspeak } from "./recording-fixture.ts"

const script = "The Mandelbrot set is a fractal, endlessly detailed at every zoom. " +
  "In the Game of Life, simple cells follow simple rules, and patterns emerge. " +
  "Rule 110 is a cellular automaton that can compute anything! " +
  "Is the Sierpinski triangle chaos, or order?"

const synthesize = espeakNg().synthesize

/** Every word's onset error against the recording's own word events, and the narration's shape checked on the way. */
const onsetErrors = (narration: Narration, recording: Recording) => {
  expect(narration.provider).toBe("recording")
  expect(narration.sentences.map((s) => s.words.length)).toEqual(recording.onsets.map((words) => words.length))
  expect(narration.durationSec).toBeCloseTo(recording.durationSec, 2)
  expect(narration.sentences[0]!.start).toBe(0)
  expect(narration.sentences.at(-1)!.end).toBeCloseTo(narration.durationSec, 2)
  const errors: Array<{ readonly word: string; readonly ms: number }> = []
  let previous = 0
  narration.sentences.forEach((sentence, s) => {
    if (s > 0) expect(sentence.start).toBe(narration.sentences[s - 1]!.end)
    sentence.words.forEach((word, w) => {
      expect(word.start).toBeGreaterThanOrEqual(previous)
      expect(word.end).toBeGreaterThanOrEqual(word.start)
      expect(word.start).toBeGreaterThanOrEqual(sentence.start)
      expect(word.end).toBeLessThanOrEqual(sentence.end)
      previous = word.start
      const truth = recording.onsets[s]![w]
      if (truth !== undefined) errors.push({ word: word.word, ms: 1000 * (word.start - truth) })
    })
  })
  const abs = errors.map((e) => Math.abs(e.ms))
  return {
    meanMs: Math.round(10 * abs.reduce((a, b) => a + b, 0) / abs.length) / 10,
    maxMs: Math.round(Math.max(...abs)),
    words: errors.length,
    perWordMs: errors.map((e) => `${e.word} ${Math.round(e.ms)}`)
  }
}

describe("recorded narration", () => {
  it.scoped("a recording at another rate and pitch: word onsets within 60 ms of its own word events on average", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-recorded")
      const recording = recordWithEspeak(join(dir, "voice.wav"), { text: script, voice: "en", wpm: 130, pitch: 70 })
      const narration = yield* narrateRecording({ file: recording.file, text: script, voice: "en" }, join(dir, "work"), synthesize)
      const result = onsetErrors(narration, recording)
      console.log(JSON.stringify({ recorded_130wpm_pitch70: result }))
      expect(result.words).toBeGreaterThanOrEqual(38)
      expect(result.meanMs).toBeLessThanOrEqual(60)
      // The narration's audio is the recording itself.
      const track = decodeWav(readFileSync(narration.audioFile))
      expect(track.samples).toEqual(decodeWav(readFileSync(recording.file)).samples)
    }))

  it.scoped("leading and trailing silence, room noise, a faster and lower voice, as MP3: onsets still within 60 ms on average", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-recorded")
      const spec = { text: script, voice: "en", wpm: 210, pitch: 35, leadSec: 1.5, tailSec: 1, noise: 60 } as const
      const wav = recordWithEspeak(join(dir, "voice.wav"), spec)
      const silenced = yield* narrateRecording({ file: wav.file, text: script, voice: "en" }, join(dir, "work"), synthesize)
      const fromWav = onsetErrors(silenced, wav)
      expect(silenced.words[0]!.start).toBeGreaterThan(1.4)
      // The same recording as an MP3 (ffmpeg's own encoder delay is compensated on decoding).
      const mp3 = join(dir, "voice.mp3")
      execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", wav.file, "-c:a", "libmp3lame", "-b:a", "64k", mp3])
      const fromMp3 = onsetErrors(
        yield* narrateRecording({ file: mp3, text: script, voice: "en" }, join(dir, "work"), synthesize),
        { ...wav, file: mp3 }
      )
      console.log(JSON.stringify({ recorded_lead_silence_noise_wav: fromWav, recorded_lead_silence_noise_mp3: fromMp3 }))
      expect(fromWav.meanMs).toBeLessThanOrEqual(60)
      expect(fromMp3.meanMs).toBeLessThanOrEqual(60)
    }))

  it.scoped("a recording without its script is the narration as it is: its length, no words", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-recorded")
      const recording = recordWithEspeak(join(dir, "voice.wav"), { text: "Cells live and die.", voice: "en", wpm: 150, pitch: 60 })
      const narration = yield* narrateRecording({ file: recording.file, voice: "en" }, join(dir, "work"), synthesize)
      expect(narration.words).toEqual([])
      expect(narration.durationSec).toBeCloseTo(recording.durationSec, 2)
    }))

  it.scoped("the same recording and script reuse the narration; a changed recording makes a new one", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-recorded")
      const text = "Cells live. Cells die."
      const file = join(dir, "voice.wav")
      recordWithEspeak(file, { text, voice: "en", wpm: 150, pitch: 60 })
      const work = join(dir, "work")
      const first = yield* narrateRecording({ file, text, voice: "en" }, work, synthesize)
      const mtime = statSync(first.audioFile).mtimeMs
      expect(yield* narrateRecording({ file, text, voice: "en" }, work, synthesize)).toEqual(first)
      expect(statSync(first.audioFile).mtimeMs).toBe(mtime)
      recordWithEspeak(file, { text, voice: "en", wpm: 110, pitch: 60 })
      const second = yield* narrateRecording({ file, text, voice: "en" }, work, synthesize)
      expect(second.audioFile).not.toBe(first.audioFile)
      expect(second.durationSec).toBeGreaterThan(first.durationSec)
    }))

  it.scoped("a file that cannot narrate the script is a RecordingError naming it and what is wrong", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("tts-recorded")
      const rate = 22050
      const silent = join(dir, "silent.wav")
      writeFileSync(silent, encodeWav({ sampleRate: rate, samples: new Int16Array(rate * 3) }))
      const empty = join(dir, "empty.wav")
      writeFileSync(empty, encodeWav({ sampleRate: rate, samples: new Int16Array(0) }))
      const notes = join(dir, "notes.txt")
      writeFileSync(notes, "not a sound at all\n".repeat(50))
      const short = join(dir, "short.wav")
      recordWithEspeak(short, { text: "Hello.", voice: "en", wpm: 175, pitch: 50 })
      const cases = [
        [join(dir, "missing.wav"), "missing", /does not exist/],
        [dir, "not-audio", /is not a file/],
        [notes, "not-audio", /not audio|no audio stream/],
        [empty, "empty", /empty/],
        [silent, "silent", /is silent/],
        [short, "too-short", /far too short for the script/]
      ] as const
      for (const [file, reason, message] of cases) {
        const checked = yield* Effect.flip(inspectRecording(file, 40))
        const narrated = yield* Effect.flip(narrateRecording({ file, text: script, voice: "en" }, join(dir, "work"), synthesize))
        for (const error of [checked, narrated]) {
          expect(error).toMatchObject({ _tag: "RecordingError", file, reason })
          expect(error.message).toContain(file)
          expect(error.message).toMatch(message)
          expect(error.message).not.toContain("\n")
        }
      }
      // A recording that sounds but for far less time than the script takes to say is refused after the rendition.
      const brief = join(dir, "brief.wav")
      recordWithEspeak(brief, { text: "The Mandelbrot set is a fractal, endlessly detailed.", voice: "en", wpm: 175, pitch: 50 })
      expect(yield* Effect.flip(narrateRecording({ file: brief, text: script, voice: "en" }, join(dir, "work"), synthesize)))
        .toMatchObject({ reason: "too-short" })
    }))
})
