import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { splitGraphemes, textWidthEm } from "../../../media/captions-text.ts"
import { buildAss, type CaptionOptions, type CaptionStyle, escapeAssText, safeArea } from "../../../media/captions.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { fontCoverage } from "../../../media/font-coverage.ts"
import { ProcessRunner } from "../../../media/process-runner.ts"
import type { WordTiming } from "../../../media/tts/narration.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

/**
 * Captions in many scripts, burned in by libass (ffmpeg's `ass` filter) and checked by pixels: every
 * character has a glyph (no "tofu" box), right-to-left words appear in reading order in every style, and
 * lines measured in the font's advances stay inside the safe area. Frames are small and single.
 */

interface Frame {
  readonly width: number
  readonly height: number
  /** 1 where there is text ink (bright fill on the black background), else 0 */
  readonly ink: Uint8Array
}

let renders = 0

/** The frame at `atSec` of `ass` burned onto black, as an ink mask. */
const frameOf = (dir: string, ass: string, width: number, height: number, atSec = 0.5) =>
  Effect.gen(function*() {
    const name = join(dir, `f${renders++}`)
    writeFileSync(`${name}.ass`, ass)
    yield* runFfmpeg({
      args: [
        ...["-f", "lavfi", "-i", `color=c=black:s=${width}x${height}:r=25:d=${atSec + 1}`],
        ...["-vf", `ass=filename='${name}.ass'`, "-ss", String(atSec), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray"]
      ],
      output: `${name}.gray`
    })
    const grey = new Uint8Array(readFileSync(`${name}.gray`))
    expect(grey.length).toBe(width * height)
    return { width, height, ink: grey.map((v) => (v > 100 ? 1 : 0)) } satisfies Frame
  })

interface Box {
  readonly x0: number
  readonly y0: number
  readonly x1: number
  readonly y1: number
}

/** Bounding box of the ink inside `within` (default: the whole frame); undefined when there is none. */
const inkBox = (frame: Frame, within: Box = { x0: 0, y0: 0, x1: frame.width, y1: frame.height }): Box | undefined => {
  let box: { x0: number; y0: number; x1: number; y1: number } | undefined
  for (let y = within.y0; y < within.y1; y++) {
    for (let x = within.x0; x < within.x1; x++) {
      if (frame.ink[y * frame.width + x] === 0) continue
      box = box === undefined
        ? { x0: x, y0: y, x1: x + 1, y1: y + 1 }
        : { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x + 1), y1: Math.max(box.y1, y + 1) }
    }
  }
  return box
}

interface Template {
  readonly width: number
  readonly height: number
  readonly ink: Uint8Array
  readonly inkCount: number
}

const crop = (frame: Frame, box: Box): Template => {
  const [width, height] = [box.x1 - box.x0, box.y1 - box.y0]
  const ink = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) ink[y * width + x] = frame.ink[(box.y0 + y) * frame.width + box.x0 + x]!
  }
  return { width, height, ink, inkCount: ink.reduce((a, b) => a + b, 0) }
}

/** Where `template` fits `frame` best (fewest differing pixels), and that count as a share of the template's ink. */
const locate = (frame: Frame, template: Template): { readonly x: number; readonly y: number; readonly misfit: number } => {
  let best = { x: 0, y: 0, misfit: Infinity }
  const ink = inkBox(frame)!
  for (let y = Math.max(0, ink.y0 - 2); y + template.height <= Math.min(frame.height, ink.y1 + 2); y++) {
    for (let x = Math.max(0, ink.x0 - 2); x + template.width <= Math.min(frame.width, ink.x1 + 2); x++) {
      let diff = 0
      for (let ty = 0; ty < template.height && diff < best.misfit; ty++) {
        const row = (y + ty) * frame.width + x
        for (let tx = 0; tx < template.width; tx++) diff += frame.ink[row + tx]! ^ template.ink[ty * template.width + tx]!
      }
      if (diff < best.misfit) best = { x, y, misfit: diff }
    }
  }
  return { ...best, misfit: best.misfit / template.inkCount }
}

// 16:9 at 480x270: the safe area leaves 384 px a line (48 px either side).
const W = 480
const H = 270
const options = (style: CaptionStyle): CaptionOptions => ({ width: W, height: H, style, fontSize: 28, maxLines: 2 })

const timed = (text: string): ReadonlyArray<WordTiming> => text.split(" ").map((word, i) => ({ word, start: i * 0.4, end: i * 0.4 + 0.4 }))

