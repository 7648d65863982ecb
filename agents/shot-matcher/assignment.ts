/**
 * The assignment problem (Hungarian method, Kuhn–Munkres with potentials, O(r²·c)): give each row
 * its own column so that the total cost is least. Rows must not outnumber columns. With integer
 * costs it is exact, so equal inputs give equal answers.
 */
export const assignMinCost = (cost: ReadonlyArray<ReadonlyArray<number>>): ReadonlyArray<number> => {
  const rows = cost.length
  if (rows === 0) return []
  const cols = cost[0]!.length
  if (rows > cols) throw new RangeError(`assignMinCost: ${rows} rows for ${cols} columns`)
  // 1-based, column 0 is the virtual start of each augmenting path.
  const u = new Array<number>(rows + 1).fill(0)
  const v = new Array<number>(cols + 1).fill(0)
  const rowOfCol = new Array<number>(cols + 1).fill(0)
  const way = new Array<number>(cols + 1).fill(0)
  for (let row = 1; row <= rows; row++) {
    rowOfCol[0] = row
    let col0 = 0
    const minv = new Array<number>(cols + 1).fill(Number.POSITIVE_INFINITY)
    const used = new Array<boolean>(cols + 1).fill(false)
    do {
      used[col0] = true
      const row0 = rowOfCol[col0]!
      let delta = Number.POSITIVE_INFINITY
      let col1 = 0
      for (let col = 1; col <= cols; col++) {
        if (used[col]) continue
        const reduced = cost[row0 - 1]![col - 1]! - u[row0]! - v[col]!
        if (reduced < minv[col]!) {
          minv[col] = reduced
          way[col] = col0
        }
        if (minv[col]! < delta) {
          delta = minv[col]!
          col1 = col
        }
      }
      for (let col = 0; col <= cols; col++) {
        if (used[col]) {
          u[rowOfCol[col]!] = u[rowOfCol[col]!]! + delta
          v[col] = v[col]! - delta
        } else {
          minv[col] = minv[col]! - delta
        }
      }
      col0 = col1
    } while (rowOfCol[col0] !== 0)
    do {
      const col1 = way[col0]!
      rowOfCol[col0] = rowOfCol[col1]!
      col0 = col1
    } while (col0 !== 0)
  }
  const colOfRow = new Array<number>(rows).fill(-1)
  for (let col = 1; col <= cols; col++) if (rowOfCol[col]! > 0) colOfRow[rowOfCol[col]! - 1] = col - 1
  return colOfRow
}

/**
 * `assignMinCost`'s answer, column for column (ties included), for a wide problem without its rows ×
 * columns matrix: `ranked(row)` lists the row's cheapest columns, by cost and then by column, at least
 * as many as there are rows. The method only ever enters assigned columns and the one that ends each
 * augmenting path; a column no row has taken costs a row at least what the first untaken column on its
 * list costs (it comes after it there, or is not there at all), so untaken columns stay implicit: each
 * visited row stands for its first untaken column. O(rows² · path length) lookups of `cost` instead of
 * O(rows² · columns). Costs must be integers, as for `assignMinCost`.
 */
export const assignMinCostRanked = (
  rows: number,
  cols: number,
  cost: (row: number, col: number) => number,
  ranked: (row: number) => ReadonlyArray<number>
): ReadonlyArray<number> => {
  if (rows === 0) return []
  if (rows > cols) throw new RangeError(`assignMinCostRanked: ${rows} rows for ${cols} columns`)
  // The same 1-based bookkeeping as assignMinCost; v stays 0 for a column until it is assigned.
  const u = new Array<number>(rows + 1).fill(0)
  const v = new Float64Array(cols + 1)
  const rowOfCol = new Int32Array(cols + 1)
  const way = new Int32Array(cols + 1)
  const lists = new Array<ReadonlyArray<number> | undefined>(rows + 1)
  const costOf = (row: number, col: number) => cost(row - 1, col - 1)
  const firstUntaken = (row: number) => {
    const list = (lists[row] ??= ranked(row - 1))
    for (const col of list) if (rowOfCol[col + 1] === 0) return col + 1
    throw new RangeError(`assignMinCostRanked: row ${row - 1} lists no untaken column among ${list.length}`)
  }
  const assigned: Array<number> = []
  for (let row = 1; row <= rows; row++) {
    rowOfCol[0] = row
    let col0 = 0
    // Taken columns, ascending, as assignMinCost scans them; untaken ones through each visited row's first.
    const taken = assigned.slice()
    const minv = new Array<number>(taken.length).fill(Number.POSITIVE_INFINITY)
    const used = new Array<boolean>(taken.length).fill(false)
    const usedCols: Array<number> = [0]
    const untaken: Array<{ readonly row: number; readonly col: number; value: number; readonly via: number }> = []
    do {
      const row0 = rowOfCol[col0]!
      let delta = Number.POSITIVE_INFINITY
      let col1 = 0
      for (let e = 0; e < taken.length; e++) {
        if (used[e]) continue
        const col = taken[e]!
        const reduced = costOf(row0, col) - u[row0]! - v[col]!
        if (reduced < minv[e]!) {
          minv[e] = reduced
          way[col] = col0
        }
        if (minv[e]! < delta) {
          delta = minv[e]!
          col1 = col
        }
      }
      const first = firstUntaken(row0)
      untaken.push({ row: row0, col: first, value: costOf(row0, first) - u[row0]!, via: col0 })
      let best = untaken[0]!
      for (const entry of untaken) if (entry.value < best.value || (entry.value === best.value && entry.col < best.col)) best = entry
      if (best.value < delta || (best.value === delta && best.col < col1)) {
        delta = best.value
        col1 = best.col
        // The path reaches it from the first visited row it is cheapest for (assignMinCost keeps the first).
        const target = best.col
        const from = untaken.find((entry) => entry.value === delta && costOf(entry.row, target) === costOf(entry.row, entry.col))!
        way[target] = from.via
      }
      for (const col of usedCols) {
        u[rowOfCol[col]!] = u[rowOfCol[col]!]! + delta
        if (col !== 0) v[col] = v[col]! - delta
      }
      for (let e = 0; e < taken.length; e++) if (!used[e]) minv[e] = minv[e]! - delta
      for (const entry of untaken) entry.value -= delta
      col0 = col1
      if (rowOfCol[col0] !== 0) {
        used[taken.indexOf(col0)] = true
        usedCols.push(col0)
      }
    } while (rowOfCol[col0] !== 0)
    const end = col0
    do {
      const col1 = way[col0]!
      rowOfCol[col0] = rowOfCol[col1]!
      col0 = col1
    } while (col0 !== 0)
    assigned.splice(sortedIndex(assigned, end), 0, end)
  }
  const colOfRow = new Array<number>(rows).fill(-1)
  for (const col of assigned) colOfRow[rowOfCol[col]! - 1] = col - 1
  return colOfRow
}

const sortedIndex = (sorted: ReadonlyArray<number>, value: number): number => {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (sorted[mid]! < value) low = mid + 1
    else high = mid
  }
  return low
}
