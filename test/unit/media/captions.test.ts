import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { lineText, wrapWords } from "../../../media/captions-layout.ts"
import { textWidthEm } from "../../../media/captions-text.ts"
import { assTime, buildAss, type CaptionOptions, escapeAssText, safeArea } from "../../../media/captions.ts"
import type { SentenceTiming, WordTiming } from "../../../media/tts/narration.ts"

/**
 * How libass reads dialogue text: `\N` `\n` `\h` `\{` `\}` are escapes, `{` opens an override block.
 * Returns the literal text shown, or throws on an override block or a line-break/space escape.
 */
const libassLiteral = (text: string): string => {
  let out = ""
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === "\\" && "Nnh".includes(text[i + 1] ?? "")) throw new Error(`escape \\${text[i + 1]} at ${i}`)
    if (c === "\\" && "{}".includes(text[i + 1] ?? "")) {
      out += text[++i]
      continue
    }
    if (c === "{") throw new Error(`override block at ${i}`)
    out += c
  }
  return out.replace(/\\\u2060/g, "\\")
}

const hostile = [
  `{\\an8}{\\pos(0,0)}pwned`,
  `say "hi" & 'bye': 100% {sure}`,
  `C:\\new\\folder\\Night`,
  `a\\Nb\\nc\\hd \\\\{x}`,
  `line one\nline two\r\nthree\ttab`,
  `emoji 🎬🧬👩‍👩‍👧 and CJK 曼德博集合 and Hebrew שלום עולם and Arabic مرحبا`,
  `}{}{\\`,
  `\\`,
  `{`
]

const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}

