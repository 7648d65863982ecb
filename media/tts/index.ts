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
export {
  inspectRecording,
  narrateRecording,
  type RecordedNarrationRequest,
  RECORDING_PROVIDER,
  RecordingError,
  type RecordingFacts,
  type Synthesize
} from "./recorded-narration.ts"
export { TtsError } from "./tts-error.ts"
export {
  AUTO_VOICE,
  type EspeakVoice,
  type EspeakVoices,
  espeakVoices,
  parseVoiceTable,
  planVoices,
  speaksScript,
  unknownVoicePart,
  voiceFor,
  voiceForLanguage,
  type VoicePlan,
  type VoiceRun,
  type VoiceWarning
} from "./voices.ts"
