/**
 * A recorded voice as the narration: the recording (any file ffmpeg decodes: WAV, MP3, M4A, a
 * video's sound) is decoded to 16-bit mono PCM, and the script's words are timed on it by aligning
 * a synthesized rendition of the same script, whose word timings the synthesizer measured, to the
 * recording (voice-alignment.ts). Captions then follow the real voice. Without a script the
 * recording is the narration as it is, with no words timed.
 *
 * A file that cannot be the narration (missing, not audio, silent, far too short for its script) is a
 * RecordingError naming the file and what is wrong with it; `inspectRecording` makes the same checks
 * before a job starts.
 */
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Schema } from "effect"
import { createHash } from "node:crypto"
import { join } from "node:path"
import { runFfmpeg } from "../ffmpeg.ts"
import { mediaFileSystem, removeQuietly } from "../file-system.ts"
import { probe } from "../probe.ts"
import { narrationKey, readCachedNarration, writeNarration } from "./narration-file.ts"
import type { Narration, SentenceTiming, SynthesizeRequest, WordTiming } from "./narration.ts"
import { toSentences } from "./text-units.ts"
import type { TtsError } from "./tts-error.ts"
import { alignRendition } from "./voice-alignment.ts"
import { decodeWav, type Pcm16 } from "./wav.ts"

export const RECORDING_PROVIDER = "recording"

/** Changes with the way a recording is timed, so a narration cached by an earlier way is made again. */
const ALIGNMENT_REVISION = 1

/** What a file must be to narrate a script, and which check it failed. */
export class RecordingError extends Schema.TaggedError<RecordingError>()("RecordingError", {
  file: Schema.String,
  reason: Schema.Literal("missing", "not-audio", "empty", "silent", "too-short", "io"),
  /** One line: the file and what is wrong with it. */
  message: Schema.String,
  /** ffmpeg's or the system's own words, when there are any. */
  detail: Schema.optional(Schema.String)
}) {}

const failure = (file: string, reason: RecordingError["reason"], what: string, detail?: string) =>
  new RecordingError({
    file,
    reason,
    message: `the narration recording ${file} ${what}`,
    ...(detail === undefined || detail === "" ? {} : { detail })
  })

/** Less than 50 ms of sound is no recording. */
const MIN_SECONDS = 0.05
/** The loudest 20 ms of a silent file stay below this RMS (about −60 dBFS). */
const SILENT_RMS = 33
/**
 * A script needs at least this many seconds per word of sound: 500 words a minute, faster than
 * anyone speaks, so a shorter recording is not of this script (or cut off).
 */
const MIN_SECONDS_PER_WORD = 0.12
/** The recording speaks for at least a third of the time the synthesizer takes for the script. */
const MIN_SHARE_OF_RENDITION = 1 / 3
/** The rate `inspectRecording` decodes at: enough to tell sound from silence. */
const CHECK_RATE = 16_000
/** The narration track's rate: the recording's own, within these bounds. */
const TRACK_RATES = { min: 16_000, max: 48_000 } as const

const unreadable = (file: string) => (error: PlatformError) =>
  error._tag === "SystemError" && error.reason === "NotFound"
    ? failure(file, "missing", "does not exist")
    : failure(file, "io", "cannot be read", error.message)

/** The recording is there and is a file. */
const checkFile = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const info = yield* fs.stat(file).pipe(Effect.mapError(unreadable(file)))
    if (info.type !== "File") return yield* failure(file, "not-audio", "is not a file")
  })

/** The recording is a file with an audio stream; its sample rate, when ffprobe tells. */
const probeRecording = (file: string) =>
  Effect.gen(function*() {
    yield* checkFile(file)
    const media = yield* probe(file).pipe(
      Effect.mapError((error) => failure(file, "not-audio", "is not audio ffmpeg can read", error.message))
    )
    if (!media.hasAudio) return yield* failure(file, "not-audio", "has no audio stream")
    return media.sampleRate
  })

/** `file` decoded to 16-bit mono at `sampleRate`, through a WAV in `dir`. */
const decodeRecording = (file: string, sampleRate: number, dir: string) =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const wav = join(dir, `recording-${sampleRate}.wav`)
    yield* runFfmpeg({
      args: ["-i", file, "-map", "0:a:0", "-vn", "-ac", "1", "-ar", String(sampleRate), "-c:a", "pcm_s16le", "-f", "wav"],
      output: wav
    }).pipe(Effect.mapError((error) => failure(file, "not-audio", "cannot be decoded", error.stderrTail.trim())))
    const pcm = yield* fs.readFile(wav).pipe(
      Effect.flatMap((bytes) => Effect.try(() => decodeWav(bytes))),
      Effect.mapError((error) => failure(file, "io", "was decoded but cannot be read back", error.message))
    )
    yield* removeQuietly(wav)
    return pcm
  })

