export {
  defineTtsProvider,
  layer,
  makeTts,
  Tts,
  type Narration,
  type SentenceTiming,
  type SynthesizeRequest,
  type TtsProvider,
  type TtsService,
  type WordTiming
} from "./narration.ts"
export { TtsError } from "./tts-error.ts"
export { espeakNg, type EspeakOptions } from "./espeak-ng.ts"
export { elevenLabs, type ElevenLabsOptions } from "./elevenlabs.ts"
