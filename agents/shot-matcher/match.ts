/**
 * Picks one clip per scene. Each (scene, clip) pair scores
 *   text (BM25 of the scene's keywords, plus synonyms at a lower weight, over the clip's tags and
 *   file-name words, all stemmed) + orientation fit × weight + duration fit × weight,
 * then clips are assigned to scenes so the total score is highest with no clip used twice
 * (Hungarian method). Only when there are more scenes than clips does a second round reuse them,
 * and each round uses every clip once before any clip is used again. Ties are broken by a hash of
 * the seed, the scene and the clip path, so one seed always gives the same picks.
 */
import { Effect, Schema } from "effect"
import { orientationOf } from "../../media/index.ts"
import { stem } from "../text/stem.ts"
import { contentWord, fileNameWords, words } from "../text/terms.ts"
import { assignMinCost } from "./assignment.ts"
import { type Bm25Options, makeBm25 } from "./bm25.ts"
import type { Clip, Frame, MatchedTerm, SceneQuery, ScoreBreakdown, ShotPick } from "./shot.ts"
import { expandQuery } from "./synonyms.ts"

export type { Clip, SceneQuery, ShotPick } from "./shot.ts"

export interface MatchOptions {
  /** The output frame, e.g. { width: 1080, height: 1920 }. */
  readonly frame: Frame
  readonly seed: string | number
  /** How much a perfect orientation fit is worth next to the text score. Default 1. */
  readonly orientationWeight?: number
  /** How much a perfect duration fit is worth next to the text score. Default 0.5. */
  readonly durationWeight?: number
  /** Weight of a synonym relative to the scene's own word. Default 0.6. */
  readonly synonymWeight?: number
  readonly bm25?: Bm25Options
}

export class NoFootageError extends Schema.TaggedError<NoFootageError>()("NoFootageError", {
  scenes: Schema.Number,
  message: Schema.String
}) {}

/** FNV-1a, 32 bits: a small, stable hash for seeded tie-breaking. */
const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

const indexTerms = (clip: Clip) => {
  const sources = new Map<string, Set<"tag" | "file name">>()
  const terms: Array<string> = []
  const add = (raw: ReadonlyArray<string>, source: "tag" | "file name") => {
    for (const word of raw) {
      const content = contentWord(word)
      if (content === undefined) continue
      const term = stem(content)
      terms.push(term)
      sources.set(term, (sources.get(term) ?? new Set()).add(source))
    }
  }
  add(clip.tags.flatMap(words), "tag")
  add(fileNameWords(clip.path), "file name")
  return { terms, sources }
}

const fmt = (value: number, digits = 2) => value.toFixed(digits)

const orientationFitOf = (clip: Clip, frame: Frame): number => {
  if (!(clip.width > 0 && clip.height > 0)) return 0
  const a = clip.width / clip.height
  const b = frame.width / frame.height
  return Math.min(a, b) / Math.max(a, b)
}

const durationFitOf = (clip: Clip, sceneSec: number): number => {
  if (clip.kind === "image") return 0.9
  if (!(clip.durationSec > 0)) return 0
  return Math.min(1, clip.durationSec / Math.max(sceneSec, 1e-9))
}

interface Candidate {
  readonly score: ScoreBreakdown
  readonly matched: ReadonlyArray<MatchedTerm>
  /** Integer rank key: score to 1e-4, then the seeded hash in the low 16 bits. */
  readonly key: number
}

/** Scores every clip for every scene: `candidates[scene][clip]`. */
const scoreAll = (scenes: ReadonlyArray<SceneQuery>, clips: ReadonlyArray<Clip>, options: MatchOptions) => {
  const orientationWeight = options.orientationWeight ?? 1
  const durationWeight = options.durationWeight ?? 0.5
  const indexed = clips.map(indexTerms)
  const bm25 = makeBm25(indexed.map((doc) => doc.terms), options.bm25)
  return scenes.map((scene) => {
    const query = expandQuery(
      scene.keywords.flatMap((keyword) => words(keyword).flatMap((w) => (contentWord(w) === undefined ? [] : [stem(w)]))),
      options.synonymWeight
    )
    const synonymOf = new Map(query.flatMap((q) => (q.synonymOf === undefined ? [] : [[q.term, q.synonymOf] as const])))
    return clips.map((clip, c): Candidate => {
      const { score: text, contributions } = bm25.score(c, query)
      const orientationFit = orientationFitOf(clip, options.frame)
      const durationFit = durationFitOf(clip, scene.estimatedSec)
      const total = text + orientationWeight * orientationFit + durationWeight * durationFit
      const matched = contributions.map(({ term, value }): MatchedTerm => {
        const via = synonymOf.get(term)
        return { term, in: Array.from(indexed[c]!.sources.get(term) ?? []), value, ...(via === undefined ? {} : { synonymOf: via }) }
      })
      const hash = fnv1a(`${options.seed}|${scene.index}|${clip.path}`) & 0xffff
      return { score: { text, orientationFit, durationFit, total }, matched, key: Math.round(total * 1e4) * 0x10000 + hash }
    })
  })
}

