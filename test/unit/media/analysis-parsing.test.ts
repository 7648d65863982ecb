/**
 * The analyzers' parsers on what ffmpeg and Tesseract print, damaged included: metadata prints with
 * junk, carriage returns and NaN values; ebur128's running figures; Tesseract's TSV; and the pure
 * steps after them (colour boxes, joined intervals).
 */
import { describe, expect, it } from "@effect/vitest"
import { audioAnalysisOf } from "../../../media/analysis/audio-signals.ts"
import { numberAt, parseFrameMetadata } from "../../../media/analysis/frame-metadata.ts"
import { uniteSpans } from "../../../media/analysis/merged-video.ts"
import { wordsOfTsv } from "../../../media/analysis/ocr.ts"
import { AnalysisOptions, dominantColours } from "../../../media/index.ts"

describe("analysis parsers", () => {
  it("reads metadata prints leniently: junk, CRLF, NaN and a missing pts are survived", () => {
    const text = [
      "garbage before any frame",
      "frame:0    pts:0       pts_time:0\r",
      "lavfi.scd.score=12.5\r",
      "lavfi.siti.si=nan",
      "not a key value line",
      "",
      "frame:1    pts:NOPTS   pts_time:NOPTS",
      "lavfi.scd.score=0.3",
      "frame:2    pts:1024    pts_time:0.08",
      "lavfi.black_start=0.08"
    ].join("\n")
    const frames = parseFrameMetadata(text)
    expect(frames.map((f) => f.frame)).toEqual([0, 1, 2])
    expect(numberAt(frames[0]!, "lavfi.scd.score")).toBe(12.5)
    expect(numberAt(frames[0]!, "lavfi.siti.si")).toBeUndefined()
    expect(frames[0]!.values.get("lavfi.siti.si")).toBe("nan")
    expect(Number.isNaN(frames[1]!.time)).toBe(true)
    expect(frames[2]!.time).toBe(0.08)
    expect(parseFrameMetadata("")).toEqual([])
  })

  it("takes the whole file's loudness from ebur128's last block and gates silence out of the curve", () => {
    const block = (t: number, m: number, s: number, i: number, lra: number, tp: number) =>
      [
        `frame:${t * 10} pts:${t * 48000} pts_time:${t}`,
        `lavfi.r128.M=${m}`,
        `lavfi.r128.S=${s}`,
        `lavfi.r128.I=${i}`,
        `lavfi.r128.LRA=${lra}`,
        `lavfi.r128.true_peaks_ch0=${tp}`,
        `lavfi.r128.true_peaks_ch1=${tp / 2}`
      ].join("\n")
    const text = [
      block(0, -120.7, -120.7, -70, 0, 0.5),
      block(0.1, -20, -120.7, -20, 0, 0.5),
      "frame:2 pts:9600 pts_time:0.2",
      "lavfi.silence_start=0.15",
      block(0.3, -164, -30, -21, 5, 0.5),
      "frame:4 pts:19200 pts_time:0.4",
      "lavfi.silence_end=0.4"
    ].join("\n")
    const audio = audioAnalysisOf(text, new AnalysisOptions({ curveInterval: 0.1 }), 0)
    expect(audio.loudness.integrated).toBe(-21)
    expect(audio.loudness.lra).toBe(5)
    expect(audio.loudness.truePeak).toBeCloseTo(-6.02, 2)
    expect(audio.loudness.curve[0]!.momentary).toBeNull()
    expect(audio.loudness.curve[1]!.momentary).toBe(-20)
    expect(audio.loudness.curve.at(-1)!.momentary).toBeNull()
    expect(audio.silences.map((s) => [s.start, s.end])).toEqual([[0.15, 0.4]])
    expect(audio.onsets).toEqual([0.4])
  })

  it("has no loudness for a file whose audio printed nothing", () => {
    const audio = audioAnalysisOf("", new AnalysisOptions({}), 0)
    expect(audio.loudness.integrated).toBeNull()
    expect(audio.loudness.truePeak).toBeNull()
    expect(audio.silences).toEqual([])
  })

  it("keeps Tesseract's confident words of two characters or more, by page, with boxes scaled to the video", () => {
    const header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    const row = (page: number, conf: number, text: string) => `5\t${page}\t1\t1\t1\t1\t10\t20\t30\t40\t${conf}\t${text}`
    const tsv = [
      header,
      "1\t1\t0\t0\t0\t0\t0\t0\t1280\t720\t-1\t",
      row(1, 96, "HELLO"),
      row(1, 30, "blur"),
      row(1, 95, "a"),
      row(1, 90, "--"),
      row(2, 91, "WORLD"),
      "garbage"
    ]
      .join("\r\n")
    const pages = wordsOfTsv(tsv, { minConfidence: 60, scale: 1.5 })
    expect(pages.get(1)!.map((w) => w.text)).toEqual(["HELLO"])
    expect(pages.get(2)!.map((w) => w.text)).toEqual(["WORLD"])
    expect(pages.get(1)![0]).toMatchObject({ x: 15, y: 30, width: 45, height: 60, confidence: 96 })
  })

  it("finds the dominant colours with their shares, close shades joined", () => {
    const pixels = new Uint8Array([...Array(6).fill([250, 0, 0]).flat(), ...Array(3).fill([0, 0, 250]).flat(), 245, 5, 5])
    const colours = dominantColours(pixels, 4)
    expect(colours.map((c) => c.hex)).toEqual(["#f90101", "#0000fa"])
    expect(colours.map((c) => c.share)).toEqual([0.7, 0.3])
    expect(dominantColours(new Uint8Array(), 4)).toEqual([])
  })

  it("joins intervals that overlap or touch across range boundaries", () => {
    expect(uniteSpans([{ start: 5, end: 6 }, { start: 2, end: 3 }, { start: 3.01, end: 4 }, { start: 2.5, end: 2.8 }], 0.02)).toEqual([
      { start: 2, end: 4 },
      { start: 5, end: 6 }
    ])
  })
})
