export { FootageError, type FootageWarning } from "./footage-error.ts"
export {
  defaultIndexConcurrency,
  footageCacheFile,
  type FootageClip,
  type FootageIndex,
  FootageIndexCache,
  IMAGE_EXTENSIONS,
  indexFiles,
  indexFolder,
  type IndexOptions,
  type Orientation,
  orientationOf,
  VIDEO_EXTENSIONS
} from "./footage-index.ts"
export { bestFittingFile, type FootageCandidate, type FootageFile, type FootageProvider, type FootageQuery } from "./footage-provider.ts"
export type { HeaderFacts } from "./header-read.ts"
export { readImageHeader } from "./image-header.ts"
export { readMkvHeader } from "./mkv-header.ts"
export { readMp4Header } from "./mp4-header.ts"
export { pexels, type PexelsOptions } from "./pexels.ts"
export {
  asSampleClipRef,
  generateSampleLibrary,
  SAMPLE_CLIPS,
  type SampleClip,
  SampleClipRef,
  sampleClipRef,
  type SampleClipSpec,
  sampleGraph,
  type SampleLibraryOptions,
  type SampleParams,
  sampleParamsProblem
} from "./sample-library.ts"
export { normalizeTags, tagsFromFileName } from "./tags.ts"
