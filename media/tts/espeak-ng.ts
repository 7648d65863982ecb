/**
 * espeak-ng, the offline default. Each sentence is synthesized on its own and the sentences are joined
 * into one track, so every sentence's offset is known exactly. Word timings are measured per sentence
 * by aligning each word's solo synthesis against the sentence audio (see word-alignment.ts). A word is
 * spoken alone as written, symbols and numbers included ("$3.50" is "dollar three point five zero"),
 * so its template holds every sound espeak-ng makes for it and its onset is its first sound.
 *
 * With the voice `auto` each run of language is spoken by its own voice (voices.ts): a sentence of one
 * voice is synthesized as before, a sentence of several as SSML with a `<voice>` per run (espeak-ng starts a
 * clause at each, a pause of about 40 ms), and each word alone in the voices of its own runs, so that its
 * template matches what the sentence says.
 */
import { Effect } from "effect"
import { join } from "node:path"
import { mediaFileSystem, removeQuietly } from "../file-system.ts"
import { runProcess } from "../process-runner.ts"
import { ioError, narrationKey, readCachedNarration, writeNarration } from "./narration-file.ts"
import { defineTtsProvider, type SentenceTiming, type SynthesizeRequest, type TtsProvider, validateRequest } from "./narration.ts"
import { toSentences } from "./text-units.ts"
import { TtsError } from "./tts-error.ts"
import { AUTO_VOICE, voiceFor, type VoiceRun } from "./voices.ts"
import { concatPcm, decodeWav, type Pcm16 } from "./wav.ts"
import { alignWords } from "./word-alignment.ts"

const PROVIDER = "espeak-ng"
/**
 * Changes with the sentence and word segmentation or the way words are timed, so a narration cached
 * under an earlier revision (other words, other onsets) is made again rather than reused.
 */
const TIMING_REVISION = 2
/** espeak-ng's own default speed, words per minute: rate 1 */
const BASE_WPM = 175

export interface EspeakOptions {
  /** executable, default "espeak-ng" */
  readonly binary?: string
  /** concurrent espeak-ng processes per sentence (solo words), default 4 */
  readonly concurrency?: number
}

/** The text goes through stdin: no argument parsing, no shell, any characters. Interrupted, the process is stopped. */
const runEspeak = (binary: string, args: ReadonlyArray<string>, text: string): Effect.Effect<void, TtsError> =>
  runProcess({ command: binary, args, stdin: text }).pipe(
    Effect.asVoid,
    Effect.mapError((error) =>
      new TtsError({
        provider: PROVIDER,
        reason: "process-failed",
        message: error.reason === "spawn" ? `cannot run ${binary}` : `${binary} exited with ${error.exitCode ?? "a signal"}`,
        detail: error.reason === "spawn" ? error.message : error.stderr.slice(-2000).trim()
      })
    )
  )

const espeakArgs = (
  request: SynthesizeRequest & { readonly ssml?: boolean },
  wavFile: string,
  finalPause: boolean
): ReadonlyArray<string> => [
  "--stdin",
  ...(request.ssml === true ? ["-m"] : []),
  "-b",
  "1",
  "-v",
  request.voice,
  "-s",
  String(Math.round(BASE_WPM * (request.rate ?? 1))),
  "-p",
  String(Math.round(Math.min(99, request.pitch ?? 50))),
  ...(finalPause ? [] : ["-z"]),
  "-w",
  wavFile
]

