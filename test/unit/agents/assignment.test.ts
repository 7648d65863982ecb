/** The Hungarian assignment against brute force: least total cost, every row its own column. */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { assignMinCost, assignMinCostRanked } from "../../../agents/shot-matcher/assignment.ts"

/** The least total cost over every injective assignment of rows to columns. */
const bruteForce = (cost: ReadonlyArray<ReadonlyArray<number>>): number => {
  const cols = cost[0]?.length ?? 0
  const used = new Array<boolean>(cols).fill(false)
  const best = (row: number): number => {
    if (row === cost.length) return 0
    let least = Number.POSITIVE_INFINITY
    for (let col = 0; col < cols; col++) {
      if (used[col]) continue
      used[col] = true
      least = Math.min(least, cost[row]![col]! + best(row + 1))
      used[col] = false
    }
    return least
  }
  return best(0)
}

/** Matrices of 1–6 rows and at least as many columns (up to 7), integer costs 0–60. */
const matrices = fc.integer({ min: 1, max: 6 }).chain((rows) =>
  fc.integer({ min: rows, max: 7 }).chain((cols) =>
    fc.array(fc.array(fc.integer({ min: 0, max: 60 }), { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows })
  )
)

/** Wide matrices thick with ties: up to 6 rows and 14 columns, costs 0–3, some pairs at a big "forbidden" 1000. */
const tiedMatrices = fc.integer({ min: 1, max: 6 }).chain((rows) =>
  fc.integer({ min: rows, max: 14 }).chain((cols) =>
    fc.array(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(1000)), { minLength: cols, maxLength: cols }),
      { minLength: rows, maxLength: rows }
    )
  )
)

/** A row's columns by cost, then by column: the first `rows` of them, as the matcher ranks a scene's clips. */
const rankedOf = (cost: ReadonlyArray<ReadonlyArray<number>>) => (row: number) =>
  cost[row]!.map((c, col) => [c, col] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, cost.length).map(([, col]) => col)

describe("assignMinCost", () => {
  it.prop("gives each row its own column at the least total cost (brute force agrees)", [matrices], ([cost]) => {
    const assignment = assignMinCost(cost)
    expect(assignment).toHaveLength(cost.length)
    expect(new Set(assignment).size).toBe(cost.length)
    for (const col of assignment) expect(col >= 0 && col < cost[0]!.length).toBe(true)
    const total = assignment.reduce((sum, col, row) => sum + cost[row]![col]!, 0)
    expect(total).toBe(bruteForce(cost))
  }, { fastCheck: { numRuns: 400, seed: 20261201 } })

  it.prop("is deterministic: the same matrix gives the same assignment", [matrices], ([cost]) => {
    expect(assignMinCost(cost)).toEqual(assignMinCost(cost.map((row) => row.slice())))
  }, { fastCheck: { numRuns: 100, seed: 7 } })

  it.prop("its ranked form, given each row's best columns only, gives the same assignment, ties and all", [tiedMatrices], ([cost]) => {
    const ranked = assignMinCostRanked(cost.length, cost[0]!.length, (row, col) => cost[row]![col]!, rankedOf(cost))
    expect(ranked).toEqual(assignMinCost(cost))
  }, { fastCheck: { numRuns: 2000, seed: 20261201 } })
})
