/**
 * The video filter graph of one segment: each piece's clip (read, retimed to the output frame rate,
 * fitted, Ken Burns for stills, padded and cut to exact frames), joined by xfade transitions or a
 * concat, then captions, then the pixel format the encoder wants.
 */
import { filterGraphPath } from "./filter-escape.ts"
import type { Fit, StillMotion } from "./input.ts"
import type { PiecePlan, RenderPlan, ScenePlan, SegmentPlan } from "./plan.ts"

export interface VideoGraph {
  /** Input arguments for the pieces, in order; piece j reads input `firstInput + j`. */
  readonly inputArgs: ReadonlyArray<string>
  readonly filter: string
  readonly outLabel: string
}

const seconds = (s: number) => s.toFixed(6)

/** Scale and crop (cover) or scale and pad (contain) to exactly width x height. */
export const fitFilter = (fit: Fit, width: number, height: number): string =>
  fit === "cover"
    ? `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height}`
    : `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black`

/** zoompan producing `frames` frames from one still: the Ken Burns effect. */
export const kenBurnsFilter = (motion: StillMotion, frames: number, width: number, height: number, fps: number): string => {
  const progress = `on/${Math.max(1, frames - 1)}`
  const centre = { x: "(iw-iw/zoom)/2", y: "(ih-ih/zoom)/2" }
  const { z, x, y } = motion === "zoom-in"
    ? { z: `1+0.15*${progress}`, ...centre }
    : motion === "zoom-out"
    ? { z: `1.15-0.15*${progress}`, ...centre }
    : motion === "pan-left"
    ? { z: "1.15", x: `(iw-iw/zoom)*(1-${progress})`, y: centre.y }
    : motion === "pan-right"
    ? { z: "1.15", x: `(iw-iw/zoom)*${progress}`, y: centre.y }
    : { z: "1", ...centre }
  return `zoompan=z='${z}':x='${x}':y='${y}':d=${frames}:s=${width}x${height}:fps=${fps}`
}

const pieceInput = (scene: ScenePlan): ReadonlyArray<string> => {
  if (scene.shot.kind === "image") return ["-i", scene.shot.path]
  const { inPoint, loop, readSeconds } = scene.source
  return [...(loop ? ["-stream_loop", "-1"] : []), "-ss", seconds(inPoint), "-t", seconds(readSeconds), "-i", scene.shot.path]
}

/** The chain turning input `inputIndex` into frames [from, to) of the scene's clip, labelled `label`. */
const pieceChain = (plan: RenderPlan, scene: ScenePlan, piece: PiecePlan, inputIndex: number, label: string): string => {
  const { width, height, fps } = plan
  const clipFrames = scene.frames + scene.tailFrames
  // One pixel format from the fit on, so a scene renders to the same pixels whether it passes through
  // xfade (single pass) or opens a segment on its own: xfade works in 4:4:4 only, so with transitions
  // every piece is 4:4:4 and the single conversion to 4:2:0 happens at the end of the graph.
  const pixelFormat = plan.transitionFrames > 0 ? "yuv444p" : "yuv420p"
  const fit = `${fitFilter(scene.shot.fit ?? plan.input.output.fit ?? "cover", width, height)},format=${pixelFormat}`
  const picture = scene.shot.kind === "image"
    ? [fit, kenBurnsFilter(scene.shot.motion ?? "zoom-in", clipFrames, width, height, fps)]
    : [
      scene.source.slowdown === 1 ? "setpts=PTS-STARTPTS" : `setpts=(PTS-STARTPTS)*${scene.source.slowdown.toFixed(6)}`,
      `fps=${fps}`,
      fit
    ]
  return `[${inputIndex}:v:0]${
    [
      ...picture,
      "setsar=1",
      // Short sources hold their last frame; the trim then keeps exactly the frames this piece owns.
      `tpad=stop_mode=clone:stop=${clipFrames}`,
      `trim=start_frame=${piece.from}:end_frame=${piece.to}`,
      "setpts=PTS-STARTPTS"
    ].join(",")
  }[${label}]`
}

/** The filter graph of `segment`, with its pieces reading inputs from `firstInput` on (pure). */
export const segmentVideoGraph = (
  plan: RenderPlan,
  segment: SegmentPlan,
  firstInput: number,
  encoderFilterSuffix: string | undefined,
  outLabel = "vout"
): VideoGraph => {
  const scenes = segment.pieces.map((p) => plan.scenes[p.scene]!)
  const chains = segment.pieces.map((piece, j) => pieceChain(plan, scenes[j]!, piece, firstInput + j, `p${j}`))
  const labels = segment.pieces.map((_, j) => `[p${j}]`)
  const joined: Array<string> = []
  let current = labels[0]!
  if (segment.pieces.length > 1 && plan.transitionFrames === 0) {
    joined.push(`${labels.join("")}concat=n=${labels.length}:v=1:a=0[joined]`)
    current = "[joined]"
  } else if (segment.pieces.length > 1) {
    const transition = plan.input.output.transition!
    segment.pieces.slice(1).forEach((piece, j) => {
      const offsetFrames = plan.scenes[piece.scene]!.startFrame - segment.startFrame
      const next = `[x${j + 1}]`
      joined.push(
        `${current}${labels[j + 1]}xfade=transition=${transition.kind}:duration=${seconds(plan.transitionFrames / plan.fps)}:offset=${
          seconds(offsetFrames / plan.fps)
        }${next}`
      )
      current = next
    })
  }
  const captions = plan.input.output.captions
  const startSeconds = segment.startFrame / plan.fps
  const finish = [
    // The captions file is timed for the whole video: shift this segment to its place, burn, shift back.
    ...(captions === undefined
      ? []
      : segment.startFrame === 0
      ? [`subtitles=filename=${filterGraphPath(captions)}`]
      : [`setpts=PTS+${seconds(startSeconds)}/TB`, `subtitles=filename=${filterGraphPath(captions)}`, "setpts=PTS-STARTPTS"]),
    "format=yuv420p",
    ...(encoderFilterSuffix === undefined ? [] : [encoderFilterSuffix])
  ]
  return {
    inputArgs: scenes.flatMap(pieceInput),
    filter: [...chains, ...joined, `${current}${finish.join(",")}[${outLabel}]`].join(";"),
    outLabel
  }
}
