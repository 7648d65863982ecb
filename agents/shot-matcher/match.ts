/**
 * Picks a clip for every shot. Each (scene, clip) pair scores
 *   text (BM25 of the scene's keywords, plus synonyms at a lower weight, over the clip's tags and
 *   file-name words, all stemmed) + orientation fit × weight + duration fit (to the scene's longest
 *   shot) × weight,
 * then clips are assigned to scenes so the total score is highest with no clip used twice
 * (Hungarian method). Only when there are more scenes than clips does a second round reuse them,
 * and each round uses every clip once before any clip is used again. A scene the director cut into
 * several shots fills its further shots from the clips that match it, distinct within the scene
 * (Hungarian method over the shots); a clip is used again in its scene, going on where it stopped
 * and looping once it runs out, only when no other clip matches. Ties are broken by a hash of the
 * seed, the scene and the clip path, so one seed always gives the same picks.
 */
import { Effect, Schema } from "effect"
import { orientationOf } from "../../media/index.ts"
import type { ShotSpan } from "../director/scene.ts"
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

/** The timeline slows a clip shorter than its shot at most this much, then loops it (media's "stretch"). */
const MAX_SLOWDOWN = 2

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
      const durationFit = durationFitOf(clip, coverSecOf(scene))
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

/** A scene's shots: the director's cuts, or one shot for the whole scene. */
const shotsOf = (scene: SceneQuery): ReadonlyArray<ShotSpan> =>
  scene.shots !== undefined && scene.shots.length > 0 ? scene.shots : [{ start: 0, duration: scene.estimatedSec }]

/** The length a clip must cover for a scene: its longest shot. */
const coverSecOf = (scene: SceneQuery): number => Math.max(...shotsOf(scene).map((shot) => shot.duration))

/** How a clip came to a shot, for its reasons. */
type Use =
  | { readonly _tag: "Scene" } // the scene's own pick, from the assignment over scenes
  | { readonly _tag: "Unused" } // a further shot, a matching clip no other shot uses
  | { readonly _tag: "Elsewhere" } // a further shot, a matching clip another scene uses too
  | { readonly _tag: "Again"; readonly matching: number; readonly shots: number } // the scene's matching clips ran out

const useReason = (use: Use, round: number, clipCount: number, looped: boolean, merged: number): string => {
  switch (use._tag) {
    case "Scene":
    case "Unused":
      if (merged > 1) return `one shot for ${merged} cuts: no other clip matched`
      return round === 1
        ? "first use of this clip"
        : `reused (round ${round}): more scenes than the ${clipCount} clips, every clip already used ${round - 1} time(s)`
    case "Elsewhere":
      return `reused (round ${round}): the scene's other matching clips are all in use`
    case "Again":
      return `${
        looped ? "looped" : merged > 1 ? `one shot for ${merged} cuts` : "used again in this scene"
      }: no other clip matched (${use.matching} matching clip(s) for ${use.shots} shots)`
  }
}

interface Placed {
  readonly clip: number
  readonly round: number
  readonly use: Use
}

const describe = (
  scene: SceneQuery,
  clip: Clip,
  candidate: Candidate,
  pick: { readonly durationSec: number; readonly round: number; readonly use: Use; readonly looped: boolean; readonly merged: number },
  clipCount: number,
  frame: Frame
) => {
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
  const span = shotsOf(scene).length > 1 ? "shot's" : "scene's"
  const covered = pick.durationSec
  reasons.push(
    clip.kind === "image"
      ? `duration: still image, animated to any length (fit ${fmt(score.durationFit)})`
      : pick.looped && pick.use._tag !== "Again" && pick.merged === 1
      ? `duration: clip ${fmt(clip.durationSec, 1)} s is shorter than the ${span} ${fmt(covered, 1)} s (fit ${
        fmt(score.durationFit)
      }), less than half: it plays in a loop`
      : pick.looped
      ? `duration: clip ${fmt(clip.durationSec, 1)} s plays in a loop over the ${span} ${fmt(covered, 1)} s`
      : clip.durationSec >= covered
      ? `duration: clip ${fmt(clip.durationSec, 1)} s covers the ${span} ${fmt(covered, 1)} s`
      : `duration: clip ${fmt(clip.durationSec, 1)} s is shorter than the ${span} ${fmt(covered, 1)} s (fit ${fmt(score.durationFit)})`
  )
  reasons.push(useReason(pick.use, pick.round, clipCount, pick.looped, pick.merged))
  reasons.push(`total ${fmt(score.total)}`)
  return reasons
}

