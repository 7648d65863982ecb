/**
 * Frame accounting. Every scene owns a whole number of output frames, computed once from the scene
 * boundaries in time; a transition into the next scene lengthens a scene's clip by the transition's
 * frames (its tail is blended with the next scene's head). Segments are cut on scene boundaries (after
 * the blend, when there is one), so every transition lies inside one segment and the frames of k
 * stitched segments are exactly the frames of the single pass. A long timeline is cut into more
 * segments than asked for, so that the render never holds more than K clip decoders open at once
 * (`decoderLimit`): each of the `concurrency` segment commands that run at the same time reads at
 * most K / concurrency clips.
 */
import { Either, Schema } from "effect"
import { availableParallelism, totalmem } from "node:os"
import { basename, dirname, extname, join } from "node:path"
import { classifyContent, ContentClass, SAMPLE_CLIP_CHARACTER, type ShotCharacter } from "../content-class.ts"
import { sampleClipName } from "../footage/sample-library.ts"
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
  source: SourcePlan,
  /**
   * With content-aware encoding: the class of the shot's content over the frames the scene uses
   * (content-class.ts), which picks the scene's encoder settings. Absent: not asked for, not measured,
   * or a plan written before it.
   */
  contentClass: Schema.optional(ContentClass)
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
  /** Segment commands that may run at the same time (the encoder slots it was planned for). Plans written before it: 1. */
  concurrency: Schema.optionalWith(Schema.Int, { default: () => 1 }),
  /** K: the most clip decoders the render holds open at once, over its concurrent segment commands. */
  decoderLimit: Schema.optionalWith(Schema.Int, { default: () => DEFAULT_DECODER_LIMIT }),
  /** Threads each video encode gets (libx264 `-threads`); absent (plans written before it): the encoder's own default. */
  encoderThreads: Schema.optional(Schema.Int),
  files: RenderFiles
}).annotations({ identifier: "RenderPlan" })
export type RenderPlan = typeof RenderPlan.Type

/**
 * The machine a plan is made for: its cores and memory decide K and, for `segments: "auto"`, the
 * segments × threads layout.
 */
export interface Machine {
  readonly cores: number
  readonly memoryBytes: number
}

/** This machine. */
export const localMachine = (): Machine => ({ cores: availableParallelism(), memoryBytes: totalmem() })

/**
 * The clip decoders one render holds open at once when memory does not bind (docs/media.md, timeline).
 * ffmpeg opens every input of a command at its start and keeps its demuxer and decoder, with their
 * buffers, until the command ends, although concat reads one clip at a time: a decoder that is only
 * waiting costs memory and buys nothing. Measured (`/usr/bin/time`, 1920x1080 H.264 clips, 2 cores):
 * each open decoder adds about 24 MB to ffmpeg's peak RSS with one thread (`DECODER_THREADS`), 41 MB
 * with ffmpeg's default threads. 6 is what the single pass of a 30-second short (six scenes) holds,
 * so a long job holds no more than a short one and its peak memory does not grow with its scenes;
 * each segment more costs one ffmpeg start-up, one x264 init and one probe of each of its clips.
 */
export const DEFAULT_DECODER_LIMIT = 6

/**
 * Threads per clip decoder (an input option). ffmpeg's default gives each H.264 decoder a frame thread
 * per core plus one, each with frames of its own, for all of a command's inputs while concat reads
 * one at a time. Measured on the bench/render plan (six 1920x1080 clips, 1080x1920 output, 2 cores):
 * ffmpeg's peak RSS 758 MB with the default, 654 MB with 1 thread, CPU time unchanged (41.8 s, 40.9 s);
 * the hand-written reference takes 771 MB. Decoding 1080p H.264 in one thread runs several times
 * faster than x264 encodes, so the one thread is not what limits a render.
 */
export const DECODER_THREADS = 1

