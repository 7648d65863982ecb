/**
 * Measured word timings for a sentence: each word is synthesized alone, its spectral frames (MFCC) are
 * concatenated into a template, and dynamic time warping maps the template onto the sentence audio.
 * A word's onset is the first sentence frame its first template frame maps to. Same synthesizer, same
 * voice: the spectra match closely, so the warp follows the real phoneme timing rather than a guess
 * from character counts.
 */
import { warp } from "./dtw.ts"
import { analyze, CEPSTRA, type Frames, SILENCE_RMS, sliceFrames, voicedSpan } from "./spectral-frames.ts"
import type { Pcm16 } from "./wav.ts"

/** The longest stillness before a word taken for its stop closure rather than a pause: 70 ms */
const MAX_CLOSURE_FRAMES = 14

export interface AlignedWord {
  readonly start: number
  readonly end: number
}

/**
 * A word's solo synthesis analysed, its voiced frames only; once per recording: a narration aligns
 * every sentence a word is in against the same solo recording.
 */
const voicedFrames = (pcm: Pcm16): Frames => {
  const known = analysed.get(pcm)
  if (known !== undefined) return known
  const frames = analyze(pcm)
  const [from, to] = voicedSpan(frames)
  const voiced = sliceFrames(frames, from, to)
  analysed.set(pcm, voiced)
  return voiced
}
const analysed = new WeakMap<Pcm16, Frames>()

/**
 * Word start/end (seconds from the start of `sentence`) given each word synthesized alone.
 * Words whose solo audio is silent get a zero-length slot at the previous word's end.
 */
export const alignWords = (sentence: Pcm16, soloWords: ReadonlyArray<Pcm16>): ReadonlyArray<AlignedWord> => {
  const sentenceFrames = analyze(sentence)
  const [sFirst, sLast] = voicedSpan(sentenceFrames)
  const hopSec = sentenceFrames.hop / sentence.sampleRate
  const solos = soloWords.map(voicedFrames)
  const spoken = solos.reduce((n, f) => n + f.count, 0)
  if (spoken === 0 || sLast <= sFirst) return soloWords.map(() => ({ start: sFirst * hopSec, end: sFirst * hopSec }))
  // One silent frame between words lets the warp absorb a pause (comma, colon, dash) there instead of
  // stretching a neighbouring word over it; where there is no pause it costs a single frame.
  const silence = analyze({ sampleRate: sentence.sampleRate, samples: new Int16Array(sentenceFrames.hop * 3) }).mfcc.subarray(
    CEPSTRA,
    2 * CEPSTRA
  )
  const total = spoken + Math.max(0, solos.length - 1)
  const template: Frames = {
    hop: sentenceFrames.hop,
    count: total,
    mfcc: new Float32Array(total * CEPSTRA),
    rms: new Float32Array(total)
  }
  const wordStart: Array<number> = []
  let at = 0
  solos.forEach((solo, w) => {
    if (w > 0) template.mfcc.set(silence, at++ * CEPSTRA)
    wordStart.push(at)
    template.mfcc.set(solo.mfcc, at * CEPSTRA)
    at += solo.count
  })
  const voiced = sliceFrames(sentenceFrames, sFirst, sLast)
  const path = warp(template, voiced)
  const onsets = solos.map((solo, w) => (solo.count === 0 ? -1 : path.first[wordStart[w]!]!))
  // A word that starts with a stop (p, t, k, b, d, g) starts with its closure: a short stillness that the
  // word's solo synthesis loses with its leading silence. The onset moves back over it; a longer
  // stillness is a pause between the words, and the word starts where its sound does.
  let previousOnset = -1
  for (let w = 0; w < onsets.length; w++) {
    let onset = onsets[w]!
    if (onset < 0) continue
    let still = onset
    while (still > previousOnset + 1 && voiced.rms[still - 1]! < SILENCE_RMS) still--
    if (still < onset && onset - still <= MAX_CLOSURE_FRAMES && still > 0 && voiced.rms[still - 1]! >= SILENCE_RMS) onset = still
    onsets[w] = onset
    previousOnset = onset
  }
  const result: Array<AlignedWord> = []
  let previousEnd = 0
  for (let w = 0; w < solos.length; w++) {
    const solo = solos[w]!
    if (solo.count === 0) {
      result.push({ start: previousEnd, end: previousEnd })
      continue
    }
    const onset = onsets[w]!
    const nextOnset = onsets.slice(w + 1).find((o) => o >= 0) ?? voiced.count
    let end = Math.min(path.last[wordStart[w]! + solo.count - 1]! + 1, nextOnset)
    // The word ends where its sound ends, not after a following pause.
    while (end > onset + 1 && voiced.rms[end - 1]! < SILENCE_RMS) end--
    const start = (sFirst + onset) * hopSec
    previousEnd = (sFirst + Math.max(end, onset)) * hopSec
    result.push({ start, end: previousEnd })
  }
  return result
}
