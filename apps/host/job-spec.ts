/**
 * The one mapping from a job request (any face: HTTP, MCP, console, and the CLI's `run`) to the job
 * spec the production runs, with the checks `run` makes before any work. Each refusal names the
 * request's field and why, before anything is written.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { createReadStream, readdirSync, statSync } from "node:fs"
import { basename, extname, isAbsolute, join, resolve } from "node:path"
import { type CaptionLook, checkScriptLength, demoSpec, type JobSpec } from "../../agents/index.ts"
import { IMAGE_EXTENSIONS, inspectRecording } from "../../media/index.ts"
import { resolveEncoder } from "../cli/run-job.ts"
import { checkFonts, checkOutput, checkVoice, wordCount } from "../cli/validate.ts"
import { hostDirs, JobRequestError } from "./contract.ts"
import { ASPECTS, CAPTION_STYLES, DEFAULT_LOUDNESS_LUFS, type JobRequest } from "./job-request.ts"

/** Where a job's files go: the state directory (work files, samples, encoder choice) and the MP4. */
export interface JobTarget {
  readonly state: string
  readonly out: string
  /** The file the script was read from (the CLI's --script), which the output must not overwrite either. */
  readonly scriptFile?: string | undefined
}

/** A topic's script is not written yet: a few hundred words is what Claude is asked for. */
const TOPIC_WORDS = 300

/** Words of the script that make a title when none is given. */
const TITLE_WORDS = 6

const refuse = (field: string, message: string) => new JobRequestError({ field, message })

/** Runs `check`; its failure (a CliError or the like) becomes a JobRequestError for `field`. */
const onField = (field: string) => <A, E extends { readonly message: string }, R>(check: Effect.Effect<A, E, R>) =>
  Effect.mapError(check, (error) => refuse(field, error.message))

const kindOf = (path: string): "file" | "directory" | undefined => {
  try {
    const stats = statSync(path)
    return stats.isFile() ? "file" : stats.isDirectory() ? "directory" : undefined
  } catch {
    return undefined
  }
}

/** Visible entries of `dir` (none when it is missing or unreadable). */
const hasFiles = (dir: string): boolean => {
  try {
    return readdirSync(dir).some((name) => !name.startsWith("."))
  } catch {
    return false
  }
}

/** `WIDTHxHEIGHT` (even numbers), or the aspect's size. */
const sizeOf = (request: JobRequest): Effect.Effect<{ width: number; height: number }, JobRequestError> => {
  if (request.size === undefined) return Effect.succeed(ASPECTS[request.aspect])
  const [width, height] = request.size.split("x").map(Number) as [number, number]
  return width % 2 === 0 && height % 2 === 0 && width >= 16 && height >= 16 && width <= 7680 && height <= 7680
    ? Effect.succeed({ width, height })
    : Effect.fail(refuse("size", `${request.size}: WIDTHxHEIGHT with even numbers between 16 and 7680, e.g. 720x1280`))
}

/** The first words of the script, for a title. */
const titleOf = (text: string) => {
  const words = text.trim().split(/\s+/)
  const head = words.slice(0, TITLE_WORDS).join(" ").replace(/[.,;:!?]+$/, "")
  return words.length > TITLE_WORDS ? `${head}…` : head
}

/**
 * The music file: an absolute path on the server, or the bare name of a file uploaded to the server's
 * music folder (no folders, no `..`: a name cannot reach outside it).
 */
const musicFile = (music: string, state: string): Effect.Effect<string, JobRequestError> => {
  if (!isAbsolute(music)) {
    if (music === "" || music === "." || music.includes("..") || /[/\\]/.test(music)) {
      return Effect.fail(
        refuse("music", `${music}: a music name is a file name in the server's music folder, without folders or ..`)
      )
    }
    const uploaded = join(hostDirs(state).music, music)
    return kindOf(uploaded) === "file"
      ? Effect.succeed(uploaded)
      : Effect.fail(refuse("music", `no music file ${music} was uploaded to the server (${hostDirs(state).music})`))
  }
  return kindOf(music) === "file" ? Effect.succeed(music) : Effect.fail(refuse("music", `${music} is not a file on the server`))
}

