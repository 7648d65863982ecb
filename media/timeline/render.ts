/**
 * Running a render plan: segments (one per encoder slot, any order, any machine), the audio mix, the
 * stitch; or the single pass. Every file is written under a temporary name and renamed when complete,
 * so a re-run after a crash or an interruption sees only finished artifacts.
 */
import { Effect } from "effect"
import { type EncoderSpec, encoderSpec } from "../encoders.ts"
import { FfmpegError, type FfmpegProgress, runFfmpeg } from "../ffmpeg.ts"
import { mediaFileSystem, removeQuietly } from "../file-system.ts"
import { audioCommand, concatList, segmentCommand, singlePassCommand, stitchCommand } from "./commands.ts"
import type { RenderPlan } from "./plan.ts"

export type RenderStage = "segment" | "audio" | "stitch" | "single-pass"

export interface RenderProgress extends FfmpegProgress {
  readonly stage: RenderStage
  /** Segment index for the "segment" stage. */
  readonly segment?: number | undefined
  /** Frames this stage will write (0 for audio). */
  readonly totalFrames: number
}

export interface RenderOptions {
  /** Overrides the plan's encoder (e.g. the slot this segment was scheduled on). */
  readonly encoder?: string | EncoderSpec | undefined
  readonly onProgress?: ((progress: RenderProgress) => void) | undefined
}

const resolveEncoder = (plan: RenderPlan, encoder: RenderOptions["encoder"]) =>
  typeof encoder === "object" ? Effect.succeed(encoder) : encoderSpec(encoder ?? plan.input.output.encoder)

/** A work folder that cannot be made fails the stage like ffmpeg failing to open its output would. */
const outputError = (message: string) => (cause: { readonly message: string }) =>
  new FfmpegError({ reason: "output", args: [], stderrTail: "", message: `${message}: ${cause.message}` })

const ensureWorkDir = (plan: RenderPlan) =>
  Effect.flatMap(mediaFileSystem, (fs) => fs.makeDirectory(plan.files.workDir, { recursive: true })).pipe(
    Effect.mapError(outputError(`cannot create the work folder ${plan.files.workDir}`))
  )

const reporter = (options: RenderOptions, stage: RenderStage, totalFrames: number, segment?: number) => {
  const onProgress = options.onProgress
  return onProgress === undefined ? undefined : (p: FfmpegProgress) => onProgress({ ...p, stage, totalFrames, segment })
}

/** Encodes segment `index` to its MPEG-TS file; returns the file. */
export const renderSegment = Effect.fn("timeline.renderSegment")(function*(plan: RenderPlan, index: number, options: RenderOptions = {}) {
  yield* Effect.annotateCurrentSpan("segment", index)
  const encoder = yield* resolveEncoder(plan, options.encoder)
  yield* ensureWorkDir(plan)
  const segment = plan.segments[index]
  if (segment === undefined) return yield* Effect.dieMessage(`segment ${index} is not in the plan (${plan.segments.length} segments)`)
  yield* runFfmpeg(segmentCommand(plan, index, encoder), { onProgress: reporter(options, "segment", segment.frames, index) })
  return plan.files.segments[index]!
})

/** Mixes the soundtrack once (narration, ducked music, loudness) into the plan's audio file. */
export const renderAudio = Effect.fn("timeline.renderAudio")(function*(plan: RenderPlan, options: RenderOptions = {}) {
  yield* ensureWorkDir(plan)
  yield* runFfmpeg(audioCommand(plan), { onProgress: reporter(options, "audio", 0) })
  return plan.files.audio
})

/**
 * Joins the segment files by stream copy and muxes the audio (mixed now unless `audioFile` is given);
 * returns the output path.
 */
export const stitch = Effect.fn("timeline.stitch")(function*(
  plan: RenderPlan,
  segmentFiles: ReadonlyArray<string>,
  options: RenderOptions & { readonly audioFile?: string | undefined } = {}
) {
  const encoder = yield* resolveEncoder(plan, options.encoder)
  const audioFile = options.audioFile ?? (yield* renderAudio(plan, options))
  yield* ensureWorkDir(plan)
  const listFile = plan.files.concatList
  yield* Effect.acquireUseRelease(
    Effect.flatMap(mediaFileSystem, (fs) => fs.writeFileString(listFile, concatList(plan, segmentFiles))).pipe(
      Effect.mapError(outputError(`cannot write the concat list ${listFile}`))
    ),
    () => runFfmpeg(stitchCommand(plan, listFile, audioFile, encoder), { onProgress: reporter(options, "stitch", plan.totalFrames) }),
    () => removeQuietly(listFile)
  )
  return plan.files.output
})

/** Decodes, filters and encodes the whole timeline once, audio included; returns the output path. */
export const renderSinglePass = Effect.fn("timeline.renderSinglePass")(function*(plan: RenderPlan, options: RenderOptions = {}) {
  const encoder = yield* resolveEncoder(plan, options.encoder)
  yield* ensureWorkDir(plan)
  yield* runFfmpeg(singlePassCommand(plan, encoder), { onProgress: reporter(options, "single-pass", plan.totalFrames) })
  return plan.files.output
})

/**
 * The whole render on this machine: a single pass for a one-segment plan; otherwise the segments
 * (`plan.concurrency` at a time, so no more than the plan's K clip decoders are ever open) and the
 * audio concurrently, then the stitch, then the intermediate files are removed.
 */
export const render = Effect.fn("timeline.render")(
  function*(plan: RenderPlan, options: RenderOptions = {}) {
    if (plan.segments.length === 1) return yield* renderSinglePass(plan, options)
    const cleanup = Effect.forEach([...plan.files.segments, plan.files.audio], (f) => removeQuietly(f), { discard: true })
    return yield* Effect.gen(function*() {
      const [segmentFiles, audioFile] = yield* Effect.all(
        [
          Effect.forEach(plan.segments, (s) => renderSegment(plan, s.index, options), {
            concurrency: plan.concurrency
          }),
          renderAudio(plan, options)
        ],
        { concurrency: 2 }
      )
      return yield* stitch(plan, segmentFiles, { ...options, audioFile })
    }).pipe(Effect.ensuring(cleanup))
  }
)
