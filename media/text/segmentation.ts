/**
 * Sentence and word segmentation shared by the script planner, the narration and the captions, so all
 * three count the same sentences and the same words in any script.
 *
 * Sentences end at `.` `!` `?` `…` followed (after closing quotes or brackets) by whitespace and a word
 * that could start a sentence — not after a title or abbreviation of the language ("Dr.", "e.g.", "z.B."),
 * an initial ("J. R. R. Tolkien"), inside a number ("3.14") or before a lowercase word ("wait... and
 * see") — and at the full stops of scripts that need no space after them: CJK `。！？`, Arabic `؟` `۔`,
 * Devanagari `।` `॥` and others. A blank line always ends a sentence: it is a paragraph break. A sentence
 * with no letter or digit (an emoji, "—") belongs to the one before it, except bare punctuation ending a
 * paragraph, which is left out.
 *
 * Words are whitespace-separated tokens; a token in a script written without spaces (Chinese, Japanese,
 * Thai, …) is split by `Intl.Segmenter` into its words. Punctuation and symbols belong to the adjacent
 * word ("$3.50", "(7.5%", "€5 &"), and so does a token with no letter or digit (an emoji, "—").
 */
import { type AbbreviationList, abbreviationsFor } from "./abbreviations.ts"

export interface SegmentOptions {
  /** BCP 47 language of the text, choosing its abbreviations and word dictionary; default: any */
  readonly language?: string
}

export interface Sentence {
  /** the sentence, whitespace collapsed to single spaces */
  readonly text: string
  /** index of its paragraph (blocks separated by blank lines), counting those with something to say */
  readonly paragraph: number
  /** UTF-16 offsets of the sentence's first and one-past-last character in the source text */
  readonly start: number
  readonly end: number
}

export interface Word {
  /** the word as captions show it, with its punctuation and symbols ("$3.50,", "universal? 🎉") */
  readonly text: string
  /** the word without the punctuation and symbols around it ("3.50", "universal") */
  readonly core: string
  /** UTF-16 offset of `text` inside its sentence */
  readonly offset: number
}

/** Something a voice reads: a letter or a digit. */
const speakable = /[\p{L}\p{N}]/u
/** Ends a sentence only when whitespace follows. */
const SOFT_TERMINATORS = ".!?…‼⁇⁈⁉"
/** Ends a sentence with or without a following space: CJK, Arabic and Urdu, Devanagari, Armenian, Ethiopic, Myanmar. */
const HARD_TERMINATORS = "。！？｡؟۔।॥։።፧။"
const CLOSERS = "\"'”’»›)]}」』）】〕》〉〗〙〛"
const OPENERS = "\"'“‘«‹([{「『（【〔《〈〖〘〚"
/** Scripts written without spaces between words: their tokens are split by a word segmenter. */
const spaceless = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u
const whitespace = /\s/u
const isBarePunctuation = (text: string) => !speakable.test(text) && !/\p{S}/u.test(text)
/** No letter or digit, but a symbol the voice may read out: an emoji, "©", "+". */
const symbolsOnly = (token: string) => !speakable.test(token) && /\p{S}/u.test(token)

const isTerminator = (char: string) => SOFT_TERMINATORS.includes(char) || HARD_TERMINATORS.includes(char)

/** Sentence ranges of one paragraph ([start, end) in `text`), with the abbreviation rules of `abbreviations`. */
const paragraphSentences = (text: string, from: number, to: number, abbreviations: AbbreviationList): Array<[number, number]> => {
  const ranges: Array<[number, number]> = []
  let start = from
  let i = from
  while (i < to) {
    if (!isTerminator(text[i]!)) {
      i++
      continue
    }
    const runStart = i
    let hard = false
    for (; i < to && isTerminator(text[i]!); i++) if (HARD_TERMINATORS.includes(text[i]!)) hard = true
    const run = text.slice(runStart, i)
    while (i < to && CLOSERS.includes(text[i]!)) i++
    if (i >= to) break
    const spaced = whitespace.test(text[i]!)
    // Symbols with nothing else right after the full stop (an emoji) end this sentence, not start the next.
    let end = i
    let next = i
    while (next < to && whitespace.test(text[next]!)) next++
    for (;;) {
      let tokenEnd = next
      while (tokenEnd < to && !whitespace.test(text[tokenEnd]!)) tokenEnd++
      if (next >= to || !symbolsOnly(text.slice(next, tokenEnd))) break
      end = tokenEnd
      next = tokenEnd
      while (next < to && whitespace.test(text[next]!)) next++
    }
    if (next >= to) break
    if (!hard) {
      if (!spaced || !startsSentence(text.slice(next, to))) continue
      if (run === "." && !periodEndsSentence(text.slice(start, runStart), text.slice(next, to), abbreviations)) continue
    }
    ranges.push([start, end])
    start = next
    i = next
  }
  if (start < to) ranges.push([start, to])
  return ranges
}

/** Whether the text after a terminator and a space can begin a new sentence: not a lowercase word. */
const startsSentence = (next: string): boolean => {
  let i = 0
  while (i < next.length && OPENERS.includes(next[i]!)) i++
  const first = String.fromCodePoint(next.codePointAt(i) ?? 0)
  return i < next.length && !/\p{Ll}/u.test(first)
}