/** The images to show: files on the server whose names say they are images reelswarm reads. */
const imagesOf = (images: ReadonlyArray<string>): Effect.Effect<JobSpec["footage"], JobRequestError> =>
  Effect.map(
    Effect.forEach(images, (image) => {
      const file = resolve(image)
      if (kindOf(file) !== "file") return Effect.fail(refuse("images", `${file} is not a file on the server`))
      return IMAGE_EXTENSIONS.has(extname(file).toLowerCase())
        ? Effect.succeed(file)
        : Effect.fail(refuse("images", `${file} is not an image reelswarm shows (${[...IMAGE_EXTENSIONS].join(", ")})`))
    }),
    (files) => ({ _tag: "Files" as const, files: [files[0]!, ...files.slice(1)] })
  )

/** The request's footage: its folder or its images, else the server's uploaded footage, else the procedural samples. */
const footageOf = (request: JobRequest, state: string): Effect.Effect<JobSpec["footage"], JobRequestError> => {
  if (request.images !== undefined) {
    return request.footage === undefined
      ? imagesOf(request.images)
      : Effect.fail(refuse("images", "give a footage folder (footage) or images (images), not both"))
  }
  if (request.footage !== undefined) {
    const dir = resolve(request.footage)
    return kindOf(dir) === "directory"
      ? Effect.succeed({ _tag: "Folder", dir })
      : Effect.fail(refuse("footage", `${dir} is not a folder on the server`))
  }
  const uploaded = hostDirs(state).footage
  return Effect.succeed(hasFiles(uploaded) ? { _tag: "Folder", dir: uploaded } : demoSpec({ stateDir: state }).footage)
}

const sha256Of = (file: string) =>
  new Promise<string>((done, failed) => {
    const hash = createHash("sha256")
    createReadStream(file).on("error", failed).on("data", (chunk) => hash.update(chunk)).on("end", () => done(hash.digest("hex")))
  })

/**
 * The recorded narration: audio ffmpeg decodes, not silent, long enough for a script of `words`
 * words; with its length and its content's digest (part of the job's identity).
 */
const recordingOf = (file: string, words: number) =>
  Effect.gen(function*() {
    const facts = yield* Effect.mapError(inspectRecording(file, words), (error) => refuse("narration", error.message))
    const sha256 = yield* Effect.tryPromise({
      try: () => sha256Of(file),
      catch: (error) => refuse("narration", `the narration recording ${file} cannot be read: ${(error as Error).message}`)
    })
    return { file, sha256, durationSec: facts.durationSec }
  })

/**
 * The job spec `request` asks for, writing `target.out`, every check `run` makes done first: one of
 * script and topic (a topic needs ANTHROPIC_API_KEY), or a recorded narration without a script (then
 * no captions), the script's length, the size, the voice, fonts for captions, the recording (audio,
 * not silent, long enough for the script), the footage folder or images, the music, the output, and
 * the encoder (`auto`: the best proven on this machine).
 */