const describe = (scene: SceneQuery, clip: Clip, candidate: Candidate, round: number, clipCount: number, frame: Frame) => {
  const { score, matched } = candidate
  const reasons: Array<string> = []
  reasons.push(
    matched.length === 0
      ? `no keyword of the scene (${scene.keywords.join(", ") || "none"}) is in its tags or file name: picked on fit alone`
      : "text " + fmt(score.text) + ": " +
        matched
          .map((m) =>
            `"${m.term}" in ${m.in.join(" and ")}${m.synonymOf === undefined ? "" : ` (synonym of "${m.synonymOf}")`} +${fmt(m.value)}`
          )
          .join("; ")
  )
  const clipShape = orientationOf(clip.width, clip.height)
  const frameShape = orientationOf(frame.width, frame.height)
  reasons.push(
    clipShape === frameShape && score.orientationFit > 0.99
      ? `orientation: ${clipShape} ${clip.width}x${clip.height} fits the ${frame.width}x${frame.height} frame`
      : `orientation: ${clipShape} ${clip.width}x${clip.height} in a ${frameShape} ${frame.width}x${frame.height} frame keeps ${
        Math.round(score.orientationFit * 100)
      }% after a cover crop`
  )
  reasons.push(
    clip.kind === "image"
      ? `duration: still image, animated to any length (fit ${fmt(score.durationFit)})`
      : score.durationFit >= 1
      ? `duration: clip ${fmt(clip.durationSec, 1)} s covers the scene's ${fmt(scene.estimatedSec, 1)} s`
      : `duration: clip ${fmt(clip.durationSec, 1)} s is shorter than the scene's ${fmt(scene.estimatedSec, 1)} s (fit ${
        fmt(score.durationFit)
      })`
  )
  reasons.push(
    round === 1
      ? "first use of this clip"
      : `reused (round ${round}): more scenes than the ${clipCount} clips, every clip already used ${round - 1} time(s)`
  )
  reasons.push(`total ${fmt(score.total)}`)
  return reasons
}

/** The picks, one per scene in scene order; pure and deterministic for a seed. */
export const rankShots = (
  scenes: ReadonlyArray<SceneQuery>,
  clips: ReadonlyArray<Clip>,
  options: MatchOptions
): ReadonlyArray<ShotPick> => {
  if (clips.length === 0) return []
  const candidates = scoreAll(scenes, clips, options)
  const picks = new Array<ShotPick | undefined>(scenes.length)
  let remaining = scenes.map((_, s) => s)
  for (let round = 1; remaining.length > 0; round++) {
    // Rows must not outnumber columns: with spare clips scenes are rows; otherwise clips choose scenes.
    const scenesAreRows = remaining.length <= clips.length
    const cost = scenesAreRows
      ? remaining.map((s) => candidates[s]!.map((c) => -c.key))
      : clips.map((_, c) => remaining.map((s) => -candidates[s]![c]!.key))
    const assignment = assignMinCost(cost)
    const pairs = scenesAreRows
      ? remaining.map((s, row) => [s, assignment[row]!] as const)
      : clips.map((_, c) => [remaining[assignment[c]!]!, c] as const)
    for (const [s, c] of pairs) {
      const candidate = candidates[s]![c]!
      picks[s] = {
        scene: scenes[s]!.index,
        clip: clips[c]!,
        score: candidate.score,
        matched: candidate.matched,
        round,
        reasons: describe(scenes[s]!, clips[c]!, candidate, round, clips.length, options.frame)
      }
    }
    const assigned = new Set(pairs.map(([s]) => s))
    remaining = remaining.filter((s) => !assigned.has(s))
  }
  return picks as ReadonlyArray<ShotPick>
}

/** Picks a shot for every scene; fails when there is no footage at all. */
export const matchShots = Effect.fn("shotMatcher.matchShots")(function*(
  scenes: ReadonlyArray<SceneQuery>,
  clips: ReadonlyArray<Clip>,
  options: MatchOptions
) {
  if (clips.length === 0 && scenes.length > 0) {
    return yield* new NoFootageError({
      scenes: scenes.length,
      message: `no footage to match ${scenes.length} scene(s): index a folder of clips or use the procedural sample library`
    })
  }
  return rankShots(scenes, clips, options)
})
