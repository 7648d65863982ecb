/**
 * What each (scene, clip) pair scores: BM25 of the scene's keywords (plus synonyms at a lower weight)
 * over the clip's tags and file-name words, all stemmed, + orientation fit × weight + duration fit (to
 * the scene's longest shot) × weight; ranked by an integer key, the score to 1e-4 with a hash of the
 * seed, the scene and the clip path in the low 16 bits to break ties.
 *
 * 100 scenes against a 10,000-clip library are a million pairs, so nothing is made per pair up front:
 * text scores come from BM25's postings (only the clips holding a scene's terms), fits are arithmetic,
 * and a pair's hash, key and explained candidate are worked out only where the assignment looks at
 * them: each scene's best few clips, and the pairs its method visits. The loops over clips are module
 * functions over typed arrays rather than closures made per match, so the code V8 optimised for one
 * match serves the next instead of being thrown away ("wrong call target").
 */
import type { ShotSpan } from "../director/scene.ts"
import { stem } from "../text/stem.ts"
import { contentWord, fileNameWords, words } from "../text/terms.ts"
import { makeBm25 } from "./bm25.ts"
import type { MatchOptions } from "./match.ts"
import type { Clip, Frame, MatchedTerm, SceneQuery, ScoreBreakdown } from "./shot.ts"
import { expandQuery } from "./synonyms.ts"

export interface Candidate {
  readonly score: ScoreBreakdown
  readonly matched: ReadonlyArray<MatchedTerm>
  /** Integer rank key: score to 1e-4, then the seeded hash in the low 16 bits. */
  readonly key: number
}

export interface SceneBest {
  /** The allowed clips, best first (by key, then by clip), at most as many as asked. */
  readonly top: ReadonlyArray<number>
  /** The least key among the allowed clips, when asked. */
  readonly least?: number
}

/** Scenes and clips by position in the lists the matcher was given. */
export interface Scoring {
  readonly clipCount: number
  readonly key: (scene: number, clip: number) => number
  /** A pair's scores and matched terms, for a pick's reasons. */
  readonly candidate: (scene: number, clip: number) => Candidate
  /** The clips the scene's words find (text score above 0), in clip order. */
  readonly found: (scene: number) => ReadonlyArray<number>
  readonly isFound: (scene: number, clip: number) => boolean
  /**
   * The scene's best `count` clips among `among` (every clip when undefined) that `allowed` lets
   * through (every one when undefined); with the least key among those when `withLeast`.
   */
  readonly best: (
    scene: number,
    count: number,
    options: {
      readonly allowed?: ((clip: number) => boolean) | undefined
      readonly among?: ReadonlyArray<number> | undefined
      readonly withLeast?: boolean
    }
  ) => SceneBest
}

