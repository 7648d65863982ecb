/**
 * Video encoders that actually work here. ffmpeg's `-encoders` list says what the build was compiled
 * with, not what runs (Debian's ffmpeg lists h264_nvenc on machines without a GPU), so every listed
 * candidate is proven by a tiny trial encode before it is offered. Order of preference per codec:
 * NVENC, Quick Sync, VAAPI, AMF, VideoToolbox, then software (libx264 / libx265 / libsvtav1).
 * The detection is a layer: it runs once where `Encoders.layer` is built.
 */
import { Context, Duration, Effect, Layer, Schema } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import { type ContentZone, x264ZoneParams } from "./content-class.ts"
import { runFfmpeg } from "./ffmpeg.ts"
import { fileExists } from "./file-system.ts"
import { detectHardware, Hardware, type HardwareInfo } from "./hardware.ts"

export const VideoCodec = Schema.Literal("h264", "hevc", "av1")
export type VideoCodec = typeof VideoCodec.Type
export type EncoderFamily = "nvenc" | "qsv" | "vaapi" | "amf" | "videotoolbox" | "software"

export interface EncoderSpec {
  readonly name: string
  readonly codec: VideoCodec
  readonly family: EncoderFamily
}

/** Every encoder we know how to drive, in order of preference within each codec. */
export const ENCODER_CATALOGUE: ReadonlyArray<EncoderSpec> = [
  { name: "h264_nvenc", codec: "h264", family: "nvenc" },
  { name: "h264_qsv", codec: "h264", family: "qsv" },
  { name: "h264_vaapi", codec: "h264", family: "vaapi" },
  { name: "h264_amf", codec: "h264", family: "amf" },
  { name: "h264_videotoolbox", codec: "h264", family: "videotoolbox" },
  { name: "libx264", codec: "h264", family: "software" },
  { name: "hevc_nvenc", codec: "hevc", family: "nvenc" },
  { name: "hevc_qsv", codec: "hevc", family: "qsv" },
  { name: "hevc_vaapi", codec: "hevc", family: "vaapi" },
  { name: "hevc_amf", codec: "hevc", family: "amf" },
  { name: "hevc_videotoolbox", codec: "hevc", family: "videotoolbox" },
  { name: "libx265", codec: "hevc", family: "software" },
  { name: "av1_nvenc", codec: "av1", family: "nvenc" },
  { name: "av1_qsv", codec: "av1", family: "qsv" },
  { name: "av1_vaapi", codec: "av1", family: "vaapi" },
  { name: "av1_amf", codec: "av1", family: "amf" },
  { name: "libsvtav1", codec: "av1", family: "software" }
]

/** x264's speed vocabulary; every encoder maps it onto its own presets. */
export const EncoderPreset = Schema.Literal("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")
export type EncoderPreset = typeof EncoderPreset.Type

export const EncoderSettings = Schema.Struct({
  preset: Schema.optional(EncoderPreset),
  /** Constant-quality target on the x264 CRF scale (0 = lossless for libx264). Default per codec: 23 / 28 / 35. */
  crf: Schema.optional(Schema.Number),
  /**
   * Content-aware encoding: libx264 settings per scene from its content class (content-class.ts), in
   * x264 zones that keep the cuttable promise. Default off; other encoders ignore it.
   */
  contentAware: Schema.optional(Schema.Boolean)
})
export type EncoderSettings = typeof EncoderSettings.Type

/** What an encoder needs on the command line. */
export interface EncoderArgs {
  /** Before the first input (device initialisation). */
  readonly globalArgs: ReadonlyArray<string>
  /** Appended to the end of the video filter chain (e.g. uploading frames to the GPU). */
  readonly videoFilterSuffix?: string | undefined
  /** Codec, preset, quality and pixel format. */
  readonly outputArgs: ReadonlyArray<string>
  /** Extra flags when the container is MP4 (e.g. the hvc1 tag players expect). */
  readonly mp4Args: ReadonlyArray<string>
}

export class UnknownEncoderError extends Schema.TaggedError<UnknownEncoderError>()("UnknownEncoderError", {
  name: Schema.String,
  message: Schema.String
}) {}

export interface ListedEncoder {
  readonly name: string
  readonly kind: "video" | "audio" | "subtitle"
  readonly description: string
}

