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

  it("splits letter/digit boundaries left to right, keeps inner apostrophes and drops one extension of up to five characters", () => {
    expect(fileNameWords("a1b2.mp4")).toEqual(["a", "1b", "2"])
    expect(fileNameWords("C:\\clips\\Don'tStop2Now.mov")).toEqual(["don't", "stop", "2now"])
    expect(fileNameWords("rock'n'roll's_3D.webm")).toEqual(["rock'n'roll's", "3", "d"])
    expect(fileNameWords("clip.tar.gz")).toEqual(["clip", "tar"])
    expect(fileNameWords("take.final-cut")).toEqual(["take", "final", "cut"])
    // A folder name is dropped only up to a line break, as the pattern's "." stops there.
    expect(fileNameWords("line\nbreak/oceanWave.mp4")).toEqual(["line", "break", "ocean", "wave"])
    expect(fileNameWords("/lib/東京_night2.mp4")).toEqual(["東京", "night", "2"])
  })
})
