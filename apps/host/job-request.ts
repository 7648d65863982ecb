/**
 * A job as every face asks for it: the options of `reelswarm run`, each defined once here with its
 * default and its help, and read by the CLI's flags, the config file (`reelswarm.config.json`), the
 * environment (`REELSWARM_<NAME>`), the HTTP API, the MoneyPrinterTurbo routes and the MCP tools.
 */
import { Schema } from "effect"

/** `schema` with its help text; its own type kept (a generic `annotations` call would widen it to `any`). */
const described = <S extends Schema.Schema.Any>(schema: S, description: string): S => schema.annotations({ description }) as S

/** Output shapes and the size each gives. */
export const ASPECTS = {
  "9:16": { width: 1080, height: 1920 },
  "16:9": { width: 1920, height: 1080 },
  "1:1": { width: 1080, height: 1080 }
} as const
export type Aspect = keyof typeof ASPECTS

/** `captions` as users type it → the renderer's caption style. */
export const CAPTION_STYLES = {
  lines: "lines",
  words: "word-by-word",
  karaoke: "karaoke",
  none: "none"
} as const
export type CaptionFlag = keyof typeof CAPTION_STYLES

/** `#RRGGBB`. */
export const HexColor = Schema.String.pipe(
  Schema.pattern(/^#[0-9a-fA-F]{6}$/, { message: () => "a colour as #RRGGBB, e.g. #FFFFFF" })
)

const SegmentCount = Schema.Int.pipe(Schema.between(1, 64))

/**
 * This machine's cores and memory, where the module runs in Node (`process.getBuiltinModule`, Node
 * 20.16+); 1 core and no memory limit in the console's page, which shows the default only. This module
 * is bundled into that page, so it imports nothing of Node and nothing of media/.
 */
const machine = (): { readonly cores: number; readonly memoryBytes: number } => {
  const os = globalThis.process?.getBuiltinModule?.("node:os")
  return os === undefined ? { cores: 1, memoryBytes: Infinity } : { cores: os.availableParallelism(), memoryBytes: os.totalmem() }
}

/** media's DEFAULT_LOUDNESS_LUFS (a unit test keeps the two equal). */
export const DEFAULT_LOUDNESS_LUFS = -14

/** media's ENCODE_BYTES: the memory one segment encode is given room for (a quarter of the machine's holds them all). */
const ENCODE_BYTES = 768 * 1024 * 1024

/**
 * `segments: "auto"`: two segments at once from 2 cores, one more per 8 cores beyond 16, no more than a
 * quarter of the memory holds — media's `chooseSegmentLayout` (docs/media.md; a unit test keeps the two
 * in step over cores and memory): the planner then gives each encode the cores' share of threads.
 */
export const autoSegments = (cpus: number = machine().cores, memoryBytes: number = machine().memoryBytes): number => {
  const whole = Math.max(1, Math.floor(cpus))
  const wanted = whole === 1 ? 1 : Math.min(64, Math.max(2, Math.ceil(whole / 8)))
  return Math.max(1, Math.min(wanted, Math.floor(memoryBytes / 4 / ENCODE_BYTES)))
}

/**
 * A segment count, or "auto" (resolved here, on the machine that renders): a number from JSON and the
 * config file, text from a flag or the environment.
 */
const Segments = Schema.Union(
  SegmentCount,
  Schema.compose(Schema.NumberFromString, SegmentCount),
  Schema.transform(Schema.Literal("auto"), SegmentCount, { strict: true, decode: () => autoSegments(), encode: () => "auto" as const })
).annotations({ message: () => "a whole number from 1 to 64, or auto" })

/**
 * The options a job can be given besides its script and footage: name → Schema with its default and
 * description. The defaults are what `run` uses when neither a flag, the environment nor the config
 * file says otherwise.
 */
export const JobOptionFields = {
  aspect: Schema.optionalWith(
    described(Schema.Literal("9:16", "16:9", "1:1"), "Output shape: 9:16 (1080x1920), 16:9 (1920x1080) or 1:1 (1080x1080)."),
    { default: () => "9:16" as const }
  ),
  size: Schema.optional(
    described(
      Schema.String.pipe(Schema.pattern(/^\d{2,5}x\d{2,5}$/, { message: () => "WIDTHxHEIGHT, e.g. 720x1280" })),
      "Output size as WIDTHxHEIGHT (even numbers, e.g. 720x1280); overrides aspect."
    )
  ),
  fps: Schema.optionalWith(described(Schema.Int.pipe(Schema.between(1, 120)), "Output frame rate."), { default: () => 30 }),
  captions: Schema.optionalWith(
    described(
      Schema.Literal("lines", "words", "karaoke", "none"),
      "Caption style burned into the video: lines, words (word by word), karaoke, or none."
    ),
    { default: () => "karaoke" as const }
  ),
  captionPosition: Schema.optionalWith(
    described(Schema.Literal("top", "center", "bottom"), "Where captions sit: top, center or bottom (inside the safe area)."),
    { default: () => "bottom" as const }
  ),
  captionSize: Schema.optional(
    described(Schema.Int.pipe(Schema.between(8, 400)), "Caption font size in pixels at the output height; default scales with the height.")
  ),
  captionColor: Schema.optional(described(HexColor, "Caption text colour, #RRGGBB (karaoke: the colour of words not yet spoken).")),
  captionStroke: Schema.optional(described(HexColor, "Caption outline colour, #RRGGBB.")),
  captionStrokeWidth: Schema.optional(described(Schema.Number.pipe(Schema.between(0, 20)), "Caption outline width in pixels.")),
  voice: Schema.optionalWith(
    described(
      Schema.String.pipe(Schema.minLength(1)),
      "Narration voice: auto (a voice per language of the script), or an espeak-ng voice such as en, en-us, de, fr."
    ),
    { default: () => "auto" }
  ),
  voiceRate: Schema.optionalWith(
    described(Schema.Number.pipe(Schema.between(0.5, 2)), "Speaking rate: 1 is the voice's normal speed (0.5 … 2)."),
    { default: () => 1 }
  ),
  musicVolume: Schema.optionalWith(
    described(Schema.Number.pipe(Schema.between(0, 1)), "Music level under the narration, 0 … 1."),
    { default: () => 0.25 }
  ),
  maxClipSeconds: Schema.optional(
    described(Schema.Number.pipe(Schema.between(1, 60)), "The longest a single shot stays on screen, in seconds (long scenes are cut).")
  ),
  encoder: Schema.optionalWith(
    described(
      Schema.String.pipe(Schema.minLength(1)),
      "Video encoder (libx264, h264_nvenc, …) or auto: the best one proven to work on this machine."
    ),
    { default: () => "auto" }
  ),
  segments: Schema.optionalWith(
    described(
      Segments,
      "Encoder slots: 1 renders in a single pass; k > 1 encodes k segments in parallel and joins them; auto: as many as this machine's cores keep busy (one per 8 cores)."
    ),
    { default: () => autoSegments() }
  ),
  seed: Schema.optionalWith(
    described(Schema.String, "Seed for the shot matcher's tie-breaking: the same seed picks the same shots."),
    { default: () => "reelswarm" }
  ),
  encodeAware: Schema.optional(
    described(
      Schema.Boolean,
      "Content-aware encoding (libx264; default off): each scene's shot is measured (SI/TI), classed as high-motion, text-graphics or calm, " +
        "and encoded with that class's x264 settings: fewer bytes at the same SSIM for more encoder CPU. Segments still give the single pass's frames."
    )
  ),
  loudness: Schema.optionalWith(
    described(
      Schema.Number.pipe(Schema.between(-40, -5)),
      "The soundtrack's integrated loudness target in LUFS (EBU R128): -14 is what YouTube, TikTok and Spotify normalise to."
    ),
    { default: () => DEFAULT_LOUDNESS_LUFS }
  ),
  qc: Schema.optionalWith(
    described(
      Schema.Boolean,
      "Quality control: analyse the finished MP4 and fail the job, with every reason, when its loudness is off the target by over 1 LU, " +
        "its true peak is above -1 dBTP, it has black or frozen frames the plan did not ask for, its audio is off by over a frame, " +
        "or a caption lies outside the safe area."
    ),
    { default: () => false }
  ),
  narration: Schema.optional(
    described(
      Schema.String.pipe(Schema.minLength(1)),
      "A recorded voice as the narration instead of a synthesized one: WAV, MP3 or any file ffmpeg decodes, on the machine that renders. " +
        "The script's words are aligned to it and the captions follow it; the video is as long as the recording. " +
        "Without a script: one scene, no captions."
    )
  )
} as const

/** A job's options, defaults applied. */
export const JobOptions = Schema.Struct(JobOptionFields)
export type JobOptions = typeof JobOptions.Type

/**
 * A job submitted to a server (HTTP API, MCP, console). Exactly one of `script` and `topic`, or neither
 * with a recorded `narration`. Paths are on the server's machine.
 */
export const JobRequest = Schema.Struct({
  script: Schema.optional(
    described(Schema.String.pipe(Schema.minLength(1)), "The narration script: plain text, blank lines between paragraphs.")
  ),
  topic: Schema.optional(
    described(
      Schema.String.pipe(Schema.minLength(1)),
      "Have Claude write the script about this topic (the server needs ANTHROPIC_API_KEY)."
    )
  ),
  title: Schema.optional(described(Schema.String.pipe(Schema.maxLength(200)), "The video's title; default the script's first words.")),
  footage: Schema.optional(
    described(
      Schema.String,
      "A folder of clips and images on the server; default the server's uploaded footage, or the procedural sample clips when none was uploaded."
    )
  ),
  music: Schema.optional(described(Schema.String, "A music file on the server, or the name of an uploaded music file.")),
  images: Schema.optional(
    described(
      Schema.Array(Schema.String.pipe(Schema.minLength(1))).pipe(Schema.minItems(1)),
      "Image files on the server (jpg, png, webp) to show instead of a footage folder, each with Ken Burns motion: " +
        "one image and a recorded narration make an image + audio video."
    )
  ),
  ...JobOptionFields
})
export type JobRequest = typeof JobRequest.Type
