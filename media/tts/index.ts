export { elevenLabs, type ElevenLabsOptions } from "./elevenlabs.ts"
export { espeakNg, type EspeakOptions } from "./espeak-ng.ts"
export {
  defineTtsProvider,
  layer,
  makeTts,
  Narration,
  SentenceTiming,
  type SynthesizeRequest,
  Tts,
  type TtsProvider,
  type TtsService,
  WordTiming
} from "./narration.ts"
export { TtsError } from "./tts-error.ts"
