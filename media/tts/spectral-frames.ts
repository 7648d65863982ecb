/**
 * Spectral frames of 16-bit PCM: MFCC (13 cepstra from 24 log-mel bands of a 512-point FFT) and RMS
 * every 5 ms. What the DTW alignments compare: a word's solo synthesis against its sentence
 * (word-alignment.ts), a synthesized narration against a recorded one (recorded-narration.ts).
 */
import type { Pcm16 } from "./wav.ts"

const FFT_SIZE = 512
const MEL_BANDS = 24
export const CEPSTRA = 13
/** 5 ms hop: onset resolution well below the 40 ms error budget */
const HOP_SEC = 0.005
/** int16 RMS below this is silence (espeak-ng pauses are digital zeros) */
export const SILENCE_RMS = 60

export interface Frames {
  readonly hop: number
  readonly count: number
  /** count × CEPSTRA */
  readonly mfcc: Float32Array
  readonly rms: Float32Array
}

const hannWindow = (() => {
  const w = new Float32Array(FFT_SIZE)
  for (let i = 0; i < FFT_SIZE; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (FFT_SIZE - 1))
  return w
})()

const twiddle = (() => {
  const re = new Float64Array(FFT_SIZE / 2)
  const im = new Float64Array(FFT_SIZE / 2)
  for (let k = 0; k < FFT_SIZE / 2; k++) {
    re[k] = Math.cos((-2 * Math.PI * k) / FFT_SIZE)
    im[k] = Math.sin((-2 * Math.PI * k) / FFT_SIZE)
  }
  return { re, im }
})()

/** The bit-reversal permutation of FFT_SIZE points: the pairs (i, j), i < j, that swap. */
const bitReversal = (() => {
  const pairs: Array<number> = []
  for (let i = 1, j = 0; i < FFT_SIZE; i++) {
    let bit = FFT_SIZE >> 1
    for (; j & bit; bit >>= 1) j ^= bit
    j ^= bit
    if (i < j) pairs.push(i, j)
  }
  return Int32Array.from(pairs)
})()

/** In-place radix-2 FFT of FFT_SIZE points. */
const fftInPlace = (re: Float64Array, im: Float64Array): void => {
  const n = re.length
  const twRe = twiddle.re
  const twIm = twiddle.im
  for (let p = 0; p < bitReversal.length; p += 2) {
    const i = bitReversal[p]!
    const j = bitReversal[p + 1]!
    const r = re[i]!
    re[i] = re[j]!
    re[j] = r
    const m = im[i]!
    im[i] = im[j]!
    im[j] = m
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1
    const stride = n / len
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const wr = twRe[k * stride]!
        const wi = twIm[k * stride]!
        const a = i + k
        const b = a + half
        const br = re[b]!
        const bi = im[b]!
        const xr = br * wr - bi * wi
        const xi = br * wi + bi * wr
        const ar = re[a]!
        const ai = im[a]!
        re[b] = ar - xr
        im[b] = ai - xi
        re[a] = ar + xr
        im[a] = ai + xi
      }
    }
  }
}

/** DCT-II basis: dct[c * MEL_BANDS + b] */
const dct = (() => {
  const table = new Float64Array(CEPSTRA * MEL_BANDS)
  for (let c = 0; c < CEPSTRA; c++) {
    for (let b = 0; b < MEL_BANDS; b++) table[c * MEL_BANDS + b] = Math.cos((Math.PI * c * (b + 0.5)) / MEL_BANDS)
  }
  return table
})()

interface MelFilter {
  readonly from: number
  readonly weights: Float32Array
}

const melFilterbanks = new Map<number, ReadonlyArray<MelFilter>>()
const melFilters = (sampleRate: number): ReadonlyArray<MelFilter> => {
  const cached = melFilterbanks.get(sampleRate)
  if (cached) return cached
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700)
  const hz = (m: number) => 700 * (10 ** (m / 2595) - 1)
  const lo = mel(80)
  const hi = mel(Math.min(8000, sampleRate / 2))
  const edges = Array.from({ length: MEL_BANDS + 2 }, (_, i) => hz(lo + ((hi - lo) * i) / (MEL_BANDS + 1)))
  const bins = FFT_SIZE / 2 + 1
  const filters = Array.from({ length: MEL_BANDS }, (_, b) => {
    const f = new Float32Array(bins)
    for (let k = 0; k < bins; k++) {
      const freq = (k * sampleRate) / FFT_SIZE
      const up = (freq - edges[b]!) / (edges[b + 1]! - edges[b]!)
      const down = (edges[b + 2]! - freq) / (edges[b + 2]! - edges[b + 1]!)
      f[k] = Math.max(0, Math.min(up, down))
    }
    const from = f.findIndex((w) => w > 0)
    const to = bins - [...f].reverse().findIndex((w) => w > 0)
    return { from: Math.max(0, from), weights: f.slice(Math.max(0, from), Math.max(from, to)) }
  })
  melFilterbanks.set(sampleRate, filters)
  return filters
}

/** MFCC (c0..c12 from 24 log-mel bands) and RMS every 5 ms. */
export const analyze = (pcm: Pcm16): Frames => {
  const hop = Math.max(1, Math.round(pcm.sampleRate * HOP_SEC))
  const count = Math.max(0, Math.floor(pcm.samples.length / hop))
  const mfcc = new Float32Array(count * CEPSTRA)
  const rms = new Float32Array(count)
  const filters = melFilters(pcm.sampleRate)
  const re = new Float64Array(FFT_SIZE)
  const im = new Float64Array(FFT_SIZE)
  const logMel = new Float64Array(MEL_BANDS)
  for (let f = 0; f < count; f++) {
    const center = f * hop + (hop >> 1)
    const start = center - FFT_SIZE / 2
    let energy = 0
    for (let i = 0; i < FFT_SIZE; i++) {
      const s = pcm.samples[start + i] ?? 0
      re[i] = s * hannWindow[i]!
      im[i] = 0
    }
    for (let i = f * hop; i < Math.min(pcm.samples.length, (f + 1) * hop); i++) energy += pcm.samples[i]! ** 2
    rms[f] = Math.sqrt(energy / hop)
    fftInPlace(re, im)
    for (let b = 0; b < MEL_BANDS; b++) {
      const { from, weights } = filters[b]!
      let sum = 0
      for (let k = 0; k < weights.length; k++) sum += weights[k]! * (re[from + k]! ** 2 + im[from + k]! ** 2)
      logMel[b] = Math.log(sum + 1e3)
    }
    for (let c = 0; c < CEPSTRA; c++) {
      let sum = 0
      for (let b = 0; b < MEL_BANDS; b++) sum += logMel[b]! * dct[c * MEL_BANDS + b]!
      mfcc[f * CEPSTRA + c] = sum
    }
  }
  return { hop, count, mfcc, rms }
}

/** First and last+1 frame at or above `silence` RMS; [0,0) when all are below it. */
export const voicedSpan = (frames: Frames, silence: number = SILENCE_RMS): readonly [number, number] => {
  let first = 0
  while (first < frames.count && frames.rms[first]! < silence) first++
  let last = frames.count
  while (last > first && frames.rms[last - 1]! < silence) last--
  return [first, last]
}

/** Frames [from, to) of `frames`, sharing its memory. */
export const sliceFrames = (frames: Frames, from: number, to: number): Frames => ({
  hop: frames.hop,
  count: to - from,
  mfcc: frames.mfcc.subarray(from * CEPSTRA, to * CEPSTRA),
  rms: frames.rms.subarray(from, to)
})