describe("ASS escaping", () => {
  it("no text can open an override block or inject a line break, and every character survives", () => {
    const alphabet = ["{", "}", "\\", "N", "n", "h", ":", "%", "\"", "'", ",", "\n", "😀", "中", "ש", " ", "a", "\u2060"]
    const next = rng(42)
    const fuzz = Array.from(
      { length: 2000 },
      () => Array.from({ length: 1 + Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("")
    )
    for (const text of [...hostile, ...fuzz]) {
      const escaped = escapeAssText(text)
      expect(escaped).not.toMatch(/[\n\r\t]/)
      const expected = text.replace(/[\u0000-\u001f]+/g, " ")
      expect(libassLiteral(escaped).replace(/\u2060/g, ""), JSON.stringify(text)).toBe(expected.replace(/\u2060/g, ""))
    }
  })

  it("leaves quotes, colons, percent signs, emoji, CJK and right-to-left text untouched", () => {
    expect(escapeAssText(hostile[1]!)).toBe(`say "hi" & 'bye': 100% \\{sure\\}`)
    expect(escapeAssText(hostile[5]!)).toBe(hostile[5])
  })
})

describe("layout", () => {
  it("picks the safe area by shape", () => {
    expect(safeArea(1080, 1920)).toEqual({ profile: "9:16", marginL: 76, marginR: 130, marginV: 422 })
    expect(safeArea(1920, 1080)).toEqual({ profile: "16:9", marginL: 192, marginR: 192, marginV: 86 })
    expect(safeArea(1080, 1080)).toEqual({ profile: "1:1", marginL: 86, marginR: 86, marginV: 130 })
  })

  it("wraps greedily without exceeding the line width, cutting a long CJK run between characters", () => {
    const words = "the quick brown fox jumps over the lazy dog 曼德博集合是一个在复平面上组成分形的点的集合".split(" ")
    const lines = wrapWords(words, 8)
    for (const line of lines) expect(textWidthEm(lineText(line))).toBeLessThanOrEqual(8)
    expect(lines.flatMap((l) => l.map((p) => p.text)).join("")).toBe(words.join(""))
    expect(lines.length).toBeGreaterThan(4)
  })

  it("breaks Chinese and Japanese between characters, never before closing punctuation nor after an opening bracket", () => {
    const words = ["我们", "今天", "去", "公园", "散步", "。", "他", "说", "：", "「", "你好", "！", "」", "日本語", "ですか", "？"]
    // From 3.5 em up: a glued run such as 「你好！」 (3.45 em) always fits a line.
    for (let maxEm = 3.5; maxEm <= 9; maxEm += 0.25) {
      const lines = wrapWords(words, maxEm).map((line) => lineText(line))
      // CJK words are written without spaces between them, and every character is kept.
      expect(lines.join("")).toBe(words.join(""))
      for (const line of lines) {
        expect(line, `${maxEm}: ${JSON.stringify(lines)}`).not.toMatch(/^[。，！？：」]/u)
        expect(line).not.toMatch(/「$/u)
        expect(textWidthEm(line)).toBeLessThanOrEqual(maxEm)
      }
    }
    // A 4-em line holds five full-width characters (0.69 of the font size each), not four.
    expect(wrapWords(["曼德博集合是一个在复平面上组成分形的点的集合"], 4).map((l) => lineText(l))[0]).toHaveLength(5)
  })

  it("keeps spaces between words of spaced scripts and joins CJK without them", () => {
    expect(wrapWords(["Hello", "world,", "用", "Python", "编程。"], 100).map((l) => lineText(l))).toEqual(["Hello world,用Python编程。"])
    expect(wrapWords(["한국어", "자막", "🎬"], 100).map((l) => lineText(l))).toEqual(["한국어 자막 🎬"])
  })

  it("measures Latin in the font's advances: Noto Sans is narrower than DejaVu Sans, i narrower than M", () => {
    expect(textWidthEm("The quick brown fox")).toBeLessThan(textWidthEm("The quick brown fox", "DejaVu Sans") * 0.8)
    expect(textWidthEm("iiii")).toBeLessThan(textWidthEm("MMMM") / 2)
    expect(textWidthEm("é")).toBe(textWidthEm("e"))
  })

  it("formats ASS times in centiseconds", () => {
    expect(assTime(0)).toBe("0:00:00.00")
    expect(assTime(61.234)).toBe("0:01:01.23")
    expect(assTime(3725.999)).toBe("1:02:06.00")
  })
})

const words: ReadonlyArray<WordTiming> = [
  { word: "The", start: 0.1, end: 0.25 },
  { word: "Mandelbrot", start: 0.25, end: 0.8 },
  { word: "set", start: 0.8, end: 1.0 },
  { word: "{zooms}", start: 1.0, end: 1.5 },
  { word: "Rule", start: 2.0, end: 2.3 },
  { word: "110!", start: 2.3, end: 3.1 }
]
const sentences: ReadonlyArray<SentenceTiming> = [
  { text: "The Mandelbrot set {zooms}", start: 0, end: 2, words: words.slice(0, 4) },
  { text: "Rule 110!", start: 2, end: 3.3, words: words.slice(4) }
]
// DejaVu Sans metrics, which these page breaks were written for (the default family, Noto Sans, is narrower).
const base: CaptionOptions = { width: 1080, height: 1920, style: "lines", fontName: "DejaVu Sans" }
const dialogues = (ass: string) => ass.split("\n").filter((l) => l.startsWith("Dialogue:"))
const fields = (line: string) => {
  const parts = line.slice("Dialogue: ".length).split(",")
  return { start: parts[1]!, end: parts[2]!, text: parts.slice(9).join(",") }
}

describe("ASS documents", () => {
  it.effect("lines: PlayRes is the output size, pages never cross a sentence, braces are escaped", () =>
    Effect.gen(function*() {
      const ass = yield* buildAss({ words, sentences }, base)
      expect(ass).toContain("PlayResX: 1080\nPlayResY: 1920")
      expect(ass).toContain("Style: Caption,DejaVu Sans,65,")
      // Encoding -1: libass runs bidi over the whole event (see the karaoke right-to-left test below).
      expect(ass).toMatch(/,2,76,130,422,-1\n/)
      const events = dialogues(ass).map(fields)
      expect(events.map((e) => e.text)).toEqual(["The Mandelbrot set\\N\\{zooms\\}", "Rule 110!"])
      expect(events.map((e) => [e.start, e.end])).toEqual([
        ["0:00:00.10", "0:00:01.90"],
        ["0:00:02.00", "0:00:03.50"]
      ])
    }))

  it.effect("lines wrap into at most maxLines lines per page", () =>
    Effect.gen(function*() {
      const ass = yield* buildAss({ words }, { ...base, width: 180, height: 320, maxLines: 1 })
      const texts = dialogues(ass).map((l) => fields(l).text)
      expect(texts).toEqual(["The Mandelbrot set", "\\{zooms\\} Rule 110!"])
    }))

  it.effect("word-by-word shows each word from its start until the next word", () =>
    Effect.gen(function*() {
      const ass = yield* buildAss({ words, sentences }, { ...base, style: "word-by-word" })
      const events = dialogues(ass).map(fields)
      expect(events).toHaveLength(words.length)
      expect(events.map((e) => e.text.replace(/^\{[^}]*\}/, ""))).toEqual(["The", "Mandelbrot", "set", "\\{zooms\\}", "Rule", "110!"])
      expect(events[1]).toMatchObject({ start: "0:00:00.25", end: "0:00:00.80" })
    }))

  it.effect("karaoke: one \\kf per word, durations summing to the spoken span, highlight as PrimaryColour", () =>
    Effect.gen(function*() {
      const ass = yield* buildAss({ words, sentences }, { ...base, style: "karaoke", highlightColor: "#FF8000" })
      expect(ass).toContain("Style: Caption,DejaVu Sans,65,&H000080FF,&H00FFFFFF,")
      const [first] = dialogues(ass).map(fields)
      expect(first!.text).toBe("{\\kf15}The {\\kf55}Mandelbrot {\\kf20}set\\N{\\kf50}\\{zooms\\}")
      const k = yield* buildAss({ words }, { ...base, style: "karaoke", karaokeTag: "k" })
      expect(k).toContain("{\\k15}The")
    }))

  it.effect("karaoke: right-to-left words switch at once (libass would sweep them backwards), in the default Noto Sans", () =>
    Effect.gen(function*() {
      const arabic: ReadonlyArray<WordTiming> = [
        { word: "مرحبا", start: 0, end: 0.4 },
        { word: "world", start: 0.4, end: 0.8 },
        { word: "שלום", start: 0.8, end: 1.2 }
      ]
      const ass = yield* buildAss({ words: arabic }, { width: 1080, height: 1920, style: "karaoke" })
      expect(ass).toContain("Style: Caption,Noto Sans,65,")
      expect(fields(dialogues(ass)[0]!).text).toBe("{\\k40}مرحبا {\\kf40}world {\\k40}שלום")
    }))

  it.effect("invalid sizes and colours are typed errors", () =>
    Effect.gen(function*() {
      const size = yield* Effect.flip(buildAss({ words }, { ...base, width: 0 }))
      expect(size).toMatchObject({ _tag: "CaptionError", reason: "invalid-options" })
      const colour = yield* Effect.flip(buildAss({ words }, { ...base, textColor: "red}{\\pos" }))
      expect(colour.message).toContain("#RRGGBB")
    }))
})