/** The most memory waiting decoders may take: an eighth of the machine's. */
const DECODER_MEMORY_SHARE = 1 / 8

/** What one open decoder costs, at worst: a 4K H.264 clip with its reference frames (measured: 1080p about 24 MB). */
export const DECODER_BYTES = 48 * 1024 * 1024

/** A segment between two adjacent cuts can hold this many clips (the blend before, its scene, the blend after). */
export const MIN_PIECES_PER_SEGMENT = 3

/**
 * K for a render whose segment commands run `concurrency` at a time on `machine`: DEFAULT_DECODER_LIMIT,
 * fewer where an eighth of the memory does not hold that many decoders at DECODER_BYTES each, and never
 * fewer than MIN_PIECES_PER_SEGMENT per concurrent command (pure).
 */
export const decoderLimit = (machine: Machine, concurrency: number): number => {
  const byMemory = Math.floor((machine.memoryBytes * DECODER_MEMORY_SHARE) / DECODER_BYTES)
  return Math.max(MIN_PIECES_PER_SEGMENT * Math.max(1, Math.floor(concurrency)), Math.min(DEFAULT_DECODER_LIMIT, byMemory))
}

/**
 * Threads beyond which one x264 encode stops scaling well: its frame threads wait on each other's
 * reference rows, and ffmpeg decodes and filters in one thread of its own (docs/media.md).
 */
export const X264_USEFUL_THREADS = 8

/** What one concurrent segment encode costs in memory at most (x264 at 1080x1920 with its lookahead, plus its decoders). */
export const ENCODE_BYTES = 768 * 1024 * 1024

/** Segments encoded at once × threads each. */
export interface SegmentLayout {
  readonly segments: number
  /** x264 threads per encode; none: x264's own count (1.5 per core). */
  readonly threads?: number
}

/**
 * `segments: "auto"` (pure): at least two segments encoded at once wherever there are two cores, and
 * as many more as keep each encode at or below X264_USEFUL_THREADS threads, the cores shared evenly
 * between them; no more than a quarter of the memory holds at ENCODE_BYTES each. Each encode gets its
 * share of the cores as threads where that share is 2 or more, else x264's own count.
 * 1 core: 1 segment; 2: 2 × x264's own; 8: 2 × 4; 16: 2 × 8; 64: 8 × 8.
 *
 * Two at once even on 2 cores because one render command cannot keep the cores busy: ffmpeg decodes
 * the clips and runs the filter graph in one thread of its own, which x264's threads wait on. Measured
 * on 2 cores (a 30 s, six-scene job's plan at 720x1280, bench/scale.ts's footage): the single pass
 * 20.8 s wall (1.5 cores busy), two segments at once with x264's own threads 18.9 s (1.9 cores), with
 * one thread each 20.8 s (x264 then encodes in ffmpeg's own thread); the two segment commands' peak
 * memory together about that of the single pass, each holding half of its clip decoders.
 */
export const chooseSegmentLayout = (machine: Machine): SegmentLayout => {
  const cores = Math.max(1, Math.floor(machine.cores))
  const byMemory = Math.max(1, Math.floor(machine.memoryBytes / 4 / ENCODE_BYTES))
  const wanted = cores === 1 ? 1 : Math.max(2, Math.ceil(cores / X264_USEFUL_THREADS))
  const segments = Math.max(1, Math.min(wanted, byMemory, 64))
  const share = Math.floor(cores / segments)
  return share >= 2 ? { segments, threads: share } : { segments }
}