export const toJobSpec = (request: JobRequest, target: JobTarget): Effect.Effect<JobSpec, JobRequestError> =>
  Effect.gen(function*() {
    const recorded = request.narration === undefined ? undefined : resolve(request.narration)
    if (
      request.script !== undefined && request.topic !== undefined ||
      request.script === undefined && request.topic === undefined && recorded === undefined
    ) {
      return yield* refuse("script", "give the script's text (script) or a topic for Claude to write it (topic), one of them")
    }
    if (recorded !== undefined && request.topic !== undefined) {
      return yield* refuse("topic", "a recorded narration is timed on its own script: give that script (script), or none, not a topic")
    }
    let script: JobSpec["script"]
    if (request.script === undefined && request.topic === undefined) {
      // A recording without its script: the video is the recording over the footage, without captions.
      script = { _tag: "None", title: request.title ?? basename(recorded!, extname(recorded!)) }
    } else if (request.topic !== undefined) {
      if (!process.env.ANTHROPIC_API_KEY) {
        return yield* refuse("topic", "a topic needs a Claude API key on the server (ANTHROPIC_API_KEY): send the script instead")
      }
      script = { _tag: "Topic", topic: request.topic }
    } else {
      const text = request.script!
      if (text.trim() === "") return yield* refuse("script", "the script is empty")
      yield* onField("script")(checkScriptLength(text))
      script = { _tag: "Text", title: request.title ?? titleOf(text), text }
    }
    const size = yield* sizeOf(request)
    yield* onField("voice")(checkVoice(request.voice))
    if (script._tag === "Text" && request.captions !== "none") yield* onField("script")(checkFonts(script.text))
    const recording = recorded === undefined
      ? undefined
      : yield* recordingOf(recorded, script._tag === "Text" ? wordCount(script.text) : 0)
    const footage = yield* footageOf(request, target.state)
    const music = request.music === undefined ? undefined : yield* musicFile(request.music, target.state)
    yield* onField("out")(checkOutput({
      out: target.out,
      ...(footage._tag === "Files" ? { images: footage.files } : { footage: footage.dir }),
      script: target.scriptFile,
      music,
      narration: recorded,
      ...size,
      fps: request.fps,
      // The recording's length in words at espeak-ng's pace: what the estimate of the video's size counts in.
      words: recording !== undefined
        ? Math.ceil(recording.durationSec * 175 / 60)
        : script._tag === "Text"
        ? wordCount(script.text)
        : TOPIC_WORDS
    }))
    const encoder = yield* onField("encoder")(resolveEncoder(request.encoder, target.state))
    return {
      script,
      footage,
      output: {
        path: target.out,
        ...size,
        fps: request.fps,
        encoder,
        // No script, no words to show.
        captions: CAPTION_STYLES[script._tag === "None" ? "none" : request.captions],
        ...captionStyleOf(request),
        ...(music === undefined ? {} : { music: { path: music, volume: request.musicVolume } }),
        // Only when asked for, so a job with the defaults keeps its id (and caches).
        ...(request.encodeAware === true ? { encodeAware: true } : {}),
        ...(request.loudness === DEFAULT_LOUDNESS_LUFS ? {} : { loudness: request.loudness })
      },
      voice: request.voice,
      ...(recording === undefined ? {} : { narration: { file: recording.file, sha256: recording.sha256 } }),
      seed: request.seed,
      segments: request.segments,
      workDir: join(target.state, "work"),
      // Only what differs from the defaults, so a job asked for with the defaults has the same id (and caches) as before these options existed.
      ...(request.voiceRate === 1 ? {} : { voiceRate: request.voiceRate }),
      ...(request.maxClipSeconds === undefined ? {} : { maxShotSeconds: request.maxClipSeconds }),
      ...(request.qc ? { qc: true } : {})
    } satisfies JobSpec
  })

/** The captions' look, when the request changes any of it from the default (bottom, sized to the height, white on black). */
const captionStyleOf = (request: JobRequest): { captionStyle?: CaptionLook } => {
  const { captionColor, captionPosition, captionSize, captionStroke, captionStrokeWidth } = request
  if (
    captionPosition === "bottom" && captionSize === undefined && captionColor === undefined && captionStroke === undefined &&
    captionStrokeWidth === undefined
  ) return {}
  return {
    captionStyle: {
      position: captionPosition,
      ...(captionSize === undefined ? {} : { size: captionSize }),
      ...(captionColor === undefined ? {} : { color: captionColor }),
      ...(captionStroke === undefined ? {} : { stroke: captionStroke }),
      ...(captionStrokeWidth === undefined ? {} : { strokeWidth: captionStrokeWidth })
    }
  }
}
