/**
 * A synthesized rendition of a script mapped onto a recording of the same script: both are cut to
 * their sounding span, their MFCC frames are mean-normalized (a microphone's colour and a voice's
 * level are constant offsets of the cepstra, which the mean takes away), and dynamic time warping
 * (dtw.ts, coarse to fine) pairs every rendition frame with the recording frames it sounds like. A
 * time in the rendition (a word's onset, whose timing the synthesizer measured) then maps onto the
 * recording through that warp: the first recording frame its frame maps to for an onset, the last
 * for an end. The voice, rate and pitch may differ; the words must be the same.
 */
import { warpLong } from "./dtw.ts"
import { analyze, CEPSTRA, type Frames, SILENCE_RMS, sliceFrames, voicedSpan } from "./spectral-frames.ts"
import type { Pcm16 } from "./wav.ts"

export interface RenditionWarp {
  /** The recording's time (seconds) where what the rendition says at `sec` starts. */
  readonly onset: (sec: number) => number
  /** The recording's time (seconds) where what the rendition says until `sec` ends. */
  readonly end: (sec: number) => number
  /** The recording's sounding span, seconds. */
  readonly recordingVoiced: readonly [number, number]
  /** The rendition's sounding span, seconds. */
  readonly renditionVoiced: readonly [number, number]
}

/**
 * The RMS below which a recording's frame is silence: a recorded room is never digital zero, so
 * the floor follows the recording's own quiet frames (its 10th percentile, tripled), and never
 * reaches above a 50th of its loud frames (95th percentile), where soft consonants sound.
 */
export const silenceLevel = (frames: Frames): number => {
  if (frames.count === 0) return SILENCE_RMS
  const sorted = Float32Array.from(frames.rms).sort()
  const quiet = sorted[Math.floor(0.1 * (sorted.length - 1))]!
  const loud = sorted[Math.floor(0.95 * (sorted.length - 1))]!
  return Math.max(SILENCE_RMS, Math.min(3 * quiet, loud / 50))
}

/** Each cepstrum's mean over the frames at or above `silence`. */
const soundingMean = (frames: Frames, silence: number): Float64Array => {
  const mean = new Float64Array(CEPSTRA)
  let sounding = 0
  for (let f = 0; f < frames.count; f++) {
    if (frames.rms[f]! < silence) continue
    sounding++
    for (let c = 0; c < CEPSTRA; c++) mean[c] = mean[c]! + frames.mfcc[f * CEPSTRA + c]!
  }
  for (let c = 0; c < CEPSTRA; c++) mean[c] = mean[c]! / Math.max(1, sounding)
  return mean
}

/**
 * The frames less `mean`, every frame quieter than `silence` set to `quiet`: a pause in a room
 * (noise) and a pause of a synthesizer (digital zeros) then look alike, so the warp pairs pause with
 * pause instead of a word's edge with the noise of a pause.
 */
const normalized = (frames: Frames, mean: Float64Array, silence: number, quiet: Float32Array): Frames => {
  const mfcc = new Float32Array(frames.mfcc.length)
  for (let f = 0; f < frames.count; f++) {
    if (frames.rms[f]! < silence) mfcc.set(quiet, f * CEPSTRA)
    else for (let c = 0; c < CEPSTRA; c++) mfcc[f * CEPSTRA + c] = frames.mfcc[f * CEPSTRA + c]! - mean[c]!
  }
  return { ...frames, mfcc }
}

/**
 * The warp of `rendition` onto `recording` (same sample rate). Before the rendition's first sound and
 * after its last, times move with the ends of the sounding spans.
 */
export const alignRendition = (rendition: Pcm16, recording: Pcm16): RenditionWarp => {
  if (rendition.sampleRate !== recording.sampleRate) {
    throw new RangeError(`alignRendition: ${rendition.sampleRate} Hz rendition, ${recording.sampleRate} Hz recording`)
  }
  const synthesized = analyze(rendition)
  const recorded = analyze(recording)
  const hopSec = synthesized.hop / rendition.sampleRate
  const [sFirst, sLast] = voicedSpan(synthesized)
  const recordedSilence = silenceLevel(recorded)
  const [rFirst, rLast] = voicedSpan(recorded, recordedSilence)
  const spans = {
    recordingVoiced: [rFirst * hopSec, rLast * hopSec] as const,
    renditionVoiced: [sFirst * hopSec, sLast * hopSec] as const
  }
  if (sLast <= sFirst || rLast <= rFirst) {
    const shift = (sec: number) => sec - sFirst * hopSec + rFirst * hopSec
    return { onset: shift, end: shift, ...spans }
  }
  const synthesizedVoiced = sliceFrames(synthesized, sFirst, sLast)
  const recordedVoiced = sliceFrames(recorded, rFirst, rLast)
  const synthesizedMean = soundingMean(synthesizedVoiced, SILENCE_RMS)
  // Digital silence as the rendition's normalized frames would show it: the pause of both sequences.
  const zeros = analyze({ sampleRate: rendition.sampleRate, samples: new Int16Array(synthesized.hop * 3) }).mfcc
  const quiet = Float32Array.from({ length: CEPSTRA }, (_, c) => zeros[CEPSTRA + c]! - synthesizedMean[c]!)
  const path = warpLong(
    normalized(synthesizedVoiced, synthesizedMean, SILENCE_RMS, quiet),
    normalized(recordedVoiced, soundingMean(recordedVoiced, recordedSilence), recordedSilence, quiet)
  )
  const count = sLast - sFirst
  const frameOf = (sec: number) => Math.round(sec / hopSec) - sFirst
  const onset = (sec: number) => {
    const i = frameOf(sec)
    if (i < 0) return Math.max(0, (rFirst + i) * hopSec)
    if (i >= count) return (rLast + i - count) * hopSec
    return (rFirst + path.first[i]!) * hopSec
  }
  const end = (sec: number) => {
    const i = frameOf(sec)
    if (i <= 0) return Math.max(0, (rFirst + i) * hopSec)
    if (i > count) return (rLast + i - count) * hopSec
    return (rFirst + path.last[i - 1]! + 1) * hopSec
  }
  return { onset, end, ...spans }
}
