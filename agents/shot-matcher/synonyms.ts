/**
 * Words that should find each other's footage: a scene about "the Mandelbrot set" can use a clip
 * tagged "fractal". Groups are symmetric but not transitive (a Sierpinski triangle is a fractal,
 * yet a Mandelbrot scene should not reach for triangles). Compared by stem.
 */
import { stem } from "../text/stem.ts"
import type { WeightedTerm } from "./bm25.ts"

export const SYNONYM_GROUPS: ReadonlyArray<ReadonlyArray<string>> = [
  ["fractal", "mandelbrot", "julia", "selfsimilar"],
  ["sierpinski", "triangle", "triangular"],
  ["automaton", "automata", "cellular", "cell", "life", "conway", "glider", "cellauto"],
  ["mathematics", "math", "maths", "equation", "formula", "geometry"],
  ["spiral", "swirl", "vortex", "whirl"],
  ["grid", "lattice", "mesh"],
  ["noise", "random", "static", "grain"],
  ["gradient", "colour", "color", "hue", "spectrum"],
  ["space", "cosmos", "universe", "galaxy", "star", "nebula"],
  ["ocean", "sea", "wave", "water"],
  ["forest", "tree", "wood", "woods"],
  ["city", "urban", "street", "skyline"],
  ["computer", "compute", "computation", "code", "software"],
  ["number", "digit", "numeral"]
]

const byStem: ReadonlyMap<string, ReadonlyArray<string>> = (() => {
  const map = new Map<string, Array<string>>()
  for (const group of SYNONYM_GROUPS) {
    const stems = Array.from(new Set(group.map(stem)))
    for (const s of stems) map.set(s, [...(map.get(s) ?? []), ...stems.filter((other) => other !== s)])
  }
  return map
})()

/** Synonym stems of a stem (not including itself). */
export const synonymsOf = (term: string): ReadonlyArray<string> => byStem.get(term) ?? []

export interface ExpandedTerm extends WeightedTerm {
  /** For a synonym: the scene's own term it stands in for. */
  readonly synonymOf?: string
}

/**
 * The query for a list of stems: each stem at weight 1, then its synonyms at `synonymWeight` unless
 * the scene says them itself. Order is stable: own terms first, synonyms after.
 */
export const expandQuery = (stems: ReadonlyArray<string>, synonymWeight = 0.6): ReadonlyArray<ExpandedTerm> => {
  const own = Array.from(new Set(stems))
  const ownSet = new Set(own)
  const expanded: Array<ExpandedTerm> = own.map((term) => ({ term, weight: 1 }))
  const added = new Set<string>()
  for (const term of own) {
    for (const synonym of synonymsOf(term)) {
      if (ownSet.has(synonym) || added.has(synonym)) continue
      added.add(synonym)
      expanded.push({ term: synonym, weight: synonymWeight, synonymOf: term })
    }
  }
  return expanded
}
