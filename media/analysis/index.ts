/** Video analysis: each analyzer a plain Effect function over ffmpeg's filters (and Tesseract), and the report they make together. */
export { AnalysisError } from "./analysis-error.ts"
export {
  type AnalysisTarget,
  audioRequest,
  leadFor,
  middleSample,
  MIN_RANGE_SECONDS,
  planVideoRanges,
  splitEvenly,
  textFrames,
  textRequest
} from "./analysis-plan.ts"
export { assembleReport, type ReportParts } from "./assemble-report.ts"
export { analyzeAudio, AudioAnalysis, AudioRequest } from "./audio-signals.ts"
export { containerAvOffsetMs, FLASH_RISE, measureAvSync, PAIR_WINDOW } from "./flashes.ts"
export { type MergedVideo, mergeVideoRanges } from "./merged-video.ts"
export { readImagesText, readText, TextFrame, TextRequest } from "./ocr.ts"
export { AnalysisOptions, ANALYZER_VERSION } from "./options.ts"
export { dominantColours } from "./palette.ts"
export {
  AnalysisReport,
  AnalyzerTiming,
  AvSync,
  Colour,
  Cut,
  encodeReport,
  Flash,
  Loudness,
  LoudnessPoint,
  MeanMax,
  Shot,
  SignalPoint,
  Silence,
  TextSighting,
  TimeSpan,
  WordSighting
} from "./report.ts"
export {
  detectBlack,
  detectFlashes,
  detectFrozen,
  detectShots,
  measureAudio,
  measureAvOffset,
  measureSiTi,
  type RangeOptions,
  readOnScreenText,
  runVideoAnalyzers,
  singlePassAnalysis
} from "./single-analyzers.ts"
export {
  ALL_VIDEO_ANALYZERS,
  analyzeVideoRange,
  FrameSample,
  THUMBNAIL_WIDTH,
  VideoAnalyzer,
  VideoRange,
  VideoRangeRequest
} from "./video-range.ts"
