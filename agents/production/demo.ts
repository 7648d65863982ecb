/**
 * `reelswarm demo`: the bundled script about emergent patterns in mathematics, narrated by
 * espeak-ng over the procedural sample library, 1080x1920. Fully offline.
 */
import { join } from "node:path"
import { BUNDLED_SCRIPT, BUNDLED_SCRIPT_TITLE } from "../director/bundled-script.ts"
import type { CaptionsChoice } from "../renderer/render-data.ts"
import type { JobSpec } from "./job.ts"

export interface DemoOptions {
  /** Default "out": the video is out/demo.mp4, its report out/demo.json. */
  readonly outDir?: string
  /** Where the sample library, narration and render plans go. Default ".reelswarm". */
  readonly stateDir?: string
  /** Default "libx264"; pass the best proven encoder (media's chooseEncoder) to use a GPU. */
  readonly encoder?: string
  readonly voice?: string
  readonly captions?: CaptionsChoice
  /** Encoder slots. Default 1 (a single pass). */
  readonly segments?: number
  /** Quality control of the finished video (qc.ts). Default off. */
  readonly qc?: boolean
  /** The soundtrack's loudness target, LUFS; media's default when absent. */
  readonly loudness?: number
}

/** Sample clips last as long as the longest scene, so no shot has to be slowed or looped. */
export const DEMO_CLIP_SECONDS = 6

export const demoSpec = (options: DemoOptions = {}): JobSpec => {
  const state = options.stateDir ?? ".reelswarm"
  return {
    script: { _tag: "Text", title: BUNDLED_SCRIPT_TITLE, text: BUNDLED_SCRIPT },
    footage: { _tag: "Samples", dir: join(state, "samples"), durationSec: DEMO_CLIP_SECONDS },
    output: {
      path: join(options.outDir ?? "out", "demo.mp4"),
      width: 1080,
      height: 1920,
      fps: 30,
      encoder: options.encoder ?? "libx264",
      captions: options.captions ?? "karaoke",
      ...(options.loudness === undefined ? {} : { loudness: options.loudness })
    },
    voice: options.voice ?? "en",
    seed: "demo",
    segments: options.segments ?? 1,
    workDir: join(state, "work"),
    ...(options.qc === true ? { qc: true } : {})
  }
}
