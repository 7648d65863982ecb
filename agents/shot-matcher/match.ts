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
import { assignMinCost, assignMinCostRanked } from "./assignment.ts"
import type { Bm25Options } from "./bm25.ts"
import { type Candidate, makeScoring, type Scoring, shotsOf } from "./scoring.ts"
import type { Clip, Frame, SceneQuery, ShotPick } from "./shot.ts"

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

const fmt = (value: number, digits = 2) => value.toFixed(digits)

/** The timeline slows a clip shorter than its shot at most this much, then loops it (media's "stretch"). */
const MAX_SLOWDOWN = 2

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
 * Distinct clips for as many rows (each a scene, given by its position; a scene may fill several rows)
 * as `allowed` permits, then with the highest total key (Hungarian method; a disallowed pair costs
 * more than any number of allowed ones can save). `among(scene)`, when given, holds every clip the
 * scene may be allowed. Rows must not outnumber clips, so with more rows the clips choose rows instead.
 */
const assignAllowed = (
  scoring: Scoring,
  rows: ReadonlyArray<number>,
  allowed?: (scene: number, clip: number) => boolean,
  among: (scene: number) => ReadonlyArray<number> | undefined = () => undefined
): ReadonlyArray<readonly [number, number]> => {
  const cols = scoring.clipCount
  const permits = allowed ?? (() => true)
  if (rows.length > cols) return assignDense(scoring, rows, permits)
  // Few rows, many clips: each scene's best clips stand for the rest (see assignMinCostRanked).
  const best = new Map(
    Array.from(new Set(rows), (s) => [
      s,
      scoring.best(s, rows.length, {
        allowed: allowed === undefined ? undefined : (c) => allowed(s, c),
        among: among(s),
        withLeast: allowed !== undefined
      })
    ])
  )
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (const [s, { least, top }] of best) {
    if (top.length === 0) continue
    high = Math.max(high, scoring.key(s, top[0]!))
    low = Math.min(low, least ?? Number.NEGATIVE_INFINITY)
  }
  if (high === Number.NEGATIVE_INFINITY) return []
  const forbidden = (Math.min(rows.length, cols) + 1) * (high - low + 1)
  const cost = (r: number, c: number) => (permits(rows[r]!, c) ? high - scoring.key(rows[r]!, c) : forbidden)
  // A scene with fewer allowed clips than rows goes on with the disallowed ones, all equally dear, by clip.
  const ranked = (r: number) => {
    const s = rows[r]!
    const list = [...best.get(s)!.top]
    for (let c = 0; list.length < rows.length && c < cols; c++) if (!permits(s, c)) list.push(c)
    return list
  }
  const assignment = assignMinCostRanked(rows.length, cols, cost, ranked)
  return assignment.flatMap((c, r) => (permits(rows[r]!, c) ? [[r, c] as const] : []))
}

/** The same assignment with the clips choosing rows, over the whole matrix (used when clips are fewer than rows). */
const assignDense = (
  scoring: Scoring,
  rows: ReadonlyArray<number>,
  allowed: (scene: number, clip: number) => boolean
): ReadonlyArray<readonly [number, number]> => {
  const cols = scoring.clipCount
  const keys = rows.map((s) => Array.from({ length: cols }, (_, c) => scoring.key(s, c)))
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < cols; c++) {
      if (!allowed(rows[r]!, c)) continue
      low = Math.min(low, keys[r]![c]!)
      high = Math.max(high, keys[r]![c]!)
    }
  }
  if (low > high) return []
  const forbidden = (Math.min(rows.length, cols) + 1) * (high - low + 1)
  const cost = (r: number, c: number) => (allowed(rows[r]!, c) ? high - keys[r]![c]! : forbidden)
  const assignment = assignMinCost(Array.from({ length: cols }, (_, c) => Array.from({ length: rows.length }, (_, r) => cost(r, c))))
  return assignment.flatMap((r, c) => (allowed(rows[r]!, c) ? [[r, c] as const] : []))
}

/**
 * One clip per scene, the whole video at once: clips assigned so the total is highest with no clip
 * used twice; when scenes outnumber clips, each further round uses every clip once before any again.
 */
const pickPerScene = (scoring: Scoring, sceneCount: number): Array<Placed> => {
  const placed = new Array<Placed>(sceneCount)
  let remaining = Array.from({ length: sceneCount }, (_, s) => s)
  for (let round = 1; remaining.length > 0; round++) {
    const rows = remaining
    const pairs = assignAllowed(scoring, rows)
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
  scoring: Scoring,
  leads: ReadonlyArray<Placed>
): ReadonlyArray<ReadonlyArray<Placed>> => {
  const clipCount = scoring.clipCount
  const uses = new Array<number>(clipCount).fill(0)
  for (const lead of leads) uses[lead.clip]!++
  const everyClipMatches = (s: number) => scoring.found(s).length === 0
  const matches = (s: number, c: number) => everyClipMatches(s) || scoring.isFound(s, c)
  const matchingOf = (s: number) => (everyClipMatches(s) ? undefined : scoring.found(s))
  const placed = leads.map((lead) => [lead])
  const inScene = leads.map((lead) => new Set([lead.clip]))
  const wanted = scenes.map((scene) => shotsOf(scene).length)
  const pending = () => scenes.flatMap((_, s) => Array.from({ length: wanted[s]! - placed[s]!.length }, () => s))
  const fill = (use: Use, allowed: (s: number, c: number) => boolean) => {
    const rows = pending()
    const pairs = assignAllowed(scoring, rows, allowed, matchingOf)
    // Each scene's new clips in rank order, so its better clips come first.
    const bySceneRank = pairs.map(([r, c]) => [rows[r]!, c] as const).sort(([s1, c1], [s2, c2]) =>
      s1 - s2 || scoring.key(s2, c2) - scoring.key(s1, c1)
    )
    for (const [s, c] of bySceneRank) {
      placed[s]!.push({ clip: c, round: ++uses[c]!, use })
      inScene[s]!.add(c)
    }
    return pairs.length
  }
  fill({ _tag: "Unused" }, (s, c) => matches(s, c) && uses[c] === 0)
  // Each pass gives a scene's shots clips other scenes use, distinct in the pass; again while any fits.
  for (let more = true; more;) more = fill({ _tag: "Elsewhere" }, (s, c) => matches(s, c) && !inScene[s]!.has(c)) > 0
  return placed.map((list, s) => {
    const cycle = list.filter((p) => matches(s, p.clip))
    const again = cycle.length > 0 ? cycle : list
    const use: Use = { _tag: "Again", matching: everyClipMatches(s) ? clipCount : scoring.found(s).length, shots: wanted[s]! }
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
  const scoring = makeScoring(scenes, clips, options)
  const placed = pickFurtherShots(scenes, scoring, pickPerScene(scoring, scenes.length))
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
      const candidate = scoring.candidate(s, run.placed.clip)
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
