/**
 * Which characters of a text no installed font can draw (they would burn in as "tofu" boxes), by script.
 * It asks fontconfig once (`fc-list`, through the `ProcessRunner`) for every outline font's character set:
 * libass draws with outline fonts only and falls back through fontconfig per glyph, so a character is
 * covered exactly when some outline font has it. Bitmap-only colour fonts (Noto Color Emoji's CBDT) do not
 * count: libass never selects them, and emoji come from a monochrome outline font such as Symbola.
 */
import { Effect, Schema } from "effect"
import { ProcessRunner, type ProcessRunnerService } from "./process-runner.ts"

export class FontCoverageError extends Schema.TaggedError<FontCoverageError>()("FontCoverageError", {
  /** "fontconfig-unavailable": fc-list could not run or failed; "unreadable": its output made no sense */
  reason: Schema.Literal("fontconfig-unavailable", "unreadable"),
  message: Schema.String,
  /** fc-list's error or stderr tail */
  detail: Schema.optional(Schema.String)
}) {}

export interface MissingCharacter {
  readonly char: string
  /** "U+1F9EC" */
  readonly codePoint: string
  readonly script: string
}

export interface ScriptCoverage {
  /** Unicode script name ("Latin", "Han", "Arabic" …), "Emoji", "Common" (digits, punctuation, symbols) or "Other" */
  readonly script: string
  /** distinct characters of this script in the text */
  readonly characters: number
  readonly missing: ReadonlyArray<MissingCharacter>
  /** outline font families that have every character of this script in the text, sorted */
  readonly families: ReadonlyArray<string>
}

export interface FontCoverage {
  /** true when every character has a font */
  readonly complete: boolean
  /** scripts in order of first appearance */
  readonly scripts: ReadonlyArray<ScriptCoverage>
  /** characters without a font, in order of first appearance */
  readonly missing: ReadonlyArray<MissingCharacter>
}

const SCRIPTS = [
  "Latin",
  "Cyrillic",
  "Greek",
  "Armenian",
  "Georgian",
  "Arabic",
  "Hebrew",
  "Syriac",
  "Thaana",
  "Devanagari",
  "Bengali",
  "Gurmukhi",
  "Gujarati",
  "Oriya",
  "Tamil",
  "Telugu",
  "Kannada",
  "Malayalam",
  "Sinhala",
  "Thai",
  "Lao",
  "Tibetan",
  "Myanmar",
  "Khmer",
  "Ethiopic",
  "Mongolian",
  "Han",
  "Hiragana",
  "Katakana",
  "Bopomofo",
  "Hangul",
  "Common",
  "Inherited"
].map((name) => [name, new RegExp(`\\p{Script=${name}}`, "u")] as const)
const EMOJI = /[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}]/u
/** Drawn by no font: spaces, controls, format characters (ZWJ, bidi marks), variation selectors. */
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}\p{Variation_Selector}]/u

const scriptOf = (char: string): string => {
  if (EMOJI.test(char)) return "Emoji"
  return SCRIPTS.find(([, pattern]) => pattern.test(char))?.[0] ?? "Other"
}

interface FontCharset {
  readonly family: string
  /** sorted, disjoint [first, last] code point ranges */
  readonly ranges: ReadonlyArray<readonly [number, number]>
}

/** `family<TAB>20-7e a0-377 …` lines → character sets. */
const parseCharsets = (stdout: string): ReadonlyArray<FontCharset> =>
  stdout.split("\n").flatMap((line) => {
    const [family, charset] = line.split("\t")
    if (family === undefined || family === "" || charset === undefined) return []
    const ranges = charset.trim().split(/\s+/).filter((r) => r !== "").map((r): readonly [number, number] => {
      const [first = "", last = first] = r.split("-")
      return [parseInt(first, 16), parseInt(last, 16)]
    })
    return [{ family, ranges }]
  })

const covers = (font: FontCharset, code: number): boolean => {
  let [lo, hi] = [0, font.ranges.length - 1]
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const [first, last] = font.ranges[mid]!
    if (code < first) hi = mid - 1
    else if (code > last) lo = mid + 1
    else return true
  }
  return false
}

const codePointName = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`

/** Installed outline fonts' character sets, listed once per process runner (a failed listing is tried again next time). */
const listed = new WeakMap<ProcessRunnerService, ReadonlyArray<FontCharset>>()

const installedCharsets: Effect.Effect<ReadonlyArray<FontCharset>, FontCoverageError> = Effect.flatMap(
  ProcessRunner,
  (runner) => {
    const known = listed.get(runner)
    if (known !== undefined) return Effect.succeed(known)
    return runner.run({ command: "fc-list", args: ["--format", "%{family[0]}\t%{charset}\n", ":outline=true"], captureStdout: true }).pipe(
      Effect.mapError((error) =>
        new FontCoverageError({
          reason: "fontconfig-unavailable",
          message: error.reason === "spawn" ? "cannot run fc-list (install fontconfig)" : "fc-list failed",
          detail: error.reason === "spawn" ? error.message : error.stderr.slice(-2000).trim()
        })
      ),
      Effect.flatMap(({ stdout }) => {
        const fonts = parseCharsets(stdout)
        return fonts.some((font) => font.ranges.some(([first, last]) => !(first <= last)))
          ? new FontCoverageError({ reason: "unreadable", message: "fc-list printed a character set that is not hex ranges" })
          : Effect.succeed(fonts)
      }),
      Effect.tap((fonts) => Effect.sync(() => listed.set(runner, fonts)))
    )
  }
)

/** Which scripts and characters of `text` have an installed outline font (what libass can draw). */
export const fontCoverage = Effect.fn("media.fontCoverage")(function*(text: string) {
  const fonts = yield* installedCharsets
  const chars = [...new Set(text)].filter((char) => !INVISIBLE.test(char))
  const byScript = new Map<string, { chars: Array<string>; missing: Array<MissingCharacter> }>()
  const missing: Array<MissingCharacter> = []
  for (const char of chars) {
    const script = scriptOf(char)
    const entry = byScript.get(script) ?? { chars: [], missing: [] }
    byScript.set(script, entry)
    entry.chars.push(char)
    const code = char.codePointAt(0)!
    if (!fonts.some((font) => covers(font, code))) {
      const gap = { char, codePoint: codePointName(code), script }
      entry.missing.push(gap)
      missing.push(gap)
    }
  }
  const scripts = [...byScript].map(([script, entry]): ScriptCoverage => ({
    script,
    characters: entry.chars.length,
    missing: entry.missing,
    families: [
      ...new Set(
        fonts.filter((font) => entry.chars.every((char) => covers(font, char.codePointAt(0)!))).map((font) => font.family)
      )
    ].sort()
  }))
  return { complete: missing.length === 0, scripts, missing } satisfies FontCoverage
})
