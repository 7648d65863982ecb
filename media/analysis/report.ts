/**
 * The analysis report of one video file: what `reelswarm analyze` prints with --json and caches as
 * JSON. Every field is documented in docs/analyze.md. Times are seconds from the first video frame
 * (the video stream's own start time subtracted), taken from the frames' presentation timestamps,
 * so a cut at frame n of a 25 fps file is at exactly n / 25; frame numbers count decoded frames from 0.
 */
import { Schema } from "effect"
import { AnalysisOptions } from "./options.ts"

/** A time span [start, end) with the frames it covers. */
export class TimeSpan extends Schema.Class<TimeSpan>("TimeSpan")({
  start: Schema.Number,
  end: Schema.Number,
  /** First frame inside the span. */
  startFrame: Schema.Int,
  /** First frame after the span. */
  endFrame: Schema.Int
}) {}

/** Mean and maximum of a per-frame measure over some frames. */
export class MeanMax extends Schema.Class<MeanMax>("MeanMax")({
  mean: Schema.Number,
  max: Schema.Number
}) {}

/** One dominant colour: `#rrggbb` and the share of the pixels it stands for (0–1). */
export class Colour extends Schema.Class<Colour>("Colour")({
  hex: Schema.String,
  share: Schema.Number
}) {}

export class Shot extends Schema.Class<Shot>("Shot")({
  index: Schema.Int,
  ...TimeSpan.fields,
  /** Mean luma (signalstats YAVG, 8-bit scale: 16 black … 235 white in limited-range video). */
  brightness: Schema.Number,
  /** Mean saturation (signalstats SATAVG, 8-bit chroma distance from grey, 0 for grey). */
  saturation: Schema.Number,
  colours: Schema.Array(Colour),
  /** Spatial information (ITU-T P.910, on the analysis-size luma): detail. */
  si: MeanMax,
  /** Temporal information: motion between consecutive frames (0 on a shot's first frame). */
  ti: MeanMax,
  /** Words read on screen during the shot, in reading order, each once. */
  text: Schema.Array(Schema.String),
  /** The time of the frame its thumbnail shows (the sample nearest the shot's middle), when one was taken. */
  thumbnailTime: Schema.optional(Schema.Number)
}) {}

/** A cut: the first frame of a new shot, with scdet's score for it (0–100). */
export class Cut extends Schema.Class<Cut>("Cut")({
  time: Schema.Number,
  frame: Schema.Int,
  score: Schema.Number
}) {}

/** An interval of flashing: photosensitivity's badness above the threshold, with its peak. */
export class Flash extends Schema.Class<Flash>("Flash")({
  ...TimeSpan.fields,
  peakBadness: Schema.Number
}) {}

/** A silence: the audio stayed under the noise level for at least the least length. */
export class Silence extends Schema.Class<Silence>("Silence")({ start: Schema.Number, end: Schema.Number }) {}

/** Loudness at one moment: momentary (400 ms) and short-term (3 s) LUFS; null below the −70 LUFS gate (silence). */
export class LoudnessPoint extends Schema.Class<LoudnessPoint>("LoudnessPoint")({
  time: Schema.Number,
  momentary: Schema.NullOr(Schema.Number),
  shortTerm: Schema.NullOr(Schema.Number)
}) {}

/** EBU R128 (ebur128 with true peak). Nulls when the file has no audio or it is all below the gate. */
export class Loudness extends Schema.Class<Loudness>("Loudness")({
  /** Integrated loudness, LUFS. */
  integrated: Schema.NullOr(Schema.Number),
  /** Loudness range, LU. */
  lra: Schema.NullOr(Schema.Number),
  /** True peak (4x oversampled), dBTP, the loudest channel's. */
  truePeak: Schema.NullOr(Schema.Number),
  curve: Schema.Array(LoudnessPoint)
}) {}

/** A word Tesseract read, with its box in the frame's pixels and its confidence (0–100). */
export class WordSighting extends Schema.Class<WordSighting>("WordSighting")({
  text: Schema.String,
  confidence: Schema.Number,
  x: Schema.Number,
  y: Schema.Number,
  width: Schema.Number,
  height: Schema.Number
}) {}

/** The words read on one sampled frame; boxes are in the video's own pixels. */
export class TextSighting extends Schema.Class<TextSighting>("TextSighting")({
  time: Schema.Number,
  frame: Schema.Int,
  words: Schema.Array(WordSighting)
}) {}

/** Audio against picture measured on the content: audio onsets (ends of silence) paired with flashes. */
export class AvSync extends Schema.Class<AvSync>("AvSync")({
  /** Median of (audio onset − flash) over the pairs, ms: positive when the sound comes late. */
  offsetMs: Schema.Number,
  pairs: Schema.Int
}) {}

/** Per-frame curves binned for plotting: each point is the mean over one bin of frames. */
export class SignalPoint extends Schema.Class<SignalPoint>("SignalPoint")({
  time: Schema.Number,
  brightness: Schema.Number,
  saturation: Schema.Number,
  si: Schema.Number,
  ti: Schema.Number
}) {}

/** How long one analyzer task ran, and on which worker. */
export class AnalyzerTiming extends Schema.Class<AnalyzerTiming>("AnalyzerTiming")({
  analyzer: Schema.String,
  worker: Schema.String,
  seconds: Schema.Number
}) {}

export class AnalysisReport extends Schema.Class<AnalysisReport>("AnalysisReport")({
  /** The file as given (resolved to an absolute path). */
  file: Schema.String,
  /** Seconds (the container's duration). */
  duration: Schema.Number,
  /** Frames per second (the video stream's average rate). */
  fps: Schema.Number,
  frames: Schema.Int,
  size: Schema.Struct({ width: Schema.Int, height: Schema.Int }),
  /** The width frames were scaled to for scdet, siti, blackdetect, freezedetect and photosensitivity (SI/TI depend on it). */
  analysisWidth: Schema.Int,
  shots: Schema.Array(Shot),
  cuts: Schema.Array(Cut),
  black: Schema.Array(TimeSpan),
  frozen: Schema.Array(TimeSpan),
  flashes: Schema.Array(Flash),
  loudness: Loudness,
  silences: Schema.Array(Silence),
  text: Schema.Array(TextSighting),
  /** Audio stream start − video stream start, ms, from the container (positive: audio starts later); null without audio. */
  avOffsetMs: Schema.NullOr(Schema.Number),
  avSync: Schema.NullOr(AvSync),
  signal: Schema.Array(SignalPoint),
  timings: Schema.Array(AnalyzerTiming),
  /** Wall time of the whole analysis, seconds (of the run that made it, when read from the cache). */
  wallSeconds: Schema.Number,
  /** The analyzer version and options the report was made with (part of its cache key). */
  analyzer: Schema.Struct({ version: Schema.String, options: AnalysisOptions }),
  /** True when this report was read back from the cache instead of being computed. */
  cached: Schema.Boolean
}) {}

/** The report as plain JSON data, by its Schema (what --json prints and the cache stores). */
export const encodeReport = Schema.encodeSync(AnalysisReport)
