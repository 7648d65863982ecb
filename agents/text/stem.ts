/**
 * A Porter stemmer (M. F. Porter, 1980) of our own, so that "patterns", "patterned" and "pattern"
 * meet in one term for the director's keywords and the shot-matcher's BM25 index. Words with
 * characters outside a–z (numbers, non-Latin scripts) are returned unchanged.
 */

const consonant = "[^aeiou]"
const vowel = "[aeiouy]"
const consonants = `${consonant}[^aeiouy]*`
const vowels = `${vowel}[aeiou]*`

/** measure m > 0 */
const mGt0 = new RegExp(`^(${consonants})?${vowels}${consonants}`)
/** measure m = 1 */
const mEq1 = new RegExp(`^(${consonants})?${vowels}${consonants}(${vowels})?$`)
/** measure m > 1 */
const mGt1 = new RegExp(`^(${consonants})?${vowels}${consonants}${vowels}${consonants}`)
/** the stem contains a vowel */
const hasVowel = new RegExp(`^(${consonants})?${vowel}`)
/** ends consonant-vowel-consonant, the last not w, x or y */
const cvc = new RegExp(`^${consonants}${vowel}[^aeiouwxy]$`)

const step2: Readonly<Record<string, string>> = {
  ational: "ate",
  tional: "tion",
  enci: "ence",
  anci: "ance",
  izer: "ize",
  bli: "ble",
  alli: "al",
  entli: "ent",
  eli: "e",
  ousli: "ous",
  ization: "ize",
  ation: "ate",
  ator: "ate",
  alism: "al",
  iveness: "ive",
  fulness: "ful",
  ousness: "ous",
  aliti: "al",
  iviti: "ive",
  biliti: "ble",
  logi: "log"
}
const step2Pattern = new RegExp(`^(.+?)(${Object.keys(step2).join("|")})$`)

const step3: Readonly<Record<string, string>> = {
  icate: "ic",
  ative: "",
  alize: "al",
  iciti: "ic",
  ical: "ic",
  ful: "",
  ness: ""
}
const step3Pattern = new RegExp(`^(.+?)(${Object.keys(step3).join("|")})$`)

const step4Pattern = /^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$/
const step4Ion = /^(.+?)(s|t)(ion)$/

/** The Porter stem of one lowercase word. */
export const stem = (input: string): string => {
  const word = input.toLowerCase()
  if (word.length < 3 || !/^[a-z]+$/.test(word)) return word
  // An initial y is a consonant: mark it so the vowel patterns do not see it.
  const initialY = word[0] === "y"
  let w = initialY ? "Y" + word.slice(1) : word

  // Step 1a: plurals.
  if (/^(.+?)(ss|i)es$/.test(w)) w = w.replace(/^(.+?)(ss|i)es$/, "$1$2")
  else if (/^(.+?)([^s])s$/.test(w)) w = w.replace(/^(.+?)([^s])s$/, "$1$2")

  // Step 1b: -eed, -ed, -ing.
  const eed = /^(.+?)eed$/.exec(w)
  const edIng = /^(.+?)(ed|ing)$/.exec(w)
  if (eed) {
    if (mGt0.test(eed[1]!)) w = w.slice(0, -1)
  } else if (edIng && hasVowel.test(edIng[1]!)) {
    w = edIng[1]!
    if (/(at|bl|iz)$/.test(w)) w += "e"
    else if (/([^aeiouylsz])\1$/.test(w)) w = w.slice(0, -1)
    else if (cvc.test(w)) w += "e"
  }

  // Step 1c: y -> i after a vowel-bearing stem.
  const y = /^(.+?)y$/.exec(w)
  if (y && hasVowel.test(y[1]!)) w = y[1]! + "i"

  const s2 = step2Pattern.exec(w)
  if (s2 && mGt0.test(s2[1]!)) w = s2[1]! + step2[s2[2]!]

  const s3 = step3Pattern.exec(w)
  if (s3 && mGt0.test(s3[1]!)) w = s3[1]! + step3[s3[2]!]

  const s4 = step4Pattern.exec(w)
  const s4Ion = step4Ion.exec(w)
  if (s4) {
    if (mGt1.test(s4[1]!)) w = s4[1]!
  } else if (s4Ion) {
    const candidate = s4Ion[1]! + s4Ion[2]!
    if (mGt1.test(candidate)) w = candidate
  }

  // Step 5: a final -e, a double l.
  const e = /^(.+?)e$/.exec(w)
  if (e) {
    const base = e[1]!
    if (mGt1.test(base) || (mEq1.test(base) && !cvc.test(base))) w = base
  }
  if (/ll$/.test(w) && mGt1.test(w)) w = w.slice(0, -1)

  return initialY ? "y" + w.slice(1) : w
}
