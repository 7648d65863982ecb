import { describe, expect, it } from "@effect/vitest"
import { stem } from "../../../agents/text/stem.ts"
import { fileNameWords, terms, words } from "../../../agents/text/terms.ts"

describe("Porter stemmer", () => {
  it.each([
    ["caresses", "caress"],
    ["ponies", "poni"],
    ["cats", "cat"],
    ["feed", "feed"],
    ["agreed", "agre"],
    ["plastered", "plaster"],
    ["motoring", "motor"],
    ["sing", "sing"],
    ["hopping", "hop"],
    ["filing", "file"],
    ["happy", "happi"],
    ["relational", "relat"],
    ["generalization", "gener"],
    ["controlling", "control"],
    ["rolling", "roll"],
    ["connection", "connect"],
    ["adjustable", "adjust"],
    ["yellow", "yellow"]
  ])("%s -> %s (Porter's published examples)", (word, expected) => {
    expect(stem(word)).toBe(expected)
  })

  it("brings inflections of one word together", () => {
    expect(new Set(["pattern", "patterns", "patterned"].map(stem)).size).toBe(1)
    expect(new Set(["triangle", "triangles"].map(stem)).size).toBe(1)
    expect(new Set(["emergent", "emergence"].map(stem)).size).toBe(1)
  })

  it("leaves short words, numbers and non-Latin words alone", () => {
    expect(stem("is")).toBe("is")
    expect(stem("110")).toBe("110")
    expect(stem("フラクタル")).toBe("フラクタル")
    expect(stem("Mandelbrot")).toBe("mandelbrot")
  })
})

describe("terms", () => {
  it("drops stopwords and possessives and stems the rest, keeping numbers of two digits or more", () => {
    expect(terms("The Mandelbrot set's boundary is infinitely complex. Rule 110 isn't simple!")).toEqual([
      "mandelbrot",
      "set",
      "boundari",
      "infinit",
      "complex",
      "rule",
      "110",
      "simpl"
    ])
  })

  it("reads words in any script and curly apostrophes", () => {
    expect(words("Don’t panic — ¡Hola, señor! 東京")).toEqual(["don't", "panic", "hola", "señor", "東京"])
  })

  it("splits file names on separators, camelCase and digits", () => {
    expect(fileNameWords("/lib/footage/MandelbrotZoom_deep-02.mp4")).toEqual(["mandelbrot", "zoom", "deep", "02"])
    expect(fileNameWords("rule110.webm")).toEqual(["rule", "110"])
  })
})