export const RejectedEncoder = Schema.Struct({ name: Schema.String, reason: Schema.String })
export type RejectedEncoder = typeof RejectedEncoder.Type

export class NoEncoderError extends Schema.TaggedError<NoEncoderError>()("NoEncoderError", {
  codec: VideoCodec,
  rejected: Schema.Array(RejectedEncoder),
  message: Schema.String
}) {}

export interface EncoderDetection {
  readonly hardware: HardwareInfo
  /** Video encoders ffmpeg lists, whether or not they work. */
  readonly listed: ReadonlyArray<string>
  /** Encoders that passed a trial encode, in order of preference per codec. */
  readonly available: ReadonlyArray<EncoderSpec>
  /** Listed catalogue encoders that failed their trial, with the reason. */
  readonly rejected: ReadonlyArray<RejectedEncoder>
}

const VAAPI_DEVICE = "/dev/dri/renderD128"
const DEFAULT_CRF: Record<VideoCodec, number> = { h264: 23, hevc: 28, av1: 35 }

/** Parses `ffmpeg -hide_banner -encoders` (" V....D libx264  libx264 H.264 …"). */
export const parseEncoderList = (stdout: string): ReadonlyArray<ListedEncoder> =>
  stdout.split("\n").flatMap((line): Array<ListedEncoder> => {
    const m = /^\s([VAS])[F.][S.][X.][B.][D.]\s+(\S+)\s+(.*)$/.exec(line)
    if (m === null || m[2] === "=") return []
    const kind = m[1] === "V" ? "video" : m[1] === "A" ? "audio" : "subtitle"
    return [{ name: m[2]!, kind, description: m[3]!.trim() }]
  })

export const encoderSpec = (name: string): Effect.Effect<EncoderSpec, UnknownEncoderError> => {
  const spec = ENCODER_CATALOGUE.find((e) => e.name === name)
  return spec === undefined
    ? Effect.fail(
      new UnknownEncoderError({ name, message: `unknown encoder ${name}; known: ${ENCODER_CATALOGUE.map((e) => e.name).join(", ")}` })
    )
    : Effect.succeed(spec)
}

/**
 * libx264's constant QP for a cuttable encode sits this far above the CRF asked for: measured at
 * veryfast on busy 540x960 footage, QP 28 matches CRF 23's SSIM against the source (0.978) with
 * about 25% more bytes (docs/media.md).
 */
export const X264_CUTTABLE_QP_OFFSET = 5

const presetIndex: Record<EncoderPreset, number> = { ultrafast: 0, superfast: 1, veryfast: 2, faster: 3, fast: 4, medium: 5, slow: 6 }

/**
 * An encode that must be cuttable: encoding frames [0, c) and [c, n) separately, for any c in
 * `keyframes` (frame numbers from the encode's first frame), gives the frames one encode of [0, n)
 * gives. Each of those frames opens a closed GOP (an IDR frame), and the encoder carries nothing
 * across it. For libx264 that takes a rate control without memory: x264's CRF quantizes an I frame
 * from the P frames before it and lets MB-tree weigh frames across it, so a CRF encode restarted at c
 * differs from one that runs through (down to 30.5 dB PSNR on busy footage, key frames forced at the
 * cuts); constant QP does not look back, and gives bit-identical frames. Other encoders get the key
 * frames only, and no such promise.
 */
export interface CuttableEncode {
  readonly keyframes: ReadonlyArray<number>
  /**
   * With `contentAware` settings and libx264: the encode's scenes as zones (frame numbers from the
   * encode's first frame), each starting on one of `keyframes` or on frame 0, so that the zones of a
   * segment are the single pass's, renumbered.
   */
  readonly zones?: ReadonlyArray<ContentZone> | undefined
}

/** ffmpeg's `-force_key_frames` for exactly these frame numbers (an expression on `n`, exact at any frame rate). */
const forceKeyframesArgs = (keyframes: ReadonlyArray<number>): ReadonlyArray<string> =>
  keyframes.length === 0 ? [] : ["-force_key_frames", `expr:${keyframes.map((n) => `eq(n,${n})`).join("+")}`]

