/** A narration on disk (WAV + timings JSON) under a content-addressed name: written to a temp name then renamed, read back decoded. */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { mkdir, stat } from "node:fs/promises"
import { join } from "node:path"
import { writeFileAtomically } from "../atomic-file.ts"
import { readJsonFile } from "../json-file.ts"
import { Narration, type SentenceTiming, type SynthesizeRequest } from "./narration.ts"
import { TtsError } from "./tts-error.ts"
import { encodeWav, type Pcm16 } from "./wav.ts"

export const ioError = (provider: string, message: string) => (cause: unknown) =>
  new TtsError({ provider, reason: "io", message, detail: String(cause) })

/** Same provider + text + voice + rate + pitch → same file name, so a re-run reuses the finished narration. */
export const narrationKey = (provider: string, request: SynthesizeRequest, extra: unknown = null): string =>
  createHash("sha256")
    .update(JSON.stringify([provider, request.text, request.voice, request.rate ?? 1, request.pitch ?? 50, extra]))
    .digest("hex")
    .slice(0, 20)

const paths = (outDir: string, key: string) => ({
  audio: join(outDir, `narration-${key}.wav`),
  timings: join(outDir, `narration-${key}.json`)
})

/**
 * The narration finished earlier under this key, if both of its files are there. A timings file
 * that does not decode (damaged, or written by another version) is a cache miss, with a warning
 * naming it: the narration is synthesized again and the file replaced.
 */
export const readCachedNarration = (outDir: string, key: string): Effect.Effect<Narration | undefined> => {
  const { audio, timings } = paths(outDir, key)
  return readJsonFile(Narration, timings).pipe(
    Effect.tapError((
      error
    ) => (error.reason === "invalid" ? Effect.logWarning(`ignoring the cached narration ${error.message}`) : Effect.void)),
    Effect.flatMap((narration) =>
      Effect.map(
        Effect.tryPromise(() => stat(audio)),
        (audioStat) => (audioStat.size > 44 ? { ...narration, audioFile: audio } : undefined)
      )
    ),
    Effect.orElseSucceed(() => undefined)
  )
}

/** Writes audio then timings, each to a temp name renamed into place; the timings file marks completion. */
export const writeNarration = (
  provider: string,
  outDir: string,
  key: string,
  pcm: Pcm16,
  sentences: ReadonlyArray<SentenceTiming>
): Effect.Effect<Narration, TtsError> =>
  Effect.tryPromise({
    try: async () => {
      const { audio, timings } = paths(outDir, key)
      await mkdir(outDir, { recursive: true })
      const narration: Narration = {
        provider,
        audioFile: audio,
        durationSec: pcm.samples.length / pcm.sampleRate,
        sampleRate: pcm.sampleRate,
        words: sentences.flatMap((s) => s.words),
        sentences
      }
      await writeFileAtomically(audio, encodeWav(pcm))
      await writeFileAtomically(timings, JSON.stringify(narration, null, 1))
      return narration
    },
    catch: ioError(provider, `cannot write narration into ${outDir}`)
  })