/** The recording's length and its sounding span (from the first to the last 20 ms above silence), in seconds. */
const soundOf = (pcm: Pcm16) => {
  const window = Math.max(1, Math.round(pcm.sampleRate * 0.02))
  let first = -1
  let last = -1
  for (let at = 0; at < pcm.samples.length; at += window) {
    let energy = 0
    const end = Math.min(pcm.samples.length, at + window)
    for (let i = at; i < end; i++) energy += pcm.samples[i]! ** 2
    if (Math.sqrt(energy / window) >= SILENT_RMS) {
      if (first < 0) first = at
      last = end
    }
  }
  return {
    durationSec: pcm.samples.length / pcm.sampleRate,
    soundingSec: first < 0 ? 0 : (last - first) / pcm.sampleRate
  }
}

const seconds = (sec: number) => `${sec.toFixed(1)} s`

/** The checks a recording must pass to narrate a script of `words` words. */
const checkSound = (file: string, pcm: Pcm16, words: number) =>
  Effect.gen(function*() {
    const sound = soundOf(pcm)
    if (sound.durationSec < MIN_SECONDS) return yield* failure(file, "empty", "has no sound in it (it is empty)")
    if (sound.soundingSec === 0) {
      return yield* failure(file, "silent", `is silent: ${seconds(sound.durationSec)} with nothing above −60 dBFS`)
    }
    const needed = words * MIN_SECONDS_PER_WORD
    if (sound.soundingSec < needed) {
      return yield* failure(
        file,
        "too-short",
        `is far too short for the script: ${seconds(sound.soundingSec)} of voice for ${words} words (at least ${seconds(needed)})`
      )
    }
    return sound
  })

export interface RecordingFacts {
  readonly durationSec: number
  /** From the first to the last sound, seconds. */
  readonly soundingSec: number
}

/**
 * Whether `file` can narrate a script of `words` words (0: no script): it exists, ffmpeg decodes audio
 * from it, it is not silent, and it is long enough for the script. Made before a job starts.
 */
export const inspectRecording = Effect.fn("tts.recording.inspect")(function*(file: string, words: number) {
  const fs = yield* mediaFileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "reelswarm-recording-" }).pipe(
    Effect.mapError((error) => failure(file, "io", "cannot be checked: no temporary folder", error.message))
  )
  yield* probeRecording(file)
  const sound = yield* checkSound(file, yield* decodeRecording(file, CHECK_RATE, dir), words)
  return { durationSec: sound.durationSec, soundingSec: sound.soundingSec } satisfies RecordingFacts
}, Effect.scoped)

export interface RecordedNarrationRequest {
  /** The recording: any file with an audio stream ffmpeg decodes. */
  readonly file: string
  /** The script the recording speaks; without it (or empty) no words are timed. */
  readonly text?: string | undefined
  /** The voice (and rate, pitch) the rendition that is aligned to the recording is synthesized with. */
  readonly voice: string
  readonly rate?: number | undefined
  readonly pitch?: number | undefined
}

/** Synthesizes a rendition of the script: a provider's `synthesize` (espeak-ng's, offline). */
export type Synthesize = (request: SynthesizeRequest, outDir: string) => Effect.Effect<Narration, TtsError>

const round = (sec: number) => Math.round(sec * 1000) / 1000

/**
 * The rendition's sentences and words moved onto the recording: onsets and ends through the warp, kept
 * in order, each word inside its sentence, the sentences one after another from 0 to the recording's end.
 */
