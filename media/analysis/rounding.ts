/** Figures in the report carry the digits they are good for: `roundTo(12.3456, 2)` is 12.35. */
export const roundTo = (n: number, digits: number): number => {
  const scale = 10 ** digits
  return Math.round(n * scale) / scale
}
