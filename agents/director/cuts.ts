/**
 * Where a scene cuts. A scene no longer than its pace's longest shot (SHOT_LENGTHS) is one shot; a
 * longer one is cut into the number of shots nearest the pace's usual length, each cut moved to the
 * nearest point between two narrated words, so that no cut lands inside a word. A job's
 * `maxShotSeconds` caps every shot: a scene longer than the cap gets at least the fewest shots that
 * keep each within it, and no cut moves so far that a shot would pass it.
 */
import { SHOT_LENGTHS } from "./mood.ts"
import type { Pace, Scene, ShotSpan } from "./scene.ts"

/** A narrated word's span in the narration, in seconds (media's WordTiming fits). */
export interface TimedWord {
  readonly start: number
  readonly end: number
}

/** How far a cut may move from its even position, as a share of the pace's usual shot length. */
const MAX_SHIFT = 0.5

const millis = (sec: number) => Math.round(sec * 1000) / 1000
/** Whole milliseconds at or above / at or below `sec` (a hair of float error aside), so a rounded cut keeps its bound. */
const millisUp = (sec: number) => Math.ceil(sec * 1000 - 1e-6) / 1000
const millisDown = (sec: number) => Math.floor(sec * 1000 + 1e-6) / 1000

export interface CutOptions {
  /**
   * The longest a shot may stay on screen, in seconds, whatever the pace allows; a pace's shorter
   * shots stay as they are. Absent (or not positive): the pace's lengths alone.
   */
  readonly maxShotSeconds?: number | undefined
}

/** The intervals between consecutive words, relative to `from` (where a cut lands between words). */
const gapsBetween = (words: ReadonlyArray<TimedWord>, from: number): ReadonlyArray<readonly [number, number]> =>
  words.slice(1).map((next, i) => {
    const end = words[i]!.end - from
    const start = next.start - from
    // Overlapping words (end after the next start) leave only the next word's onset.
    return [Math.min(end, start), start] as const
  })

/** Shot spans for a scene of `durationSec` at `pace` that starts `startSec` into the narration. */
export const cutScene = (
  pace: Pace,
  startSec: number,
  durationSec: number,
  words: ReadonlyArray<TimedWord> = [],
  options: CutOptions = {}
): ReadonlyArray<ShotSpan> => {
  const length = SHOT_LENGTHS[pace]
  const cap = options.maxShotSeconds !== undefined && options.maxShotSeconds > 0 ? options.maxShotSeconds : Number.POSITIVE_INFINITY
  const longest = Math.min(length.max, cap)
  if (!(durationSec > longest)) return durationSec > 0 ? [{ start: 0, duration: durationSec }] : []
  const count = Math.max(
    Math.ceil(durationSec / longest),
    Math.min(Math.round(durationSec / length.target), Math.floor(durationSec / length.min))
  )
  const inside = words.filter((w) => w.end > startSec && w.start < startSec + durationSec)
  const gaps = gapsBetween(inside, startSec)
  // No shot shorter than this, so a snapped cut never leaves a sliver.
  const shortest = Math.min(length.min, durationSec / count) * 0.75
  const cuts: Array<number> = [0]
  for (let j = 1; j < count; j++) {
    const previous = cuts[cuts.length - 1]!
    const ideal = previous + (durationSec - previous) / (count - j + 1)
    // Under the cap: this shot no longer than it, and the shots after this cut able to cover the rest.
    const earliest = durationSec - (count - j) * cap
    const latest = previous + cap
    const low = Math.max(previous + shortest, ideal - MAX_SHIFT * length.target, earliest)
    const high = Math.min(durationSec - (count - j) * shortest, ideal + MAX_SHIFT * length.target, latest)
    let best = ideal
    let bestDistance = Number.POSITIVE_INFINITY
    for (const [a, b] of gaps) {
      const from = Math.max(a, low)
      const to = Math.min(b, high)
      if (from > to) continue
      const point = Math.min(Math.max(ideal, from), to)
      if (Math.abs(point - ideal) < bestDistance) {
        best = point
        bestDistance = Math.abs(point - ideal)
      }
    }
    cuts.push(Math.min(Math.max(millis(best), millisUp(earliest)), millisDown(latest)))
  }
  return cuts.map((start, i) => ({ start, duration: millis((cuts[i + 1] ?? durationSec) - start) }))
}

/**
 * Every scene with its shots. Scenes follow one another from 0 (as the timeline lays them out), so
 * scene i starts where the lengths of the scenes before it add up to; `words` are the narration's.
 */
export const cutScenes = (
  scenes: ReadonlyArray<Scene>,
  words: ReadonlyArray<TimedWord> = [],
  options: CutOptions = {}
): ReadonlyArray<Scene> => {
  let start = 0
  return scenes.map((scene) => {
    const shots = cutScene(scene.pace, start, scene.estimatedSec, words, options)
    start += scene.estimatedSec
    return { ...scene, shots }
  })
}