const captionFrame = (dir: string, words: ReadonlyArray<WordTiming>, style: CaptionStyle, atSec: number) =>
  Effect.flatMap(buildAss({ words }, options(style)), (ass) => frameOf(dir, ass, W, H, atSec))

/** Each word rendered alone in the caption style, cropped to its ink. */
const wordTemplates = (dir: string, words: ReadonlyArray<string>) =>
  Effect.forEach(
    words,
    (word) => Effect.map(captionFrame(dir, [{ word, start: 0, end: 1 }], "lines", 0.5), (frame) => crop(frame, inkBox(frame)!)),
    {
      concurrency: 2
    }
  )

/** The x of each word in `frame`, found by template matching; each must be found nearly exactly. */
const wordPositions = (frame: Frame, templates: ReadonlyArray<Template>) =>
  templates.map((template) => {
    const found = locate(frame, template)
    expect(found.misfit).toBeLessThan(0.25)
    return found.x
  })

/** Two crops of about the same size whose ink overlaps but for a few edge pixels. */
const sameShape = (a: Template, b: Template): boolean => {
  if (Math.abs(a.width - b.width) > 1 || Math.abs(a.height - b.height) > 1) return false
  let diff = 0
  for (let y = 0; y < Math.min(a.height, b.height); y++) {
    for (let x = 0; x < Math.min(a.width, b.width); x++) diff += a.ink[y * a.width + x]! ^ b.ink[y * b.width + x]!
  }
  return diff / b.inkCount < 0.15
}

/** Indices of `xs` from left to right. */
const visualOrder = (xs: ReadonlyArray<number>) => xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i)

