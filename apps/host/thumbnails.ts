/**
 * A finished job's thumbnails: one JPEG per scene, taken from the video itself (what the viewer
 * sees, captions and all), for lists and the console, as wide as the machine's hardware tier makes
 * previews (media's PREVIEW_WIDTHS).
 */
import { Effect } from "effect"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import type { JobReport } from "../../agents/index.ts"
import { runFfmpeg } from "../../media/index.ts"

/** Into a scene by this much at most (half a short scene), past the transition that opens it. */
const INTO_SCENE_SECONDS = 0.5

/** Each scene's start in the video, in seconds: the scenes follow one another, each as long as its narration. */
export const sceneStarts = (scenes: JobReport["scenes"]): Array<number> => {
  let at = 0
  return scenes.map((scene) => {
    const start = at
    at += scene.estimatedSec
    return start
  })
}

export const thumbnailFile = (dir: string, scene: number) => join(dir, `${scene}.jpg`)

/** One JPEG per scene of `report` from `video` into `dir` (`<scene index>.jpg`, in scene order), `width` pixels wide (the height keeps the video's shape); their paths. */
export const makeThumbnails = (video: string, report: JobReport, dir: string, width: number) =>
  Effect.gen(function*() {
    yield* Effect.promise(() => mkdir(dir, { recursive: true }))
    const starts = sceneStarts(report.scenes)
    return yield* Effect.forEach(report.scenes, (scene, n) => {
      const at = starts[n]! + Math.min(INTO_SCENE_SECONDS, scene.estimatedSec / 2)
      const file = thumbnailFile(dir, scene.index)
      return runFfmpeg({
        args: ["-ss", at.toFixed(3), "-i", video, "-frames:v", "1", "-vf", `scale=${width}:-2`, "-q:v", "4"],
        output: file
      }).pipe(Effect.as(file))
    })
  }).pipe(Effect.withSpan("host.thumbnails"))
