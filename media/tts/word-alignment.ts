/**
 * Measured word timings for a sentence: each word is synthesized alone, its spectral frames (MFCC) are
 * concatenated into a template, and dynamic time warping maps the template onto the sentence audio.
 * A word's onset is the first sentence frame its first template frame maps to. Same synthesizer, same
 * voice: the spectra match closely, so the warp follows the real phoneme timing rather than a guess
 * from character counts.
 */
import type { Pcm16 } from "./wav.ts"

const FFT_SIZE = 512
const MEL_BANDS = 24
const CEPSTRA = 13
/** 5 ms hop: onset resolution well below the 40 ms error budget */
const HOP_SEC = 0.005
/** int16 RMS below this is silence (espeak-ng pauses are digital zeros) */
const SILENCE_RMS = 60
/** The longest stillness before a word taken for its stop closure rather than a pause: 70 ms */
const MAX_CLOSURE_FRAMES = 14

export interface Frames {
  readonly hop: number
  readonly count: number
  /** count × CEPSTRA */
  readonly mfcc: Float32Array
  readonly rms: Float32Array
}

export interface AlignedWord {
  readonly start: number
  readonly end: number
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

/** First and last+1 non-silent frame; [0,0) when all silent. */
export const voicedSpan = (frames: Frames): readonly [number, number] => {
  let first = 0
  while (first < frames.count && frames.rms[first]! < SILENCE_RMS) first++
  let last = frames.count
  while (last > first && frames.rms[last - 1]! < SILENCE_RMS) last--
  return [first, last]
}

const sliceFrames = (frames: Frames, from: number, to: number): Frames => ({
  hop: frames.hop,
  count: to - from,
  mfcc: frames.mfcc.subarray(from * CEPSTRA, to * CEPSTRA),
  rms: frames.rms.subarray(from, to)
})

/**
 * For every template frame, the first and last sentence frame the optimal warp maps it to.
 * Steps (1,1), (1,0), (0,1); both sequences are aligned end to end.
 */
const warp = (template: Frames, sentence: Frames): { first: Int32Array; last: Int32Array } => {
  const n = template.count
  const m = sentence.count
  const a = template.mfcc
  const b = sentence.mfcc
  // cost[i][j] = the Euclidean distance of template frame i and sentence frame j + the cheapest of
  // the three cells it can be reached from.
  const cost = new Float64Array(n * m)
  for (let i = 0; i < n; i++) {
    const row = i * m
    const above = row - m
    const ai = i * CEPSTRA
    for (let j = 0; j < m; j++) {
      let sum = 0
      const bj = j * CEPSTRA
      for (let c = 0; c < CEPSTRA; c++) {
        const d = a[ai + c]! - b[bj + c]!
        sum += d * d
      }
      let best: number
      if (i === 0) best = j === 0 ? 0 : cost[j - 1]!
      else if (j === 0) best = cost[above]!
      else {
        const up = cost[above + j]!
        const left = cost[row + j - 1]!
        const diag = cost[above + j - 1]!
        best = up < left ? up : left
        if (diag < best) best = diag
      }
      cost[row + j] = Math.sqrt(sum) + best
    }
  }
  const first = new Int32Array(n).fill(m)
  const last = new Int32Array(n).fill(-1)
  let i = n - 1
  let j = m - 1
  for (;;) {
    first[i] = Math.min(first[i]!, j)
    last[i] = Math.max(last[i]!, j)
    if (i === 0 && j === 0) break
    const up = i > 0 ? cost[(i - 1) * m + j]! : Infinity
    const left = j > 0 ? cost[i * m + j - 1]! : Infinity
    const diag = i > 0 && j > 0 ? cost[(i - 1) * m + j - 1]! : Infinity
    if (diag <= up && diag <= left) {
      i--
      j--
    } else if (up <= left) i--
    else j--
  }
  return { first, last }
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