/** For a single period: false after an abbreviation or an initial that cannot end a sentence. */
const periodEndsSentence = (before: string, next: string, abbreviations: AbbreviationList): boolean => {
  const token = /([\p{L}\p{M}\p{N}.]+)$/u.exec(before)?.[1]
  if (token === undefined) return true
  const lower = token.toLowerCase()
  if (abbreviations.always.has(lower)) return false
  if (/^\p{N}/u.test(next) && abbreviations.beforeNumber.has(lower)) return false
  // A single capital letter is an initial ("J. R. R. Tolkien", "John F. Kennedy").
  return !/^\p{Lu}$/u.test(token)
}

const collapse = (text: string) => text.replace(/\s+/gu, " ").trim()

/**
 * The sentences of a text, in order, each with its paragraph and source offsets. A sentence with no
 * letter or digit joins the one before it (or after it, first in its paragraph), unless it is bare
 * punctuation ending the paragraph; a paragraph with nothing to say is left out.
 */
export const splitSentences = (text: string, options: SegmentOptions = {}): ReadonlyArray<Sentence> => {
  const abbreviations = abbreviationsFor(options.language)
  const sentences: Array<Sentence> = []
  let paragraph = 0
  for (const block of text.matchAll(/(?:[^\n]|\n(?![ \t\r]*\n))+/gu)) {
    const from = block.index
    const ranges = paragraphSentences(text, from, from + block[0].length, abbreviations)
      .map(([start, end]) => {
        while (start < end && whitespace.test(text[start]!)) start++
        while (end > start && whitespace.test(text[end - 1]!)) end--
        return [start, end] as [number, number]
      })
      .filter(([start, end]) => end > start)
    const merged: Array<[number, number]> = []
    let pending: number | undefined
    // Bare punctuation ending a paragraph ("—", "…") says nothing and shows nothing worth a caption.
    while (ranges.length > 0 && isBarePunctuation(text.slice(...ranges[ranges.length - 1]!))) ranges.pop()
    for (const [start, end] of ranges) {
      if (!speakable.test(text.slice(start, end))) {
        const last = merged[merged.length - 1]
        if (last !== undefined) last[1] = end
        else pending ??= start
        continue
      }
      merged.push([pending ?? start, end])
      pending = undefined
    }
    if (merged.length === 0) continue
    for (const [start, end] of merged) sentences.push({ text: collapse(text.slice(start, end)), paragraph, start, end })
    paragraph++
  }
  return sentences
}

const segmenters = new Map<string, Intl.Segmenter>()
const wordSegmenter = (language: string | undefined) => {
  const key = language ?? ""
  let segmenter = segmenters.get(key)
  if (segmenter === undefined) {
    segmenter = new Intl.Segmenter(language, { granularity: "word" })
    segmenters.set(key, segmenter)
  }
  return segmenter
}

/**
 * Pieces of one whitespace token that are words of their own: the token is cut after a full stop that
 * ends a sentence without a space (so a sentence never starts inside a word), and a piece in a script
 * written without spaces is cut into the segmenter's words, each keeping the punctuation after it.
 */
const tokenPieces = (token: string, language: string | undefined): Array<[number, number]> => {
  const cuts: Array<[number, number]> = []
  let start = 0
  for (let i = 0; i < token.length; i++) {
    if (!HARD_TERMINATORS.includes(token[i]!)) continue
    let end = i + 1
    while (end < token.length && isTerminator(token[end]!)) end++
    while (end < token.length && CLOSERS.includes(token[end]!)) end++
    if (end < token.length) {
      cuts.push([start, end])
      start = end
    }
    i = end - 1
  }
  cuts.push([start, token.length])
  return cuts.flatMap(([from, to]) => {
    const piece = token.slice(from, to)
    if (!spaceless.test(piece)) return [[from, to] as [number, number]]
    const words: Array<[number, number]> = []
    for (const segment of wordSegmenter(language).segment(piece)) {
      const at = from + segment.index
      const last = words[words.length - 1]
      if (segment.isWordLike === true && speakable.test(segment.segment)) words.push([at, at + segment.segment.length])
      else if (last !== undefined) last[1] = at + segment.segment.length
      else words.push([at, at + segment.segment.length])
    }
    // A leading run of punctuation ("「") was pushed alone: it belongs to the word after it.
    if (words.length > 1 && !speakable.test(token.slice(words[0]![0], words[0]![1]))) words.splice(0, 2, [words[0]![0], words[1]![1]])
    return words
  })
}

const edges = /^[^\p{L}\p{N}\p{M}]+|[^\p{L}\p{N}\p{M}]+$/gu

/**
 * The words of one sentence, as narration times them and captions show them. Every word has a letter
 * or a digit; the characters around it that have none go with it.
 */
export const splitWords = (sentence: string, options: SegmentOptions = {}): ReadonlyArray<Word> => {
  const spans: Array<[number, number]> = []
  let leading: number | undefined
  for (const match of sentence.matchAll(/\S+/gu)) {
    for (const [from, to] of tokenPieces(match[0], options.language)) {
      const start = match.index + from
      const end = match.index + to
      const last = spans[spans.length - 1]
      if (speakable.test(sentence.slice(start, end))) {
        spans.push([leading ?? start, end])
        leading = undefined
      } else if (last !== undefined) last[1] = end
      else leading ??= start
    }
  }
  return spans.map(([start, end]) => {
    const text = sentence.slice(start, end)
    return { text, core: text.replace(edges, ""), offset: start }
  })
}

/** How many words `splitWords` finds in a sentence. */
export const wordCount = (sentence: string, options: SegmentOptions = {}): number => splitWords(sentence, options).length
