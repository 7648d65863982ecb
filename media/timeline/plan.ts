/**
 * Frame accounting. Every scene owns a whole number of output frames, computed once from the scene
 * boundaries in time; a transition into the next scene lengthens a scene's clip by the transition's
 * frames (its tail is blended with the next scene's head). Segments are cut on scene boundaries (after
 * the blend, when there is one), so every transition lies inside one segment and the frames of k
 * stitched segments are exactly the frames of the single pass. A long timeline is cut into more
 * segments than asked for, so that no ffmpeg command reads more than `MAX_PIECES_PER_SEGMENT` clips.
 */
import { Either, Schema } from "effect"
import { basename, dirname, extname, join } from "node:path"
import { TimelineError, type TimelineErrorReason, TimelineInput, TimelineShot } from "./input.ts"

/** How a scene's shot is read from its file. */
export const SourcePlan = Schema.Struct({
  /** Seconds into the file. */
  inPoint: Schema.Number,
  /** Seconds read from the file (input `-t`); 0 for stills. */
  readSeconds: Schema.Number,
  /** Timestamp multiplier: 1 plays at normal speed, 1.5 plays 1.5x slower to fill the scene. */
  slowdown: Schema.Number,
  /** Read the file in a loop (`-stream_loop -1`). */
  loop: Schema.Boolean
})
export type SourcePlan = typeof SourcePlan.Type

export const ScenePlan = Schema.Struct({
  index: Schema.Int,
  /** First output frame of the scene. */
  startFrame: Schema.Int,
  /** Output frames the scene owns. */
  frames: Schema.Int,
  /** Extra frames rendered after the scene's own, blended into the next scene (0 without a transition). */
  tailFrames: Schema.Int,
  shot: TimelineShot,
  source: SourcePlan
})
export type ScenePlan = typeof ScenePlan.Type

/** Frames [from, to) of one scene's clip (which has `frames + tailFrames` frames). */
export const PiecePlan = Schema.Struct({ scene: Schema.Int, from: Schema.Int, to: Schema.Int })
export type PiecePlan = typeof PiecePlan.Type

export const SegmentPlan = Schema.Struct({
  index: Schema.Int,
  startFrame: Schema.Int,
  frames: Schema.Int,
  pieces: Schema.Array(PiecePlan)
})
export type SegmentPlan = typeof SegmentPlan.Type

export const RenderFiles = Schema.Struct({
  output: Schema.String,
  workDir: Schema.String,
  /** One MPEG-TS file per segment. */
  segments: Schema.Array(Schema.String),
  /** The audio, mixed once. */
  audio: Schema.String,
  concatList: Schema.String
})
export type RenderFiles = typeof RenderFiles.Type

/** A frame-exact render plan; written to disk by whoever renders later (e.g. as a job's plan.json). */
export const RenderPlan = Schema.Struct({
  input: TimelineInput,
  width: Schema.Int,
  height: Schema.Int,
  fps: Schema.Number,
  totalFrames: Schema.Int,
  /** totalFrames / fps: the output's duration. */
  durationSeconds: Schema.Number,
  /** Frames each transition lasts (0: hard cuts). */
  transitionFrames: Schema.Int,
  scenes: Schema.Array(ScenePlan),
  segments: Schema.Array(SegmentPlan),
  files: RenderFiles
}).annotations({ identifier: "RenderPlan" })
export type RenderPlan = typeof RenderPlan.Type

/**
 * The most scene clips one ffmpeg command reads (each is an input of its own). ffmpeg keeps a demuxer
 * and a decoder, with its threads and frame buffers, open for every input for the whole command:
 * measured on 2 cores, about 5 MiB and 4 threads per input for a 64x112 clip (900 inputs: 4.2 GiB,
 * 3,600 threads) and about 30 MiB and 6 threads per input for a 1080x1920 clip; decoders get more
 * threads on more cores. 32 keeps a segment of full-HD clips near 1 GiB and covers about two minutes
 * of narration, so a short video stays one single pass.
 */
export const MAX_PIECES_PER_SEGMENT = 32

export interface PlanOptions {
  /**
   * Segments wanted (one per encoder slot). Default 1: a single pass. Fewer result when scenes are
   * few; more when a segment would read more than `maxPiecesPerSegment` clips.
   */
  readonly segments?: number | undefined
  /** Default MAX_PIECES_PER_SEGMENT; at least 3 (a segment between two adjacent cuts can hold that many). */
  readonly maxPiecesPerSegment?: number | undefined
}

