/**
 * Word-timed captions as an ASS subtitle file for libass (ffmpeg's `ass`/`subtitles` filter), in three
 * styles: `lines` (a page of up to N lines at a time), `word-by-word` (one word at a time) and
 * `karaoke` (the page with each word filled in as it is spoken, `\kf` or `\k`).
 * PlayResX/PlayResY equal the output size, so font sizes and margins are in output pixels.
 */
import { Effect, Schema } from "effect"
import { writeFileAtomic } from "./atomic-file.ts"
import {
  captionPlacement,
  type CaptionPosition,
  defaultFontSize,
  type LinePiece,
  lineText,
  type SafeArea,
  safeArea,
  wrapWords
} from "./captions-layout.ts"
import { DEFAULT_CAPTION_FONT, escapeAssText, startsRightToLeft, textWidthEm } from "./captions-text.ts"
import type { SentenceTiming, WordTiming } from "./tts/narration.ts"

export {
  type AspectProfile,
  aspectProfile,
  type CaptionPlacement,
  captionPlacement,
  type CaptionPosition,
  type SafeArea,
  safeArea
} from "./captions-layout.ts"
export { DEFAULT_CAPTION_FONT, escapeAssText } from "./captions-text.ts"

export type CaptionStyle = "lines" | "word-by-word" | "karaoke"

export interface CaptionOptions {
  /** output video size; becomes PlayResX/PlayResY */
  readonly width: number
  readonly height: number
  readonly style: CaptionStyle
  /**
   * default "Noto Sans" (fonts-noto-core); glyphs it lacks (CJK, Arabic, Devanagari, emoji …) come from
   * whatever installed font has them, through fontconfig. Line widths use this family's advances
   * ("Noto Sans" or "DejaVu Sans"; any other name is measured as the wider DejaVu Sans).
   */
  readonly fontName?: string
  /** pixels; default 6% of the short side */
  readonly fontSize?: number
  /** lines per page for `lines` and `karaoke`, default 2 */
  readonly maxLines?: number
  /** "#RRGGBB" text colour, default white */
  readonly textColor?: string
  /** "#RRGGBB" spoken-word colour for karaoke, default yellow #FFD500 */
  readonly highlightColor?: string
  /** "#RRGGBB" outline colour, default black */
  readonly outlineColor?: string
  /** outline width in pixels (0: none), default 1/16 of the font size, at least 1 */
  readonly outlineWidth?: number
  /** where the caption block sits, inside the safe area; default bottom */
  readonly position?: CaptionPosition
  /** karaoke fill: `kf` sweeps each word, `k` switches it at once; default `kf` (right-to-left words always switch) */
  readonly karaokeTag?: "kf" | "k"
  /** how long the last words of a page stay after they are spoken when nothing follows, default 0.4 s */
  readonly holdSec?: number
}

export interface CaptionSource {
  readonly words: ReadonlyArray<WordTiming>
  /** when given, a caption page never spans two sentences */
  readonly sentences?: ReadonlyArray<SentenceTiming>
}

/** Which options were wrong (`invalid-color`: a colour that is not #RRGGBB), or the file could not be written (`io`). */
export class CaptionError extends Schema.TaggedError<CaptionError>()("CaptionError", {
  reason: Schema.Literal("invalid-options", "invalid-color", "io"),
  message: Schema.String,
  /** underlying error text */
  detail: Schema.optional(Schema.String)
}) {}

/** "#RRGGBB" → ASS "&H00BBGGRR" (alpha 00: opaque); `option` names it in the error ("text colour"). */
const assColor = (option: string, hex: string): string => {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (m === null) {
    throw new CaptionError({ reason: "invalid-color", message: `${option} ${JSON.stringify(hex)} is not #RRGGBB` })
  }
  return `&H00${m[3]}${m[2]}${m[1]}`.toUpperCase()
}