const timingsOnRecording = (
  rendition: Narration,
  warp: { readonly onset: (sec: number) => number; readonly end: (sec: number) => number },
  durationSec: number
): ReadonlyArray<SentenceTiming> => {
  const starts = rendition.sentences.map((s, i) => (i === 0 ? 0 : Math.min(durationSec, warp.onset(s.start))))
  for (let i = 1; i < starts.length; i++) starts[i] = Math.max(starts[i]!, starts[i - 1]!)
  let previous = 0
  return rendition.sentences.map((sentence, s) => {
    const start = starts[s]!
    const end = s + 1 < starts.length ? starts[s + 1]! : durationSec
    const onsets = sentence.words.map((w) => Math.min(end, Math.max(start, previous, warp.onset(w.start))))
    for (let w = 1; w < onsets.length; w++) onsets[w] = Math.max(onsets[w]!, onsets[w - 1]!)
    const words: Array<WordTiming> = sentence.words.map((w, i) => {
      const onset = onsets[i]!
      const wordEnd = Math.max(onset, Math.min(warp.end(w.end), onsets[i + 1] ?? end))
      return { word: w.word, start: round(onset), end: round(wordEnd) }
    })
    previous = onsets[onsets.length - 1] ?? previous
    return { text: sentence.text, start: round(start), end: round(end), words }
  })
}

/** The recording's content as a key: the same bytes, the same narration. */
const digestOf = (file: string) =>
  checkFile(file).pipe(
    Effect.zipRight(mediaFileSystem),
    Effect.flatMap((fs) => Effect.mapError(fs.readFile(file), unreadable(file))),
    Effect.map((bytes) => createHash("sha256").update(bytes).digest("hex"))
  )

/**
 * The narration of `request.text` spoken by the recording `request.file`, written into `outDir` (the
 * audio as 16-bit mono WAV at the recording's rate, 16–48 kHz, with its timings beside it) under a
 * name keyed by the recording's content and the script: the same recording and script reuse it.
 */
export const narrateRecording = Effect.fn("tts.recording.narrate")(function*(
  request: RecordedNarrationRequest,
  outDir: string,
  synthesize: Synthesize
) {
  const text = request.text?.trim() ?? ""
  const voicing: SynthesizeRequest = {
    text,
    voice: request.voice,
    ...(request.rate === undefined ? {} : { rate: request.rate }),
    ...(request.pitch === undefined ? {} : { pitch: request.pitch })
  }
  const key = narrationKey(RECORDING_PROVIDER, voicing, [ALIGNMENT_REVISION, yield* digestOf(request.file)])
  const cached = yield* readCachedNarration(outDir, key)
  if (cached !== undefined) return cached
  const fs = yield* mediaFileSystem
  const dir = yield* Effect.acquireRelease(
    fs.makeDirectory(outDir, { recursive: true }).pipe(
      Effect.zipRight(fs.makeTempDirectory({ directory: outDir, prefix: ".recording-" })),
      Effect.mapError((error) => failure(request.file, "io", `cannot be decoded into ${outDir}`, error.message))
    ),
    (made) => removeQuietly(made, { recursive: true })
  )
  const sourceRate = yield* probeRecording(request.file)
  const trackRate = Math.min(TRACK_RATES.max, Math.max(TRACK_RATES.min, sourceRate ?? TRACK_RATES.max))
  const track = yield* decodeRecording(request.file, trackRate, dir)
  const durationSec = track.samples.length / track.sampleRate
  const words = text === "" ? 0 : toSentences(text).reduce((n, sentence) => n + sentence.words.length, 0)
  yield* checkSound(request.file, track, words)
  if (words === 0) return yield* writeNarration(RECORDING_PROVIDER, outDir, key, track, [])
  const rendition = yield* synthesize(voicing, outDir)
  const renditionPcm = decodeWav(
    yield* fs.readFile(rendition.audioFile).pipe(
      Effect.mapError((error) =>
        failure(request.file, "io", `cannot be aligned: the rendition ${rendition.audioFile} cannot be read`, error.message)
      )
    )
  )
  // Aligned at the rendition's rate: both sequences' frames then span the same time.
  const recording = renditionPcm.sampleRate === trackRate ? track : yield* decodeRecording(request.file, renditionPcm.sampleRate, dir)
  const sound = soundOf(recording)
  const warp = alignRendition(renditionPcm, recording)
  const renditionSounding = warp.renditionVoiced[1] - warp.renditionVoiced[0]
  if (sound.soundingSec < renditionSounding * MIN_SHARE_OF_RENDITION) {
    return yield* failure(
      request.file,
      "too-short",
      `is far too short for the script: ${seconds(sound.soundingSec)} of voice where ${rendition.provider} takes ` +
        `${seconds(renditionSounding)} to say it`
    )
  }
  return yield* writeNarration(RECORDING_PROVIDER, outDir, key, track, timingsOnRecording(rendition, warp, durationSec))
}, Effect.scoped)
