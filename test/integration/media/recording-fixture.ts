/**
 * Recordings whose word onsets are known, for the tests of recorded narration: espeak-ng speaks the
 * whole script in one go through its library (tts-espeak-reference.py, at a rate and pitch of the
 * test's choosing), writing the audio and reporting its own word events; leading silence and room
 * noise can be added. The onsets are what a recorded narration's aligned words are measured against.
 */
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { toSentences } from "../../../media/tts/text-units.ts"
import { decodeWav, encodeWav } from "../../../media/tts/wav.ts"

const referenceScript = fileURLToPath(new URL("./tts-espeak-reference.py", import.meta.url))

export interface RecordingSpec {
  readonly text: string
  readonly voice: string
  /** espeak-ng's words per minute (175 is its default) */
  readonly wpm: number
  /** 0 … 99, 50 its default */
  readonly pitch: number
  /** silence before the voice, seconds */
  readonly leadSec?: number
  /** silence after it, seconds */
  readonly tailSec?: number
  /** peak amplitude of white noise over the whole recording (int16), 0 for none */
  readonly noise?: number
}

export interface Recording {
  readonly file: string
  readonly durationSec: number
  /** Per sentence of `toSentences(text)`, per word: the word's onset in the recording (seconds), when espeak-ng reported one. */
  readonly onsets: ReadonlyArray<ReadonlyArray<number | undefined>>
}

/** Writes the recording to `file` (16-bit mono WAV) and returns its word onsets. */
export const recordWithEspeak = (file: string, spec: RecordingSpec): Recording => {
  const sentences = toSentences(spec.text)
  const spoken = sentences.map((s) => s.speech).join(" ")
  const reference = JSON.parse(
    execFileSync("python3", [referenceScript], {
      input: JSON.stringify({ text: spoken, voice: spec.voice, wpm: spec.wpm, pitch: spec.pitch, wav: file })
    }).toString()
  ) as { readonly sampleRate: number; readonly words: ReadonlyArray<{ readonly char: number; readonly sample: number }> }
  const voice = decodeWav(readFileSync(file))
  const lead = Math.round((spec.leadSec ?? 0) * voice.sampleRate)
  const samples = new Int16Array(lead + voice.samples.length + Math.round((spec.tailSec ?? 0) * voice.sampleRate))
  samples.set(voice.samples, lead)
  // A fixed-seed generator: the same noise every run.
  let state = 12345
  for (let i = 0; i < samples.length && (spec.noise ?? 0) > 0; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    samples[i] = Math.max(-32768, Math.min(32767, samples[i]! + Math.round((state / 2 ** 32 - 0.5) * 2 * spec.noise!)))
  }
  writeFileSync(file, encodeWav({ sampleRate: voice.sampleRate, samples }))
  // Each word's onset: the first word event inside its characters (the full text's code points).
  let base = 0
  const onsets = sentences.map((sentence) => {
    let searchFrom = 0
    const words = sentence.words.map((word) => {
      const at = sentence.speech.indexOf(word.speech, searchFrom)
      searchFrom = at + word.speech.length
      const first = base + [...sentence.speech.slice(0, at)].length
      const last = first + [...word.speech].length
      const event = reference.words.find((e) => e.char >= first && e.char < last)
      return event === undefined ? undefined : (spec.leadSec ?? 0) + event.sample / reference.sampleRate
    })
    base += [...sentence.speech].length + 1
    return words
  })
  return { file, durationSec: samples.length / voice.sampleRate, onsets }
}
