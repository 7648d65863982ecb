/** What an analyzer agent is asked: one analyzer task (a plain media/ function), answered with its result. */
import { Schema } from "effect"
import { AnalysisError, AudioAnalysis, AudioRequest, TextRequest, TextSighting, VideoRange, VideoRangeRequest } from "../../media/index.ts"

/** The video analyzers over one time range of a file, in one ffmpeg pass. */
export class AnalyzeVideoRange extends Schema.TaggedRequest<AnalyzeVideoRange>()("AnalyzeVideoRange", {
  failure: AnalysisError,
  success: VideoRange,
  payload: { request: VideoRangeRequest }
}) {}

/** Loudness and silences of a file's audio, in one ffmpeg pass. */
export class AnalyzeAudio extends Schema.TaggedRequest<AnalyzeAudio>()("AnalyzeAudio", {
  failure: AnalysisError,
  success: AudioAnalysis,
  payload: { request: AudioRequest }
}) {}

/** OCR of some sampled frames. */
export class ReadText extends Schema.TaggedRequest<ReadText>()("ReadText", {
  failure: AnalysisError,
  success: Schema.Array(TextSighting),
  payload: { request: TextRequest }
}) {}

export const AnalyzerProtocol = Schema.Union(AnalyzeVideoRange, AnalyzeAudio, ReadText)
export type AnalyzerMessage = typeof AnalyzerProtocol.Type
