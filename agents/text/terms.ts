/**
 * Words and terms: the one tokenizer both the director (keywords) and the shot-matcher (BM25 over
 * tags and file names) use, so a keyword and a tag meet on the same stem.
 */
import { stem } from "./stem.ts"

/** Common English function words and narration filler that never make a useful keyword. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again against all almost also am an and any are aren't as at be because been before being " +
    "below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each " +
    "even ever every few for from further get gets got had hadn't has hasn't have haven't having he he'd he'll he's her " +
    "here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself " +
    "just let let's like made make makes many may me might more most much must mustn't my myself never no nor not now of " +
    "off often on once one only or other ought our ours ourselves out over own perhaps quite rather really same say says " +
    "shall shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves " +
    "then there there's these they they'd they'll they're they've thing things this those though through thus to too " +
    "under until up upon us very was wasn't way we we'd we'll we're we've well were weren't what what's when when's where " +
    "where's whether which while who who's whom whose why why's will with within without won't would wouldn't yet you " +
    "you'd you'll you're you've your yours yourself yourselves"
  ).split(" ")
)

/** Lowercase words in reading order: letters, digits and inner apostrophes; any script. */
export const words = (text: string): ReadonlyArray<string> =>
  Array.from(text.toLowerCase().replace(/[’‘]/g, "'").matchAll(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu), (m) => m[0])

/** Splits a file name into words: separators, camelCase and letter/digit boundaries. */
export const fileNameWords = (name: string): ReadonlyArray<string> => {
  const base = name.replace(/^.*[\\/]/, "").replace(/\.[A-Za-z0-9]{1,5}$/, "")
  return words(base.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/(\p{L})(\p{N})|(\p{N})(\p{L})/gu, "$1$3 $2$4"))
}

/** A content word worth indexing: not a stopword, not a lone letter or digit ("Rule 110" keeps its 110). */
export const isContentWord = (word: string): boolean => !STOPWORDS.has(word) && word.length > 1

/** A content word without its possessive ("set's" -> "set"), or undefined for a word not worth indexing. */
export const contentWord = (word: string): string | undefined => {
  if (!isContentWord(word)) return undefined
  const bare = word.replace(/'s$/, "")
  return isContentWord(bare) ? bare : undefined
}

/** The stems of the content words of a text, in order (repeats kept: they are term frequencies). */
export const terms = (text: string): ReadonlyArray<string> =>
  words(text).flatMap((word) => {
    const content = contentWord(word)
    return content === undefined ? [] : [stem(content)]
  })
