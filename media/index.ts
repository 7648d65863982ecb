/**
 * media/: the video craft as plain Effect services; imports nothing from runtime/, agents/, memory/ or apps/.
 * The public surface, by module: each service with its constructors, its options, results and errors. Helpers
 * that only media/ itself needs (argument builders, parsers, filter-graph escaping, cut choice) stay unexported.
 */
export { partialSibling, removeStalePartials, replaceFileAtomically, writeFileAtomic } from "./atomic-file.ts"
export {
  type AspectProfile,
  buildAss,
  CaptionError,
  type CaptionOptions,
  type CaptionPosition,
  type CaptionSource,
  type CaptionStyle,
  DEFAULT_CAPTION_FONT,
  escapeAssText,
  type SafeArea,
  safeArea,
  writeAss
} from "./captions.ts"
export {
  chooseEncoder,
  detectEncoders,
  ENCODER_CATALOGUE,
  type EncoderArgs,
  encoderArgs,
  type EncoderDetection,
  type EncoderFamily,
  EncoderPreset,
  Encoders,
  EncoderSettings,
  type EncoderSpec,
  encoderSpec,
  fallbackChain,
  type ListedEncoder,
  NoEncoderError,
  type RejectedEncoder,
  UnknownEncoderError,
  type VideoCodec
} from "./encoders.ts"
export {
  type FfmpegCommand,
  FfmpegError,
  type FfmpegProgress,
  ffmpegProgress,
  type FfmpegResult,
  type FfmpegRunOptions,
  runFfmpeg
} from "./ffmpeg.ts"
export { mediaFileSystem } from "./file-system.ts"
export { type FontCoverage, fontCoverage, FontCoverageError, type MissingCharacter, type ScriptCoverage } from "./font-coverage.ts"
export {
  asSampleClipRef,
  bestFittingFile,
  defaultIndexConcurrency,
  footageCacheFile,
  type FootageCandidate,
  type FootageClip,
  FootageError,
  type FootageFile,
  type FootageIndex,
  FootageIndexCache,
  type FootageProvider,
  type FootageQuery,
  type FootageWarning,
  generateSampleLibrary,
  type HeaderFacts,
  indexFolder,
  type IndexOptions,
  normalizeTags,
  type Orientation,
  orientationOf,
  pexels,
  type PexelsOptions,
  readImageHeader,
  readMkvHeader,
  readMp4Header,
  SAMPLE_CLIPS,
  type SampleClip,
  SampleClipRef,
  sampleClipRef,
  type SampleClipSpec,
  sampleGraph,
  type SampleLibraryOptions,
  type SampleParams,
  sampleParamsProblem,
  tagsFromFileName
} from "./footage/index.ts"
export { type CpuInfo, detectHardware, type GpuInfo, type GpuVendor, Hardware, type HardwareInfo } from "./hardware.ts"
export { JsonFileError, readJsonFile } from "./json-file.ts"
export { type MediaInfo, probe, ProbeError, type ProbeOptions } from "./probe.ts"
export {
  ProcessError,
  type ProcessFault,
  type ProcessOutput,
  type ProcessRequest,
  ProcessRunner,
  type ProcessRunnerService
} from "./process-runner.ts"
export { type AbbreviationList, ABBREVIATIONS, abbreviationsFor } from "./text/abbreviations.ts"
export {
  detectLanguage,
  type LanguageGuess,
  type LanguageProfile,
  languageProfile,
  type LanguageRun,
  languageRuns,
  scriptOf
} from "./text/language.ts"
export { type SegmentOptions, type Sentence, splitSentences, splitWords, type Word, wordCount } from "./text/segmentation.ts"
export {
  audioCommand,
  chooseSegmentLayout,
  concatList,
  FileShot,
  Fit,
  LavfiShot,
  localMachine,
  type Machine,
  MusicTrack,
  NarrationSpan,
  NarrationTrack,
  PiecePlan,
  type PlanOptions,
  planRender,
  render,
  renderAudio,
  RenderFiles,
  type RenderOptions,
  RenderPlan,
  type RenderProgress,
  renderSegment,
  renderSinglePass,
  type RenderStage,
  ScenePlan,
  segmentCommand,
  type SegmentLayout,
  SegmentPlan,
  ShortClipPolicy,
  ShotMedia,
  singlePassCommand,
  SourcePlan,
  StillMotion,
  stitch,
  stitchCommand,
  TimelineError,
  TimelineInput,
  TimelineOutput,
  TimelineScene,
  TimelineShot,
  Transition
} from "./timeline.ts"
export {
  AUTO_VOICE,
  defineTtsProvider,
  elevenLabs,
  type ElevenLabsOptions,
  espeakNg,
  type EspeakOptions,
  type EspeakVoice,
  type EspeakVoices,
  espeakVoices,
  layer as ttsLayer,
  makeTts,
  Narration,
  parseVoiceTable,
  planVoices,
  SentenceTiming,
  speaksScript,
  type SynthesizeRequest,
  Tts,
  TtsError,
  type TtsProvider,
  type TtsService,
  unknownVoicePart,
  voiceFor,
  voiceForLanguage,
  type VoicePlan,
  type VoiceRun,
  type VoiceWarning,
  WordTiming
} from "./tts/index.ts"
