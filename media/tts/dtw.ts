/**
 * Dynamic time warping of two frame sequences on the Euclidean distance of their MFCC: steps (1,1),
 * (1,0), (0,1), both sequences aligned end to end. `warp` fills the whole cost matrix (n × m cells:
 * short sequences, a sentence and its words); `warpLong` warps pooled frames first and refines
 * within a corridor around that coarse warp, level by level (the FastDTW scheme), so that minutes
 * of audio align in memory proportional to their length rather than to its square.
 */
import { CEPSTRA, type Frames } from "./spectral-frames.ts"

export interface WarpPath {
  /** For every frame of the first sequence, the first and the last frame of the second the warp maps it to. */
  readonly first: Int32Array
  readonly last: Int32Array
}

/** Per frame of the first sequence, the frames of the second [from, to) the warp may visit. */
interface Corridor {
  readonly from: Int32Array
  readonly to: Int32Array
}

const distance = (a: Float32Array, ai: number, b: Float32Array, bj: number): number => {
  let sum = 0
  for (let c = 0; c < CEPSTRA; c++) {
    const d = a[ai + c]! - b[bj + c]!
    sum += d * d
  }
  return Math.sqrt(sum)
}

const warpWithin = (x: Frames, y: Frames, corridor: Corridor | undefined): WarpPath => {
  const n = x.count
  const m = y.count
  const a = x.mfcc
  const b = y.mfcc
  const from = corridor?.from ?? new Int32Array(n)
  const to = corridor?.to ?? new Int32Array(n).fill(m)
  // Row i's cells [from[i], to[i]) lie at offset[i] onward.
  const offset = new Float64Array(n + 1)
  for (let i = 0; i < n; i++) offset[i + 1] = offset[i]! + to[i]! - from[i]!
  const cost = new Float64Array(offset[n]!)
  const at = (i: number, j: number) => (j >= from[i]! && j < to[i]! ? cost[offset[i]! + j - from[i]!]! : Infinity)
  // cost(i, j) = the distance of frames i and j + the cheapest of the three cells it can be reached from.
  for (let i = 0; i < n; i++) {
    const row = offset[i]! - from[i]!
    const rowFrom = from[i]!
    const ai = i * CEPSTRA
    // The row above: its cells [aboveFrom, aboveTo) at aboveRow + j.
    const aboveRow = i > 0 ? offset[i - 1]! - from[i - 1]! : 0
    const aboveFrom = i > 0 ? from[i - 1]! : 0
    const aboveTo = i > 0 ? to[i - 1]! : 0
    for (let j = rowFrom; j < to[i]!; j++) {
      let best: number
      if (i === 0) best = j === 0 ? 0 : cost[row + j - 1]!
      else {
        const up = j >= aboveFrom && j < aboveTo ? cost[aboveRow + j]! : Infinity
        if (j === 0) best = up
        else {
          const left = j > rowFrom ? cost[row + j - 1]! : Infinity
          const diag = j - 1 >= aboveFrom && j - 1 < aboveTo ? cost[aboveRow + j - 1]! : Infinity
          best = up < left ? up : left
          if (diag < best) best = diag
        }
      }
      cost[row + j] = distance(a, ai, b, j * CEPSTRA) + best
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
    const up = i > 0 ? at(i - 1, j) : Infinity
    const left = j > 0 ? at(i, j - 1) : Infinity
    const diag = i > 0 && j > 0 ? at(i - 1, j - 1) : Infinity
    if (diag <= up && diag <= left) {
      i--
      j--
    } else if (up <= left) i--
    else j--
  }
  return { first, last }
}

/** The optimal warp of `x` onto `y` over the whole cost matrix. */
export const warp = (x: Frames, y: Frames): WarpPath => warpWithin(x, y, undefined)

/** Pairs of frames averaged: half the frames, twice the hop. */
const pool = (frames: Frames): Frames => {
  const count = Math.ceil(frames.count / 2)
  const mfcc = new Float32Array(count * CEPSTRA)
  const rms = new Float32Array(count)
  for (let f = 0; f < count; f++) {
    const a = 2 * f
    const b = Math.min(2 * f + 1, frames.count - 1)
    for (let c = 0; c < CEPSTRA; c++) mfcc[f * CEPSTRA + c] = (frames.mfcc[a * CEPSTRA + c]! + frames.mfcc[b * CEPSTRA + c]!) / 2
    rms[f] = (frames.rms[a]! + frames.rms[b]!) / 2
  }
  return { hop: frames.hop * 2, count, mfcc, rms }
}

/** The coarse warp's cells at full resolution, widened by `radius` frames on each side. */
const corridorAround = (coarse: WarpPath, n: number, m: number, radius: number): Corridor => {
  const from = new Int32Array(n)
  const to = new Int32Array(n)
  const rows = coarse.first.length
  for (let i = 0; i < n; i++) {
    const c = Math.min(i >> 1, rows - 1)
    from[i] = Math.max(0, 2 * coarse.first[c]! - radius)
    to[i] = Math.min(m, 2 * (coarse.last[c]! + 1) + radius)
  }
  // A corridor the warp can cross: it starts at (0, 0), ends at (n-1, m-1), and each row overlaps the one before.
  from[0] = 0
  to[n - 1] = m
  for (let i = 1; i < n; i++) {
    if (from[i]! > to[i - 1]!) from[i] = to[i - 1]!
    if (to[i]! < to[i - 1]!) to[i] = to[i - 1]!
  }
  return { from, to }
}

export interface LongWarpOptions {
  /** Frames either side of the coarse warp that the finer level may move to. Default 16. */
  readonly radius?: number
  /** Sequences whose full matrix has at most this many cells are warped exactly. Default 1,000,000. */
  readonly fullCells?: number
}

/** The warp of `x` onto `y` for sequences of any length: exact when small, else refined from a coarse warp. */
export const warpLong = (x: Frames, y: Frames, options: LongWarpOptions = {}): WarpPath => {
  const radius = options.radius ?? 16
  const fullCells = options.fullCells ?? 1_000_000
  if (x.count * y.count <= fullCells || x.count < 2 * radius || y.count < 2 * radius) return warpWithin(x, y, undefined)
  const coarse = warpLong(pool(x), pool(y), options)
  return warpWithin(x, y, corridorAround(coarse, x.count, y.count, radius))
}
