/**
 * The long warp (coarse to fine, inside a corridor) finds the warp the full cost matrix finds, on
 * sequences that differ in rate and pauses as a recording and its rendition do.
 */
import { describe, expect, it } from "vitest"
import { warp, warpLong } from "../../../media/tts/dtw.ts"
import { CEPSTRA, type Frames } from "../../../media/tts/spectral-frames.ts"

/** `count` frames of a smooth, never-repeating trajectory through cepstrum space, sampled at `at(f)`. */
const trajectory = (count: number, at: (f: number) => number): Frames => {
  const mfcc = new Float32Array(count * CEPSTRA)
  for (let f = 0; f < count; f++) {
    const t = at(f)
    for (let c = 0; c < CEPSTRA; c++) mfcc[f * CEPSTRA + c] = 10 * Math.sin(t * (0.03 + 0.011 * c) + c) + 0.02 * t
  }
  return { hop: 110, count, mfcc, rms: new Float32Array(count).fill(1000) }
}

describe("dynamic time warping", () => {
  it("the corridor warp of a slower rendition with a pause matches the full matrix's warp", () => {
    const x = trajectory(900, (f) => f)
    // 1.37 times slower, and a 60-frame hold (a pause) a third of the way in.
    const y = trajectory(1300, (f) => (f < 400 ? f / 1.37 : f < 460 ? 400 / 1.37 : (f - 60) / 1.37))
    const full = warp(x, y)
    const long = warpLong(x, y, { fullCells: 10_000 })
    let worst = 0
    for (let i = 0; i < x.count; i++) {
      worst = Math.max(worst, Math.abs(full.first[i]! - long.first[i]!), Math.abs(full.last[i]! - long.last[i]!))
    }
    expect(worst).toBeLessThanOrEqual(1)
    expect(long.first[0]).toBe(0)
    expect(long.last[x.count - 1]).toBe(y.count - 1)
    // And it is the warp that was made: frame 600 of x sounds at 600 × 1.37 + 60 of y.
    expect(Math.abs(long.first[600]! - (600 * 1.37 + 60))).toBeLessThanOrEqual(2)
  })
})
