/**
 * Scenes + picks + narration + output settings → media's TimelineInput, one timeline scene per pick
 * (a scene the director cut has several). Scene boundaries come from the scenes' narration lengths
 * (measured, after the director's replan): scene i's narration starts where the previous scenes'
 * lengths add up to, so the video covers the narration exactly; a pick's span is its start and
 * length within its scene. A pick the shot-matcher looped plays its clip in a loop from its in-point.
 * A pick of a sample clip (`sample://<name>`) is a lavfi shot: the render generates it. A scene
 * without a pick, or a pick without media facts, is a planning failure.
 */
import { Either, Option } from "effect"
import {
  asSampleClipRef,
  type NarrationTrack,
  type ShotMedia,
  type TimelineInput,
  type TimelineScene,
  type TimelineShot
} from "../../media/index.ts"
import type { Scene } from "../director/scene.ts"
import type { ShotPick } from "../shot-matcher/shot.ts"
import { type OutputSettings, RenderError } from "./render-data.ts"

export const timelineInput = (args: {
  readonly scenes: ReadonlyArray<Scene>
  readonly picks: ReadonlyArray<ShotPick>
  readonly media: ReadonlyMap<string, ShotMedia>
  readonly narration: NarrationTrack
  readonly output: OutputSettings
  readonly captionsFile: string | undefined
  readonly workDir: string
}): Either.Either<TimelineInput, RenderError> => {
  const picksFor = new Map<number, Array<ShotPick>>()
  for (const pick of args.picks) picksFor.set(pick.scene, [...(picksFor.get(pick.scene) ?? []), pick])
  const scenes: Array<TimelineScene> = []
  const shots: Array<TimelineShot> = []
  let sceneStart = 0
  for (const scene of args.scenes) {
    const picks = (picksFor.get(scene.index) ?? []).sort((a, b) => a.shot - b.shot)
    if (picks.length === 0) return Either.left(new RenderError({ stage: "plan", message: `no shot picked for scene ${scene.index}` }))
    for (const pick of picks) {
      const media = args.media.get(pick.clip.path)
      if (media === undefined) return Either.left(new RenderError({ stage: "plan", message: `no media facts for ${pick.clip.path}` }))
      const start = sceneStart + pick.startSec
      scenes.push({ text: scene.text, narration: { start, end: Math.min(start + pick.durationSec, args.narration.duration) } })
      const timing = {
        ...(pick.inPointSec > 0 && pick.inPointSec < media.duration ? { inPoint: pick.inPointSec } : {}),
        ...(pick.looped ? { whenShort: "loop" as const } : {})
      }
      shots.push(Option.match(asSampleClipRef(pick.clip.path), {
        onNone: (): TimelineShot => ({ path: pick.clip.path, kind: pick.clip.kind, media, ...timing }),
        onSome: (ref): TimelineShot => ({ path: ref, kind: "lavfi", media, ...timing })
      }))
    }
    sceneStart += scene.estimatedSec
  }
  const { output } = args
  return Either.right({
    scenes,
    shots,
    output: {
      path: output.path,
      width: output.width,
      height: output.height,
      fps: output.fps,
      encoder: output.encoder,
      narration: args.narration,
      workDir: args.workDir,
      ...(args.captionsFile === undefined ? {} : { captions: args.captionsFile }),
      ...(output.music === undefined ? {} : { music: output.music }),
      ...(output.transition === undefined ? {} : { transition: output.transition }),
      ...(output.fit === undefined ? {} : { fit: output.fit }),
      ...(output.loudness === undefined ? {} : { loudness: output.loudness }),
      ...(output.encodeAware === true ? { encoderSettings: { contentAware: true } } : {})
    }
  })
}
