import { Context, Effect, Layer, Schema } from "effect"
import { TtsError } from "./tts-error.ts"

export interface SynthesizeRequest {
  readonly text: string
  /** provider-specific voice: an espeak-ng voice name ("en", "en-us", "fr"), an ElevenLabs voice id, … */
  readonly voice: string
  /** speaking-rate multiplier, 1 = the provider's normal speed (0.25 … 4) */
  readonly rate?: number
  /** 0 … 100, 50 = the voice's normal pitch (providers without pitch control ignore it) */
  readonly pitch?: number
}

/** One spoken word, seconds from the start of the narration track. `word` is the text as written. */
export const WordTiming = Schema.Struct({ word: Schema.String, start: Schema.Number, end: Schema.Number })
export type WordTiming = typeof WordTiming.Type

export const SentenceTiming = Schema.Struct({
  text: Schema.String,
  start: Schema.Number,
  end: Schema.Number,
  words: Schema.Array(WordTiming)
})
export type SentenceTiming = typeof SentenceTiming.Type

/** What every provider returns; also the content of a cached narration's timings file. */
export const Narration = Schema.Struct({
  provider: Schema.String,
  /** 16-bit mono PCM WAV */
  audioFile: Schema.String,
  durationSec: Schema.Number,
  sampleRate: Schema.Number,
  words: Schema.Array(WordTiming),
  sentences: Schema.Array(SentenceTiming)
}).annotations({ identifier: "Narration" })
export type Narration = typeof Narration.Type

/** A TTS engine as a plugin: every provider is driven through this one shape. */
export interface TtsProvider {
  readonly name: string
  readonly synthesize: (request: SynthesizeRequest, outDir: string) => Effect.Effect<Narration, TtsError>
}

export const defineTtsProvider = (provider: TtsProvider): TtsProvider => provider

export interface TtsService {
  readonly providers: ReadonlyArray<string>
  readonly defaultProvider: string
  /** synthesizes with `provider` (by name) or the default one */
  readonly synthesize: (
    request: SynthesizeRequest & { readonly provider?: string },
    outDir: string
  ) => Effect.Effect<Narration, TtsError>
}

export class Tts extends Context.Tag("reelswarm/media/Tts")<Tts, TtsService>() {}

/** A registry over the given providers; the first one is the default unless `defaultProvider` names another. */
export const makeTts = (providers: ReadonlyArray<TtsProvider>, defaultProvider?: string): TtsService => {
  const byName = new Map(providers.map((p) => [p.name, p] as const))
  const fallback = defaultProvider ?? providers[0]?.name ?? ""
  return {
    providers: [...byName.keys()],
    defaultProvider: fallback,
    synthesize: (request, outDir) => {
      const name = request.provider ?? fallback
      const provider = byName.get(name)
      if (provider === undefined) {
        return Effect.fail(
          new TtsError({
            provider: name,
            reason: "unknown-provider",
            message: `no TTS provider named "${name}" (registered: ${[...byName.keys()].join(", ") || "none"})`
          })
        )
      }
      const { provider: _ignored, ...plain } = request
      return provider.synthesize(plain, outDir)
    }
  }
}

export const layer = (providers: ReadonlyArray<TtsProvider>, defaultProvider?: string): Layer.Layer<Tts> =>
  Layer.succeed(Tts, makeTts(providers, defaultProvider))

const MAX_TEXT = 100_000

/** Shared request validation: untrusted text and numbers are checked before any process or socket is touched. */
export const validateRequest = (provider: string, request: SynthesizeRequest): Effect.Effect<void, TtsError> => {
  const invalid = (message: string) => Effect.fail(new TtsError({ provider, reason: "invalid-request", message }))
  if (typeof request.text !== "string" || !/[\p{L}\p{N}]/u.test(request.text)) return invalid("text has nothing to speak")
  if (request.text.length > MAX_TEXT) return invalid(`text is ${request.text.length} characters (limit ${MAX_TEXT})`)
  if (typeof request.voice !== "string" || !/^[\p{L}\p{N}_+\-/.]{1,100}$/u.test(request.voice)) {
    return invalid(`voice ${JSON.stringify(request.voice)} is not a voice name`)
  }
  if (request.rate !== undefined && !(request.rate >= 0.25 && request.rate <= 4)) {
    return invalid(`rate ${request.rate} is outside 0.25 … 4`)
  }
  if (request.pitch !== undefined && !(request.pitch >= 0 && request.pitch <= 100)) {
    return invalid(`pitch ${request.pitch} is outside 0 … 100`)
  }
  return Effect.void
}
