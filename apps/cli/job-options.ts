/**
 * The job options of `reelswarm run` and `reelswarm demo`, each defined once: flag, default and help.
 * Other faces (the HTTP API, config files) read the same defaults from `JOB_DEFAULTS`.
 */
import { Options } from "@effect/cli"
import type { CaptionsChoice, TopologyChoice } from "../../agents/index.ts"

export const ASPECTS = {
  "9:16": { width: 1080, height: 1920 },
  "16:9": { width: 1920, height: 1080 },
  "1:1": { width: 1080, height: 1080 }
} as const
export type Aspect = keyof typeof ASPECTS

/** `--captions` as users type it → the renderer's caption style. */
export const CAPTION_STYLES = {
  lines: "lines",
  words: "word-by-word",
  karaoke: "karaoke",
  none: "none"
} as const satisfies Record<string, CaptionsChoice>
export type CaptionFlag = keyof typeof CAPTION_STYLES

export const JOB_DEFAULTS = {
  aspect: "9:16" as Aspect,
  captions: "karaoke" as CaptionFlag,
  /** each run of language in the script spoken by a voice of its language (media's voiceFor) */
  voice: "auto",
  topology: "star" as TopologyChoice,
  encoder: "auto",
  segments: 1,
  fps: 30,
  seed: "reelswarm",
  state: ".reelswarm"
}

const keys = <T extends object>(o: T) => Object.keys(o) as Array<keyof T & string>

export const aspect = Options.choice("aspect", keys(ASPECTS)).pipe(
  Options.withDefault(JOB_DEFAULTS.aspect),
  Options.withDescription("Output shape: 9:16 (1080x1920), 16:9 (1920x1080) or 1:1 (1080x1080).")
)
/** `--size 720x1280`: an explicit output size, overriding `--aspect`. */
export const parseSize = (text: string): { width: number; height: number } | undefined => {
  const m = /^(\d{2,5})x(\d{2,5})$/.exec(text.trim())
  if (m === null) return undefined
  const width = Number(m[1]), height = Number(m[2])
  // Even sizes: H.264 with 4:2:0 chroma needs them.
  return width % 2 === 0 && height % 2 === 0 && width <= 7680 && height <= 7680 ? { width, height } : undefined
}
export const size = Options.text("size").pipe(
  Options.optional,
  Options.withDescription("Output size as WIDTHxHEIGHT (even numbers, e.g. 720x1280); overrides --aspect.")
)
export const fps = Options.integer("fps").pipe(
  Options.withDefault(JOB_DEFAULTS.fps),
  Options.withDescription("Output frame rate.")
)
export const captions = Options.choice("captions", keys(CAPTION_STYLES)).pipe(
  Options.withDefault(JOB_DEFAULTS.captions),
  Options.withDescription("Caption style burned into the video: lines, words (word by word), karaoke, or none.")
)
export const music = Options.file("music", { exists: "yes" }).pipe(
  Options.optional,
  Options.withDescription("A music track mixed under the narration, ducked while the voice speaks.")
)
export const voice = Options.text("voice").pipe(
  Options.withDefault(JOB_DEFAULTS.voice),
  Options.withDescription(
    "Narration voice: auto (a voice per language of the script: cmn for Chinese, ja, ar, …; mixed sentences switch voice per run), " +
      "or an espeak-ng voice such as en, en-us, de, fr (characters it cannot speak are a warning)."
  )
)
export const topology = Options.choice("topology", ["star", "mesh"] as const).pipe(
  Options.withDefault(JOB_DEFAULTS.topology),
  Options.withDescription("How the agents are linked: star (every message through the director) or mesh (direct).")
)
export const encoder = Options.text("encoder").pipe(
  Options.withDefault(JOB_DEFAULTS.encoder),
  Options.withDescription("Video encoder (libx264, h264_nvenc, …) or auto: the best one proven to work on this machine.")
)
export const segments = Options.integer("segments").pipe(
  Options.withDefault(JOB_DEFAULTS.segments),
  Options.withDescription("Encoder slots: 1 renders in a single pass; k > 1 encodes k segments in parallel and joins them.")
)
export const seed = Options.text("seed").pipe(
  Options.withDefault(JOB_DEFAULTS.seed),
  Options.withDescription("Seed for the shot matcher's tie-breaking: the same seed picks the same shots.")
)
export const state = Options.directory("state").pipe(
  Options.withDefault(JOB_DEFAULTS.state),
  Options.withDescription("Where the swarm keeps its SQLite file, work files and pending jobs.")
)
export const json = Options.boolean("json").pipe(
  Options.withDescription("Print the job report as JSON on stdout (progress stays on stderr).")
)
