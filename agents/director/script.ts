/**
 * From a narration script to scenes of about 2–6 s each. Planning happens twice: first with
 * durations estimated from words per second at the voice's rate, then again with each sentence's
 * measured narration length once TTS has spoken it; `planScenes` takes either.
 */
import { Effect, Schema } from "effect"
import { stem } from "../text/stem.ts"
import { contentWord, words } from "../text/terms.ts"
import { moodOf, paceOf } from "./mood.ts"
import type { Scene, ScriptPlan, ScriptSentence } from "./scene.ts"
import { splitSentences } from "./sentences.ts"

/** espeak-ng speaks 175 words per minute by default (≈2.9/s); punctuation pauses bring it to about 2.7. */
export const DEFAULT_WORDS_PER_SECOND = 2.7

export interface ScenePlanOptions {
  /** Narration rate used for estimates. Default DEFAULT_WORDS_PER_SECOND. */
  readonly wordsPerSecond?: number
  /** Pause the voice leaves after each sentence, added to estimates. Default 0.25 s. */
  readonly sentencePauseSec?: number
  /** Shortest scene wanted (shorter only when a lone sentence leaves no choice). Default 2 s. */
  readonly minSec?: number
  /** Longest scene wanted (longer only when one sentence is that long). Default 6 s. */
  readonly maxSec?: number
  /** The length scenes are steered towards. Default 4 s. */
  readonly targetSec?: number
  /** Keywords kept per scene. Default 8. */
  readonly maxKeywords?: number
}

const resolve = (options: ScenePlanOptions) => ({
  wordsPerSecond: options.wordsPerSecond ?? DEFAULT_WORDS_PER_SECOND,
  sentencePauseSec: options.sentencePauseSec ?? 0.25,
  minSec: options.minSec ?? 2,
  maxSec: options.maxSec ?? 6,
  targetSec: options.targetSec ?? 4,
  maxKeywords: options.maxKeywords ?? 8
})

/** Words a voice reads: numbers count per digit group, so "Rule 110" is two. */
export const countWords = (text: string): number => words(text).length

/**
 * The longest script reelswarm narrates: 5,000 words, about 31 minutes at espeak-ng's default rate
 * (≈ 460 scenes). This is a short-video tool; a longer script is refused before any work, with its
 * word count, rather than narrated for many minutes first.
 */
export const MAX_SCRIPT_WORDS = 5_000

/** A script over the word limit, refused before narration: split it into several videos. */
export class ScriptTooLongError extends Schema.TaggedError<ScriptTooLongError>()("ScriptTooLongError", {
  words: Schema.Int,
  limit: Schema.Int,
  message: Schema.String
}) {}

const minutesAt = (words: number) => Math.round(words / DEFAULT_WORDS_PER_SECOND / 60)

/** Succeeds when `script` has at most `limit` words (default MAX_SCRIPT_WORDS). */
export const checkScriptLength = (script: string, limit: number = MAX_SCRIPT_WORDS): Effect.Effect<void, ScriptTooLongError> => {
  const count = countWords(script)
  if (count <= limit) return Effect.void
  const n = (value: number) => value.toLocaleString("en-US")
  return new ScriptTooLongError({
    words: count,
    limit,
    message: `the script has ${n(count)} words (about ${minutesAt(count)} minutes of narration); the limit is ${n(limit)} words ` +
      `(about ${minutesAt(limit)} minutes): split it into several videos`
  })
}

/** The estimated narration length of one sentence. */
export const estimateSentenceSec = (text: string, options: ScenePlanOptions = {}): number => {
  const { wordsPerSecond, sentencePauseSec } = resolve(options)
  return countWords(text) / wordsPerSecond + sentencePauseSec
}

/**
 * Groups consecutive sentences into scenes: the partition minimising, over its scenes, the squared
 * distance to the target length, with steep penalties beyond the bounds and a smaller one for a
 * scene that spans a paragraph break. Returns [start, end) sentence ranges. Exact (dynamic
 * programming over O(n²) ranges), hence deterministic.
 */
export const groupSentences = (
  durationsSec: ReadonlyArray<number>,
  paragraphs: ReadonlyArray<number>,
  options: ScenePlanOptions = {}
): ReadonlyArray<readonly [number, number]> => {
  const { maxSec, minSec, targetSec } = resolve(options)
  const n = durationsSec.length
  const cost = (start: number, end: number): number => {
    let sec = 0
    for (let i = start; i < end; i++) sec += durationsSec[i]!
    const count = end - start
    const over = Math.max(0, sec - maxSec)
    const under = Math.max(0, minSec - sec)
    const breaks = paragraphs[end - 1]! - paragraphs[start]!
    return (sec - targetSec) ** 2 + (count > 1 && over > 0 ? 50 + 100 * over ** 2 : 0) + 10 * under ** 2 + 6 * breaks
  }
  const best = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY)
  const from = new Array<number>(n + 1).fill(0)
  best[0] = 0
  for (let end = 1; end <= n; end++) {
    for (let start = end - 1; start >= 0; start--) {
      const total = best[start]! + cost(start, end)
      // Strictly less: among equal partitions the one with the earliest cut wins, every time.
      if (total < best[end]!) {
        best[end] = total
        from[end] = start
      }
    }
  }
  const ranges: Array<readonly [number, number]> = []
  for (let end = n; end > 0; end = from[end]!) ranges.push([from[end]!, end])
  return ranges.reverse()
}

