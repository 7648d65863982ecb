/**
 * ElevenLabs "text-to-speech with timestamps": one request per chunk of whole sentences, raw PCM back
 * (`output_format=pcm_<rate>`, wrapped as WAV here, no transcoding) and per-character start/end times,
 * which become word timings. The service's own alignment is the measurement. Requests go through the
 * environment's `HttpClient` (see internal/http-client.ts): a 5xx or 429 is retried, a refusal is not.
 */
import { HttpClientRequest } from "@effect/platform"
import { Effect, Redacted, Schema } from "effect"
import { describeHttpError, providerHttpClient } from "../internal/http-client.ts"
import { narrationKey, readCachedNarration, writeNarration } from "./narration-file.ts"
import {
  defineTtsProvider,
  type SentenceTiming,
  type SynthesizeRequest,
  type TtsProvider,
  validateRequest,
  type WordTiming
} from "./narration.ts"
import { splitSentences } from "./text-units.ts"
import { TtsError } from "./tts-error.ts"
import { concatPcm, pcmFromS16le } from "./wav.ts"

const PROVIDER = "elevenlabs"

export interface ElevenLabsOptions {
  readonly apiKey: Redacted.Redacted<string> | string
  /** default https://api.elevenlabs.io (tests point it at a loopback fake) */
  readonly baseUrl?: string
  /** default eleven_multilingual_v2 */
  readonly modelId?: string
  /** PCM output rate requested from the service, default 24000 */
  readonly sampleRate?: 16000 | 22050 | 24000 | 44100
  /** characters per request; whole sentences are packed up to this, default 2000 */
  readonly maxChunkChars?: number
}

const Alignment = Schema.Struct({
  characters: Schema.Array(Schema.String),
  character_start_times_seconds: Schema.Array(Schema.Number),
  character_end_times_seconds: Schema.Array(Schema.Number)
})

const WithTimestamps = Schema.Struct({
  audio_base64: Schema.String,
  alignment: Schema.NullOr(Alignment)
})

