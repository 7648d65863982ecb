/**
 * Narration text in sentences and words (the shared segmentation of ../text/segmentation.ts), with
 * what the voice is given to say for each: character offsets are kept so timings map back to text.
 */
import { splitSentences as segmentSentences, splitWords as segmentWords } from "../text/segmentation.ts"

export interface TextWord {
  /** the word as written, with its punctuation and symbols ("world,", "$3.50") — what captions show */
  readonly text: string
  /** the speakable core without surrounding punctuation and symbols ("world", "3.50") */
  readonly spoken: string
  /** what the voice says for the word alone: `text`, symbols included, less an abbreviation's clause-ending period */
  readonly speech: string
  /** UTF-16 offset of `text` inside its sentence */
  readonly offset: number
}

export interface TextSentence {
  readonly text: string
  /** `text` as the voice is given it: an abbreviation's or initial's period before a capital or digit is left out */
  readonly speech: string
  readonly words: ReadonlyArray<TextWord>
}

/** The sentences of a narration text, each with its punctuation; nothing-to-say sentences join a neighbour. */
export const splitSentences = (text: string): ReadonlyArray<string> => segmentSentences(text).map((sentence) => sentence.text)

/**
 * Offsets of the periods inside a sentence that did not end it ("Dr. Smith", "J. R. R. Tolkien",
 * "No. 5"): espeak-ng would pause there as at a clause end, so it is not given them.
 */
const innerPeriods = (sentence: string): ReadonlySet<number> =>
  new Set(
    [...sentence.matchAll(/(?<![.])\.(?=[)\]"'”’]*\s+[^\s\p{Ll}])/gu)].map((match) => match.index)
  )

/** `text` (starting at `from` in its sentence) less the code units at `removed`. */
const without = (text: string, from: number, removed: ReadonlySet<number>) =>
  text.split("").filter((_, i) => !removed.has(from + i)).join("")

const toWords = (sentence: string, removed: ReadonlySet<number>): ReadonlyArray<TextWord> =>
  segmentWords(sentence).map((word) => ({
    text: word.text,
    spoken: word.core,
    speech: without(word.text, word.offset, removed),
    offset: word.offset
  }))

/** The words of a sentence; a token with nothing speakable (a dash, an emoji) joins its neighbour's text. */
export const splitWords = (sentence: string): ReadonlyArray<TextWord> => toWords(sentence, innerPeriods(sentence))

export const toSentences = (text: string): ReadonlyArray<TextSentence> =>
  splitSentences(text).map((sentence) => {
    const removed = innerPeriods(sentence)
    return { text: sentence, speech: without(sentence, 0, removed), words: toWords(sentence, removed) }
  })
