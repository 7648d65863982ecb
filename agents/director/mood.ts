/**
 * Mood and pace of a passage from small word lists: deterministic, offline, and easy to explain.
 * Lexicon words are compared by stem, so "explodes" and "explosion" count as "explode".
 */
import { stem } from "../text/stem.ts"
import { terms } from "../text/terms.ts"
import type { Mood, Pace } from "./scene.ts"

const stems = (list: string): ReadonlySet<string> => new Set(list.split(" ").map(stem))

/** In order of precedence when two moods score the same. */
const MOOD_LEXICON: ReadonlyArray<readonly [Mood, ReadonlySet<string>]> = [
  [
    "wonder",
    stems(
      "infinite infinity endless beautiful beauty mystery mysterious wonder marvel magic astonishing amazing " +
        "universe cosmos secret hidden emerge emergence intricate elegant surprise surprising unexpected dream " +
        "miracle vast boundless forever breathtaking awe"
    )
  ],
  [
    "tense",
    stems(
      "chaos chaotic danger dangerous crash collapse explode explosion war fight threat fear panic storm violent " +
        "attack risk unstable crisis struggle battle urgent warning destroy destruction conflict"
    )
  ],
  [
    "joyful",
    stems(
      "joy happy fun play playful bright delight delightful celebrate laugh smile colorful colourful cheerful " +
        "game party sunny exciting love"
    )
  ],
  [
    "somber",
    stems(
      "death die dead loss lost sad sorrow grief dark darkness lonely empty decay grave tragic silence mourn"
    )
  ],
  [
    "calm",
    stems(
      "calm gentle quiet peace peaceful slow slowly still simple simplicity soft rest patient serene steady " +
        "balance harmony breathe"
    )
  ]
]

const FAST = stems(
  "fast quick quickly rapid rapidly sudden suddenly burst race racing rush explode speed instant instantly " +
    "flash accelerate swift spread spreads multiply"
)
const SLOW = stems(
  "slow slowly gentle gently calm still patient patiently gradual gradually drift quiet pause linger steady"
)

/** The mood with the most lexicon hits; neutral when nothing hits. */
export const moodOf = (text: string): Mood => {
  const words = terms(text)
  let best: Mood = "neutral"
  let bestHits = 0
  for (const [mood, lexicon] of MOOD_LEXICON) {
    const hits = words.filter((w) => lexicon.has(w)).length
    if (hits > bestHits) {
      best = mood
      bestHits = hits
    }
  }
  return best
}

/**
 * Pace from fast/slow words, exclamations and sentence length: short, exclaimed sentences feel fast,
 * long ones slow.
 */
export const paceOf = (sentences: ReadonlyArray<string>): Pace => {
  const text = sentences.join(" ")
  const words = terms(text)
  const wordCount = text.split(/\s+/).filter((w) => w.length > 0).length
  const meanSentenceWords = sentences.length === 0 ? 0 : wordCount / sentences.length
  const score = words.filter((w) => FAST.has(w)).length -
    words.filter((w) => SLOW.has(w)).length +
    (text.match(/!/g)?.length ?? 0) +
    (meanSentenceWords > 0 && meanSentenceWords < 7 ? 1 : 0) -
    (meanSentenceWords > 20 ? 1 : 0)
  return score >= 1 ? "fast" : score <= -1 ? "slow" : "medium"
}

/** A shot's length in seconds, shortest, usual and longest, for a pace. */
export interface ShotLength {
  readonly min: number
  readonly target: number
  readonly max: number
}

/** Cut rhythm by pace: rapid cuts every 1–2 s, steady ones every 2–4 s, relaxed ones every 3–5 s. */
export const SHOT_LENGTHS: Readonly<Record<Pace, ShotLength>> = {
  fast: { min: 1, target: 1.5, max: 2 },
  medium: { min: 2, target: 3, max: 4 },
  slow: { min: 3, target: 4, max: 5 }
}
