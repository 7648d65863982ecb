/**
 * What content-aware encoding measures before a render: SI/TI (media/analysis's `measureSiTi`) of the
 * frames each scene reads from its shot's file, on frames scaled to CHARACTER_ANALYSIS_WIDTH, over
 * only the first second of that range (CHARACTER_WINDOW_SECONDS). Sample clips are not measured: their catalogue character stands
 * (content-class.ts). The measured numbers go into the input's shots, and `planRender` classifies.
 */
import { Effect } from "effect"
import { AnalysisOptions, measureSiTi } from "../analysis/index.ts"
import { CHARACTER_ANALYSIS_WIDTH, type ShotCharacter } from "../content-class.ts"
import type { TimelineInput, TimelineShot } from "./input.ts"
import { planRender, type ScenePlan } from "./plan.ts"

/**
 * The most seconds measured per scene: the first of the frames it reads. Decoding is what SI/TI costs:
 * measured on bench/render.ts's six 1920x1080 H.264 clips at 30 fps (2 cores), 1.2–4.5 CPU s for 4 s
 * of a clip, 0.5–1.7 s for 1 s (probe and start-up included), against about 49 CPU s for that
 * bench's whole six-scene render. So a second of frames (24–29 differences for TI) stands for the
 * scene: about a tenth of the render's CPU on first use, nothing once cached. A shot is rarely one
 * thing and then another, and on every clip measured another class's settings came within 3 % of
 * the fixed setting's bytes at its SSIM, or did better (docs/media.md).
 */
export const CHARACTER_WINDOW_SECONDS = 1

/**
 * The seconds of its file measured for a video scene ([start, end), within the file): the first
 * CHARACTER_WINDOW_SECONDS of what the scene reads; a still: its one picture (pure).
 */
export const usedRange = (scene: Pick<ScenePlan, "shot" | "source">): { readonly start: number; readonly end?: number } => {
  if (scene.shot.kind !== "video") return { start: 0 }
  const { inPoint, readSeconds } = scene.source
  // A looped read wraps around: its frames are the file's from the in-point to the end, then again.
  return { start: inPoint, end: Math.min(scene.shot.media.duration, inPoint + Math.min(readSeconds, CHARACTER_WINDOW_SECONDS)) }
}

/** The analysis settings of the measurement: only the width differs from the analyzers' defaults. */
export const CHARACTER_ANALYSIS = new AnalysisOptions({ analysisWidth: CHARACTER_ANALYSIS_WIDTH })

/** SI/TI (means) of the frames `scene` reads from its shot's file; none for a sample clip (the catalogue has it). */
export const measureShotCharacter = Effect.fn("timeline.measureShotCharacter")(function*(scene: Pick<ScenePlan, "shot" | "source">) {
  if (scene.shot.kind === "lavfi") return undefined
  const measured = yield* measureSiTi(scene.shot.path, { ...usedRange(scene), options: CHARACTER_ANALYSIS })
  return { si: measured.si.mean, ti: measured.ti.mean } satisfies ShotCharacter
})

/**
 * `input` with each file shot's character measured by `measure` (over the frames its scene reads, as
 * planned from `input` itself), when content-aware encoding is asked for; unchanged otherwise. A
 * shot that already carries one keeps it; `measure` giving none leaves the scene unclassed.
 */
export const withShotCharacters = <E, R>(
  input: TimelineInput,
  measure: (scene: ScenePlan) => Effect.Effect<ShotCharacter | undefined, E, R>
) =>
  Effect.gen(function*() {
    if (input.output.encoderSettings?.contentAware !== true) return input
    // The source ranges do not depend on segments or the machine: one segment, one core is enough.
    const plan = yield* planRender(input, { segments: 1, machine: { cores: 1, memoryBytes: 2 ** 32 } })
    const shots = yield* Effect.forEach(plan.scenes, (scene): Effect.Effect<TimelineShot, E, R> => {
      const shot = scene.shot
      if (shot.kind === "lavfi" || shot.character !== undefined) return Effect.succeed(shot)
      return Effect.map(measure(scene), (character) => (character === undefined ? shot : { ...shot, character }))
    }, { concurrency: 2 })
    return { ...input, shots } satisfies TimelineInput
  })