/** The command-line arguments for `spec` with `settings`; `cuttable` for an encode that may be cut at those frames (pure). */
export const encoderArgs = (spec: EncoderSpec, settings: EncoderSettings = {}, cuttable?: CuttableEncode): EncoderArgs => {
  const preset = settings.preset ?? "veryfast"
  const level = presetIndex[preset]
  const crf = Math.max(0, Math.round(settings.crf ?? DEFAULT_CRF[spec.codec]))
  const q = String(crf)
  const mp4Args = spec.codec === "hevc" ? ["-tag:v", "hvc1"] : []
  const base = { globalArgs: [] as ReadonlyArray<string>, mp4Args }
  if (cuttable !== undefined) {
    const whole = encoderArgs(spec, settings)
    const keyframes = forceKeyframesArgs(cuttable.keyframes)
    if (spec.family !== "software" || spec.codec !== "h264") return { ...whole, outputArgs: [...whole.outputArgs, ...keyframes] }
    // CRF 0 is lossless, and so is QP 0.
    const qp = crf === 0 ? 0 : Math.min(51, crf + X264_CUTTABLE_QP_OFFSET)
    // Lossless stays lossless: zones would change its QP. No zones: the encode without them.
    const zoned = settings.contentAware === true && qp > 0 ? cuttable.zones ?? [] : []
    const zones = zoned.length > 0 ? ["-x264-params", x264ZoneParams(qp, zoned)] : []
    return {
      ...base,
      outputArgs: [
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-qp",
        String(qp),
        "-forced-idr",
        "1",
        ...keyframes,
        ...zones,
        "-pix_fmt",
        "yuv420p"
      ]
    }
  }
  switch (spec.family) {
    case "nvenc":
      return {
        ...base,
        outputArgs: ["-c:v", spec.name, "-preset", `p${Math.min(7, level + 1)}`, "-rc", "vbr", "-cq", q, "-b:v", "0", "-pix_fmt", "yuv420p"]
      }
    case "qsv": {
      const qsvPreset = ["veryfast", "veryfast", "veryfast", "faster", "fast", "medium", "slow"][level]!
      return { ...base, outputArgs: ["-c:v", spec.name, "-preset", qsvPreset, "-global_quality", q, "-pix_fmt", "nv12"] }
    }
    case "vaapi":
      return {
        ...base,
        globalArgs: ["-vaapi_device", VAAPI_DEVICE],
        videoFilterSuffix: "format=nv12,hwupload",
        outputArgs: ["-c:v", spec.name, "-rc_mode", "CQP", "-qp", q]
      }
    case "amf": {
      const quality = level <= 2 ? "speed" : level <= 4 ? "balanced" : "quality"
      return { ...base, outputArgs: ["-c:v", spec.name, "-quality", quality, "-rc", "cqp", "-qp_i", q, "-qp_p", q, "-pix_fmt", "yuv420p"] }
    }
    case "videotoolbox":
      return {
        ...base,
        outputArgs: ["-c:v", spec.name, "-q:v", String(Math.max(1, Math.min(100, 100 - 2 * crf))), "-allow_sw", "0", "-pix_fmt", "yuv420p"]
      }
    case "software":
      if (spec.codec === "h264") return { ...base, outputArgs: ["-c:v", "libx264", "-preset", preset, "-crf", q, "-pix_fmt", "yuv420p"] }
      if (spec.codec === "hevc") {
        return {
          ...base,
          outputArgs: ["-c:v", "libx265", "-preset", preset, "-crf", q, "-x265-params", "log-level=error", "-pix_fmt", "yuv420p"]
        }
      }
      return {
        ...base,
        outputArgs: [
          "-c:v",
          "libsvtav1",
          "-preset",
          String(12 - Math.min(8, level + Math.floor(level / 2))),
          "-crf",
          q,
          "-pix_fmt",
          "yuv420p"
        ]
      }
  }
}

/**
 * `-threads` for an encode limited to `threads` threads (pure): libx264 takes it as its thread count
 * (its default, 1.5 per core, oversubscribes a machine that runs several segment encodes at once, and
 * every x264 frame thread holds frames of its own). Other encoders keep their own threading
 * (hardware, x265's pools, SVT-AV1): nothing. x264's output depends on its thread count, so every
 * command of one plan gets the same.
 */
