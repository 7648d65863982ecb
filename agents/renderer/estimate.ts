/**
 * How long a planned render should take, before it starts: its segments' frames over the frames/s
 * each encoder slot learned for the job's encoder (capacity.ts, kept in the state's shared memory),
 * the segments spread over the slots that encode at once, plus a fixed start cost; a segmented render
 * takes at least as long as its audio mix, which runs beside its encodes. A size the encoder
 * was never measured at is scaled from the nearest size it was, by pixels per second; an encoder never
 * measured on this machine gets a conservative default per encoder family, and says so.
 */
import { Effect, Schema } from "effect"
import { ENCODER_CATALOGUE } from "../../media/index.ts"
import { readEncoderCapacities } from "./capacity.ts"

/**
 * Seconds a render takes besides encoding its frames: the stitch of a segmented render (0.34 to 0.55 s
 * measured here), the renderer's messages to its slots, the done marker (under 0.1 s). Each segment's
 * own ffmpeg start is inside its learned frames/s.
 */
export const RENDER_START_SECONDS = 0.5

/**
 * Seconds the audio mix of a segmented render takes per second of output (loudnorm, then AAC), beside
 * the segment encodes: 0.16 alone here, 0.39 to 0.6 sharing these 2 cores with two encodes. A single
 * pass mixes the audio inside its one command, whose learned frames/s includes it.
 */
export const AUDIO_MIX_SECONDS_PER_SECOND = 0.4

/**
 * Pixels per second one encoder slot is assumed to encode where it never was measured: on purpose
 * at or below what it does (decoding the footage and the filter graph included), so that a first
 * estimate errs long. libx264 at veryfast learned 15 fps a slot at 720x1280 (14 Mpx/s) with two slots
 * on these 2 cores while other work loaded them (load average 14); libx265 and SVT-AV1 do several
 * times less; a hardware encoder is bounded by the CPU's decoding and filtering, not by the encoder.
 */
export const DEFAULT_PIXELS_PER_SECOND = {
  h264: 12e6,
  hevc: 3e6,
  av1: 4e6,
  hardware: 40e6
} as const

/** Where an estimate's frames/s came from: this size's measurements, another size's scaled, or the default. */
export const EstimateSource = Schema.Literal("learned", "scaled", "default")
export type EstimateSource = typeof EstimateSource.Type

/** A render's estimate, as the job publishes it (`job-eta`) before the render starts. */
export const RenderEstimate = Schema.Struct({
  /** Seconds from the render's start to its end. */
  estimatedSeconds: Schema.Number,
  /** Frames the render encodes. */
  frames: Schema.Int,
  /** Frames/s one slot encodes (learned, scaled or assumed). */
  framesPerSecond: Schema.Number,
  /** Segments encoded at once. */
  slots: Schema.Int,
  encoder: Schema.String,
  width: Schema.Int,
  height: Schema.Int,
  source: EstimateSource,
  /** Measurements behind the frames/s (0 for the default). */
  samples: Schema.Int,
  /** The size measured, when the frames/s was scaled from another one (`WIDTHxHEIGHT`). */
  scaledFrom: Schema.optional(Schema.String)
})
export type RenderEstimate = typeof RenderEstimate.Type

export interface EstimateOptions {
  /** Default RENDER_START_SECONDS. */
  readonly startSeconds?: number | undefined
  /** What runs beside the encodes and must end too (a segmented render's audio mix), in seconds. Default 0. */
  readonly alongsideSeconds?: number | undefined
}

/**
 * Seconds to encode segments of `segmentFrames` frames on slots encoding `slotFramesPerSecond`
 * frames/s each, all of them at once, or what runs alongside if that takes longer, plus the start cost
 * (pure). Segments go longest first, each to the slot that would finish it soonest (as the renderer
 * gives the longest waiting segment to the fastest idle slot); the encodes end with the last segment.
 */