const sentenceEnd = /[.!?…。！？]["'”’)\]]*$/u
const speakable = /[\p{L}\p{N}]/u

/** Characters with times → words (a whitespace run ends a word; a token with nothing speakable joins the previous word). */
export const wordsFromCharacters = (alignment: typeof Alignment.Type, offsetSec: number): ReadonlyArray<WordTiming> => {
  const words: Array<{ word: string; start: number; end: number }> = []
  let current: { word: string; start: number; end: number } | undefined
  const flush = () => {
    if (current === undefined) return
    const last = words[words.length - 1]
    if (!speakable.test(current.word) && last !== undefined) {
      last.word = `${last.word} ${current.word}`
    } else if (speakable.test(current.word)) {
      words.push(current)
    }
    current = undefined
  }
  alignment.characters.forEach((char, i) => {
    if (/^\s*$/u.test(char)) return flush()
    const start = offsetSec + (alignment.character_start_times_seconds[i] ?? 0)
    const end = offsetSec + (alignment.character_end_times_seconds[i] ?? 0)
    if (current === undefined) current = { word: char, start, end }
    else {
      current.word += char
      current.end = Math.max(current.end, end)
    }
  })
  flush()
  return words.map((w) => ({ word: w.word, start: round(w.start), end: round(w.end) }))
}

/** Sentences from consecutive words: a word ending in . ! ? … closes one. */
export const sentencesFromWords = (words: ReadonlyArray<WordTiming>, endSec: number): ReadonlyArray<SentenceTiming> => {
  const groups: Array<Array<WordTiming>> = [[]]
  for (const word of words) {
    groups[groups.length - 1]!.push(word)
    if (sentenceEnd.test(word.word)) groups.push([])
  }
  const filled = groups.filter((g) => g.length > 0)
  return filled.map((group, i) => ({
    text: group.map((w) => w.word).join(" "),
    start: group[0]!.start,
    end: round(filled[i + 1]?.[0]?.start ?? endSec),
    words: group
  }))
}

const round = (sec: number) => Math.round(sec * 1000) / 1000

const chunkSentences = (text: string, maxChars: number): ReadonlyArray<string> => {
  const chunks: Array<string> = []
  for (const sentence of splitSentences(text)) {
    const last = chunks[chunks.length - 1]
    if (last !== undefined && last.length + 1 + sentence.length <= maxChars) chunks[chunks.length - 1] = `${last} ${sentence}`
    else chunks.push(sentence)
  }
  return chunks
}

export const elevenLabs = (options: ElevenLabsOptions): TtsProvider => {
  const baseUrl = (options.baseUrl ?? "https://api.elevenlabs.io").replace(/\/+$/, "")
  const modelId = options.modelId ?? "eleven_multilingual_v2"
  const sampleRate = options.sampleRate ?? 24000
  const maxChunk = options.maxChunkChars ?? 2000
  const apiKey = typeof options.apiKey === "string" ? Redacted.make(options.apiKey) : options.apiKey
  const fail = (reason: "http" | "bad-response", message: string, detail?: string) =>
    new TtsError({ provider: PROVIDER, reason, message, ...(detail === undefined ? {} : { detail }) })

  const requestChunk = (request: SynthesizeRequest, text: string, previousText: string | undefined) =>
    Effect.gen(function*() {
      const client = yield* providerHttpClient
      const url = `${baseUrl}/v1/text-to-speech/${encodeURIComponent(request.voice)}/with-timestamps?output_format=pcm_${sampleRate}`
      const body = yield* HttpClientRequest.post(url).pipe(
        HttpClientRequest.setHeaders({ "xi-api-key": Redacted.value(apiKey), accept: "application/json" }),
        HttpClientRequest.bodyUnsafeJson({
          text,
          model_id: modelId,
          ...(previousText === undefined ? {} : { previous_text: previousText }),
          ...(request.rate === undefined ? {} : { voice_settings: { speed: Math.min(1.2, Math.max(0.7, request.rate)) } })
        }),
        client.execute,
        Effect.flatMap((response) => response.text),
        Effect.catchAll((error) =>
          Effect.flatMap(describeHttpError(error), ({ status, detail }) =>
            Effect.fail(
              status === undefined
                ? fail("http", `cannot reach ${baseUrl}`, detail)
                : fail("http", `ElevenLabs answered HTTP ${status}`, detail)
            ))
        )
      )
      const decoded = yield* Schema.decodeUnknown(Schema.parseJson(WithTimestamps))(body).pipe(
        Effect.mapError((error) => fail("bad-response", "ElevenLabs response is not the with-timestamps shape", error.message))
      )
      if (decoded.alignment === null) return yield* Effect.fail(fail("bad-response", "ElevenLabs returned no alignment"))
      return { pcm: pcmFromS16le(Buffer.from(decoded.audio_base64, "base64"), sampleRate), alignment: decoded.alignment }
    })

  return defineTtsProvider({
    name: PROVIDER,
    synthesize: Effect.fn("tts.elevenlabs.synthesize")(function*(request: SynthesizeRequest, outDir: string) {
      yield* validateRequest(PROVIDER, request)
      const key = narrationKey(PROVIDER, request, [modelId, sampleRate])
      const cached = yield* readCachedNarration(outDir, key)
      if (cached !== undefined) return cached
      const parts: Array<Int16Array> = []
      const words: Array<WordTiming> = []
      let offset = 0
      let previous: string | undefined
      for (const chunk of chunkSentences(request.text, maxChunk)) {
        const { pcm, alignment } = yield* requestChunk(request, chunk, previous)
        words.push(...wordsFromCharacters(alignment, offset / sampleRate))
        parts.push(pcm.samples)
        offset += pcm.samples.length
        previous = chunk
      }
      const audio = concatPcm(sampleRate, parts)
      return yield* writeNarration(PROVIDER, outDir, key, audio, sentencesFromWords(words, offset / sampleRate))
    })
  })
}
