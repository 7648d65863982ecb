/**
 * Each analyzer on its own, for a program that wants one answer about a file (content-aware
 * encoding asks for SI/TI of a time range, QC for loudness): each probes the file, runs only its
 * own filters in one pass (in a temporary folder, removed afterwards) and returns its part of
 * what the full report would say.
 */
import { Effect } from "effect"
import { join } from "node:path"
import { mediaFileSystem } from "../file-system.ts"
import { type MediaInfo, probe } from "../probe.ts"
import { analysisFailure } from "./analysis-error.ts"
import { audioRequest, planVideoRanges, textFrames, textRequest } from "./analysis-plan.ts"
import { analyzeAudio, audioChain } from "./audio-signals.ts"
import { containerAvOffsetMs, flashesOf, measureAvSync, visualOnsets } from "./flashes.ts"
import { intervalsOf, type MergedVideo, mergeVideoRanges } from "./merged-video.ts"
import { readText } from "./ocr.ts"
import { AnalysisOptions } from "./options.ts"
import { cutsOf, meanMax, shotSpans } from "./shots.ts"
import { analyzeVideoRange, runVideoRangePass, type VideoAnalyzer, VideoRangeRequest } from "./video-range.ts"

export interface RangeOptions {
  /** Seconds from the first frame; default the whole file. */
  readonly start?: number | undefined
  readonly end?: number | undefined
  readonly options?: AnalysisOptions | undefined
}

/** A temporary work folder for `use`, removed when it is done. */
const inWorkDir = <A, E, R>(file: string, use: (dir: string) => Effect.Effect<A, E, R>) =>
  Effect.scoped(
    Effect.flatMap(
      Effect.flatMap(mediaFileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "reelswarm-analysis-" })).pipe(
        Effect.mapError(analysisFailure(file, "work folder", "fs"))
      ),
      use
    )
  )

const probed = (file: string) =>
  probe(file).pipe(Effect.mapError((error) => analysisFailure(file, "probe", "ffprobe")({ message: error.message })))

/** One pass of `analyzers` over the range of a probed file, in `workDir`, joined as the full analysis joins its passes. */
const videoPass = (info: MediaInfo, analyzers: ReadonlyArray<VideoAnalyzer>, range: RangeOptions, workDir: string) => {
  const request = new VideoRangeRequest({
    file: info.file,
    analyzers,
    options: range.options ?? new AnalysisOptions({}),
    start: range.start ?? 0,
    ...(range.end === undefined ? {} : { end: range.end }),
    lead: 0,
    fps: info.fps > 0 ? info.fps : 25,
    videoStartTime: info.videoStartTime ?? 0,
    workDir
  })
  return Effect.map(analyzeVideoRange(request), (result): MergedVideo => mergeVideoRanges([result], request.fps))
}

/** Probes the file and runs one pass of `analyzers` over the range. */
export const runVideoAnalyzers = (file: string, analyzers: ReadonlyArray<VideoAnalyzer>, range: RangeOptions = {}) =>
  Effect.flatMap(probed(file), (info) => inWorkDir(file, (workDir) => videoPass(info, analyzers, range, workDir)))

/** SI and TI (mean and maximum over the frames) of a time range, with the frame rate they were measured at. */
export const measureSiTi = Effect.fn("media.analysis.siTi")(function*(file: string, range: RangeOptions = {}) {
  const video = yield* runVideoAnalyzers(file, ["siti"], range)
  // The range's first frame has no predecessor in this pass: its TI of 0 is left out.
  return {
    si: meanMax(video.si, 0, video.si.length),
    ti: meanMax(video.ti, 1, video.ti.length),
    frames: video.times.length,
    fps: video.fps
  }
})

export const detectShots = Effect.fn("media.analysis.shots")(function*(file: string, range: RangeOptions = {}) {
  const video = yield* runVideoAnalyzers(file, ["shots"], range)
  const cuts = cutsOf(video, (range.options ?? new AnalysisOptions({})).cutThreshold)
  return { cuts, shots: shotSpans(video, cuts) }
})

export const detectBlack = Effect.fn("media.analysis.black")(function*(file: string, range: RangeOptions = {}) {
  const video = yield* runVideoAnalyzers(file, ["black"], range)
  return intervalsOf(video, video.black, (range.options ?? new AnalysisOptions({})).blackMinSeconds)
})

export const detectFrozen = Effect.fn("media.analysis.frozen")(function*(file: string, range: RangeOptions = {}) {
  const video = yield* runVideoAnalyzers(file, ["frozen"], range)
  return intervalsOf(video, video.frozen, (range.options ?? new AnalysisOptions({})).freezeMinSeconds)
})

export const detectFlashes = Effect.fn("media.analysis.flashes")(function*(file: string, range: RangeOptions = {}) {
  const video = yield* runVideoAnalyzers(file, ["flashes"], range)
  return flashesOf(video, (range.options ?? new AnalysisOptions({})).flashThreshold)
})

/** Loudness (EBU R128) and silences of the file's first audio stream. */
export const measureAudio = Effect.fn("media.analysis.measureAudio")(
  function*(file: string, options: AnalysisOptions = new AnalysisOptions({})) {
    const info = yield* probed(file)
    return yield* inWorkDir(file, (workDir) => analyzeAudio(audioRequest({ info, options, workDir })))
  }
)

/** The words on screen: every shot's middle sample and one sample every `textInterval` seconds, read by Tesseract. */
export const readOnScreenText = Effect.fn("media.analysis.onScreenText")(
  function*(file: string, options: AnalysisOptions = new AnalysisOptions({})) {
    const info = yield* probed(file)
    return yield* inWorkDir(file, (workDir) =>
      Effect.gen(function*() {
        const video = yield* videoPass(info, ["shots", "samples"], { options }, workDir)
        return yield* readText(textRequest({ info, options }, textFrames(video, options)))
      }))
  }
)

/** The container's A/V start offset, and the offset measured between flashes and sounds starting after silence. */
export const measureAvOffset = Effect.fn("media.analysis.avOffset")(
  function*(file: string, options: AnalysisOptions = new AnalysisOptions({})) {
    const info = yield* probed(file)
    const video = yield* runVideoAnalyzers(file, ["signal"], { options })
    const audio = info.hasAudio ? yield* inWorkDir(file, (workDir) => analyzeAudio(audioRequest({ info, options, workDir }))) : undefined
    return {
      avOffsetMs: containerAvOffsetMs(info),
      avSync: audio === undefined ? null : measureAvSync(visualOnsets(video), audio.onsets)
    }
  }
)

/**
 * Every analyzer's ffmpeg filters over the whole file in one ffmpeg pass, one graph, nothing parsed:
 * the reference the swarm's analysis is measured against (bench/analyze.ts).
 */
export const singlePassAnalysis = Effect.fn("media.analysis.singlePass")(
  function*(file: string, options: AnalysisOptions = new AnalysisOptions({})) {
    const info = yield* probed(file)
    yield* inWorkDir(file, (workDir) => {
      const [whole] = planVideoRanges({ info, options, workDir }, 1)
      return runVideoRangePass(whole!, info.hasAudio ? audioChain(options, join(workDir, "audio.txt")) : undefined)
    })
  }
)
