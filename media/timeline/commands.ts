/**
 * ffmpeg commands for a render plan (pure): one per segment (MPEG-TS, video only), one for the audio
 * mix, the stitch (concat demuxer, stream copy, muxed with the audio, +faststart), and the single pass
 * (everything in one command: decode, filter, encode once, audio included).
 */
import { resolve } from "node:path"
import { AUDIO_CODEC_ARGS, audioMixGraph } from "../audio-mix.ts"
import type { ContentZone } from "../content-class.ts"
import { encoderArgs, type EncoderSpec, encoderThreadArgs } from "../encoders.ts"
import type { FfmpegCommand } from "../ffmpeg.ts"
import { concatListPath } from "./filter-escape.ts"
import { cutCandidates, piecesFor, type RenderPlan, type SegmentPlan } from "./plan.ts"
import { segmentVideoGraph } from "./video-graph.ts"

const audioSpec = (plan: RenderPlan) => ({
  narration: plan.input.output.narration.path,
  music: plan.input.output.music,
  durationSeconds: plan.durationSeconds,
  loudness: plan.input.output.loudness
})

/**
 * The encode's frames by scene, for content-aware encoding (pure): scene i's zone runs from its cut
 * candidate (frame 0 for the first scene) to the next one, so a zone always starts on a closed GOP and a
 * transition's blend belongs to the scene it leaves, and a segment's zones are the single pass's,
 * renumbered from its first frame. Scenes of no class get a zone too (X264_UNCLASSED).
 */
export const contentZones = (plan: RenderPlan, segment: SegmentPlan): ReadonlyArray<ContentZone> => {
  const starts = [0, ...cutCandidates(plan)]
  const end = segment.startFrame + segment.frames
  return plan.scenes.flatMap((scene, i): Array<ContentZone> => {
    const from = Math.max(starts[i]!, segment.startFrame)
    const to = Math.min(starts[i + 1] ?? plan.totalFrames, end)
    return to > from
      ? [{ start: from - segment.startFrame, end: to - 1 - segment.startFrame, contentClass: scene.contentClass }]
      : []
  })
}

/**
 * Every render of a plan, the single pass included, opens a closed GOP on every frame where a segment
 * may start (`cutCandidates`) and encodes so that a cut there changes nothing: a segment's frames are
 * then the frames the single pass has in its place, whatever the number of segments.
 */
const videoCommandParts = (plan: RenderPlan, segment: SegmentPlan, encoder: EncoderSpec) => {
  const end = segment.startFrame + segment.frames
  const keyframes = cutCandidates(plan).filter((c) => c > segment.startFrame && c < end).map((c) => c - segment.startFrame)
  const cuttable = encoderArgs(encoder, plan.input.output.encoderSettings, { keyframes, zones: contentZones(plan, segment) })
  const enc = { ...cuttable, outputArgs: [...cuttable.outputArgs, ...encoderThreadArgs(encoder, plan.encoderThreads)] }
  const video = segmentVideoGraph(plan, segment, 0, enc.videoFilterSuffix)
  return { enc, video }
}

/** Segment `index` as an MPEG-TS file of exactly `frames` frames, no audio. */
export const segmentCommand = (plan: RenderPlan, index: number, encoder: EncoderSpec): FfmpegCommand => {
  const segment = plan.segments[index]!
  const { enc, video } = videoCommandParts(plan, segment, encoder)
  return {
    args: [
      ...enc.globalArgs,
      ...video.inputArgs,
      "-filter_complex",
      video.filter,
      "-map",
      `[${video.outLabel}]`,
      "-frames:v",
      String(segment.frames),
      ...enc.outputArgs,
      "-an",
      "-f",
      "mpegts"
    ],
    output: plan.files.segments[index]
  }
}

/** The soundtrack mixed once into an AAC file, exactly the video's duration. */
export const audioCommand = (plan: RenderPlan): FfmpegCommand => {
  const audio = audioMixGraph(audioSpec(plan), 0)
  return {
    args: [...audio.inputArgs, "-filter_complex", audio.filter, "-map", `[${audio.outLabel}]`, ...AUDIO_CODEC_ARGS, "-vn"],
    output: plan.files.audio
  }
}

/** The whole timeline in one command, whatever the plan's segments. */
export const singlePassCommand = (plan: RenderPlan, encoder: EncoderSpec): FfmpegCommand => {
  const whole: SegmentPlan = {
    index: 0,
    startFrame: 0,
    frames: plan.totalFrames,
    pieces: piecesFor(plan.scenes, 0, plan.totalFrames)
  }
  const { enc, video } = videoCommandParts(plan, whole, encoder)
  const audio = audioMixGraph(audioSpec(plan), whole.pieces.length)
  // The frame count is pinned in the graph, not with `-frames:v`: once the video has its `-frames:v`,
  // ffmpeg 5.1 ends the output before the audio graph has given its padded tail (40 ms were missing),
  // and the soundtrack would no longer be the one a stitch muxes.
  return {
    args: [
      ...enc.globalArgs,
      ...video.inputArgs,
      ...audio.inputArgs,
      "-filter_complex",
      `${video.filter};[${video.outLabel}]trim=end_frame=${plan.totalFrames}[vframes];${audio.filter}`,
      "-map",
      "[vframes]",
      "-map",
      `[${audio.outLabel}]`,
      ...enc.outputArgs,
      ...enc.mp4Args,
      ...AUDIO_CODEC_ARGS,
      "-movflags",
      "+faststart"
    ],
    output: plan.files.output
  }
}

/**
 * The ffconcat list joining `segmentFiles`, with each segment's exact duration. The paths are made
 * absolute: ffmpeg reads a relative one against the list's folder, not the working directory.
 */
export const concatList = (plan: RenderPlan, segmentFiles: ReadonlyArray<string>): string =>
  [
    "ffconcat version 1.0",
    ...segmentFiles.flatMap((
      file,
      i
    ) => [`file ${concatListPath(resolve(file))}`, `duration ${(plan.segments[i]!.frames / plan.fps).toFixed(6)}`]),
    ""
  ].join("\n")

/** Joins the segments listed in `listFile` by stream copy and muxes them with `audioFile`. */
export const stitchCommand = (plan: RenderPlan, listFile: string, audioFile: string, encoder: EncoderSpec): FfmpegCommand => ({
  args: [
    "-f",
    "concat",
    "-safe",
    "0",
    "-i",
    listFile,
    "-i",
    audioFile,
    "-map",
    "0:v:0",
    "-map",
    "1:a:0",
    "-c",
    "copy",
    ...encoderArgs(encoder, plan.input.output.encoderSettings).mp4Args,
    "-movflags",
    "+faststart"
  ],
  output: plan.files.output
})
