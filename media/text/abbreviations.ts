/**
 * Abbreviations after which a period does not end a sentence, per language (ISO 639-1 primary subtag).
 * Entries are lowercase and without their final period ("e.g" for "e.g."). A script's language is not
 * always known when it is split, so the default is every language's list at once; words that are also
 * ordinary words in another language ("me", "d") are left out for that reason.
 */

export interface AbbreviationList {
  /** a period after one of these never ends a sentence ("Dr. Smith", "e.g. The") */
  readonly always: ReadonlySet<string>
  /** a period after one of these does not end a sentence before a number ("No. 5", "Fig. 3") */
  readonly beforeNumber: ReadonlySet<string>
}

const list = (always: ReadonlyArray<string>, beforeNumber: ReadonlyArray<string>): AbbreviationList => ({
  always: new Set(always),
  beforeNumber: new Set(beforeNumber)
})

export const ABBREVIATIONS: Readonly<Record<string, AbbreviationList>> = {
  en: list(
    [
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
      "approx",
      "ca",
      "gen",
      "col",
      "lt",
      "sgt",
      "capt",
      "mt",
      "ft",
      "al"
    ],
    ["no", "nos", "fig", "figs", "vol", "ch", "sec", "p", "pp", "art", "eq", "eqs", "ref"]
  ),
  de: list(
    ["hr", "fr", "dr", "prof", "z.b", "d.h", "u.a", "bzw", "vgl", "evtl", "ggf", "inkl", "zzgl", "ca", "sog", "str"],
    ["nr", "abb", "bd", "s", "kap", "tab"]
  ),
  fr: list(["mme", "mmes", "mlle", "mlles", "dr", "pr", "st", "ste", "cf", "env", "p.ex"], ["n", "no", "p", "vol", "chap", "fig"]),
  es: list(["sr", "sra", "srta", "sres", "dr", "dra", "ud", "uds", "dña", "p.ej", "aprox"], [
    "núm",
    "nº",
    "pág",
    "art",
    "cap",
    "fig",
    "vol"
  ])
}

const merged: AbbreviationList = list(
  Object.values(ABBREVIATIONS).flatMap((l) => [...l.always]),
  Object.values(ABBREVIATIONS).flatMap((l) => [...l.beforeNumber])
)

/** The list for a BCP 47 language tag ("en-US" → en); every language's entries when none is given or known. */
export const abbreviationsFor = (language?: string): AbbreviationList =>
  (language === undefined ? undefined : ABBREVIATIONS[language.toLowerCase().split(/[-_]/)[0]!]) ?? merged
