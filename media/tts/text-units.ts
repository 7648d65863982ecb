/** Splitting narration text into sentences and words, keeping character offsets so timings map back to text. */

export interface TextWord {
  /** the word as written, with its trailing punctuation ("world,") — what captions show */
  readonly text: string
  /** the speakable core without surrounding punctuation ("world") */
  readonly spoken: string
  /** UTF-16 offset of `text` inside its sentence */
  readonly offset: number
}

export interface TextSentence {
  readonly text: string
  readonly words: ReadonlyArray<TextWord>
}

const hasSpeakable = /[\p{L}\p{N}]/u
const edgePunctuation = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu

/** Sentence ends at . ! ? … (and CJK 。！？) followed by space or end; a sentence keeps its punctuation. */
export const splitSentences = (text: string): ReadonlyArray<string> =>
  text
    .replace(/\r\n?/g, "\n")
    .split(/(?<=[.!?…。！？])\s+|(?<=[。！？])|\n{2,}/u)
    .map((s) => s.replace(/\s+/g, " ").trim())
    .filter((s) => hasSpeakable.test(s))

/** Whitespace-separated words; a token with nothing speakable (a dash, an emoji) joins the previous word's text. */
export const splitWords = (sentence: string): ReadonlyArray<TextWord> => {
  const words: Array<{ text: string; spoken: string; offset: number }> = []
  for (const match of sentence.matchAll(/\S+/gu)) {
    const token = match[0]
    const last = words[words.length - 1]
    if (!hasSpeakable.test(token)) {
      if (last !== undefined) last.text = `${last.text} ${token}`
      continue
    }
    words.push({ text: token, spoken: token.replace(edgePunctuation, ""), offset: match.index })
  }
  return words
}

export const toSentences = (text: string): ReadonlyArray<TextSentence> =>
  splitSentences(text).map((sentence) => ({ text: sentence, words: splitWords(sentence) }))