/**
 * Distinct columns for as many rows as `allowed` permits, then with the highest total key (Hungarian
 * method; a disallowed pair costs more than any number of allowed ones can save). Rows must not
 * outnumber columns, so with more rows the columns choose rows instead.
 */
const assignAllowed = (
  rows: number,
  cols: number,
  keyOf: (row: number, col: number) => number,
  allowed: (row: number, col: number) => boolean
): ReadonlyArray<readonly [number, number]> => {
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!allowed(r, c)) continue
      low = Math.min(low, keyOf(r, c))
      high = Math.max(high, keyOf(r, c))
    }
  }
  if (low > high) return []
  const forbidden = (Math.min(rows, cols) + 1) * (high - low + 1)
  const cost = (r: number, c: number) => (allowed(r, c) ? high - keyOf(r, c) : forbidden)
  const rowsFirst = rows <= cols
  const assignment = rowsFirst
    ? assignMinCost(Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => cost(r, c))))
    : assignMinCost(Array.from({ length: cols }, (_, c) => Array.from({ length: rows }, (_, r) => cost(r, c))))
  const pairs = assignment.map((other, i) => (rowsFirst ? [i, other] as const : [other, i] as const))
  return pairs.filter(([r, c]) => allowed(r, c))
}

/**
 * One clip per scene, the whole video at once: clips assigned so the total is highest with no clip
 * used twice; when scenes outnumber clips, each further round uses every clip once before any again.
 */
const pickPerScene = (candidates: ReadonlyArray<ReadonlyArray<Candidate>>, clipCount: number): Array<Placed> => {
  const placed = new Array<Placed>(candidates.length)
  let remaining = candidates.map((_, s) => s)
  for (let round = 1; remaining.length > 0; round++) {
    const rows = remaining
    const pairs = assignAllowed(rows.length, clipCount, (r, c) => candidates[rows[r]!]![c]!.key, () => true)
    for (const [r, c] of pairs) placed[rows[r]!] = { clip: c, round, use: { _tag: "Scene" } }
    const assigned = new Set(pairs.map(([r]) => rows[r]!))
    remaining = remaining.filter((s) => !assigned.has(s))
  }
  return placed
}

/**
 * Clips for the further shots of scenes that are cut, from each scene's matching clips (every clip
 * when none matches): first clips no shot uses, then clips other scenes use, each scene's shots
 * distinct, all scenes at once by the Hungarian method; when a scene's matching clips run out, its
 * clips again in turn.
 */
