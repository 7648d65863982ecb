/**
 * The language of a narration text, and its runs of language: what picks the voice that speaks each part.
 *
 * The script decides first, since most scripts belong to one language or a few told apart by their
 * letters: Han is Chinese (Japanese when the text has kana), Hangul Korean, Arabic script Arabic (Persian
 * or Urdu by their own letters), Cyrillic Russian (Ukrainian, Bulgarian, Serbian, … by theirs), and so on.
 * Latin text is told apart by its function words and letters (en, de, fr, es, it, pt, nl): a narration
 * has sentences, and a few dozen of the commonest words of each language decide those reliably, where a
 * general trigram detector (franc) needs a dependency and still guesses on short text.
 *
 * A text's languages are decided once for the whole text (a language per script), so a short run
 * ("Paris" inside a German sentence) takes the language of its script in the text, not a guess of its own.
 */

export interface LanguageGuess {
  /** ISO 639-1 code ("zh", "ja", "en"), or the 639-3 code where the language has none */
  readonly language: string
  /** 0 … 1: the share of the text's letters in this language's script, times how clearly the letters and words decide */
  readonly confidence: number
  /** the Unicode script the guess rests on ("Han", "Latin", …) */
  readonly script: string
}

export interface LanguageRun {
  /** the run as written, with the spaces, digits and punctuation around it */
  readonly text: string
  /** UTF-16 offsets of the run in the text */
  readonly start: number
  readonly end: number
  /** the script of the run's letters; "Common" for a text with none */
  readonly script: string
  readonly language: string
}

/** The language each script of a text is in (the text's own decision, reused for its every part). */
export interface LanguageProfile {
  /** in order of letters, most first */
  readonly scripts: ReadonlyArray<LanguageGuess>
  /** the language of the most letters; English for a text with none */
  readonly primary: LanguageGuess
  readonly languageOf: (script: string) => string
}

/** Scripts with their languages; the order is only that of the lookup. */
const SCRIPTS: ReadonlyArray<readonly [script: string, language: string]> = [
  ["Latin", "en"],
  ["Han", "zh"],
  ["Hiragana", "ja"],
  ["Katakana", "ja"],
  ["Hangul", "ko"],
  ["Cyrillic", "ru"],
  ["Greek", "el"],
  ["Arabic", "ar"],
  ["Hebrew", "he"],
  ["Devanagari", "hi"],
  ["Bengali", "bn"],
  ["Gurmukhi", "pa"],
  ["Gujarati", "gu"],
  ["Oriya", "or"],
  ["Tamil", "ta"],
  ["Telugu", "te"],
  ["Kannada", "kn"],
  ["Malayalam", "ml"],
  ["Sinhala", "si"],
  ["Thai", "th"],
  ["Lao", "lo"],
  ["Khmer", "km"],
  ["Myanmar", "my"],
  ["Tibetan", "bo"],
  ["Armenian", "hy"],
  ["Georgian", "ka"],
  ["Ethiopic", "am"],
  ["Bopomofo", "zh"]
]
const SCRIPT_PATTERNS = SCRIPTS.map(([script]) => [script, new RegExp(`\\p{Script=${script}}`, "u")] as const)
const SCRIPT_LANGUAGE = new Map(SCRIPTS)
const letter = /[\p{L}\p{M}]/u
/** Marks and letters of no script of their own take the script of the letter they follow. */
const inherited = /\p{Script=Inherited}/u

/** The script of one character among those above; undefined for digits, punctuation, spaces, symbols and marks. */
export const scriptOf = (char: string): string | undefined => {
  if (!letter.test(char) || inherited.test(char)) return undefined
  for (const [script, pattern] of SCRIPT_PATTERNS) if (pattern.test(char)) return script
  return "Other"
}

/** Letters that only some languages of a script use, checked in order: the first that appears decides. */
const LETTER_HINTS: Readonly<Record<string, ReadonlyArray<readonly [RegExp, string]>>> = {
  Cyrillic: [
    [/[іїєґ]/iu, "uk"],
    [/[ў]/iu, "be"],
    [/[ѓќѕ]/iu, "mk"],
    [/[ђћџљњ]/iu, "sr"],
    [/[әғқңөұүһ]/iu, "kk"],
    [/[ыэё]/iu, "ru"],
    [/[ъ]/iu, "bg"]
  ],
  Arabic: [
    [/[ٹڈڑںےھۃ]/u, "ur"],
    [/[پچژگکی]/u, "fa"]
  ]
}

/**
 * The commonest words of each Latin-script language that are rare in the others. Shared words ("de",
 * "a", "in") count for each language that has them; the letters below tip the balance where words tie.
 */
const FUNCTION_WORDS: Readonly<Record<string, string>> = {
  en:
    "the and of to is in it that was for with as on are this be at by from have has not but or an they we you which their its into over can will what there all",
  de:
    "der die das und ist nicht ein eine zu den dem des mit sich auf für im von auch es sie wir ich wie aus bei über noch nach oder sind wird einen hat kann dass",
  fr:
    "le la les et est des du un une que qui dans pour pas sur au aux ce il elle nous vous ils avec sont mais ou par plus être cette ses son je de",
  es: "el la los las y es del un una que en por con para no se su sus al lo como más pero este esta son muy hay está hacia sobre de yo",
  it:
    "il lo la gli le e è di che un una per non con del della nel nella sono si anche come più ma questo questa alla dei delle ha io sul verso",
  pt: "o a os as e é do da dos das um uma que em no na não com para por se mais mas como seu sua são está eu ao pelo pela sobre de",
  nl: "de het een en van is dat niet op te zijn voor met die aan er ook als bij maar om naar dan wat zich nog wordt ze ik wij over uit in"
}
const FUNCTION_WORD_SETS = Object.entries(FUNCTION_WORDS).map(([language, words]) => [language, new Set(words.split(" "))] as const)

