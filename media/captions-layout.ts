/** Safe areas per output shape and greedy line wrapping by estimated text width. */
import { splitGraphemes, textWidthEm } from "./captions-text.ts"

export type AspectProfile = "9:16" | "16:9" | "1:1"

export interface SafeArea {
  readonly profile: AspectProfile
  /** pixels from the left, right and bottom edges (ASS MarginL, MarginR, MarginV) */
  readonly marginL: number
  readonly marginR: number
  readonly marginV: number
}

/** The nearest of the three shapes: portrait below 0.8, landscape above 1.25, square between. */
export const aspectProfile = (width: number, height: number): AspectProfile => {
  const ratio = width / height
  return ratio < 0.8 ? "9:16" : ratio > 1.25 ? "16:9" : "1:1"
}

/**
 * Margins that keep captions clear of platform UI and the frame edge:
 * - 9:16 (Shorts, Reels, TikTok): the bottom ~20% holds captions/buttons and the right edge the action
 *   column, so text sits above 22% of the height, 7% from the left and 12% from the right;
 * - 16:9: broadcast title-safe, 10% either side, 8% from the bottom;
 * - 1:1: 8% either side, 12% from the bottom.
 */
export const safeArea = (width: number, height: number): SafeArea => {
  const profile = aspectProfile(width, height)
  const [l, r, v] = profile === "9:16" ? [0.07, 0.12, 0.22] : profile === "16:9" ? [0.1, 0.1, 0.08] : [0.08, 0.08, 0.12]
  return { profile, marginL: Math.round(width * l), marginR: Math.round(width * r), marginV: Math.round(height * v) }
}

/** Default caption size: 6% of the short side (65 px at 1080), never below 8 px. */
export const defaultFontSize = (width: number, height: number): number => Math.max(8, Math.round(Math.min(width, height) * 0.06))

/** A word too wide for a whole line (long CJK runs, URLs) is cut between graphemes. */
const cutToWidth = (word: string, maxEm: number): ReadonlyArray<string> => {
  const pieces: Array<string> = []
  let current = ""
  for (const g of splitGraphemes(word)) {
    if (current !== "" && textWidthEm(current + g) > maxEm) {
      pieces.push(current)
      current = ""
    }
    current += g
  }
  if (current !== "") pieces.push(current)
  return pieces
}

/**
 * Greedy wrap of words into lines no wider than `maxEm` (font-size units). Returns, for each line,
 * the indices of the input words on it; a word cut into pieces keeps its index on each piece's line.
 */
export const wrapWords = (
  words: ReadonlyArray<string>,
  maxEm: number
): ReadonlyArray<ReadonlyArray<{ readonly index: number; readonly text: string }>> => {
  const lines: Array<Array<{ index: number; text: string }>> = []
  let line: Array<{ index: number; text: string }> = []
  let width = 0
  const space = textWidthEm(" ")
  words.forEach((word, index) => {
    for (const piece of textWidthEm(word) > maxEm ? cutToWidth(word, maxEm) : [word]) {
      const w = textWidthEm(piece)
      if (line.length > 0 && width + space + w > maxEm) {
        lines.push(line)
        line = []
        width = 0
      }
      width += (line.length > 0 ? space : 0) + w
      line.push({ index, text: piece })
    }
  })
  if (line.length > 0) lines.push(line)
  return lines
}
