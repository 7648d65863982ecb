/**
 * Analyses are content-addressed like render artifacts: the key hashes the file's real path, size
 * and modification time with the analyzer version and options, so the same file analysed the same
 * way finds its report at `<state>/analyses/<key>.json`, and its shots' thumbnails in
 * `<state>/analyses/<key>/shot-NNNN.jpg`. A report that is missing, damaged or of another schema is
 * a miss (the analysis runs again and replaces it). A hit touches the report's modification time,
 * which is what the state's bounded cache reads as its last use.
 */
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option } from "effect"
import { realpathSync } from "node:fs"
import { join } from "node:path"
import {
  AnalysisError,
  type AnalysisOptions,
  AnalysisReport,
  ANALYZER_VERSION,
  encodeReport,
  mediaFileSystem,
  readJsonFile,
  writeFileAtomic
} from "../../media/index.ts"
import { contentKey, fileStamp } from "../renderer/plan-file.ts"

export const ANALYSES_FOLDER = "analyses"

export interface CachedAnalysis {
  readonly key: string
  readonly report: AnalysisReport
  /** Where the shots' thumbnails are: `shot-NNNN.jpg` for each shot that has a `thumbnailTime`. */
  readonly thumbnails: string
}

const ioError = (file: string) => (error: PlatformError) =>
  new AnalysisError({ file, analyzer: "cache", reason: "io", message: `analysis cache: ${error.message}` })

export const analysesDir = (stateDir: string) => join(stateDir, ANALYSES_FOLDER)
export const analysisReportFile = (stateDir: string, key: string) => join(analysesDir(stateDir), `${key}.json`)
export const thumbnailsDir = (stateDir: string, key: string) => join(analysesDir(stateDir), key)
export const thumbnailName = (shot: number) => `shot-${String(shot + 1).padStart(4, "0")}.jpg`

/** The cache key of `file` analysed with `options`: its real path, size and mtime, the analyzer version, the options. */
export const analysisKey = (file: string, options: AnalysisOptions) =>
  Effect.gen(function*() {
    const real = yield* Effect.try({
      try: () => realpathSync(file),
      catch: (error) => new AnalysisError({ file, analyzer: "cache", reason: "io", message: `cannot read ${file}: ${String(error)}` })
    })
    const stamp = yield* fileStamp(real).pipe(Effect.mapError(ioError(file)))
    if (stamp === null) return yield* new AnalysisError({ file, analyzer: "cache", reason: "io", message: `${file} does not exist` })
    return contentKey({ file: real, ...stamp, version: ANALYZER_VERSION, options })
  })

/** The cached analysis under `key`, marked `cached`, or none. */
export const readCachedAnalysis = (stateDir: string, key: string): Effect.Effect<Option.Option<CachedAnalysis>> =>
  readJsonFile(AnalysisReport, analysisReportFile(stateDir, key)).pipe(
    Effect.tap(() =>
      Effect.flatMap(mediaFileSystem, (fs) => {
        const now = new Date()
        return fs.utimes(analysisReportFile(stateDir, key), now, now)
      }).pipe(Effect.ignore)
    ),
    Effect.map((report) =>
      Option.some({ key, report: new AnalysisReport({ ...report, cached: true }), thumbnails: thumbnailsDir(stateDir, key) })
    ),
    Effect.orElseSucceed(() => Option.none())
  )

/** Stores the report, and copies each shot's thumbnail (`thumbnailFiles`: shot index → sampled JPEG) beside it. */
export const writeCachedAnalysis = (
  stateDir: string,
  key: string,
  report: AnalysisReport,
  thumbnailFiles: ReadonlyMap<number, string>
): Effect.Effect<CachedAnalysis, AnalysisError> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const dir = thumbnailsDir(stateDir, key)
    yield* fs.makeDirectory(dir, { recursive: true })
    yield* Effect.forEach(thumbnailFiles, ([shot, source]) => fs.copyFile(source, join(dir, thumbnailName(shot))), { discard: true })
    // The report last: a report on disk means its thumbnails are there too.
    yield* writeFileAtomic(analysisReportFile(stateDir, key), JSON.stringify(encodeReport(report), null, 1))
    return { key, report, thumbnails: dir }
  }).pipe(Effect.mapError(ioError(report.file)))
