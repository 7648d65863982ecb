import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type CaptionStyle, writeAss } from "../../../media/captions.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const W = 180
const H = 320

/** Frame `n` of `file` as 8-bit grey pixels. */
const greyFrame = (file: string, n: number, out: string) =>
  runFfmpeg({
    args: ["-i", file, "-vf", `select=eq(n\\,${n})`, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray"],
    output: out
  }).pipe(Effect.map(() => new Uint8Array(readFileSync(out))))

const meanAbsDiff = (a: Uint8Array, b: Uint8Array, rowFrom: number, rowTo: number) => {
  let sum = 0
  for (let i = rowFrom * W; i < rowTo * W; i++) sum += Math.abs(a[i]! - b[i]!)
  return sum / ((rowTo - rowFrom) * W)
}

// Hostile words: an attempted override block, backslashes, quotes, percent, colon, emoji, CJK, Hebrew.
const words = [
  { word: "{\\an7\\pos(5,5)}Hi", start: 0, end: 0.3 },
  { word: `C:\\N "100%"`, start: 0.3, end: 0.6 },
  { word: "🎬 曼德博 שלום", start: 0.6, end: 1 }
]

describe("captions burned in by libass", () => {
  it.scoped.each<CaptionStyle>(["lines", "karaoke", "word-by-word"])(
    "%s: pixels change in the caption area and nowhere near the top",
    (style) =>
      Effect.gen(function*() {
        const dir = yield* scopedTempDir("captions-burn")
        const plain = join(dir, "plain.mp4")
        yield* runFfmpeg({
          args: ["-f", "lavfi", "-i", `color=c=0x204060:s=${W}x${H}:r=10:d=1`, "-c:v", "libx264", "-pix_fmt", "yuv420p"],
          output: plain
        })
        const ass = yield* writeAss(join(dir, "captions.ass"), { words }, { width: W, height: H, style, maxLines: 3 })
        const burned = join(dir, "burned.mp4")
        yield* runFfmpeg({ args: ["-i", plain, "-vf", `ass=filename='${ass}'`, "-c:v", "libx264", "-pix_fmt", "yuv420p"], output: burned })
        const before = yield* greyFrame(plain, 5, join(dir, "plain.gray"))
        const after = yield* greyFrame(burned, 5, join(dir, "burned.gray"))
        expect(after.length).toBe(W * H)
        // The bottom line sits on the 9:16 bottom margin (22% of 320 = 70 px): rows 225-250 hold it.
        expect(meanAbsDiff(before, after, H - 95, H - 70)).toBeGreaterThan(4)
        // An injected {\\an7\\pos(5,5)} would have put the text in the top-left corner.
        expect(meanAbsDiff(before, after, 0, 60)).toBeLessThan(0.5)
      })
  )
})
