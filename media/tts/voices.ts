/**
 * espeak-ng's voices, and the voice that speaks each part of a text.
 *
 * `espeak-ng --voices` is read once per process (through the ProcessRunner). With the voice `auto` every
 * run of language in the text (../text/language.ts: cut where the script changes) is spoken by a voice of
 * its language; with a named voice everything is spoken by that voice, and each script it cannot speak is
 * a warning: espeak-ng reads such characters out as letter names ("Chinese letter …").
 *
 * Which scripts a voice speaks is a table, not a probe: espeak-ng says nothing of it. What espeak-ng 1.51
 * does, as found by its phoneme output (`-x`): a voice speaks the scripts of its language, and Korean and
 * most Indic, Armenian and Georgian text in any voice (it switches language by itself); voices of
 * non-Latin languages also read Latin (through English), except Japanese (which spells it letter by letter)
 * and the pinyin and jyutping voices; Japanese speaks kana but reads kanji as letter names, so the kanji of
 * a Japanese text are spoken by the Mandarin voice (with a warning). For Chinese the pinyin voice comes
 * first: the `cmn` voice of 1.51 reads every tone number out in English ("ni three hao three").
 */
import { Effect } from "effect"
import { basename } from "node:path"
import { runProcess } from "../process-runner.ts"
import { type LanguageProfile, languageProfile, languageRuns } from "../text/language.ts"
import { TtsError } from "./tts-error.ts"

/** The voice that picks a voice per run of language from the text itself. */
export const AUTO_VOICE = "auto"

export interface EspeakVoice {
  /** the language column ("en-gb", "cmn-latn-pinyin"): what `-v` takes */
  readonly language: string
  readonly name: string
  readonly file: string
  /** the other language codes it answers to ("en", "zh") */
  readonly others: ReadonlyArray<string>
}

export interface EspeakVoices {
  readonly voices: ReadonlyArray<EspeakVoice>
  /** every name `-v` takes for a voice (language codes, names, files), lowercase */
  readonly names: ReadonlySet<string>
  /** variant names ("f3", "klatt"), lowercase */
  readonly variants: ReadonlySet<string>
}

/** The rows of espeak-ng's `--voices` table. */
export const parseVoiceTable = (table: string): ReadonlyArray<EspeakVoice> =>
  table.split("\n").slice(1).flatMap((row) => {
    const columns = row.trim().split(/\s+/)
    if (columns.length < 5) return []
    const [, language, , name, file, ...rest] = columns as [string, string, string, string, string, ...Array<string>]
    const others = [...rest.join(" ").matchAll(/\(([^\s)]+)/g)].map((match) => match[1]!.toLowerCase())
    return [{ language: language.toLowerCase(), name, file, others }]
  })

const namesOf = (voice: EspeakVoice) =>
  [voice.language, voice.name, voice.name.replace(/_/g, " "), voice.file, basename(voice.file), ...voice.others].map((n) => n.toLowerCase())

const listed = new Map<string, EspeakVoices>()

/** espeak-ng's voices and variants; listed once per process and binary (a failed listing is tried again next time). */
export const espeakVoices = (binary = "espeak-ng"): Effect.Effect<EspeakVoices, TtsError> =>
  Effect.suspend(() => {
    const known = listed.get(binary)
    if (known !== undefined) return Effect.succeed(known)
    const table = (args: string) => runProcess({ command: binary, args: [args], captureStdout: true }).pipe(Effect.map((out) => out.stdout))
    return Effect.all([table("--voices"), table("--voices=variant")], { concurrency: 2 }).pipe(
      Effect.map(([voiceTable, variantTable]): EspeakVoices => {
        const voices = parseVoiceTable(voiceTable)
        return {
          voices,
          names: new Set(voices.flatMap(namesOf)),
          variants: new Set(parseVoiceTable(variantTable).flatMap(namesOf))
        }
      }),
      Effect.tap((voices) => Effect.sync(() => listed.set(binary, voices))),
      Effect.mapError((error) =>
        new TtsError({
          provider: "espeak-ng",
          reason: "process-failed",
          message: `cannot list espeak-ng's voices: ${error.message}`,
          detail: error.stderr.slice(-2000).trim()
        })
      )
    )
  })

/** What is wrong with a voice name (with an optional variant, "en+f3"), if anything: "voice" or "variant". */
export const unknownVoicePart = (voices: EspeakVoices, voice: string): "voice" | "variant" | undefined => {
  const [base = "", variant, ...rest] = voice.toLowerCase().split("+")
  if (!voices.names.has(base) || rest.length > 0) return "voice"
  return variant !== undefined && !voices.variants.has(variant) ? "variant" : undefined
}

