/**
 * `reelswarm analyze VIDEO… [--json] [--html FILE|DIR] [--state DIR]`: the analysis job
 * (agents/analyzer) on a pool of analyzer agents sized to the cores, one report per file (docs/analyze.md).
 * Every VIDEO is checked first (it exists, is a file, ffprobe finds a video stream in it): a bad
 * one is bad input (exit 2) before any work. Reports are cached under `<state>/analyses/`. Output: a
 * compact summary per file; with --json one JSON array, an entry per VIDEO in order (its report,
 * or `{ file, error }`); with --html one self-contained page for the run. A file whose analysis
 * failed makes the exit code 1.
 */
import { Args, Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Effect, Either, Schema } from "effect"
import { extname, join, resolve } from "node:path"
import { analysisPage, analyzeFiles, readThumbnails } from "../../agents/index.ts"
import { type AnalysisReport, encodeReport, probe, writeFileAtomic } from "../../media/index.ts"
import { swarmLayerInMemory } from "../../runtime/index.ts"
import { described, printLine } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { CliError, fileErrorText } from "./run-job.ts"

/** The analysis of at least one file failed: exit code 1. */
export class AnalyzeFailedError extends Schema.TaggedError<AnalyzeFailedError>()("AnalyzeFailedError", { message: Schema.String }) {}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, " ").trim()

/** A file `analyze` can work on, or the one-line reason it cannot (bad input). */
const checkVideo = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(file).pipe(Effect.mapError((error) => new CliError({ message: `${file}: ${fileErrorText(error)}` })))
    if (info.type !== "File") return yield* new CliError({ message: `${file}: not a file` })
    const media = yield* probe(file).pipe(
      Effect.mapError((error) => new CliError({ message: oneLine(`${file} is not a video: ${error.message}`) }))
    )
    if (media.isImage) return yield* new CliError({ message: `${file} is an image, not a video` })
    if (!media.hasVideo) return yield* new CliError({ message: `${file} has no video stream` })
  })

/** `--html`: a path ending in .html (or .htm) is the page; anything else a folder for `analysis.html`. */
const pagePath = (given: string) => (/\.html?$/i.test(extname(given)) ? resolve(given) : join(resolve(given), "analysis.html"))

const t2 = (n: number) => n.toFixed(2)
const spans = (list: ReadonlyArray<{ readonly start: number; readonly end: number }>) =>
  list.length === 0 ? "none" : list.map((s) => `${t2(s.start)}–${t2(s.end)}`).join(", ")
const f1 = (n: number | null) => (n === null ? "–" : n.toFixed(1))

/** The compact human summary of one report. */
export const summaryLines = (r: AnalysisReport): Array<string> => {
  const words = [...new Set(r.text.flatMap((s) => s.words.map((w) => w.text)))]
  return [
    `${r.file}  ${t2(r.duration)} s  ${r.size.width}x${r.size.height}  ${t2(r.fps)} fps${r.cached ? "  (cached)" : ""}`,
    `  ${r.shots.length} shot${r.shots.length === 1 ? "" : "s"}${
      r.cuts.length === 0 ? "" : `, cuts at ${r.cuts.map((c) => t2(c.time)).join(" ")} s`
    }`,
    `  black ${spans(r.black)} · frozen ${spans(r.frozen)} · flashes ${spans(r.flashes)}`,
    `  loudness ${f1(r.loudness.integrated)} LUFS, LRA ${f1(r.loudness.lra)} LU, true peak ${f1(r.loudness.truePeak)} dBTP · silences ${
      spans(r.silences)
    }`,
    `  text: ${words.length === 0 ? "none" : words.join(" ")}`,
    `  A/V offset ${r.avOffsetMs ?? "–"} ms${r.avSync === null ? "" : ` (measured ${r.avSync.offsetMs} ms)`} · analysed in ${
      t2(r.wallSeconds)
    } s (${r.duration > 0 ? t2(r.wallSeconds / r.duration) : "–"}x real time)`
  ]
}

export const analyze = Command.make(
  "analyze",
  {
    videos: Args.text({ name: "VIDEO" }).pipe(Args.atLeast(1), Args.withDescription("The video files to analyse.")),
    html: Options.text("html").pipe(
      Options.optional,
      Options.withDescription("Also write one self-contained HTML page for the run: FILE.html, or a folder for analysis.html.")
    ),
    state: job.state,
    config: job.config,
    json: job.json,
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      const videos = o.videos.map((v) => resolve(v))
      yield* Effect.forEach(videos, checkVideo, { discard: true })
      const outcomes = yield* analyzeFiles(videos, { stateDir: o.state }).pipe(
        Effect.provide(swarmLayerInMemory()),
        Effect.mapError((error) => new AnalyzeFailedError({ message: error.message }))
      )
      const done = outcomes.flatMap((outcome) => (Either.isRight(outcome) ? [outcome.right] : []))
      const failures = outcomes.flatMap((outcome) => (Either.isLeft(outcome) ? [outcome.left] : []))
      const page = o.html._tag === "Some" ? pagePath(o.html.value) : undefined
      if (page !== undefined) {
        const entries = yield* Effect.forEach(done, readThumbnails)
        yield* writeFileAtomic(page, analysisPage(entries)).pipe(
          Effect.mapError((error) => new AnalyzeFailedError({ message: `cannot write ${page}: ${fileErrorText(error)}` }))
        )
      }
      if (o.json) {
        printLine(JSON.stringify(
          outcomes.map((
            outcome,
            i
          ) => (Either.isRight(outcome) ? encodeReport(outcome.right.report) : { file: videos[i], error: outcome.left.message })),
          null,
          2
        ))
      } else {
        for (const analysis of done) printLine(summaryLines(analysis.report).join("\n"))
        if (page !== undefined) printLine(`page: ${page}`)
      }
      if (failures.length > 0) {
        return yield* new AnalyzeFailedError({ message: failures.map((f) => oneLine(f.message)).join("; ") })
      }
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described(
      "Analyse videos: shots and cuts, brightness, colours, SI/TI, black, frozen and flashing frames, loudness, silences, on-screen text and A/V offset (docs/analyze.md).",
      [
        "reelswarm analyze clip.mp4",
        "reelswarm analyze a.mp4 b.mp4 --json > analysis.json",
        "reelswarm analyze talk.mp4 --html report.html"
      ]
    )
  )
)