/** Letters (or letter pairs) typical of one language: each kind that appears counts as two function words. */
const LATIN_LETTERS: Readonly<Record<string, RegExp>> = {
  de: /[äöüß]|sch/iu,
  fr: /[èêëàâçœùûîï]|eau/iu,
  es: /[ñ¿¡]|[áíóú](?!\p{L}*[ãõ])/iu,
  it: /[ìò]|zz|gli\b/iu,
  pt: /[ãõç]|ção/iu,
  nl: /ij|\boo|aa|uu/iu
}

/** A Latin-script text's language and how clearly its words decide it (1 when only one language's words appear). */
const latinLanguage = (text: string): { language: string; clarity: number } => {
  const words = text.toLowerCase().match(/[\p{L}\p{M}']+/gu) ?? []
  const scores = FUNCTION_WORD_SETS.map(([language, set]) => {
    let score = words.filter((word) => set.has(word)).length
    const hint = LATIN_LETTERS[language]
    if (hint !== undefined && hint.test(text)) score += 2
    return { language, score }
  }).sort((a, b) => b.score - a.score)
  const [best, second] = scores as [typeof scores[0], typeof scores[0]]
  // No evidence either way: English, the voices' own default, with little confidence.
  if (best.score === 0) return { language: "en", clarity: 0.2 }
  return { language: best.language, clarity: (best.score - second.score) / best.score * 0.5 + 0.5 }
}

/** The language of the letters of one script in a text, by its letters (and for Latin, its words). */
const scriptLanguage = (script: string, letters: string): { language: string; clarity: number } => {
  if (script === "Latin") return latinLanguage(letters)
  const hints = LETTER_HINTS[script]
  const hint = hints?.find(([pattern]) => pattern.test(letters))
  if (hint !== undefined) return { language: hint[1], clarity: 1 }
  // A script shared by several languages, with none of their own letters: its main language, less surely.
  return { language: SCRIPT_LANGUAGE.get(script) ?? "und", clarity: hints === undefined ? 1 : 0.8 }
}

const JAPANESE_SCRIPTS = new Set(["Han", "Hiragana", "Katakana"])

/** The language of each script of a text, decided once for the whole text. */
export const languageProfile = (text: string): LanguageProfile => {
  const letters = new Map<string, Array<string>>()
  let total = 0
  for (const char of text) {
    const script = scriptOf(char)
    if (script === undefined) continue
    total++
    const list = letters.get(script)
    if (list === undefined) letters.set(script, [char])
    else list.push(char)
  }
  // Kana anywhere make the text's Han Japanese kanji: Japanese is one language written in three scripts.
  const japanese = letters.has("Hiragana") || letters.has("Katakana")
  const decided = new Map(
    [...letters].map(([script, chars]) => {
      // Latin is judged by its words, which need their spaces; other scripts by their letters.
      const sample = script === "Latin" ? latinSample(text) : chars.join("")
      return [script, japanese && JAPANESE_SCRIPTS.has(script) ? { language: "ja", clarity: 1 } : scriptLanguage(script, sample)] as const
    })
  )
  const scripts = [...letters]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([script, chars]): LanguageGuess => {
      const { clarity, language } = decided.get(script)!
      return { language, script, confidence: round(chars.length / total * clarity) }
    })
  // A language over several scripts (Japanese) counts the letters of all of them.
  const byLanguage = new Map<string, number>()
  for (const [script, chars] of letters) {
    const { language } = decided.get(script)!
    byLanguage.set(language, (byLanguage.get(language) ?? 0) + chars.length)
  }
  const top = [...byLanguage].sort((a, b) => b[1] - a[1])[0]
  const main = scripts.find((guess) => guess.language === top?.[0])
  const primary: LanguageGuess = top === undefined || main === undefined
    ? { language: "en", confidence: 0, script: "Common" }
    : { language: top[0], script: main.script, confidence: round(top[1] / total * decided.get(main.script)!.clarity) }
  return {
    scripts,
    primary,
    languageOf: (script) => decided.get(script)?.language ?? SCRIPT_LANGUAGE.get(script) ?? primary.language
  }
}

/** The Latin words of a text with the spaces between them (everything else blanked). */
const latinSample = (text: string) => [...text].map((char) => (scriptOf(char) === "Latin" || char === "'" ? char : " ")).join("")

const round = (x: number) => Math.round(x * 1000) / 1000

/** The language of a text: that of most of its letters, with the confidence of the guess. */
export const detectLanguage = (text: string): LanguageGuess => languageProfile(text).primary

/**
 * The text cut where the script of its letters changes ("My friend 王小明 said hello." is three runs).
 * Digits, spaces, punctuation and symbols go with the run before them (with the first run, before any
 * letter); each run takes the language of its script in `profile` (by default, the text's own).
 */
export const languageRuns = (text: string, profile: LanguageProfile = languageProfile(text)): ReadonlyArray<LanguageRun> => {
  const runs: Array<{ start: number; end: number; script: string | undefined }> = []
  let at = 0
  for (const char of text) {
    const script = scriptOf(char)
    const last = runs[runs.length - 1]
    if (last === undefined) runs.push({ start: at, end: at + char.length, script })
    else if (script === undefined || script === last.script) last.end = at + char.length
    else if (last.script === undefined) {
      last.end = at + char.length
      last.script = script
    } else runs.push({ start: at, end: at + char.length, script })
    at += char.length
  }
  return runs.map(({ end, script, start }) => ({
    text: text.slice(start, end),
    start,
    end,
    script: script ?? "Common",
    language: script === undefined ? profile.primary.language : profile.languageOf(script)
  }))
}
