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
