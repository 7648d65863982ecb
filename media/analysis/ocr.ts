/**
 * On-screen text: Tesseract OCR (Debian's tesseract-ocr, English) on sampled frames. Tesseract
 * prints every word it found as a TSV row (level 5) with its box and confidence; words below the
 * confidence floor, and "words" with no letter or digit, are dropped. Each tesseract runs on one
 * thread (OMP_THREAD_LIMIT=1): frames are read in parallel by the pool instead, and each task's
 * frames by one tesseract.
 */
import { Effect, Schema } from "effect"
import { mediaFileSystem, removeQuietly } from "../file-system.ts"
import { runProcess } from "../process-runner.ts"
import { analysisFailure } from "./analysis-error.ts"
import { TextSighting, WordSighting } from "./report.ts"
import { roundTo } from "./rounding.ts"

export class TextFrame extends Schema.Class<TextFrame>("TextFrame")({
  time: Schema.Number,
  frame: Schema.Int,
  image: Schema.String
}) {}

export class TextRequest extends Schema.Class<TextRequest>("TextRequest")({
  /** The video the frames come from (named in errors). */
  file: Schema.String,
  frames: Schema.Array(TextFrame),
  /** Video width ÷ OCR frame width: boxes are reported in the video's pixels. */
  scale: Schema.Number,
  minConfidence: Schema.Number
}) {}

const TSV_COLUMNS = 12
const WORD_LEVEL = "5"

/**
 * The words of Tesseract's TSV output, by page (1 for the first image; one page per image of a
 * list): confident words with a letter or digit, of two characters or more (single characters are
 * mostly texture read as letters).
 */
export const wordsOfTsv = (
  tsv: string,
  options: { readonly minConfidence: number; readonly scale: number }
): Map<number, Array<WordSighting>> => {
  const pages = new Map<number, Array<WordSighting>>()
  for (const line of tsv.split("\n")) {
    const cells = line.replace(/\r$/, "").split("\t")
    if (cells.length < TSV_COLUMNS || cells[0] !== WORD_LEVEL) continue
    const text = cells.slice(TSV_COLUMNS - 1).join("\t").trim()
    const confidence = Number(cells[10])
    if ([...text].length < 2 || !/[\p{L}\p{N}]/u.test(text) || !(confidence >= options.minConfidence)) continue
    const [x, y, width, height] = cells.slice(6, 10).map((c) => roundTo(Number(c) * options.scale, 1))
    const page = Number(cells[1])
    const words = pages.get(page) ?? []
    words.push(new WordSighting({ text, confidence: roundTo(confidence, 1), x: x!, y: y!, width: width!, height: height! }))
    pages.set(page, words)
  }
  return pages
}

/**
 * Runs Tesseract once on `images` (a list file beside the first one: one start, one load of its
 * language data, for them all); the words of each image, in order.
 */
export const readImagesText = (
  images: ReadonlyArray<string>,
  options: { readonly minConfidence: number; readonly scale: number; readonly file?: string | undefined }
) =>
  Effect.gen(function*() {
    if (images.length === 0) return []
    const failure = analysisFailure(options.file ?? images[0]!, "text", "tesseract")
    const list = `${images[0]!}.list.txt`
    const fs = yield* mediaFileSystem
    yield* fs.writeFileString(list, images.map((image) => `${image}\n`).join("")).pipe(
      Effect.mapError(analysisFailure(options.file ?? list, "text", "fs"))
    )
    const { stdout } = yield* runProcess({
      command: "tesseract",
      args: [list, "stdout", "-l", "eng", "--psm", "3", "tsv"],
      captureStdout: true,
      env: { OMP_THREAD_LIMIT: "1" }
    }).pipe(Effect.mapError(failure), Effect.ensuring(removeQuietly(list)))
    const pages = wordsOfTsv(stdout, options)
    return images.map((_, i) => pages.get(i + 1) ?? [])
  }).pipe(Effect.withSpan("media.analysis.readImagesText", { attributes: { images: images.length } }))

/** The words on each frame of the request, one sighting per frame where any word was read. */
export const readText = Effect.fn("media.analysis.text")(function*(request: TextRequest) {
  const words = yield* readImagesText(request.frames.map((f) => f.image), {
    minConfidence: request.minConfidence,
    scale: request.scale,
    file: request.file
  })
  return request.frames.flatMap((frame, i) =>
    (words[i] ?? []).length === 0 ? [] : [new TextSighting({ time: frame.time, frame: frame.frame, words: words[i]! })]
  )
})
