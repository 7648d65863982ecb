/**
 * The analysis job: every file's analyzers as tasks for the analyzer pool, run as workers come
 * free. Per file: its cached report when there is one; otherwise the video passes over consecutive
 * ranges (as many as workers, for files long enough) and the audio pass together, OCR of the frames
 * each range's shots call for as soon as that range is done, then the report, which is cached with
 * its shots' thumbnails. Files are analysed side by side; one that fails does not stop the others.
 */
import { Clock, Effect, type Scope } from "effect"
import { availableParallelism } from "node:os"
import { resolve } from "node:path"
import {
  AnalysisError,
  AnalysisOptions,
  type AnalyzerTiming,
  assembleReport,
  audioRequest,
  mediaFileSystem,
  mergeVideoRanges,
  planVideoRanges,
  probe,
  splitEvenly,
  textFrames,
  textRequest,
  type VideoRange
} from "../../media/index.ts"
import { analysisKey, type CachedAnalysis, readCachedAnalysis, writeCachedAnalysis } from "./analysis-cache.ts"
import { type AnalysisPool, makeAnalysisPool } from "./analysis-pool.ts"
import { AnalyzeAudio, AnalyzeVideoRange, ReadText } from "./protocol.ts"

export interface AnalyzeFilesOptions {
  /** The state directory: analyses are cached under `<state>/analyses/`. */
  readonly stateDir: string
  readonly options?: AnalysisOptions | undefined
  /** Analyzer agents in the pool; default the machine's cores. */
  readonly workers?: number | undefined
  /** Read cached analyses (default true); a fresh analysis is cached either way. */
  readonly reuse?: boolean | undefined
  /** The pool's name in the swarm (default `analyzers`), for a swarm that runs more than one analysis at once. */
  readonly poolName?: string | undefined
  /** The shortest time range a video pass gets (default MIN_RANGE_SECONDS): shorter files get fewer passes. */
  readonly minRangeSeconds?: number | undefined
}

const secondsText = (n: number) => `${Math.round(n * 100) / 100}`

const notAVideo = (file: string, detail: string) =>
  new AnalysisError({ file, analyzer: "probe", reason: "failed", message: `${file}: ${detail}` })

/** One file's analysis on the pool (its work files in a folder removed afterwards). */
const analyzeOne = (
  file: string,
  pool: AnalysisPool,
  o: Required<Pick<AnalyzeFilesOptions, "stateDir" | "reuse">> & {
    readonly options: AnalysisOptions
    readonly minRangeSeconds: number | undefined
  }
): Effect.Effect<CachedAnalysis, AnalysisError, Scope.Scope> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const key = yield* analysisKey(file, o.options)
    if (o.reuse) {
      const cached = yield* readCachedAnalysis(o.stateDir, key)
      if (cached._tag === "Some") return cached.value
    }
    const info = yield* probe(file).pipe(Effect.mapError((error) => notAVideo(file, error.message)))
    if (!info.hasVideo || info.isImage) return yield* notAVideo(file, "has no video stream")
    const workDir = yield* Effect.flatMap(mediaFileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "reelswarm-analysis-" })).pipe(
      Effect.mapError((error) => new AnalysisError({ file, analyzer: "work folder", reason: "io", message: error.message }))
    )
    const target = { info, options: o.options, workDir }
    const timings: Array<AnalyzerTiming> = []
    const timed = <A>(result: { readonly value: A; readonly timing: AnalyzerTiming }) => {
      timings.push(result.timing)
      return result.value
    }
    const ranges = planVideoRanges(target, pool.workers.length, { minSeconds: o.minRangeSeconds })
    // The video passes first: they are the long tasks, and the short audio pass fills in behind them.
    const videoTasks = yield* Effect.forEach(ranges, (request) =>
      pool.enqueue(
        new AnalyzeVideoRange({ request }),
        `video ${secondsText(request.start)}-${secondsText(request.end ?? info.duration)} s`,
        file
      ))
    const audioTask = info.hasAudio ? yield* pool.enqueue(new AnalyzeAudio({ request: audioRequest(target) }), "audio", file) : undefined
    // Each range's text is read as soon as its pass is done (its shots' samples are known then: a shot
    // that goes on into the next range gets a sample in each), on one worker while other passes still
    // run, split over every worker after the last one.
    let passesLeft = videoTasks.length
    const readRangeText = (range: VideoRange) => {
      passesLeft--
      const frames = textFrames(mergeVideoRanges([range], ranges[0]!.fps), o.options)
      return Effect.forEach(
        splitEvenly(frames, passesLeft === 0 ? pool.workers.length : 1).filter((batch) => batch.length > 0),
        (batch) =>
          Effect.map(pool.submit(new ReadText({ request: textRequest(target, batch) }), `text (${batch.length} frames)`, file), timed),
        { concurrency: "unbounded" }
      )
    }
    const [passes, audio] = yield* Effect.all([
      Effect.all(
        videoTasks.map((task) =>
          Effect.flatMap(Effect.map(task, timed), (range) => Effect.map(readRangeText(range), (text) => ({ range, text: text.flat() })))
        ),
        { concurrency: "unbounded" }
      ),
      audioTask === undefined ? Effect.succeed(undefined) : Effect.map(audioTask, timed)
    ], { concurrency: "unbounded" })
    const video = mergeVideoRanges(passes.map((p) => p.range), ranges[0]!.fps)
    const text = passes.flatMap((p) => p.text).sort((a, b) => a.time - b.time)
    const wallSeconds = ((yield* Clock.currentTimeMillis) - started) / 1000
    const report = yield* assembleReport({ info, options: o.options, video, audio, text, timings, wallSeconds })
    const thumbnails = new Map(
      report.shots.flatMap((shot) => {
        const sample = video.samples.find((s) => s.time === shot.thumbnailTime)
        return sample === undefined ? [] : [[shot.index, sample.thumbnail] as const]
      })
    )
    return yield* writeCachedAnalysis(o.stateDir, key, report, thumbnails)
  })

/** Analyses `files` on a pool of analyzer agents in the swarm: one outcome per file, in order. */
export const analyzeFiles = Effect.fn("analyzer.analyzeFiles")(function*(files: ReadonlyArray<string>, options: AnalyzeFilesOptions) {
  const settings = {
    stateDir: options.stateDir,
    reuse: options.reuse ?? true,
    options: options.options ?? new AnalysisOptions({}),
    minRangeSeconds: options.minRangeSeconds
  }
  return yield* Effect.scoped(
    Effect.gen(function*() {
      const pool = yield* makeAnalysisPool({ size: options.workers ?? availableParallelism(), name: options.poolName })
      return yield* Effect.forEach(
        files,
        (file) => Effect.either(Effect.scoped(analyzeOne(resolve(file), pool, settings))),
        { concurrency: "unbounded" }
      )
    })
  )
})