describe("captions in every script, burned in by libass", () => {
  // Visual order (left to right) by the Unicode bidi algorithm: a right-to-left line starts at the right; a
  // left-to-right run inside it keeps its own order; in a left-to-right line the Arabic run reads right to left.
  const lines = [
    { text: "مرحبا بكم في الكسيريات", visual: [3, 2, 1, 0] },
    { text: "شاهد reelswarm 2026 الآن", visual: [3, 1, 2, 0] },
    { text: "Welcome مرحبا بكم today", visual: [0, 2, 1, 3] },
    // Chinese and Japanese words arrive segmented and are written without spaces between them.
    { text: "我们 今天 去 公园。", visual: [0, 1, 2, 3] },
    { text: "日本語の 字幕 です！", visual: [0, 1, 2] }
  ]

  it.scoped.each(lines)(
    "$text reads in order in lines, karaoke and word-by-word (each word where the plain line has it)",
    ({ text, visual }) =>
      Effect.gen(function*() {
        const dir = yield* scopedTempDir("captions-bidi")
        const words = timed(text)
        const templates = yield* wordTemplates(dir, words.map((w) => w.word))
        // The reference: the plain line (no override tags at all).
        const reference = wordPositions(yield* captionFrame(dir, words, "lines", 0.5), templates)
        expect(visualOrder(reference)).toEqual(visual)
        // Karaoke mid-line (one word spoken, one filling, the rest not), in both fills: where the plain line has them.
        for (const karaokeTag of ["kf", "k"] as const) {
          const ass = yield* buildAss({ words }, { ...options("karaoke"), karaokeTag })
          const karaoke = wordPositions(yield* frameOf(dir, ass, W, H, 0.7), templates)
          karaoke.forEach((x, i) => expect(Math.abs(x - reference[i]!), `${karaokeTag} word ${i}`).toBeLessThanOrEqual(2))
        }
        // Word by word: at each word's time, that word and nothing else.
        for (const [i, word] of words.entries()) {
          const frame = yield* captionFrame(dir, words, "word-by-word", word.start + 0.2)
          const shown = crop(frame, inkBox(frame)!)
          expect(shown.width).toBe(templates[i]!.width)
          expect(locate(frame, templates[i]!).misfit).toBeLessThan(0.05)
        }
      })
  )

  const scripts = {
    chinese: "我们今天去公园散步。你说：「字幕好看！」",
    japanese: "日本語の字幕です。カタカナ、ひらがな！",
    korean: "한국어 자막입니다",
    arabic: "مرحبا بكم في عالم الكسيريات",
    hebrew: "שלום עולם",
    cyrillicGreek: "Привет мир Γειά σου",
    hindi: "नमस्ते, यह हिंदी में एक वाक्य है।",
    emoji: "🎬 😀 👍 🔥 🚀 ❤️ ⭐ 🌍",
    symbols: `$3.50, 7.5% & €5 — "quotes" (parens) #tag @user`
  }

  it.scoped("no tofu: every character of Chinese, Japanese, Korean, Arabic, Hebrew, Cyrillic, Greek, Hindi, emoji and symbols has a glyph", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("captions-tofu")
      // U+F0000 (private use) is in no font: libass draws the caption font's missing-glyph box for it.
      // U+1FAE8 (Unicode 15) is a control: fontconfig and the pixels must agree on it, whatever is installed.
      const tofuProbe = "\u{F0000}"
      const control = "\u{1FAE8}"
      const graphemes = [
        tofuProbe,
        control,
        ...new Set(
          Object.values(scripts).flatMap((text) => splitGraphemes(text))
        )
      ].filter((g) => g.trim() !== "")
      // One frame: each grapheme centred in a 48x48 cell, in the caption style (font, bold, encoding).
      const [cell, columns] = [48, 20]
      const rows = Math.ceil(graphemes.length / columns)
      const header = yield* buildAss({ words: [] }, { ...options("lines"), width: cell * columns, height: cell * rows })
      const ass = header + graphemes.map((g, i) =>
        `Dialogue: 0,0:00:00.00,0:00:05.00,Caption,,0,0,0,,{\\an5\\pos(${(i % columns) * cell + cell / 2},${
          Math.floor(i / columns) * cell + cell / 2
        })}${escapeAssText(g)}`
      ).join("\n") + "\n"
      const frame = yield* frameOf(dir, ass, cell * columns, cell * rows)
      const cellInk = graphemes.map((_, i) => {
        const [x0, y0] = [(i % columns) * cell, Math.floor(i / columns) * cell]
        const box = inkBox(frame, { x0, y0, x1: x0 + cell, y1: y0 + cell })
        return box === undefined ? undefined : crop(frame, box)
      })
      const tofu = cellInk[0]!
      const isTofu = (t: Template | undefined) =>
        t !== undefined && sameShape(t, tofu)
      const coverage = yield* fontCoverage(graphemes.join(""))
      const uncovered = new Set(coverage.missing.map((m) => m.char))
      const verdicts = graphemes.map((g, i) => ({
        g,
        tofu: isTofu(cellInk[i]),
        blank: cellInk[i] === undefined,
        uncovered: [...g].some((c) => uncovered.has(c))
      }))
      expect(verdicts[0]).toMatchObject({ tofu: true, uncovered: true })
      // fontconfig's character sets and libass's pixels tell the same story for every character.
      for (const v of verdicts) expect(v.tofu, `${v.g}: tofu on screen vs no font in fc-list`).toBe(v.uncovered)
      expect(verdicts.slice(2).filter((v) => v.tofu || v.blank).map((v) => v.g)).toEqual([])
      expect(coverage.missing.filter((m) => m.char !== tofuProbe && m.char !== control)).toEqual([])
      const han = coverage.scripts.find((s) => s.script === "Han")
      expect(han?.families).toContain("Noto Sans CJK SC")
    }))

  it.scoped.each(Object.entries(scripts).map(([name, text]) => ({ name, text })))(
    "$name: widths measured in the font's advances, every line inside the safe area",
    ({ text }) =>
      Effect.gen(function*() {
        const dir = yield* scopedTempDir("captions-width")
        const area = safeArea(W, H)
        // Long enough to wrap: the text three times, as words (CJK as one word a phrase; it breaks between characters).
        const words = timed([text, text, text].join(" "))
        const frame = yield* captionFrame(dir, words, "lines", 0.2)
        const box = inkBox(frame)!
        // The outline (2 px) and side bearings may reach a little past the advances.
        expect(box.x0).toBeGreaterThanOrEqual(area.marginL - 4)
        expect(box.x1).toBeLessThanOrEqual(W - area.marginR + 4)
        // One line of the text alone: the estimate is within 8% of the width libass draws.
        const single = yield* frameOf(
          dir,
          yield* buildAss({ words: timed(text) }, { ...options("lines"), width: 1600, height: 200 }),
          1600,
          200
        )
        const drawn = inkBox(single)!
        const estimate = textWidthEm(text) * 28
        expect(Math.abs(estimate - (drawn.x1 - drawn.x0)) / (drawn.x1 - drawn.x0), `estimate ${estimate} drawn ${drawn.x1 - drawn.x0}`)
          .toBeLessThan(0.08)
      })
  )

  it.effect("without fontconfig, fontCoverage fails with a typed error that says what to install", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(fontCoverage("字幕"))
      expect(error).toMatchObject({ _tag: "FontCoverageError", reason: "fontconfig-unavailable" })
      expect(error.message).toContain("fontconfig")
    }).pipe(Effect.provide(ProcessRunner.layerFaulty(() => ({ _tag: "SpawnFailure" })))))
})