/** Voices tried first for a language, before the language code itself (see the top of the file for Chinese). */
const PREFERRED: Readonly<Record<string, ReadonlyArray<string>>> = {
  zh: ["cmn-latn-pinyin", "cmn", "yue"]
}

/** The espeak-ng voice for a language (ISO 639-1 or -3 code), if one is installed. */
export const voiceForLanguage = (voices: EspeakVoices, language: string): string | undefined => {
  const code = language.toLowerCase()
  const candidates = [...(PREFERRED[code] ?? []), code]
  const named = candidates.find((candidate) => voices.names.has(candidate))
  return named ?? voices.voices.find((voice) => voice.language.startsWith(`${code}-`))?.language
}

/** The languages whose voices speak each script (espeak-ng 1.51); Latin is spoken by the voices of LATIN_READERS too. */
const SPEAKERS: Readonly<Record<string, ReadonlyArray<string>>> = {
  Han: ["zh", "cmn", "yue", "hak"],
  Hiragana: ["ja"],
  Katakana: ["ja"],
  Hangul: ["ko"],
  Cyrillic: ["ru", "uk", "bg", "be", "mk", "sr", "kk", "ky", "tt", "ba", "cv", "nog"],
  Greek: ["el", "grc"],
  Arabic: ["ar", "fa", "ur", "sd", "ug"],
  Hebrew: ["he"],
  Devanagari: ["hi", "mr", "ne", "kok"],
  Bengali: ["bn", "bpy", "as"],
  Gurmukhi: ["pa"],
  Gujarati: ["gu"],
  Oriya: ["or"],
  Tamil: ["ta"],
  Telugu: ["te"],
  Kannada: ["kn"],
  Malayalam: ["ml"],
  Sinhala: ["si"],
  Thai: ["th"],
  Myanmar: ["my", "shn"],
  Armenian: ["hy", "hyw"],
  Georgian: ["ka"],
  Ethiopic: ["am"]
}
/**
 * Scripts any voice speaks: espeak-ng switches to the script's language by itself (`-x` shows "(hi)…(en)").
 * Greek too, except in English, whose voices read Greek letters by name.
 */
const SWITCHED = new Set([
  "Hangul",
  "Devanagari",
  "Bengali",
  "Gurmukhi",
  "Gujarati",
  "Tamil",
  "Kannada",
  "Malayalam",
  "Sinhala",
  "Armenian",
  "Georgian"
])
/** Voices of non-Latin languages that do not read Latin as words: Japanese spells it, pinyin and jyutping voices read it as such. */
const SPELLS_LATIN = /^(ja|cmn-latn-pinyin|yue-latn-jyutping)$/

/** The language column of the voice a name selects ("en" → "en-gb", "zh" → "cmn"); the name itself when none lists it. */
const voiceLanguage = (voices: EspeakVoices, voice: string): string => {
  const base = voice.toLowerCase().split("+")[0] ?? ""
  const row = voices.voices.find((v) => v.language === base) ?? voices.voices.find((v) => namesOf(v).includes(base))
  return row?.language ?? base
}

/** Whether a voice speaks the letters of a script (characters of no script are spoken by every voice). */
export const speaksScript = (voices: EspeakVoices, voice: string, script: string): boolean => {
  if (script === "Common") return true
  const language = voiceLanguage(voices, voice)
  const base = language.split("-")[0] ?? language
  if (script === "Latin") return !SPELLS_LATIN.test(language)
  if (SWITCHED.has(script) || (script === "Greek" && base !== "en")) return true
  return SPEAKERS[script]?.includes(base) ?? false
}

/** A script the voice chosen for it cannot speak: its characters are read as letter names, or by another voice. */
export interface VoiceWarning {
  /** the voice asked for, or the one of the script's language */
  readonly voice: string
  readonly script: string
  /** the script's distinct characters in the text, in order of appearance */
  readonly characters: string
  readonly message: string
}

export interface VoiceRun {
  readonly text: string
  /** UTF-16 offsets in the text the run was cut from */
  readonly start: number
  readonly end: number
  readonly voice: string
  readonly language: string
}

export interface VoicePlan {
  /** the voice of the most letters (the voice asked for, when one was) */
  readonly voice: string
  /** every voice that speaks some of the text: the main one, then the others by how much they speak */
  readonly voices: ReadonlyArray<string>
  /** the text's runs, neighbours with the same voice joined */
  readonly runs: ReadonlyArray<VoiceRun>
  /** the runs of a part of the text (a sentence, a word), with the text's own choice of voice per script */
  readonly runsOf: (part: string) => ReadonlyArray<VoiceRun>
  readonly warnings: ReadonlyArray<VoiceWarning>
}

