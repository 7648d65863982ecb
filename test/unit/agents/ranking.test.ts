import { describe, expect, it } from "@effect/vitest"
import { assignMinCost } from "../../../agents/shot-matcher/assignment.ts"
import { makeBm25 } from "../../../agents/shot-matcher/bm25.ts"
import { expandQuery, synonymsOf } from "../../../agents/shot-matcher/synonyms.ts"
import { stem } from "../../../agents/text/stem.ts"

describe("BM25", () => {
  const index = makeBm25([["fractal", "zoom"], ["fractal", "fractal", "julia"], ["cell", "grid", "life", "glider", "colour"]])

  it("ranks rarer terms higher and saturates repeated ones", () => {
    expect(index.idf("julia")).toBeGreaterThan(index.idf("fractal"))
    const once = index.score(0, [{ term: "fractal", weight: 1 }]).score
    const twice = index.score(1, [{ term: "fractal", weight: 1 }]).score
    expect(twice).toBeGreaterThan(once)
    expect(twice).toBeLessThan(2 * once)
  })

  it("weights query terms and reports what each contributed", () => {
    const full = index.score(1, [{ term: "julia", weight: 1 }])
    const half = index.score(1, [{ term: "julia", weight: 0.5 }])
    expect(half.score).toBeCloseTo(full.score / 2)
    expect(index.score(2, [{ term: "fractal", weight: 1 }, { term: "life", weight: 1 }]).contributions.map((c) => c.term)).toEqual(["life"])
  })

  it("scores zero for no shared term", () => {
    expect(index.score(0, [{ term: "ocean", weight: 1 }])).toEqual({ score: 0, contributions: [] })
  })

  it("scores every document at once exactly as one by one, listing only those holding a query term", () => {
    const query = [{ term: "fractal", weight: 1 }, { term: "life", weight: 0.6 }, { term: "colour", weight: 1 }, {
      term: "ocean",
      weight: 1
    }]
    const all = index.scoreAll(query)
    expect(Array.from(all.docs)).toEqual([0, 1, 2])
    expect(Array.from(all.scores)).toEqual([0, 1, 2].map((doc) => index.score(doc, query).score))
    expect(index.scoreAll([{ term: "ocean", weight: 1 }]).docs).toHaveLength(0)
  })
})

describe("synonyms", () => {
  it("expands a term to its group at a lower weight, not transitively", () => {
    const expanded = expandQuery([stem("mandelbrot")])
    expect(expanded[0]).toEqual({ term: "mandelbrot", weight: 1 })
    expect(expanded).toContainEqual({ term: "fractal", weight: 0.6, synonymOf: "mandelbrot" })
    expect(expanded.map((e) => e.term)).not.toContain(stem("triangle"))
    expect(synonymsOf(stem("cells"))).toContain(stem("automaton"))
    expect(synonymsOf(stem("sierpinski"))).toContain(stem("triangle"))
  })

  it("does not lower a term the scene says itself", () => {
    const expanded = expandQuery([stem("fractal"), stem("mandelbrot")])
    expect(expanded.filter((e) => e.term === "fractal")).toEqual([{ term: "fractal", weight: 1 }])
  })
})

describe("assignment (Hungarian method)", () => {
  it("finds the cheapest one-to-one assignment where greedy would not", () => {
    // Greedy row by row takes column 0 for row 0 (cost 1), forcing row 1 onto cost 100.
    expect(assignMinCost([[1, 2], [1, 100]])).toEqual([1, 0])
  })

  it("leaves spare columns unused and matches a brute force on a 4x6 case", () => {
    const cost = [
      [7, 3, 9, 4, 8, 6],
      [2, 8, 5, 9, 3, 7],
      [6, 4, 8, 2, 9, 5],
      [9, 7, 3, 6, 4, 8]
    ]
    const picked = assignMinCost(cost)
    expect(new Set(picked).size).toBe(4)
    const costOf = (cols: ReadonlyArray<number>) => cols.reduce((sum, c, r) => sum + cost[r]![c]!, 0)
    let best = Number.POSITIVE_INFINITY
    const search = (row: number, used: ReadonlyArray<number>) => {
      if (row === cost.length) best = Math.min(best, costOf(used))
      else for (let c = 0; c < 6; c++) if (!used.includes(c)) search(row + 1, [...used, c])
    }
    search(0, [])
    expect(costOf(picked)).toBe(best)
  })

  it("rejects more rows than columns", () => {
    expect(() => assignMinCost([[1], [2]])).toThrow(RangeError)
  })
})
