export { FootageError, type FootageWarning } from "./footage-error.ts"
export {
  IMAGE_EXTENSIONS,
  indexFolder,
  orientationOf,
  VIDEO_EXTENSIONS,
  type FootageClip,
  type FootageIndex,
  type IndexOptions,
  type Orientation
} from "./footage-index.ts"
export {
  generateSampleLibrary,
  SAMPLE_CLIPS,
  type SampleClip,
  type SampleClipSpec,
  type SampleLibraryOptions,
  type SampleParams
} from "./sample-library.ts"
export { normalizeTags, tagsFromFileName } from "./tags.ts"
export {
  bestFittingFile,
  type FootageCandidate,
  type FootageFile,
  type FootageProvider,
  type FootageQuery
} from "./footage-provider.ts"
export { pexels, type PexelsOptions } from "./pexels.ts"