export const encoderThreadArgs = (spec: EncoderSpec, threads: number | undefined): ReadonlyArray<string> =>
  threads === undefined || spec.family !== "software" || spec.codec !== "h264" ? [] : ["-threads", String(Math.max(1, Math.floor(threads)))]

/** Encodes three frames of a 256x256 black picture with `spec`; fails with the reason if that is impossible. */
export const trialEncode = Effect.fn("media.encoders.trial")(function*(spec: EncoderSpec) {
  const args = encoderArgs(spec, { preset: "veryfast" })
  if (spec.family === "vaapi" && !(yield* Effect.orElseSucceed(fileExists(VAAPI_DEVICE), () => false))) {
    return yield* Effect.fail(`no VAAPI device at ${VAAPI_DEVICE}`)
  }
  yield* runFfmpeg({
    args: [
      ...args.globalArgs,
      "-f",
      "lavfi",
      "-i",
      "color=c=black:s=256x256:r=25:d=0.2",
      ...(args.videoFilterSuffix === undefined ? [] : ["-vf", args.videoFilterSuffix]),
      "-frames:v",
      "3",
      ...args.outputArgs,
      "-f",
      "null",
      "-"
    ]
  }).pipe(
    Effect.timeoutFail({ duration: Duration.seconds(20), onTimeout: () => "trial encode timed out after 20 s" }),
    Effect.mapError((e) => (typeof e === "string" ? e : e.stderrTail.split("\n").slice(-2).join(" | ") || e.message))
  )
})

const detect = Effect.gen(function*() {
  const hardware = yield* detectHardware
  const { stdout } = yield* runFfmpeg({ args: ["-encoders"] }, { captureStdout: true }).pipe(Effect.orDie)
  const listed = parseEncoderList(stdout).filter((e) => e.kind === "video").map((e) => e.name)
  const candidates = ENCODER_CATALOGUE.filter((e) => listed.includes(e.name))
  const trials = yield* Effect.forEach(candidates, (spec) => Effect.either(trialEncode(spec)), { concurrency: 2 })
  const available = candidates.filter((_, i) => trials[i]!._tag === "Right")
  const rejected = candidates.flatMap((spec, i): Array<RejectedEncoder> => {
    const trial = trials[i]!
    return trial._tag === "Left" ? [{ name: spec.name, reason: trial.left }] : []
  })
  return { hardware, listed, available, rejected } satisfies EncoderDetection
}).pipe(Effect.withSpan("media.encoders.detect"))

/** Hardware plus the proven encoders, found once by `Encoders.layer` (which detects the hardware too). */
export class Encoders extends Context.Tag("reelswarm/media/Encoders")<Encoders, EncoderDetection>() {
  static readonly layer: Layer.Layer<Encoders> = Layer.effect(Encoders, detect).pipe(Layer.provide(Hardware.layer))
}

/** Hardware plus the proven encoders, as `Encoders.layer` found them. */
export const detectEncoders: Effect.Effect<EncoderDetection, never, Encoders> = Encoders

/** Proven encoders for `codec`, best first: the fallback chain a renderer walks when a device fails. */
export const fallbackChain = (detection: Pick<EncoderDetection, "available">, codec: VideoCodec): ReadonlyArray<EncoderSpec> =>
  detection.available.filter((e) => e.codec === codec)

/** The best proven encoder for `codec` (hardware first, software last). */
export const chooseEncoder = Effect.fn("media.encoders.choose")(function*(codec: VideoCodec = "h264") {
  const detection = yield* detectEncoders
  const best = fallbackChain(detection, codec)[0]
  if (best === undefined) {
    return yield* new NoEncoderError({
      codec,
      rejected: detection.rejected,
      message: `no working ${codec} encoder (rejected: ${detection.rejected.map((r) => r.name).join(", ") || "none listed"})`
    })
  }
  return best
})

/**
 * Runs `attempt` with each encoder of `chain` in turn until one succeeds: a device that fails mid-job
 * falls back to the next one, ending in software. Fails with the last encoder's error.
 */
export const withEncoderFallback = <A, E, R>(
  chain: NonEmptyReadonlyArray<EncoderSpec>,
  attempt: (encoder: EncoderSpec) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  chain.slice(1).reduce<Effect.Effect<A, E, R>>((acc, next) => Effect.catchAll(acc, () => attempt(next)), attempt(chain[0]))