const pickFurtherShots = (
  scenes: ReadonlyArray<SceneQuery>,
  candidates: ReadonlyArray<ReadonlyArray<Candidate>>,
  leads: ReadonlyArray<Placed>,
  clipCount: number
): ReadonlyArray<ReadonlyArray<Placed>> => {
  const uses = new Array<number>(clipCount).fill(0)
  for (const lead of leads) uses[lead.clip]!++
  const matching = candidates.map((row) => {
    const found = row.flatMap((c, i) => (c.score.text > 0 ? [i] : []))
    return new Set(found.length > 0 ? found : row.map((_, i) => i))
  })
  const placed = leads.map((lead) => [lead])
  const inScene = leads.map((lead) => new Set([lead.clip]))
  const wanted = scenes.map((scene) => shotsOf(scene).length)
  const pending = () => scenes.flatMap((_, s) => Array.from({ length: wanted[s]! - placed[s]!.length }, () => s))
  const fill = (use: Use, allowed: (s: number, c: number) => boolean) => {
    const rows = pending()
    const pairs = assignAllowed(rows.length, clipCount, (r, c) => candidates[rows[r]!]![c]!.key, (r, c) => allowed(rows[r]!, c))
    // Each scene's new clips in rank order, so its better clips come first.
    const bySceneRank = pairs.map(([r, c]) => [rows[r]!, c] as const).sort(([s1, c1], [s2, c2]) =>
      s1 - s2 || candidates[s2]![c2]!.key - candidates[s1]![c1]!.key
    )
    for (const [s, c] of bySceneRank) {
      placed[s]!.push({ clip: c, round: ++uses[c]!, use })
      inScene[s]!.add(c)
    }
    return pairs.length
  }
  fill({ _tag: "Unused" }, (s, c) => matching[s]!.has(c) && uses[c] === 0)
  // Each pass gives a scene's shots clips other scenes use, distinct in the pass; again while any fits.
  for (let more = true; more;) more = fill({ _tag: "Elsewhere" }, (s, c) => matching[s]!.has(c) && !inScene[s]!.has(c)) > 0
  return placed.map((list, s) => {
    const cycle = list.filter((p) => matching[s]!.has(p.clip))
    const again = cycle.length > 0 ? cycle : list
    const use: Use = { _tag: "Again", matching: matching[s]!.size, shots: wanted[s]! }
    const more = Array.from({ length: wanted[s]! - list.length }, (_, i): Placed => {
      const clip = again[i % again.length]!.clip
      return { clip, round: ++uses[clip]!, use }
    })
    return [...list, ...more]
  })
}

/**
 * The picks, in scene order and within a scene in shot order; pure and deterministic for a seed. A
 * scene's consecutive shots that got the same clip are one pick, the clip playing on.
 */
export const rankShots = (
  scenes: ReadonlyArray<SceneQuery>,
  clips: ReadonlyArray<Clip>,
  options: MatchOptions
): ReadonlyArray<ShotPick> => {
  if (clips.length === 0) return []
  const candidates = scoreAll(scenes, clips, options)
  const placed = pickFurtherShots(scenes, candidates, pickPerScene(candidates, clips.length), clips.length)
  return scenes.flatMap((scene, s) => {
    const spans = shotsOf(scene)
    const runs: Array<{ placed: Placed; use: Use; start: number; durationSec: number; merged: number }> = []
    placed[s]!.forEach((shot, i) => {
      const last = runs[runs.length - 1]
      if (last !== undefined && last.placed.clip === shot.clip) {
        last.durationSec += spans[i]!.duration
        last.merged++
        // A run the scene's own pick opens says why it goes on: no other clip matched.
        if (shot.use._tag === "Again") last.use = shot.use
      } else {
        runs.push({ placed: shot, use: shot.use, start: spans[i]!.start, durationSec: spans[i]!.duration, merged: 1 })
      }
    })
    const played = new Map<number, number>()
    return runs.map((run, shot): ShotPick => {
      const clip = clips[run.placed.clip]!
      const before = played.get(run.placed.clip) ?? 0
      played.set(run.placed.clip, before + run.durationSec)
      const video = clip.kind === "video" && clip.durationSec > 0
      const inPointSec = video ? Math.round((before % clip.durationSec) * 1000) / 1000 : 0
      const repeated = before > 0 || run.merged > 1
      const available = clip.durationSec - inPointSec
      const looped = video && run.durationSec > available + 1e-6 && (repeated || run.durationSec > MAX_SLOWDOWN * available)
      const candidate = candidates[s]![run.placed.clip]!
      const durationSec = Math.round(run.durationSec * 1000) / 1000
      return {
        scene: scene.index,
        shot,
        startSec: run.start,
        durationSec,
        clip,
        inPointSec,
        looped,
        score: candidate.score,
        matched: candidate.matched,
        round: run.placed.round,
        reasons: describe(
          scene,
          clip,
          candidate,
          { durationSec, round: run.placed.round, use: run.use, looped, merged: run.merged },
          clips.length,
          options.frame
        )
      }
    })
  })
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
