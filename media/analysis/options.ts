/**
 * The analyzers' settings, one definition with its defaults: the CLI, the cache key and every
 * analyzer read this. `new AnalysisOptions({})` is the defaults; docs/analyze.md explains each.
 */
import { Schema } from "effect"

/** Bump when an analyzer's output changes for the same input and options: cached analyses are then redone. */
export const ANALYZER_VERSION = "1"

const withDefault = <S extends Schema.Schema.Any & Schema.Schema<any, any, never>>(schema: S, value: Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: () => value })

export class AnalysisOptions extends Schema.Class<AnalysisOptions>("AnalysisOptions")({
  /** Frames are scaled to this width (never up; area averaging) before scdet, siti, blackdetect, freezedetect and photosensitivity. */
  analysisWidth: withDefault(Schema.Int.pipe(Schema.between(64, 7680)), 480),
  /** scdet's threshold (its score is 0–100): a frame scoring at least this starts a new shot. */
  cutThreshold: withDefault(Schema.Number.pipe(Schema.between(0, 100)), 10),
  /** blackdetect: least length of a black interval (s), the luma level a pixel counts as black below (0–1), the share of black pixels a black frame needs. */
  blackMinSeconds: withDefault(Schema.Number.pipe(Schema.positive()), 0.1),
  blackPixelThreshold: withDefault(Schema.Number.pipe(Schema.between(0, 1)), 0.1),
  blackPictureRatio: withDefault(Schema.Number.pipe(Schema.between(0, 1)), 0.98),
  /** freezedetect: the noise (dB) under which two frames are the same, and the least frozen length (s). */
  freezeNoiseDb: withDefault(Schema.Number.pipe(Schema.lessThan(0)), -60),
  freezeMinSeconds: withDefault(Schema.Number.pipe(Schema.positive()), 0.5),
  /** photosensitivity badness above which frames are part of a flash interval (one hard cut between extremes scores about 2.6). */
  flashThreshold: withDefault(Schema.Number.pipe(Schema.positive()), 4),
  /** silencedetect: the level (dB) under which audio is silent, and the least silent length (s). */
  silenceNoiseDb: withDefault(Schema.Number.pipe(Schema.lessThan(0)), -50),
  silenceMinSeconds: withDefault(Schema.Number.pipe(Schema.positive()), 0.5),
  /** Seconds between sampled frames (thumbnails and OCR candidates). */
  sampleInterval: withDefault(Schema.Number.pipe(Schema.positive()), 0.5),
  /** Each shot's middle sample is read for text; a longer shot gets one sample per this many seconds of it. */
  textInterval: withDefault(Schema.Number.pipe(Schema.positive()), 5),
  /** OCR frames are scaled to this width (never up). */
  ocrWidth: withDefault(Schema.Int.pipe(Schema.between(64, 7680)), 1280),
  /** Words Tesseract reads with less confidence (0–100) are dropped. */
  ocrMinConfidence: withDefault(Schema.Number.pipe(Schema.between(0, 100)), 60),
  /** Seconds between points of the loudness curve and of the per-frame signal curves. */
  curveInterval: withDefault(Schema.Number.pipe(Schema.positive()), 0.5),
  /** Dominant colours per shot. */
  colours: withDefault(Schema.Int.pipe(Schema.between(1, 16)), 4)
}) {}