const fail = (reason: TimelineErrorReason, message: string, scene?: number) =>
  Either.left(new TimelineError({ reason, message, ...(scene === undefined ? {} : { scene }) }))

const finitePositive = (n: number) => Number.isFinite(n) && n > 0

const sourcePlan = (shot: TimelineShot, clipFrames: number, fps: number): SourcePlan => {
  if (shot.kind === "image") return { inPoint: 0, readSeconds: 0, slowdown: 1, loop: false }
  const inPoint = shot.inPoint ?? 0
  const needed = clipFrames / fps
  // A little more than needed, so the fps filter always has the frame after the last one it keeps.
  const margin = 2 / fps
  const available = shot.media.duration - inPoint
  if (available >= needed + margin) return { inPoint, readSeconds: needed + margin, slowdown: 1, loop: false }
  if (available >= needed) return { inPoint, readSeconds: available, slowdown: 1, loop: false }
  const policy = shot.whenShort ?? "stretch"
  const factor = needed / available
  if (policy === "hold") return { inPoint, readSeconds: available, slowdown: 1, loop: false }
  if (policy === "stretch" && factor <= 2) return { inPoint, readSeconds: available, slowdown: factor, loop: false }
  return { inPoint, readSeconds: needed + margin, slowdown: 1, loop: true }
}

/** Scene start/end times in seconds (pure). */
const sceneTimes = (input: TimelineInput): ReadonlyArray<{ start: number; end: number }> => {
  const times: Array<{ start: number; end: number }> = []
  let start = 0
  input.scenes.forEach((scene, i) => {
    const next = input.scenes[i + 1]
    const end = scene.duration !== undefined
      ? start + scene.duration
      : Math.max(start, next === undefined ? input.output.narration.duration : next.narration.start)
    times.push({ start, end })
    start = end
  })
  return times
}

/**
 * The frames a segment may start on, whatever the number of segments: the first frame of every scene
 * but the first, after its blend with the scene before when there are transitions (pure). Every render
 * of the plan, the single pass included, opens a closed GOP on each of them (see commands.ts).
 */
export const cutCandidates = (plan: Pick<RenderPlan, "scenes" | "transitionFrames">): ReadonlyArray<number> =>
  plan.scenes.slice(1).map((scene) => scene.startFrame + plan.transitionFrames)

/** Chooses up to `wanted - 1` cut frames among `candidates`, each nearest to an even split. */
export const chooseCuts = (candidates: ReadonlyArray<number>, totalFrames: number, wanted: number): ReadonlyArray<number> => {
  const cuts: Array<number> = []
  for (let j = 1; j < wanted; j++) {
    const ideal = (totalFrames * j) / wanted
    const best = candidates
      .filter((c) => c > (cuts[cuts.length - 1] ?? 0) && c < totalFrames)
      .reduce<number | undefined>((acc, c) => (acc === undefined || Math.abs(c - ideal) < Math.abs(acc - ideal) ? c : acc), undefined)
    if (best !== undefined) cuts.push(best)
  }
  return cuts
}

/** The pieces of scene clips that make output frames [start, end). */
export const piecesFor = (scenes: ReadonlyArray<ScenePlan>, start: number, end: number): ReadonlyArray<PiecePlan> =>
  scenes.flatMap((scene): Array<PiecePlan> => {
    const clipEnd = scene.startFrame + scene.frames + scene.tailFrames
    const from = Math.max(0, start - scene.startFrame)
    const to = Math.min(scene.frames + scene.tailFrames, end - scene.startFrame)
    return scene.startFrame < end && clipEnd > start && to > from ? [{ scene: scene.index, from, to }] : []
  })

/**
 * `edges` (0, the cuts, totalFrames) with more cuts among `candidates` wherever a segment holds more
 * than `maxPieces` pieces: such a segment is halved at its middle candidate cut, again and again.
 */
const boundPieces = (
  scenes: ReadonlyArray<ScenePlan>,
  candidates: ReadonlyArray<number>,
  edges: ReadonlyArray<number>,
  maxPieces: number
): ReadonlyArray<number> => {
  const split = (start: number, end: number): Array<number> => {
    const inside = candidates.filter((c) => c > start && c < end)
    if (inside.length === 0 || piecesFor(scenes, start, end).length <= maxPieces) return []
    const middle = inside[Math.floor(inside.length / 2)]!
    return [...split(start, middle), middle, ...split(middle, end)]
  }
  return edges.flatMap((edge, i) => (i === 0 ? [edge] : [...split(edges[i - 1]!, edge), edge]))
}