/** FNV-1a, 32 bits: a small, stable hash for seeded tie-breaking; `start` carries on from a prefix's hash. */
const fnv1a = (text: string, start = 0x811c9dc5): number => {
  let hash = start
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** A scene's shots: the director's cuts, or one shot for the whole scene. */
export const shotsOf = (scene: SceneQuery): ReadonlyArray<ShotSpan> =>
  scene.shots !== undefined && scene.shots.length > 0 ? scene.shots : [{ start: 0, duration: scene.estimatedSec }]

/** The length a clip must cover for a scene: its longest shot. */
export const coverSecOf = (scene: SceneQuery): number => Math.max(...shotsOf(scene).map((shot) => shot.duration))

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

/** The k-th largest of `values` (1 ≤ k ≤ length), by selection; reorders `values`. */
const kthLargest = (values: Float64Array, k: number): number => {
  let low = 0
  let high = values.length - 1
  const target = k - 1
  while (low < high) {
    const pivot = values[(low + high) >>> 1]!
    // Three ways, largest first: [low, above) > pivot, [above, below] = pivot, (below, high] < pivot.
    let above = low
    let below = high
    let i = low
    while (i <= below) {
      const x = values[i]!
      if (x > pivot) {
        values[i] = values[above]!
        values[above++] = x
        i++
      } else if (x < pivot) {
        values[i] = values[below]!
        values[below--] = x
      } else {
        i++
      }
    }
    if (target < above) high = above - 1
    else if (target > below) low = below + 1
    else return pivot
  }
  return values[low]!
}

/** Where `value` is in the ascending `sorted`, or -1. */
const indexOf = (sorted: Int32Array, value: number): number => {
  let low = 0
  let high = sorted.length - 1
  while (low <= high) {
    const mid = (low + high) >>> 1
    const x = sorted[mid]!
    if (x === value) return mid
    if (x < value) low = mid + 1
    else high = mid - 1
  }
  return -1
}

/** A library repeats its words and tags: each word is stemmed, and each tag split, once. */
interface Vocabulary {
  readonly termOfWord: Map<string, string | null>
  readonly termsOfTag: Map<string, ReadonlyArray<string>>
}

/** The terms of `words` onto `into`. */
const termsOf = (words: ReadonlyArray<string>, vocabulary: Vocabulary, into: Array<string>) => {
  for (const word of words) {
    let term = vocabulary.termOfWord.get(word)
    if (term === undefined) {
      const content = contentWord(word)
      vocabulary.termOfWord.set(word, term = content === undefined ? null : stem(content))
    }
    if (term !== null) into.push(term)
  }
  return into
}

const tagTermsOf = (clip: Clip, vocabulary: Vocabulary, into: Array<string> = []) => {
  for (const tag of clip.tags) {
    let terms = vocabulary.termsOfTag.get(tag)
    if (terms === undefined) vocabulary.termsOfTag.set(tag, terms = termsOf(words(tag), vocabulary, []))
    for (const term of terms) into.push(term)
  }
  return into
}

const nameTermsOf = (clip: Clip, vocabulary: Vocabulary, into: Array<string> = []) => termsOf(fileNameWords(clip.path), vocabulary, into)

/** What BM25 indexes of a clip: its tags' terms, then its file name's. */
const clipTerms = (clip: Clip, vocabulary: Vocabulary) => nameTermsOf(clip, vocabulary, tagTermsOf(clip, vocabulary))

/** Per clip, what the scans read: the weighted orientation fit, and what the duration fit needs. */
interface Fits {
  readonly orientationFit: Float64Array
  readonly orientationPart: Float64Array
  readonly image: Uint8Array
  readonly durationSec: Float64Array
  readonly durationWeight: number
}

const fitsOf = (clips: ReadonlyArray<Clip>, frame: Frame, orientationWeight: number, durationWeight: number): Fits => {
  const n = clips.length
  const fits = {
    orientationFit: new Float64Array(n),
    orientationPart: new Float64Array(n),
    image: new Uint8Array(n),
    durationSec: new Float64Array(n),
    durationWeight
  }
  for (let c = 0; c < n; c++) {
    const clip = clips[c]!
    fits.orientationFit[c] = orientationFitOf(clip, frame)
    fits.orientationPart[c] = orientationWeight * fits.orientationFit[c]!
    fits.image[c] = clip.kind === "image" ? 1 : 0
    fits.durationSec[c] = clip.durationSec
  }
  return fits
}

/** durationFitOf over the arrays, for the scans. */
const durationFitAt = (fits: Fits, c: number, coverSec: number) =>
  fits.image[c] === 1 ? 0.9 : fits.durationSec[c]! > 0 ? Math.min(1, fits.durationSec[c]! / Math.max(coverSec, 1e-9)) : 0

/** A pair's total score to 1e-4, as an integer: what its key ranks by before the hash. */
const roundedOf = (fits: Fits, c: number, coverSec: number, text: number) =>
  Math.round((text + fits.orientationPart[c]! + fits.durationWeight * durationFitAt(fits, c, coverSec)) * 1e4)

/** The rounded scores of a scene's text matches (`docs`, with their text `scores`). */
const roundedOfDocs = (fits: Fits, docs: Int32Array, scores: Float64Array, coverSec: number) => {
  const rounded = new Float64Array(docs.length)
  for (let i = 0; i < docs.length; i++) rounded[i] = roundedOf(fits, docs[i]!, coverSec, scores[i]!)
  return rounded
}

/** What the scans need of a scene. */
interface SceneScores {
  /** The clips holding any of the scene's terms, ascending, with their text and rounded scores. */
  readonly docs: Int32Array
  readonly scores: Float64Array
  readonly rounded: Float64Array
  readonly coverSec: number
  /** The hash of the seed and the scene, which each clip's path carries on. */
  readonly hashStart: number
}

const roundedAt = (fits: Fits, scene: SceneScores, c: number) => {
  const at = indexOf(scene.docs, c)
  return at < 0 ? roundedOf(fits, c, scene.coverSec, 0) : scene.rounded[at]!
}

/** A pair's integer rank key: its rounded score, then the seeded hash in the low 16 bits. */
const keyFor = (rounded: number, clip: Clip, scene: SceneScores) => rounded * 0x10000 + (fnv1a(clip.path, scene.hashStart) & 0xffff)

/**
 * Scratch for a scene's scan over the library: the clips let through and their rounded scores (the
 * first `m` of each), a copy of those to select in, and the scene's text scores over the whole library.
 */
interface Scan {
  readonly clips: ReadonlyArray<Clip>
  readonly fits: Fits
  readonly cols: Int32Array
  readonly rounded: Float64Array
  readonly selection: Float64Array
  readonly dense: Float64Array
}

const makeScan = (clips: ReadonlyArray<Clip>, fits: Fits): Scan => {
  const n = clips.length
  return { clips, fits, cols: new Int32Array(n), rounded: new Float64Array(n), selection: new Float64Array(n), dense: new Float64Array(n) }
}

/** The scene's text matches that `allowed` lets through; how many. */
const scanDocs = (scan: Scan, scene: SceneScores, allowed: ((clip: number) => boolean) | undefined) => {
  let m = 0
  for (let i = 0; i < scene.docs.length; i++) {
    const c = scene.docs[i]!
    if (allowed !== undefined && !allowed(c)) continue
    scan.cols[m] = c
    scan.rounded[m++] = scene.rounded[i]!
  }
  return m
}

/** Every clip that `allowed` lets through; how many. */
const scanAll = (scan: Scan, scene: SceneScores, allowed: ((clip: number) => boolean) | undefined) => {
  const { cols, dense, fits, rounded } = scan
  for (let i = 0; i < scene.docs.length; i++) dense[scene.docs[i]!] = scene.scores[i]!
  let m = 0
  for (let c = 0; c < scan.clips.length; c++) {
    if (allowed !== undefined && !allowed(c)) continue
    cols[m] = c
    rounded[m++] = roundedOf(fits, c, scene.coverSec, dense[c]!)
  }
  for (let i = 0; i < scene.docs.length; i++) dense[scene.docs[i]!] = 0
  return m
}

/** The clips of `among` that `allowed` lets through; how many. */
const scanAmong = (
  scan: Scan,
  scene: SceneScores,
  among: ReadonlyArray<number>,
  allowed: ((clip: number) => boolean) | undefined
) => {
  let m = 0
  for (const c of among) {
    if (allowed !== undefined && !allowed(c)) continue
    scan.cols[m] = c
    scan.rounded[m++] = roundedAt(scan.fits, scene, c)
  }
  return m
}

/** The `count`-th largest of the scan's `m` rounded scores. */
const thresholdOf = (scan: Scan, m: number, count: number) => {
  scan.selection.set(scan.rounded.subarray(0, m))
  return kthLargest(scan.selection.subarray(0, m), count)
}

/** The scan's best `count` clips, best first: keys (and their hashes) only for those at `least` or above. */
const topOf = (scan: Scan, scene: SceneScores, m: number, count: number, least: number) => {
  const contenders: Array<{ readonly col: number; readonly key: number }> = []
  for (let i = 0; i < m; i++) {
    const rounded = scan.rounded[i]!
    if (rounded >= least) contenders.push({ col: scan.cols[i]!, key: keyFor(rounded, scan.clips[scan.cols[i]!]!, scene) })
  }
  contenders.sort((a, b) => b.key - a.key || a.col - b.col)
  return contenders.slice(0, count).map((c) => c.col)
}

/** The least key among the scan's `m` clips. */
const leastKeyOf = (scan: Scan, scene: SceneScores, m: number) => {
  let lowest = Number.POSITIVE_INFINITY
  for (let i = 0; i < m; i++) lowest = Math.min(lowest, scan.rounded[i]!)
  let least = Number.POSITIVE_INFINITY
  for (let i = 0; i < m; i++) if (scan.rounded[i] === lowest) least = Math.min(least, keyFor(lowest, scan.clips[scan.cols[i]!]!, scene))
  return least
}

export const makeScoring = (scenes: ReadonlyArray<SceneQuery>, clips: ReadonlyArray<Clip>, options: MatchOptions): Scoring => {
  const orientationWeight = options.orientationWeight ?? 1
  const durationWeight = options.durationWeight ?? 0.5
  const n = clips.length
  const vocabulary: Vocabulary = { termOfWord: new Map(), termsOfTag: new Map() }
  const bm25 = makeBm25(clips.map((clip) => clipTerms(clip, vocabulary)), options.bm25)
  const fits = fitsOf(clips, options.frame, orientationWeight, durationWeight)
  const { orientationFit, orientationPart } = fits
  const stemOf = new Map<string, string>()
  const perScene = scenes.map((scene) => {
    const query = expandQuery(
      scene.keywords.flatMap((keyword) =>
        words(keyword).flatMap((w) => {
          if (contentWord(w) === undefined) return []
          let term = stemOf.get(w)
          if (term === undefined) stemOf.set(w, term = stem(w))
          return [term]
        })
      ),
      options.synonymWeight
    )
    const coverSec = coverSecOf(scene)
    const { docs, scores } = bm25.scoreAll(query)
    // The text matches' rounded scores, beside their text scores: every scan of the scene reads them.
    const rounded = roundedOfDocs(fits, docs, scores, coverSec)
    const found: Array<number> = []
    for (let i = 0; i < docs.length; i++) if (scores[i]! > 0) found.push(docs[i]!)
    const synonymOf = new Map(query.flatMap((q) => (q.synonymOf === undefined ? [] : [[q.term, q.synonymOf] as const])))
    return { query, docs, scores, rounded, found, synonymOf, coverSec, hashStart: fnv1a(`${options.seed}|${scene.index}|`) }
  })

  const textOf = (s: number, c: number) => {
    const scene = perScene[s]!
    const at = indexOf(scene.docs, c)
    return at < 0 ? 0 : scene.scores[at]!
  }
  const keyOf = (rounded: number, s: number, c: number) => keyFor(rounded, clips[c]!, perScene[s]!)
  // The assignment asks for the same pairs' keys again and again: each is hashed once.
  const keys = new Map<number, number>()
  const key = (s: number, c: number) => {
    const id = s * n + c
    let known = keys.get(id)
    if (known === undefined) keys.set(id, known = keyOf(roundedAt(fits, perScene[s]!, c), s, c))
    return known
  }

  const candidates = new Map<number, Candidate>()
  const candidate = (s: number, c: number): Candidate => {
    const id = s * n + c
    const known = candidates.get(id)
    if (known !== undefined) return known
    const scene = perScene[s]!
    const text = textOf(s, c)
    const fit = durationFitOf(clips[c]!, scene.coverSec)
    const total = text + orientationWeight * orientationFit[c]! + durationWeight * fit
    const tagTerms = tagTermsOf(clips[c]!, vocabulary)
    const nameTerms = nameTermsOf(clips[c]!, vocabulary)
    const matched = bm25.score(c, scene.query).contributions.map(({ term, value }): MatchedTerm => {
      const via = scene.synonymOf.get(term)
      const where = [
        ...(tagTerms.includes(term) ? ["tag" as const] : []),
        ...(nameTerms.includes(term) ? ["file name" as const] : [])
      ]
      return { term, in: where, value, ...(via === undefined ? {} : { synonymOf: via }) }
    })
    const made: Candidate = {
      score: { text, orientationFit: orientationFit[c]!, durationFit: fit, total },
      matched,
      key: keyOf(Math.round(total * 1e4), s, c)
    }
    candidates.set(id, made)
    return made
  }

  // No clip outside a scene's text matches scores more than the best fit (rounded as the keys are).
  let bestOrientationPart = Number.NEGATIVE_INFINITY
  for (const part of orientationPart) bestOrientationPart = Math.max(bestOrientationPart, part)
  const fitCeiling = Math.round((bestOrientationPart + Math.max(0, durationWeight)) * 1e4) + 1

  const scan = makeScan(clips, fits)
  const best: Scoring["best"] = (s, count, { allowed, among, withLeast = false }) => {
    const scene = perScene[s]!
    if (among === undefined && !withLeast) {
      // When at least `count` text matches beat any clip without one, only the matches need scoring.
      const m = scanDocs(scan, scene, allowed)
      if (m >= count) {
        const least = thresholdOf(scan, m, count)
        if (least > fitCeiling) return { top: topOf(scan, scene, m, count, least) }
      }
    }
    const m = among === undefined ? scanAll(scan, scene, allowed) : scanAmong(scan, scene, among, allowed)
    if (m === 0) return { top: [] }
    const top = topOf(scan, scene, m, count, m <= count ? Number.NEGATIVE_INFINITY : thresholdOf(scan, m, count))
    return withLeast ? { top, least: leastKeyOf(scan, scene, m) } : { top }
  }

  return {
    clipCount: n,
    key,
    candidate,
    found: (s) => perScene[s]!.found,
    isFound: (s, c) => textOf(s, c) > 0,
    best
  }
}