const FALLBACK_VOICE = "en"

/**
 * The voice for every run of `text`: with `requested` = auto, each run's language's voice (a script whose
 * language has no voice, or whose voice cannot speak it, goes to a voice that can, else the main voice);
 * with a named voice, that voice throughout.
 */
export const planVoices = (voices: EspeakVoices, text: string, requested: string = AUTO_VOICE): VoicePlan => {
  const profile: LanguageProfile = languageProfile(text)
  const auto = requested.toLowerCase() === AUTO_VOICE
  const main = auto ? voiceForLanguage(voices, profile.primary.language) ?? FALLBACK_VOICE : requested
  const scriptVoice = new Map<string, { voice: string; warning?: VoiceWarning }>()
  const characters = scriptCharacters(text)
  const voiceOfScript = (script: string, language: string) => {
    const known = scriptVoice.get(script)
    if (known !== undefined) return known.voice
    const chars = characters.get(script) ?? ""
    let choice: { voice: string; warning?: VoiceWarning }
    if (!auto) {
      choice = speaksScript(voices, main, script) ? { voice: main } : {
        voice: main,
        warning: {
          voice: main,
          script,
          characters: chars,
          message: `the voice ${main} cannot speak ${script} (${
            clip(chars)
          }): it reads such characters as letter names; choose the voice auto, or a voice of the script's language`
        }
      }
    } else {
      const own = voiceForLanguage(voices, language)
      if (own !== undefined && speaksScript(voices, own, script)) choice = { voice: own }
      else {
        const other = (SPEAKERS[script] ?? []).map((l) => voiceForLanguage(voices, l)).find((v) => v !== undefined)
        const spoken = other ?? main
        const how = speaksScript(voices, spoken, script) ? `spoken with ${spoken}` : `read by ${spoken} as letter names`
        choice = {
          voice: spoken,
          warning: {
            voice: own ?? spoken,
            script,
            characters: chars,
            message: own === undefined
              ? `espeak-ng has no voice for ${language} (${script}: ${clip(chars)}); ${how}`
              : `the voice ${own} cannot speak ${script} (${clip(chars)}); ${how}`
          }
        }
      }
    }
    scriptVoice.set(script, choice)
    return choice.voice
  }
  const runsOf = (part: string): ReadonlyArray<VoiceRun> => {
    const joined: Array<VoiceRun> = []
    for (const run of languageRuns(part, profile)) {
      const voice = run.script === "Common" ? main : voiceOfScript(run.script, run.language)
      const last = joined[joined.length - 1]
      if (last !== undefined && last.voice === voice) joined[joined.length - 1] = { ...last, text: last.text + run.text, end: run.end }
      else joined.push({ text: run.text, start: run.start, end: run.end, voice, language: run.language })
    }
    return joined
  }
  const runs = runsOf(text)
  const share = new Map<string, number>()
  for (const run of runs) share.set(run.voice, (share.get(run.voice) ?? 0) + run.end - run.start)
  return {
    voice: main,
    voices: [main, ...[...share].sort((a, b) => b[1] - a[1]).map(([voice]) => voice).filter((voice) => voice !== main)],
    runs,
    runsOf,
    warnings: [...scriptVoice.values()].flatMap((choice) => (choice.warning === undefined ? [] : [choice.warning]))
  }
}

/** Each script's distinct letters in the text, in order of appearance. */
const scriptCharacters = (text: string): ReadonlyMap<string, string> => {
  const found = new Map<string, Set<string>>()
  for (const run of languageRuns(text)) {
    const set = found.get(run.script) ?? new Set<string>()
    for (const char of run.text) if (/[\p{L}\p{M}]/u.test(char)) set.add(char)
    found.set(run.script, set)
  }
  return new Map([...found].map(([script, set]) => [script, [...set].join("")]))
}

const clip = (chars: string) => ([...chars].length > 12 ? `${[...chars].slice(0, 12).join("")}…` : chars)

/** The voice plan of a text with espeak-ng's installed voices: `voiceFor(text)` picks them, `voiceFor(text, "en")` checks one. */
export const voiceFor = (text: string, requested: string = AUTO_VOICE, binary?: string): Effect.Effect<VoicePlan, TtsError> =>
  Effect.map(espeakVoices(binary), (voices) => planVoices(voices, text, requested))
