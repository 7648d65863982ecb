/** Safe areas per output shape, and line breaking by Unicode rules with widths in the font's advances. */
import { DEFAULT_CAPTION_FONT, isCjk, isWrittenWithoutSpaces, splitGraphemes, textWidthEm } from "./captions-text.ts"

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

/** Where the caption block sits in the frame. */
export type CaptionPosition = "top" | "center" | "bottom"

/** A caption block's ASS placement: Alignment (numpad layout, centred across) and MarginV in pixels. */
export interface CaptionPlacement {
  readonly alignment: 2 | 5 | 8
  readonly marginV: number
}

/**
 * Top-placed captions stay below the platform's own UI at the top of the frame: in 9:16 the status bar
 * and the feed's tabs take the top ~12% of the height; 16:9 and 1:1 keep the 8% title-safe margin.
 */
const TOP_MARGIN: Readonly<Record<AspectProfile, number>> = { "9:16": 0.12, "16:9": 0.08, "1:1": 0.08 }

/**
 * Alignment and MarginV for `position` inside the safe area: bottom above the safe area's bottom margin,
 * top below its top margin, center on the frame's middle (libass ignores MarginV for middle alignment).
 */
export const captionPlacement = (width: number, height: number, position: CaptionPosition): CaptionPlacement => {
  switch (position) {
    case "bottom":
      return { alignment: 2, marginV: safeArea(width, height).marginV }
    case "top":
      return { alignment: 8, marginV: Math.round(height * TOP_MARGIN[aspectProfile(width, height)]) }
    case "center":
      return { alignment: 5, marginV: 0 }
  }
}

/** Default caption size: 6% of the short side (65 px at 1080), never below 8 px. */
export const defaultFontSize = (width: number, height: number): number => Math.max(8, Math.round(Math.min(width, height) * 0.06))

/**
 * Characters that never begin a line (closing punctuation, small kana, the prolonged sound mark: the
 * "kinsoku" rule of CJK and UAX #14's CL, CP, EX, IS, NS classes) and that never end one (opening brackets).
 */
const NEVER_STARTS_LINE =
  /^[。．，、！？：；」』）】〕〉》〗〙〛〟’”…‥ー々〻ゝゞヽヾぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ・゠！），．：；？］｝｡｣､･!),.:;?\]}%‰]/u
const NEVER_ENDS_LINE = /[「『（【〔〈《〖〘〚〝‘“（［｛｢([{]$/u

/** One piece of a word on a line; `spaced`: a space separates it from the piece before it on that line. */
export interface LinePiece {
  readonly index: number
  readonly text: string
  readonly spaced: boolean
}

/** The text of a laid-out line, each piece rendered by `render` (default: as is). */
export const lineText = (line: ReadonlyArray<LinePiece>, render: (piece: LinePiece) => string = (p) => p.text): string =>
  line.map((piece) => (piece.spaced ? " " : "") + render(piece)).join("")

interface Atom {
  readonly index: number
  readonly text: string
  /** a space separates it from the atom before (words of spaced scripts) */
  readonly spaced: boolean
  /** a line may break before it */
  readonly breakable: boolean
}

/**
 * Words → atoms a line never splits, with the break opportunities between them (a reduced UAX #14):
 * between words, and between the characters of Chinese and Japanese, never before closing punctuation
 * nor after an opening bracket. Words of scripts written without spaces (CJK, Thai …) are joined without one.
 */
const atomsOf = (words: ReadonlyArray<string>): ReadonlyArray<Atom> => {
  const atoms: Array<Atom> = []
  words.forEach((word, index) => {
    const gs = splitGraphemes(word)
    if (gs.length === 0) return
    const previous = atoms[atoms.length - 1]?.text
    const lastOfPrevious = previous === undefined ? undefined : splitGraphemes(previous).at(-1)!
    const glued = (left: string | undefined, right: string) =>
      left === undefined || NEVER_STARTS_LINE.test(right) || NEVER_ENDS_LINE.test(left)
    let text = gs[0]!
    let spaced = lastOfPrevious !== undefined && !isWrittenWithoutSpaces(lastOfPrevious) && !isWrittenWithoutSpaces(gs[0]!)
    let breakable = !glued(lastOfPrevious, gs[0]!)
    for (let i = 1; i < gs.length; i++) {
      const [left, right] = [gs[i - 1]!, gs[i]!]
      if ((isCjk(left) || isCjk(right)) && !glued(left, right)) {
        atoms.push({ index, text, spaced, breakable })
        text = right
        spaced = false
        breakable = true
      } else {
        text += right
      }
    }
    atoms.push({ index, text, spaced, breakable })
  })
  return atoms
}

/** A run too wide for a whole line (a long URL, an unbroken word) is cut between graphemes. */
const cutToWidth = (atom: Atom, maxEm: number, fontName: string): ReadonlyArray<Atom> => {
  const pieces: Array<Atom> = []
  let current = ""
  for (const g of splitGraphemes(atom.text)) {
    if (current !== "" && textWidthEm(current + g, fontName) > maxEm) {
      pieces.push({ ...atom, text: current, ...(pieces.length > 0 ? { spaced: false, breakable: true } : {}) })
      current = ""
    }
    current += g
  }
  pieces.push({ ...atom, text: current, ...(pieces.length > 0 ? { spaced: false, breakable: true } : {}) })
  return pieces
}

/**
 * Greedy wrap of words into lines no wider than `maxEm` (units of the font size, measured in `fontName`'s
 * advances). Returns each line's pieces: a word broken across lines (CJK, or cut because it is wider than a
 * line) keeps its index on each piece.
 */
export const wrapWords = (
  words: ReadonlyArray<string>,
  maxEm: number,
  fontName: string = DEFAULT_CAPTION_FONT
): ReadonlyArray<ReadonlyArray<LinePiece>> => {
  // Chunks: runs of atoms with no break opportunity inside.
  const chunks: Array<Array<Atom>> = []
  for (const atom of atomsOf(words)) {
    if (atom.breakable || chunks.length === 0) chunks.push([atom])
    else chunks[chunks.length - 1]!.push(atom)
  }
  const width = (atoms: ReadonlyArray<Atom>, first: boolean) =>
    textWidthEm(atoms.map((a, i) => (a.spaced && !(first && i === 0) ? " " : "") + a.text).join(""), fontName)
  const lines: Array<Array<Atom>> = []
  let line: Array<Atom> = []
  const place = (chunk: ReadonlyArray<Atom>) => {
    if (line.length > 0 && width([...line, ...chunk], true) > maxEm) {
      lines.push(line)
      line = []
    }
    line.push(...chunk)
  }
  for (const chunk of chunks) {
    if (width(chunk, true) <= maxEm) place(chunk)
    else for (const atom of chunk.flatMap((a) => cutToWidth(a, maxEm, fontName))) place([atom])
  }
  if (line.length > 0) lines.push(line)
  // Adjacent atoms of one word on one line become one piece; a line's first piece has no space before it.
  return lines.map((atoms) =>
    atoms.reduce<Array<LinePiece>>((pieces, atom) => {
      const last = pieces[pieces.length - 1]
      if (last !== undefined && last.index === atom.index && !atom.spaced) {
        pieces[pieces.length - 1] = { ...last, text: last.text + atom.text }
      } else {
        pieces.push({ index: atom.index, text: atom.text, spaced: pieces.length > 0 && atom.spaced })
      }
      return pieces
    }, [])
  )
}
