/**
 * Caption text for ASS: escaping that makes override-block injection impossible, and a width estimate
 * (DejaVu Sans metrics, East Asian wide characters, emoji) for wrapping.
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

const wide =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u
const emoji = /\p{Extended_Pictographic}/u
const narrow = /[iIl.,:;'!|\u2060]/u
const broad = /[MWmw@%]/u

/** Estimated advance of `text` in units of the font size (DejaVu Sans averages about 0.6 em per Latin glyph). */
export const textWidthEm = (text: string): number =>
  splitGraphemes(text).reduce((sum, g) => {
    if (emoji.test(g)) return sum + 1.25
    if (wide.test(g)) return sum + 1
    if (narrow.test(g)) return sum + 0.3
    if (broad.test(g)) return sum + 0.85
    if (g === " ") return sum + 0.32
    return sum + 0.62
  }, 0)