/** Validates the input and computes the frame plan and the segments (pure). */
export const planRender = (input: TimelineInput, options: PlanOptions = {}): Either.Either<RenderPlan, TimelineError> => {
  const { output, scenes, shots } = input
  if (!finitePositive(output.fps)) return fail("fps", `fps must be positive, got ${output.fps}`)
  if (
    !Number.isInteger(output.width) || !Number.isInteger(output.height) || output.width < 2 || output.height < 2 ||
    output.width % 2 !== 0 || output.height % 2 !== 0
  ) {
    return fail("size", `output size must be even integers, got ${output.width}x${output.height}`)
  }
  if (scenes.length === 0) return fail("scenes", "a timeline needs at least one scene")
  if (shots.length !== scenes.length) return fail("shots", `${scenes.length} scenes but ${shots.length} shots: one shot per scene`)
  if (!finitePositive(output.narration.duration)) {
    return fail("narration", `narration duration must be positive, got ${output.narration.duration}`)
  }
  for (const [i, shot] of shots.entries()) {
    if (shot.kind === "video") {
      if (!finitePositive(shot.media.duration)) return fail("shot", `scene ${i}: ${shot.path} has no duration`, i)
      const inPoint = shot.inPoint ?? 0
      if (!(inPoint >= 0 && inPoint < shot.media.duration)) {
        return fail("shot", `scene ${i}: in-point ${inPoint}s is outside ${shot.path} (${shot.media.duration}s)`, i)
      }
    }
  }
  for (const [i, scene] of scenes.entries()) {
    if (scene.duration !== undefined && !finitePositive(scene.duration)) return fail("scene", `scene ${i}: duration must be positive`, i)
  }
  const fps = output.fps
  const times = sceneTimes(input)
  const bounds = [...times.map((t) => Math.round(t.start * fps)), Math.round(times[times.length - 1]!.end * fps)]
  const frames = scenes.map((_, i) => bounds[i + 1]! - bounds[i]!)
  const short = frames.findIndex((n) => n < 1)
  if (short >= 0) return fail("scene", `scene ${short} lasts less than one frame at ${fps} fps`, short)
  const wantedTransition = output.transition === undefined || scenes.length < 2 ? 0 : Math.round(output.transition.duration * fps)
  // A transition cannot be longer than the scenes it joins.
  const transitionFrames = Math.max(0, Math.min(wantedTransition, ...frames.slice(1)))
  const scenePlans = scenes.map((_, i): ScenePlan => {
    const tailFrames = i < scenes.length - 1 ? transitionFrames : 0
    return {
      index: i,
      startFrame: bounds[i]!,
      frames: frames[i]!,
      tailFrames,
      shot: shots[i]!,
      source: sourcePlan(shots[i]!, frames[i]! + tailFrames, fps)
    }
  })
  const totalFrames = bounds[bounds.length - 1]!
  const candidates = cutCandidates({ scenes: scenePlans, transitionFrames })
  const wanted = Math.max(1, Math.floor(options.segments ?? 1))
  const maxPieces = Math.max(3, Math.floor(options.maxPiecesPerSegment ?? MAX_PIECES_PER_SEGMENT))
  const edges = boundPieces(scenePlans, candidates, [0, ...chooseCuts(candidates, totalFrames, wanted), totalFrames], maxPieces)
  const segments = edges.slice(0, -1).map((start, index): SegmentPlan => {
    const end = edges[index + 1]!
    return { index, startFrame: start, frames: end - start, pieces: piecesFor(scenePlans, start, end) }
  })
  const workDir = output.workDir ?? dirname(output.path)
  const stem = basename(output.path, extname(output.path))
  return Either.right({
    input,
    width: output.width,
    height: output.height,
    fps,
    totalFrames,
    durationSeconds: totalFrames / fps,
    transitionFrames,
    scenes: scenePlans,
    segments,
    files: {
      output: output.path,
      workDir,
      segments: segments.map((s) => join(workDir, `${stem}.part-${s.index}.ts`)),
      audio: join(workDir, `${stem}.audio.m4a`),
      concatList: join(workDir, `${stem}.concat.txt`)
    }
  })
}