export const estimateSeconds = (
  segmentFrames: ReadonlyArray<number>,
  slotFramesPerSecond: ReadonlyArray<number>,
  options: EstimateOptions = {}
): number => {
  const slots = slotFramesPerSecond.filter((fps) => Number.isFinite(fps) && fps > 0)
  if (slots.length === 0) return Number.POSITIVE_INFINITY
  const busyUntil = slots.map(() => 0)
  for (const frames of [...segmentFrames].sort((a, b) => b - a)) {
    const ends = slots.map((fps, i) => busyUntil[i]! + frames / fps)
    const soonest = ends.indexOf(Math.min(...ends))
    busyUntil[soonest] = ends[soonest]!
  }
  return (options.startSeconds ?? RENDER_START_SECONDS) + Math.max(options.alongsideSeconds ?? 0, ...busyUntil)
}

/** The conservative frames/s of `encoder` at `width`x`height` where nothing was learned (DEFAULT_PIXELS_PER_SECOND). */
export const defaultFramesPerSecond = (encoder: string, width: number, height: number): number => {
  const spec = ENCODER_CATALOGUE.find((e) => e.name === encoder)
  const rate = spec === undefined
    ? DEFAULT_PIXELS_PER_SECOND.h264
    : spec.family === "software"
    ? DEFAULT_PIXELS_PER_SECOND[spec.codec]
    : DEFAULT_PIXELS_PER_SECOND.hardware
  return rate / (width * height)
}

const pixelsOf = (size: string) => {
  const [w, h] = size.split("x").map(Number)
  return w! * h!
}

export interface EstimateRequest {
  readonly encoder: string
  readonly width: number
  readonly height: number
  /** Frames of each of the plan's segments (one for a single pass). */
  readonly segmentFrames: ReadonlyArray<number>
  /** Segments encoded at once: the plan's concurrency, at most the swarm's encoder slots. */
  readonly slots: number
  /** The output's duration, in seconds: what a segmented render's audio mix takes time for. */
  readonly durationSeconds: number
}

/**
 * The render's estimate from what `encoder` learned on this machine: at this size; else scaled by
 * pixels from the size nearest in pixels it was measured at; else the default. Without shared memory
 * (an embedded swarm), the default.
 */
export const estimateRender = (request: EstimateRequest): Effect.Effect<RenderEstimate> =>
  Effect.map(readEncoderCapacities(request.encoder), (learned): RenderEstimate => {
    const { encoder, height, width } = request
    const size = `${width}x${height}`
    const pixels = width * height
    const here = learned.get(size)
    const nearest = [...learned].sort(([a], [b]) =>
      Math.abs(Math.log(pixelsOf(a) / pixels)) - Math.abs(Math.log(pixelsOf(b) / pixels)) || (a < b ? -1 : 1)
    )[0]
    const [fps, source, samples, scaledFrom] = here !== undefined
      ? [here.framesPerSecond, "learned" as const, here.samples, undefined]
      : nearest !== undefined
      ? [(nearest[1].framesPerSecond * pixelsOf(nearest[0])) / pixels, "scaled" as const, nearest[1].samples, nearest[0]]
      : [defaultFramesPerSecond(encoder, width, height), "default" as const, 0, undefined]
    const slots = Math.max(1, Math.min(Math.floor(request.slots), request.segmentFrames.length))
    const audio = request.segmentFrames.length > 1 ? request.durationSeconds * AUDIO_MIX_SECONDS_PER_SECOND : 0
    const estimated = estimateSeconds(
      request.segmentFrames,
      Array.from({ length: slots }, () =>
        fps),
      { alongsideSeconds: audio }
    )
    return {
      estimatedSeconds: Math.round(estimated * 10) / 10,
      frames: request.segmentFrames.reduce((sum, n) => sum + n, 0),
      framesPerSecond: fps,
      slots,
      encoder,
      width,
      height,
      source,
      samples,
      ...(scaledFrom === undefined ? {} : { scaledFrom })
    }
  }).pipe(Effect.withSpan("renderer.estimateRender"))