export const espeakNg = (options: EspeakOptions = {}): TtsProvider => {
  const binary = options.binary ?? "espeak-ng"
  const concurrency = options.concurrency ?? 4

  const synthesizeToPcm = (request: SynthesizeRequest & { readonly ssml?: boolean }, text: string, file: string, finalPause: boolean) =>
    runEspeak(binary, espeakArgs(request, file, finalPause), text).pipe(
      Effect.zipRight(mediaFileSystem),
      Effect.flatMap((fs) => fs.readFile(file)),
      Effect.flatMap((bytes) => Effect.try(() => decodeWav(bytes))),
      Effect.mapError((error) => (error._tag === "TtsError" ? error : ioError(PROVIDER, `cannot read espeak-ng output ${file}`)(error)))
    )

  return defineTtsProvider({
    name: PROVIDER,
    synthesize: Effect.fn("tts.espeak-ng.synthesize")(function*(request: SynthesizeRequest, outDir: string) {
      yield* validateRequest(PROVIDER, request)
      const key = narrationKey(PROVIDER, request, TIMING_REVISION)
      const cached = yield* readCachedNarration(outDir, key)
      if (cached !== undefined) return cached
      const sentences = toSentences(request.text)
      const plan = request.voice.toLowerCase() === AUTO_VOICE ? yield* voiceFor(request.text, AUTO_VOICE, binary) : undefined
      const runsOf = (text: string): ReadonlyArray<Pick<VoiceRun, "text" | "voice">> =>
        plan === undefined ? [{ text, voice: request.voice }] : plan.runsOf(text)
      /** A text in its voices: one voice as plain text, several as SSML with a voice per run. */
      const speak = (text: string, file: string, finalPause: boolean) => {
        const runs = runsOf(text)
        const first = runs[0]?.voice ?? plan?.voice ?? request.voice
        return runs.length <= 1
          ? synthesizeToPcm({ ...request, voice: first }, text, file, finalPause)
          : synthesizeToPcm({ ...request, voice: first, ssml: true }, `<speak>${runsSsml(runs, first)}</speak>`, file, finalPause)
      }
      const fs = yield* mediaFileSystem
      const work = yield* Effect.acquireRelease(
        fs.makeDirectory(outDir, { recursive: true }).pipe(
          Effect.zipRight(fs.makeTempDirectory({ directory: outDir, prefix: ".espeak-" })),
          Effect.mapError(ioError(PROVIDER, `cannot create a work directory in ${outDir}`))
        ),
        (dir) => removeQuietly(dir, { recursive: true })
      )
      // Every distinct word is synthesized alone once per narration, in batches (one per voice): one
      // espeak-ng run speaks a batch as separate one-word sentences with long pauses between them.
      let files = 0
      const nextFile = (prefix: string) => join(work, `${prefix}${files++}.wav`)
      const distinct = [...new Set(sentences.flatMap((sentence) => sentence.words.map((word) => word.speech)))]
      const byVoice = new Map<string, Array<string>>()
      for (const word of distinct) {
        const voice = runsOf(word)[0]?.voice ?? request.voice
        const words = byVoice.get(voice)
        if (words === undefined) byVoice.set(voice, [word])
        else words.push(word)
      }
      const batches = [...byVoice].flatMap(([voice, words]) =>
        Array.from({ length: Math.ceil(words.length / SOLO_BATCH) }, (_, i) => ({
          voice,
          words: words.slice(i * SOLO_BATCH, (i + 1) * SOLO_BATCH)
        }))
      )
      const soloBatch = ({ voice, words }: { readonly voice: string; readonly words: ReadonlyArray<string> }) =>
        synthesizeToPcm(
          { ...request, voice, ssml: true },
          soloBatchSsml(words.map((word) => runsSsml(runsOf(word), voice))),
          nextFile("b"),
          false
        )
          .pipe(
            Effect.flatMap((pcm) => {
              const parts = splitAtPauses(pcm, words.length)
              // A batch that does not split into exactly its words is synthesized word by word.
              return parts !== undefined
                ? Effect.succeed(parts)
                : Effect.forEach(words, (word) => speak(word, nextFile("w"), false), { concurrency })
            })
          )
      const [sentenceAudio, soloParts] = yield* Effect.all(
        [
          Effect.forEach(sentences, (sentence) => speak(sentence.speech, nextFile("s"), true), { concurrency }),
          Effect.forEach(batches, soloBatch, { concurrency })
        ],
        { concurrency: 2 }
      )
      const batched = batches.flatMap((batch) => batch.words)
      const solos = new Map(batched.map((word, i) => [word, soloParts.flat()[i]!] as const))
      const measured = sentences.map((sentence, s) => {
        const audio = sentenceAudio[s]!
        return { sentence, audio, aligned: alignWords(audio, sentence.words.map((word) => solos.get(word.speech)!)) }
      })
      const sampleRate = measured[0]?.audio.sampleRate ?? 22050
      const parts: Array<Int16Array> = []
      const timings: Array<SentenceTiming> = []
      let offset = 0
      for (const { sentence, audio, aligned } of measured) {
        const at = offset / sampleRate
        const words = sentence.words.map((word, w) => ({
          word: word.text,
          start: round(at + aligned[w]!.start),
          end: round(at + aligned[w]!.end)
        }))
        timings.push({
          text: sentence.text,
          start: round(at),
          end: round(at + audio.samples.length / sampleRate),
          words
        })
        parts.push(audio.samples)
        offset += audio.samples.length
      }
      return yield* writeNarration(PROVIDER, outDir, key, concatPcm(sampleRate, parts), timings)
    }, Effect.scoped)
  })
}

const round = (sec: number) => Math.round(sec * 1000) / 1000

/** Distinct words spoken alone per espeak-ng run. */
const SOLO_BATCH = 32
/** The pause between the words of a batch, and the shortest stillness taken for it when splitting. */
const BATCH_PAUSE_MS = 600
const SPLIT_PAUSE_SEC = 0.3

const escapeSsml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;")

/** Runs of text in SSML: a run in `voice` as it is, one in another voice inside a `<voice>` of its own. */
const runsSsml = (runs: ReadonlyArray<Pick<VoiceRun, "text" | "voice">>, voice: string) =>
  runs.length === 1 && runs[0]!.voice === voice
    ? escapeSsml(runs[0]!.text)
    : runs.map((run) => `<voice name="${run.voice}">${escapeSsml(run.text)}</voice>`).join("")

/** Each word (already SSML) its own sentence, as when spoken alone, with a long pause after it. */
const soloBatchSsml = (words: ReadonlyArray<string>) =>
  `<speak>${words.map((word) => `<s>${word}</s><break time="${BATCH_PAUSE_MS}ms"/>`).join("")}</speak>`

/**
 * Cuts a batch into its words at the pauses (espeak-ng's pauses are digital silence); undefined
 * unless there are exactly `count` sounding stretches.
 */
export const splitAtPauses = (pcm: Pcm16, count: number): ReadonlyArray<Pcm16> | undefined => {
  const { sampleRate, samples } = pcm
  const minGap = Math.round(sampleRate * SPLIT_PAUSE_SEC)
  const parts: Array<Pcm16> = []
  let start = -1
  let lastSound = -1
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]!) > 16) {
      if (start < 0) start = i
      lastSound = i
    } else if (start >= 0 && i - lastSound >= minGap) {
      parts.push({ sampleRate, samples: samples.subarray(start, lastSound + 1) })
      start = -1
    }
  }
  if (start >= 0) parts.push({ sampleRate, samples: samples.subarray(start, lastSound + 1) })
  return parts.length === count ? parts : undefined
}
