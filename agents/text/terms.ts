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

/** The definition of a text's words, for any script; ASCII text is read by hand (below) to the same words, faster. */
const wordsOfAnyScript = (text: string): ReadonlyArray<string> =>
  Array.from(text.toLowerCase().replace(/[’‘]/g, "'").matchAll(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu), (m) => m[0])

const isAsciiLetter = (code: number) => (code >= 97 && code <= 122) || (code >= 65 && code <= 90)
const isAsciiDigit = (code: number) => code >= 48 && code <= 57
const isAsciiLower = (code: number) => code >= 97 && code <= 122
const isAsciiUpper = (code: number) => code >= 65 && code <= 90
const APOSTROPHE = 39

const isAscii = (text: string) => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false
  return true
}

const pushWord = (found: Array<string>, text: string, start: number, end: number, upper: boolean) => {
  const word = text.slice(start, end)
  found.push(upper ? word.toLowerCase() : word)
}

/**
 * `wordsOfAnyScript` of `text[from, to)` for ASCII text, by hand: most tags and file names are ASCII,
 * and a library holds thousands of them. With `fileName`, the words also break where `fileNameWords`
 * puts a space: at camelCase ("zZ"), and at letter/digit boundaries taken left to right as a global
 * replace takes them, so a digit that ends one boundary does not start the next ("a1b" -> "a", "1b").
 */
const asciiWords = (text: string, from: number, to: number, fileName: boolean): Array<string> => {
  const found: Array<string> = []
  // Where the current word starts (-1: between words), and whether it is past an inner apostrophe
  // ("don't", "set's"), where only letters go on.
  let start = -1
  let apostrophe = false
  let upper = false
  let boundaryBefore = false
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i)
    const letter = isAsciiLetter(code)
    const alnum = letter || isAsciiDigit(code)
    let cut = false
    if (fileName && i > from) {
      const previous = text.charCodeAt(i - 1)
      const boundary: boolean = !boundaryBefore &&
        ((isAsciiLetter(previous) && isAsciiDigit(code)) || (isAsciiDigit(previous) && letter))
      boundaryBefore = boundary
      cut = boundary || (isAsciiLower(previous) && isAsciiUpper(code))
    }
    if (start >= 0) {
      if ((apostrophe ? letter : alnum) && !cut) {
        upper ||= isAsciiUpper(code)
        continue
      }
      if (code === APOSTROPHE && i + 1 < to && isAsciiLetter(text.charCodeAt(i + 1))) {
        apostrophe = true
        continue
      }
      pushWord(found, text, start, i, upper)
      start = -1
    }
    if (alnum) {
      start = i
      apostrophe = false
      upper = isAsciiUpper(code)
    }
  }
  if (start >= 0) pushWord(found, text, start, to, upper)
  return found
}

/** Lowercase words in reading order: letters, digits and inner apostrophes; any script. */
export const words = (text: string): ReadonlyArray<string> =>
  isAscii(text) ? asciiWords(text, 0, text.length, false) : wordsOfAnyScript(text)

/** The definition of a file name's words, for any name; an ASCII one is read by hand (below) to the same words. */
const fileNameWordsOfAnyScript = (name: string): ReadonlyArray<string> => {
  const base = name.replace(/^.*[\\/]/, "").replace(/\.[A-Za-z0-9]{1,5}$/, "")
  return wordsOfAnyScript(base.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/(\p{L})(\p{N})|(\p{N})(\p{L})/gu, "$1$3 $2$4"))
}

/** Splits a file name into words: separators, camelCase and letter/digit boundaries. */
export const fileNameWords = (name: string): ReadonlyArray<string> => {
  // One pass for what the regexes would find: the base name's start, the last dot, and whether all is
  // ASCII with no line break (a regex's `.` stops at one).
  let from = 0
  let dot = -1
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i)
    if (code > 127 || code === 10 || code === 13) return fileNameWordsOfAnyScript(name)
    if (code === 47 || code === 92) from = i + 1
    else if (code === 46) dot = i
  }
  // The extension: a last dot followed by one to five letters or digits.
  let to = name.length
  if (dot >= from && to - dot - 1 >= 1 && to - dot - 1 <= 5) {
    let extension = true
    for (let i = dot + 1; i < to && extension; i++) {
      const code = name.charCodeAt(i)
      extension = isAsciiLetter(code) || isAsciiDigit(code)
    }
    if (extension) to = dot
  }
  return asciiWords(name, from, to, true)
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