/** Seconds → ASS "H:MM:SS.cc". */
export const assTime = (sec: number): string => {
  const cs = Math.max(0, Math.round(sec * 100))
  const h = Math.floor(cs / 360000)
  const m = Math.floor((cs % 360000) / 6000)
  const s = Math.floor((cs % 6000) / 100)
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}.${String(cs % 100).padStart(2, "0")}`
}

interface Page {
  readonly words: ReadonlyArray<WordTiming>
  /** each line's pieces of words */
  readonly lines: ReadonlyArray<ReadonlyArray<LinePiece>>
  readonly start: number
  readonly end: number
}

interface Layout {
  readonly area: SafeArea
  readonly fontName: string
  readonly fontSize: number
  readonly lineEm: number
  readonly maxLines: number
  readonly holdSec: number
}

const sentenceGroups = (source: CaptionSource): ReadonlyArray<ReadonlyArray<WordTiming>> => {
  if (source.sentences === undefined || source.sentences.length === 0) return [source.words]
  return source.sentences.map((s) => s.words)
}

/** Pages of at most `maxLines` wrapped lines, never crossing a sentence; each ends when the next begins. */
const paginate = (source: CaptionSource, layout: Layout): ReadonlyArray<Page> => {
  const drafts: Array<{ words: Array<WordTiming>; lines: ReadonlyArray<ReadonlyArray<LinePiece>> }> = []
  const wrap = (words: ReadonlyArray<WordTiming>) => wrapWords(words.map((w) => w.word), layout.lineEm, layout.fontName)
  for (const group of sentenceGroups(source)) {
    let words: Array<WordTiming> = []
    for (const word of group) {
      const candidate = [...words, word]
      const lines = wrap(candidate)
      if (words.length > 0 && lines.length > layout.maxLines) {
        drafts.push({ words, lines: wrap(words) })
        words = [word]
      } else {
        words = candidate
      }
    }
    if (words.length > 0) drafts.push({ words, lines: wrap(words) })
  }
  return drafts.map((draft, i) => {
    const start = draft.words[0]!.start
    const spokenEnd = Math.max(...draft.words.map((w) => w.end))
    const next = drafts[i + 1]?.words[0]?.start
    const end = next !== undefined ? Math.min(next, spokenEnd + layout.holdSec) : spokenEnd + layout.holdSec
    return { words: draft.words, lines: draft.lines, start, end: Math.max(end, start + 0.01) }
  })
}

const dialogue = (start: number, end: number, text: string) =>
  `Dialogue: 0,${assTime(start)},${assTime(Math.max(end, start + 0.01))},Caption,,0,0,0,,${text}`

const linesText = (page: Page, render: (piece: LinePiece, isFirstPiece: boolean) => string): string => {
  const seen = new Set<number>()
  return page.lines
    .map((line) =>
      lineText(line, (piece) => {
        const first = !seen.has(piece.index)
        seen.add(piece.index)
        return render(piece, first)
      })
    )
    .join("\\N")
}

const events = (source: CaptionSource, options: CaptionOptions, layout: Layout): ReadonlyArray<string> => {
  const pages = paginate(source, layout)
  switch (options.style) {
    case "lines":
      return pages.map((page) => dialogue(page.start, page.end, linesText(page, (piece) => escapeAssText(piece.text))))
    case "karaoke": {
      const tag = options.karaokeTag ?? "kf"
      return pages.map((page) => {
        // Each word's fill lasts until the next word starts (the last: until it is spoken), in centiseconds,
        // accumulated so rounding never drifts from the word timings.
        const boundaries = page.words.map((w) => w.start - page.start).concat(page.words[page.words.length - 1]!.end - page.start)
        const cs = boundaries.map((b) => Math.round(b * 100))
        // libass sweeps \kf from left to right, against the reading of a right-to-left word: those switch at once.
        const text = linesText(
          page,
          (piece, first) =>
            first
              ? `{\\${startsRightToLeft(page.words[piece.index]!.word) ? "k" : tag}${
                Math.max(0, cs[piece.index + 1]! - cs[piece.index]!)
              }}${escapeAssText(piece.text)}`
              : escapeAssText(piece.text)
        )
        return dialogue(page.start, page.end, text)
      })
    }
    case "word-by-word":
      return pages.flatMap((page) =>
        page.words.map((word, i) => {
          const end = page.words[i + 1]?.start ?? page.end
          const pieces = wrapWords([word.word], layout.lineEm, layout.fontName).map((line) => escapeAssText(lineText(line)))
          // A quick pop (110% → 100% in 80 ms) marks each new word.
          return dialogue(word.start, end, `{\\fscx110\\fscy110\\t(0,80,\\fscx100\\fscy100)}${pieces.join("\\N")}`)
        })
      )
  }
}

/** Layout and rendering; throws CaptionError on invalid options (wrapped by `buildAss`). */
const renderAss = (source: CaptionSource, options: CaptionOptions): string => {
  const { width, height } = options
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= 16384 && height <= 16384)) {
    throw new CaptionError({ reason: "invalid-options", message: `output size ${width}x${height} is not a valid video size` })
  }
  const area = safeArea(width, height)
  const fontSize = options.fontSize ?? defaultFontSize(width, height)
  if (!(fontSize > 0 && fontSize < height)) {
    throw new CaptionError({ reason: "invalid-options", message: `font size ${fontSize} does not fit ${height} px` })
  }
  const fontName = options.fontName ?? DEFAULT_CAPTION_FONT
  if (/[,\r\n]/.test(fontName)) {
    throw new CaptionError({
      reason: "invalid-options",
      message: `font name ${JSON.stringify(fontName)} cannot contain commas or newlines`
    })
  }
  const maxLines = options.maxLines ?? 2
  const layout: Layout = {
    area,
    fontName,
    fontSize,
    lineEm: (width - area.marginL - area.marginR) / fontSize,
    maxLines: options.style === "word-by-word" ? 1 : Math.max(1, Math.floor(maxLines)),
    holdSec: options.holdSec ?? 0.4
  }
  if (textWidthEm("M", fontName) > layout.lineEm) {
    throw new CaptionError({ reason: "invalid-options", message: `font size ${fontSize} leaves no room for a letter in ${width} px` })
  }
  const text = assColor("text colour", options.textColor ?? "#FFFFFF")
  const highlight = assColor("highlight colour", options.highlightColor ?? "#FFD500")
  const outline = assColor("outline colour", options.outlineColor ?? "#000000")
  // Karaoke fills from SecondaryColour (not yet spoken) to PrimaryColour (spoken).
  const [primary, secondary] = options.style === "karaoke" ? [highlight, text] : [text, text]
  const border = options.outlineWidth ?? Math.max(1, Math.round(fontSize / 16))
  if (!(Number.isFinite(border) && border >= 0 && border < height)) {
    throw new CaptionError({ reason: "invalid-options", message: `outline width ${border} is not a width in pixels` })
  }
  const shadow = Math.max(0, Math.round(border) - 1)
  const placement = captionPlacement(width, height, options.position ?? "bottom")
  // Encoding -1 (libass's "autodetect"): the base direction comes from the text's first strong character and
  // bidi runs over the whole event. With a Windows charset (1 …) libass, like VSFilter, runs bidi separately
  // between override tags, so karaoke's per-word `\k` tags would lay right-to-left words out in reverse.
  const encoding = -1
  return [
    "[Script Info]",
    "; written by reelswarm media/captions",
    "ScriptType: v4.00+",
    `PlayResX: ${width}`,
    `PlayResY: ${height}`,
    // 2 = no automatic wrapping: line breaks are ours, so layout is the same everywhere.
    "WrapStyle: 2",
    "ScaledBorderAndShadow: yes",
    "YCbCr Matrix: TV.709",
    "",
    "[V4+ Styles]",
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
    `Style: Caption,${fontName},${fontSize},${primary},${secondary},${outline},&H80000000,-1,0,0,0,100,100,0,0,1,${border},${shadow},${placement.alignment},${area.marginL},${area.marginR},${placement.marginV},${encoding}`,
    "",
    "[Events]",
    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ...events(source, options, layout),
    ""
  ].join("\n")
}

/** The ASS document for `source` (words with timings, optionally grouped in sentences). */
export const buildAss = (source: CaptionSource, options: CaptionOptions): Effect.Effect<string, CaptionError> =>
  Effect.try({
    try: () => renderAss(source, options),
    catch: (error) =>
      error instanceof CaptionError
        ? error
        : new CaptionError({ reason: "invalid-options", message: "cannot lay out captions", detail: String(error) })
  })

/** Builds the ASS document and writes it under a temp name, then renames it to `file`. */
export const writeAss = Effect.fn("captions.write")(function*(file: string, source: CaptionSource, options: CaptionOptions) {
  const content = yield* buildAss(source, options)
  yield* writeFileAtomic(file, content).pipe(
    Effect.mapError((error) => new CaptionError({ reason: "io", message: `cannot write ${file}`, detail: error.message }))
  )
  return file
})
