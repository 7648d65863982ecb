/**
 * Caption text for ASS: escaping that makes override-block injection impossible, and widths measured in
 * the caption font's glyph advances (for wrapping), with the script facts that layout and karaoke need.
 */

const WORD_JOINER = "\u2060"

/**
 * Any user text → literal ASS dialogue text.
 * - `{` and `}` become `\{` and `\}` (libass prints them literally), so no override block can start;
 * - a backslash gets an invisible word joiner after it, so `\N`, `\h`, `\{`, `\\` in user text stay
 *   literal (libass only treats a backslash specially when N, n, h, { or } follows it directly);
 * - newlines, tabs and other control characters become spaces (line breaks are the layout's job).
 * Everything else (quotes, colons, commas, percent signs, emoji, CJK, right-to-left scripts) passes unchanged.
 */
export const escapeAssText = (text: string): string =>
  text
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/gu, " ")
    .replace(/\\/g, `\\${WORD_JOINER}`)
    .replace(/[{}]/g, (brace) => `\\${brace}`)

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" })

export const splitGraphemes = (text: string): ReadonlyArray<string> => [...graphemes.segment(text)].map((s) => s.segment)

/** Families whose Latin advances are tabulated; any other name is measured as the wider DejaVu Sans. */
export type CaptionFontFamily = "Noto Sans" | "DejaVu Sans"

/** The caption style's default family (fonts-noto-core); libass falls back per glyph through fontconfig. */
export const DEFAULT_CAPTION_FONT: CaptionFontFamily = "Noto Sans"

/**
 * Advances of U+0020..U+007E in the Bold face (captions are bold), in thousandths of the ASS font size:
 * hmtx advance / unitsPerEm scaled the way libass sizes a font (the font size is usWinAscent + usWinDescent,
 * so 1 em is 1000/1362 of it for Noto Sans and 2048/2384 for DejaVu Sans).
 */
const advances = (table: string): ReadonlyArray<number> => table.trim().split(/\s+/).map(Number)
const ASCII_ADVANCES: Record<CaptionFontFamily, ReadonlyArray<number>> = {
  "Noto Sans": advances(`
    191 210 347 474 420 662 551 195 249 249 400 420 209 236 209 303 420 420 420 420 420 420 420 420
    420 420 209 209 420 420 420 350 659 507 493 468 543 411 403 532 562 286 243 488 415 692 597 584
    461 584 485 405 425 555 477 710 490 458 425 243 303 243 420 302 266 443 465 377 465 434 284 465
    482 224 224 455 224 721 482 454 465 465 333 365 319 482 418 628 424 418 358 289 405 289 420`),
  "DejaVu Sans": advances(`
    299 392 448 720 598 861 749 263 393 393 449 720 326 357 326 314 598 598 598 598 598 598 598 598
    598 598 344 344 720 720 720 498 859 665 655 631 713 587 587 705 719 320 320 666 547 855 719 730
    630 730 661 619 586 698 665 948 662 622 623 393 314 393 720 430 430 580 615 509 615 582 374 615
    612 295 295 571 295 895 612 590 615 615 424 511 411 612 560 794 554 560 500 612 314 612 720`)
}

/** Han, kana, CJK symbols and punctuation, fullwidth forms: written without spaces, breakable between characters. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\u30fc\uff00-\uff60\uffe0-\uffe6\u3190-\u31ff]/u
const SOUTHEAST_ASIAN = /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u
const HANGUL = /\p{Script=Hangul}/u
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u
const RIGHT_TO_LEFT =
  /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Adlam}\p{Script=Samaritan}\p{Script=Mandaic}]/u

/** Average advance per grapheme, in font-size units, of each script as libass draws it (measured with its fontconfig fallbacks). */
const SCRIPT_ADVANCES: ReadonlyArray<readonly [RegExp, number, { readonly dejaVuScale: boolean }]> = [
  [EMOJI, 0.68, { dejaVuScale: false }], // Symbola / DejaVu Sans outlines
  [CJK, 0.69, { dejaVuScale: false }], // Noto Sans CJK: 1 em, sized by its 1448-unit ascent + descent
  [HANGUL, 0.64, { dejaVuScale: false }],
  [/\p{Script=Arabic}/u, 0.5, { dejaVuScale: false }], // DejaVu Sans comes first in fontconfig's fallback order
  [/\p{Script=Hebrew}/u, 0.5, { dejaVuScale: false }],
  [/\p{Script=Devanagari}/u, 0.6, { dejaVuScale: false }],
  [/\p{Script=Cyrillic}/u, 0.46, { dejaVuScale: true }],
  [/\p{Script=Greek}/u, 0.43, { dejaVuScale: true }],
  [/\p{Script=Thai}/u, 0.36, { dejaVuScale: false }]
]
/** DejaVu Sans Bold is about a third wider than Noto Sans Bold on the scripts both cover. */
const DEJAVU_SCALE = 1.33
const OTHER_ADVANCE = 0.45

const familyOf = (fontName: string): CaptionFontFamily => fontName === "Noto Sans" ? "Noto Sans" : "DejaVu Sans"

const graphemeWidth = (g: string, family: CaptionFontFamily): number => {
  const ascii = ASCII_ADVANCES[family]
  const code = g.codePointAt(0)!
  if (g.length === 1 && code >= 0x20 && code <= 0x7e) return ascii[code - 0x20]! / 1000
  if (g === WORD_JOINER) return 0
  for (const [script, advance, { dejaVuScale }] of SCRIPT_ADVANCES) {
    if (script.test(g)) return family === "DejaVu Sans" && dejaVuScale ? advance * DEJAVU_SCALE : advance
  }
  // Accented Latin (é, ñ, ů …) is as wide as its base letter.
  const base = g.normalize("NFD").codePointAt(0)!
  if (base >= 0x20 && base <= 0x7e) return ascii[base - 0x20]! / 1000
  return family === "DejaVu Sans" ? OTHER_ADVANCE * DEJAVU_SCALE : OTHER_ADVANCE
}

/** Advance width of `text` in units of the ASS font size, for the caption style's `fontName`. */
export const textWidthEm = (text: string, fontName: string = DEFAULT_CAPTION_FONT): number => {
  const family = familyOf(fontName)
  return splitGraphemes(text).reduce((sum, g) => sum + graphemeWidth(g, family), 0)
}

/** Whether a line may break between any two characters of `grapheme`'s script (Chinese, Japanese). */
export const isCjk = (grapheme: string): boolean => CJK.test(grapheme)

/** Whether `grapheme`'s script is written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar). */
export const isWrittenWithoutSpaces = (grapheme: string): boolean => CJK.test(grapheme) || SOUTHEAST_ASIAN.test(grapheme)

/** Whether `text`'s first strong character is right-to-left (Arabic, Hebrew, Syriac, Thaana …). */
export const startsRightToLeft = (text: string): boolean => {
  for (const ch of text) {
    if (RIGHT_TO_LEFT.test(ch)) return true
    if (/\p{L}/u.test(ch)) return false
  }
  return false
}