/**
 * Keywords for each passage: content words ranked by tf·idf across the passages (a word every scene
 * uses says little about any one of them), then by first appearance; one surface form per stem.
 */
export const keywordsOf = (passages: ReadonlyArray<string>, maxKeywords: number): ReadonlyArray<ReadonlyArray<string>> => {
  const perPassage = passages.map((text) => {
    const counts = new Map<string, { word: string; count: number; first: number }>()
    words(text).forEach((raw, position) => {
      const word = contentWord(raw)
      if (word === undefined) return
      const key = stem(word)
      const seen = counts.get(key)
      if (seen) seen.count++
      else counts.set(key, { word, count: 1, first: position })
    })
    return counts
  })
  const documentFrequency = new Map<string, number>()
  for (const counts of perPassage) for (const key of counts.keys()) documentFrequency.set(key, (documentFrequency.get(key) ?? 0) + 1)
  const n = passages.length
  return perPassage.map((counts) =>
    Array.from(counts, ([key, entry]) => ({ ...entry, weight: entry.count * Math.log(1 + n / documentFrequency.get(key)!) }))
      .sort((a, b) => b.weight - a.weight || a.first - b.first)
      .slice(0, maxKeywords)
      .map((entry) => entry.word)
  )
}

/**
 * Scenes for the given sentences. Without `durationsSec` each sentence's length is estimated; with
 * it (one measured length per sentence, from TTS) the grouping is redone on real lengths.
 */
export const planScenes = (
  sentences: ReadonlyArray<ScriptSentence>,
  durationsSec?: ReadonlyArray<number>,
  options: ScenePlanOptions = {}
): ReadonlyArray<Scene> => {
  if (durationsSec !== undefined && durationsSec.length !== sentences.length) {
    throw new RangeError(`planScenes: ${durationsSec.length} durations for ${sentences.length} sentences`)
  }
  const durations = durationsSec ?? sentences.map((s) => estimateSentenceSec(s.text, options))
  const ranges = groupSentences(durations, sentences.map((s) => s.paragraph), options)
  const groups = ranges.map(([start, end]) => sentences.slice(start, end).map((s) => s.text))
  const texts = groups.map((group) => group.join(" "))
  const keywords = keywordsOf(texts, resolve(options).maxKeywords)
  return ranges.map(([start, end], index) => ({
    index,
    text: texts[index]!,
    sentences: groups[index]!,
    keywords: keywords[index]!,
    mood: moodOf(texts[index]!),
    pace: paceOf(groups[index]!),
    estimatedSec: durations.slice(start, end).reduce((a, b) => a + b, 0)
  }))
}

/** Splits and plans a script in one step (the offline `--script FILE` path). */
export const planScript = (script: string, options: ScenePlanOptions = {}): ReadonlyArray<Scene> =>
  planScenes(splitSentences(script), undefined, options)

export class ScriptPlanError extends Schema.TaggedError<ScriptPlanError>()("ScriptPlanError", {
  message: Schema.String
}) {}

/**
 * A script text becomes a plan; a script with nothing to say, or over the word limit (checked first,
 * for a face that did not check before submitting it), is an error the user must fix.
 */
export const planScriptText = Effect.fn("director.planScript")(function*(
  title: string,
  script: string,
  options: ScenePlanOptions = {}
) {
  yield* Effect.mapError(checkScriptLength(script), (tooLong) => new ScriptPlanError({ message: tooLong.message }))
  const sentences = splitSentences(script)
  if (sentences.length === 0) {
    return yield* new ScriptPlanError({ message: "the script has no sentences to narrate: it is empty or whitespace" })
  }
  return { title, sentences, scenes: planScenes(sentences, undefined, options) } satisfies ScriptPlan
})

/** Regroups a plan's sentences on their measured narration lengths. */
export const replanScenes = Effect.fn("director.replan")(function*(
  sentences: ReadonlyArray<ScriptSentence>,
  durationsSec: ReadonlyArray<number>,
  options: ScenePlanOptions = {}
) {
  if (durationsSec.length !== sentences.length || durationsSec.some((d) => !(d >= 0))) {
    return yield* new ScriptPlanError({
      message: `cannot replan: ${durationsSec.length} durations (all must be ≥ 0) for ${sentences.length} sentences`
    })
  }
  return planScenes(sentences, durationsSec, options)
})