export interface PlanOptions {
  /**
   * Segments wanted (one per encoder slot), or "auto" (`chooseSegmentLayout`). Default 1: a single pass.
   * Fewer result when scenes are few; more when a segment would read more than its share of K clips.
   */
  readonly segments?: number | "auto" | undefined
  /** Segment commands run at once. Default: the segments wanted (one per encoder slot). */
  readonly concurrency?: number | undefined
  /** K, the most clip decoders open at once over the render. Default `decoderLimit(machine, concurrency)`. */
  readonly decoderLimit?: number | undefined
  /**
   * Threads per video encode. Default: the machine's layout's (`chooseSegmentLayout`), x264's own
   * count where it gives none; either way the same for every plan made on one machine, whatever its
   * segments, so that they encode alike (x264's output depends on its thread count).
   */
  readonly encoderThreads?: number | undefined
  /** Default `localMachine()`. */
  readonly machine?: Machine | undefined
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

/** The shot's measured character; for a sample clip without one, the catalogue's (pure). */
export const shotCharacter = (shot: TimelineShot): ShotCharacter | undefined =>
  shot.character ?? (shot.kind === "lavfi" ? SAMPLE_CLIP_CHARACTER[sampleClipName(shot.path)] : undefined)

/** The scene's class when content-aware encoding is asked for and its shot's character is known. */
const sceneClass = (input: TimelineInput, shot: TimelineShot): { contentClass?: ContentClass } => {
  if (input.output.encoderSettings?.contentAware !== true) return {}
  const character = shotCharacter(shot)
  return character === undefined ? {} : { contentClass: classifyContent(character) }
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
 * than `maxPieces` pieces: such a segment is cut into as many parts as its pieces need, each cut at
 * the candidate nearest an even split, and any part still too big is cut again.
 */
const boundPieces = (
  scenes: ReadonlyArray<ScenePlan>,
  candidates: ReadonlyArray<number>,
  edges: ReadonlyArray<number>,
  maxPieces: number
): ReadonlyArray<number> => {
  const split = (start: number, end: number): Array<number> => {
    const inside = candidates.filter((c) => c > start && c < end)
    const pieces = piecesFor(scenes, start, end).length
    if (inside.length === 0 || pieces <= maxPieces) return []
    const parts = Math.max(2, Math.ceil(pieces / maxPieces))
    const cuts = chooseCuts(inside.map((c) => c - start), end - start, parts).map((c) => c + start)
    const bounds = [start, ...cuts, end]
    return bounds.slice(1).flatMap((edge, i) => (i === cuts.length ? split(bounds[i]!, edge) : [...split(bounds[i]!, edge), edge]))
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
      source: sourcePlan(shots[i]!, frames[i]! + tailFrames, fps),
      ...sceneClass(input, shots[i]!)
    }
  })
  const totalFrames = bounds[bounds.length - 1]!
  const candidates = cutCandidates({ scenes: scenePlans, transitionFrames })
  const machine = options.machine ?? localMachine()
  const layout = chooseSegmentLayout(machine)
  const wanted = Math.max(1, Math.floor(options.segments === "auto" ? layout.segments : options.segments ?? 1))
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? wanted))
  const limit = Math.max(MIN_PIECES_PER_SEGMENT * concurrency, Math.floor(options.decoderLimit ?? decoderLimit(machine, concurrency)))
  const maxPieces = Math.floor(limit / concurrency)
  // The machine's, whatever the segments: x264's output depends on its thread count, and k segments
  // must decode to the single pass's frames. Where the layout leaves x264 its own thread count (1.5
  // per core), that count keeps the cores busy while ffmpeg's own thread decodes and filters: on 2
  // cores (bench/scale.ts, 30 s at 720x1280) 2 threads made the single pass 1.2x slower than the reference.
  const threads = options.encoderThreads ?? layout.threads
  const encoderThreads = threads === undefined ? undefined : Math.max(1, Math.floor(threads))
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
    concurrency,
    decoderLimit: limit,
    ...(encoderThreads === undefined ? {} : { encoderThreads }),
    files: {
      output: output.path,
      workDir,
      segments: segments.map((s) => join(workDir, `${stem}.part-${s.index}.ts`)),
      audio: join(workDir, `${stem}.audio.m4a`),
      concatList: join(workDir, `${stem}.concat.txt`)
    }
  })
}
