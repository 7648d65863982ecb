/**
 * Scenes + picks + narration + output settings → media's TimelineInput. Scene boundaries come from
 * the scenes' narration lengths (measured, after the director's replan): scene i's narration starts
 * where the previous scenes' lengths add up to, so the video covers the narration exactly. A scene
 * without a pick, or a pick without media facts, is a planning failure.
 */
import { Either } from "effect"
import type { NarrationTrack, ShotMedia, TimelineInput, TimelineShot } from "../../media/index.ts"
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
  const starts = args.scenes.map((_, i) => args.scenes.slice(0, i).reduce((sum, s) => sum + s.estimatedSec, 0))
  const pickFor = new Map(args.picks.map((p) => [p.scene, p]))
  const shots: Array<TimelineShot> = []
  for (const scene of args.scenes) {
    const pick = pickFor.get(scene.index)
    if (pick === undefined) return Either.left(new RenderError({ stage: "plan", message: `no shot picked for scene ${scene.index}` }))
    const media = args.media.get(pick.clip.path)
    if (media === undefined) return Either.left(new RenderError({ stage: "plan", message: `no media facts for ${pick.clip.path}` }))
    shots.push({ path: pick.clip.path, kind: pick.clip.kind, media })
  }
  const { output } = args
  return Either.right({
    scenes: args.scenes.map((scene, i) => ({
      text: scene.text,
      narration: { start: starts[i]!, end: Math.min(starts[i]! + scene.estimatedSec, args.narration.duration) }
    })),
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
      ...(output.fit === undefined ? {} : { fit: output.fit })
    }
  })
}
