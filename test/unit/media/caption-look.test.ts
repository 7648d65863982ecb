import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { buildAss, type CaptionOptions, safeArea } from "../../../media/captions.ts"
import type { WordTiming } from "../../../media/tts/narration.ts"

const words: ReadonlyArray<WordTiming> = [
  { word: "Fractals", start: 0.1, end: 0.6 },
  { word: "repeat", start: 0.6, end: 1.1 },
  { word: "forever.", start: 1.1, end: 1.8 }
]
const portrait: CaptionOptions = { width: 1080, height: 1920, style: "lines" }

const STYLE_FIELDS = [
  "Name",
  "Fontname",
  "Fontsize",
  "PrimaryColour",
  "SecondaryColour",
  "OutlineColour",
  "BackColour",
  "Bold",
  "Italic",
  "Underline",
  "StrikeOut",
  "ScaleX",
  "ScaleY",
  "Spacing",
  "Angle",
  "BorderStyle",
  "Outline",
  "Shadow",
  "Alignment",
  "MarginL",
  "MarginR",
  "MarginV",
  "Encoding"
] as const

/** The Caption style line, field by field as its Format line names them. */
const captionStyle = (options: CaptionOptions) =>
  Effect.map(buildAss({ words }, options), (ass) => {
    const lines = ass.split("\n")
    expect(lines.find((l) => l.startsWith("Format: Name,"))).toBe(`Format: ${STYLE_FIELDS.join(", ")}`)
    const values = lines.find((l) => l.startsWith("Style: Caption,"))!.slice("Style: ".length).split(",")
    return Object.fromEntries(STYLE_FIELDS.map((field, i) => [field, values[i]!])) as Record<(typeof STYLE_FIELDS)[number], string>
  })

describe("caption look: size, colours, outline and position in the ASS style", () => {
  it.effect("without a look, the style is media's default: white on a black outline at the bottom of the safe area", () =>
    Effect.gen(function*() {
      const style = yield* captionStyle(portrait)
      expect(style).toMatchObject({
        Fontsize: "65",
        PrimaryColour: "&H00FFFFFF",
        SecondaryColour: "&H00FFFFFF",
        OutlineColour: "&H00000000",
        Outline: "4",
        Shadow: "3",
        Alignment: "2",
        MarginV: String(safeArea(1080, 1920).marginV)
      })
    }))

  it.effect("#RRGGBB colours become ASS &H00BBGGRR: text as PrimaryColour, stroke as OutlineColour; size and stroke width as given", () =>
    Effect.gen(function*() {
      const style = yield* captionStyle({ ...portrait, fontSize: 90, textColor: "#12aB34", outlineColor: "#FF0000", outlineWidth: 6 })
      expect(style).toMatchObject({
        Fontsize: "90",
        PrimaryColour: "&H0034AB12",
        SecondaryColour: "&H0034AB12",
        OutlineColour: "&H000000FF",
        Outline: "6",
        Shadow: "5"
      })
      const bare = yield* captionStyle({ ...portrait, outlineWidth: 0 })
      expect([bare.Outline, bare.Shadow]).toEqual(["0", "0"])
    }))

  it.effect("karaoke: the text colour is the not-yet-spoken colour and the highlight stays the spoken one", () =>
    Effect.gen(function*() {
      const style = yield* captionStyle({ ...portrait, style: "karaoke", textColor: "#00FF00" })
      expect([style.PrimaryColour, style.SecondaryColour]).toEqual(["&H0000D5FF", "&H0000FF00"])
    }))

  it.effect("top, center and bottom: Alignment 8, 5, 2, clear of the platform's UI in each shape", () =>
    Effect.gen(function*() {
      for (const [width, height, top] of [[1080, 1920, 230], [1920, 1080, 86], [1080, 1080, 86]] as const) {
        const at = (position: "top" | "center" | "bottom") => captionStyle({ width, height, style: "lines", position })
        const area = safeArea(width, height)
        expect(yield* at("top")).toMatchObject({ Alignment: "8", MarginV: String(top) })
        expect(yield* at("center")).toMatchObject({ Alignment: "5", MarginV: "0" })
        expect(yield* at("bottom")).toMatchObject({ Alignment: "2", MarginV: String(area.marginV) })
        // Left and right stay the safe area's in every position.
        for (const position of ["top", "center", "bottom"] as const) {
          expect(yield* at(position)).toMatchObject({ MarginL: String(area.marginL), MarginR: String(area.marginR) })
        }
      }
    }))

  it.effect("a colour that is not #RRGGBB is a typed invalid-color error naming the option; a bad stroke width is invalid-options", () =>
    Effect.gen(function*() {
      for (
        const [option, value, named] of [
          ["textColor", "white", "text colour"],
          ["outlineColor", "#FFF", "outline colour"],
          ["textColor", "FFFFFF", "text colour"],
          ["highlightColor", "#12345G", "highlight colour"],
          ["outlineColor", "#000000}{\\pos(0,0)", "outline colour"]
        ] as const
      ) {
        const error = yield* Effect.flip(buildAss({ words }, { ...portrait, [option]: value }))
        expect(error).toMatchObject({ _tag: "CaptionError", reason: "invalid-color" })
        expect(error.message).toContain(named)
        expect(error.message).toContain("#RRGGBB")
      }
      for (const outlineWidth of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const error = yield* Effect.flip(buildAss({ words }, { ...portrait, outlineWidth }))
        expect(error).toMatchObject({ _tag: "CaptionError", reason: "invalid-options" })
      }
    }))
})
