/**
 * Dominant colours of some RGB24 pixels: every pixel falls in one of 512 boxes (3 bits a channel),
 * a box stands for the mean of its pixels, boxes whose means are close (within `MERGE_DISTANCE`
 * in RGB) join the larger one, and the largest few are the palette with their shares of the pixels.
 */
import { Colour } from "./report.ts"
import { roundTo } from "./rounding.ts"

const MERGE_DISTANCE = 40

interface Box {
  count: number
  r: number
  g: number
  b: number
}

const hex = (n: number) => Math.round(n).toString(16).padStart(2, "0")

/** The `count` dominant colours of `pixels` (RGB24 bytes), largest share first; none for no pixels. */
export const dominantColours = (pixels: Uint8Array, count: number): Array<Colour> => {
  const total = Math.floor(pixels.length / 3)
  if (total === 0) return []
  const boxes = new Map<number, Box>()
  for (let i = 0; i < total * 3; i += 3) {
    const r = pixels[i]!
    const g = pixels[i + 1]!
    const b = pixels[i + 2]!
    const key = ((r >> 5) << 6) | ((g >> 5) << 3) | (b >> 5)
    const box = boxes.get(key)
    if (box === undefined) boxes.set(key, { count: 1, r, g, b })
    else {
      box.count++
      box.r += r
      box.g += g
      box.b += b
    }
  }
  const means = [...boxes.values()]
    .map((box) => ({ count: box.count, r: box.r / box.count, g: box.g / box.count, b: box.b / box.count }))
    .sort((x, y) => y.count - x.count)
  const merged: Array<Box> = []
  for (const box of means) {
    const near = merged.find((m) => Math.hypot(m.r - box.r, m.g - box.g, m.b - box.b) < MERGE_DISTANCE)
    if (near === undefined) {
      merged.push({ ...box })
      continue
    }
    const sum = near.count + box.count
    near.r = (near.r * near.count + box.r * box.count) / sum
    near.g = (near.g * near.count + box.g * box.count) / sum
    near.b = (near.b * near.count + box.b * box.count) / sum
    near.count = sum
  }
  return merged
    .sort((x, y) => y.count - x.count)
    .slice(0, count)
    .map((box) => new Colour({ hex: `#${hex(box.r)}${hex(box.g)}${hex(box.b)}`, share: roundTo(box.count / total, 3) }))
}
