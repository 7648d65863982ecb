/**
 * Sentence splitting for narration scripts, offline and deterministic. A sentence ends at `.`, `!`,
 * `?` or an ellipsis, followed (after any closing quotes or brackets) by whitespace and a word that
 * could start a sentence. It does not end after a title or a Latin abbreviation ("Dr.", "e.g."),
 * an initial ("J. R. R. Tolkien"), inside a number ("3.14"), or before a lowercase word
 * ("wait... and see"). A blank line always ends a sentence: it is a paragraph break.
 */

import type { ScriptSentence } from "./scene.ts"

export type { ScriptSentence } from "./scene.ts"

/** Abbreviations after which a period never ends a sentence. */
const NEVER_FINAL = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "st",
  "jr",
  "sr",
  "vs",
  "e.g",
  "i.e",
  "cf",
  "fig",
  "figs",
  "no",
  "nos",
  "vol",
  "ch",
  "sec",
  "approx",
  "ca",
  "gen",
  "col",
  "lt",
  "sgt",
  "capt",
  "mt",
  "ft",
  "eq",
  "eqs",
  "ref",
  "al"
])

const TERMINATORS = ".!?…"
const CLOSERS = "\"'”’»)]}"

/** Splits one paragraph into sentences. */
const splitParagraph = (paragraph: string): Array<string> => {
  const text = paragraph.replace(/\s+/g, " ").trim()
  const sentences: Array<string> = []
  let start = 0
  let i = 0
  while (i < text.length) {
    if (!TERMINATORS.includes(text[i]!)) {
      i++
      continue
    }
    const runStart = i
    while (i < text.length && TERMINATORS.includes(text[i]!)) i++
    const run = text.slice(runStart, i)
    while (i < text.length && CLOSERS.includes(text[i]!)) i++
    if (i >= text.length) break
    if (text[i] !== " ") continue
    const next = text.slice(i + 1)
    if (!startsSentence(next)) continue
    if (run === "." && !periodEndsSentence(text.slice(start, runStart), next)) continue
    sentences.push(text.slice(start, i).trim())
    start = i + 1
  }
  const rest = text.slice(start).trim()
  if (rest.length > 0) sentences.push(rest)
  return sentences
}

/** Whether the text after a terminator and a space can begin a new sentence. */
const startsSentence = (next: string): boolean => {
  const first = /^["'“‘«([]*(.)/u.exec(next)?.[1]
  if (first === undefined) return false
  // A lowercase letter continues the sentence ("e.g. the", "wait... and").
  return !/\p{Ll}/u.test(first)
}

/** For a single period: false after an abbreviation or an initial that cannot end a sentence. */
const periodEndsSentence = (before: string, next: string): boolean => {
  const token = /([\p{L}\p{N}.]+)$/u.exec(before)?.[1]
  if (token === undefined) return true
  const lower = token.toLowerCase()
  if (NEVER_FINAL.has(lower)) return false
  // "No. 5", "Fig. 3": an abbreviation-like word before a number.
  if (/^\p{N}/u.test(next) && /^(no|nos|fig|figs|vol|ch|sec|p|pp|art)$/.test(lower)) return false
  // A single capital letter is an initial ("J. R. R. Tolkien", "John F. Kennedy").
  if (/^\p{Lu}$/u.test(token)) return false
  return true
}

/** Splits a script into sentences, in order, each tagged with its paragraph. */
export const splitSentences = (script: string): ReadonlyArray<ScriptSentence> =>
  script
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t]*\n/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0)
    .flatMap((block, paragraph) => splitParagraph(block).map((text) => ({ text, paragraph })))
