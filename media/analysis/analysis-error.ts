/** What an analyzer fails with: which file, which analyzer, and why, in words a user can act on. */
import { Schema } from "effect"

export class AnalysisError extends Schema.TaggedError<AnalysisError>()("AnalysisError", {
  file: Schema.String,
  analyzer: Schema.String,
  /** `tool-missing`: ffmpeg, ffprobe or tesseract is not installed; `failed`: it ran and failed; `io`: a work file could not be written or read. */
  reason: Schema.Literal("tool-missing", "failed", "io"),
  message: Schema.String
}) {}

/** An AnalysisError from a failure of `tool` (a ProcessError, FfmpegError or PlatformError: anything with a message). */
export const analysisFailure =
  (file: string, analyzer: string, tool: string) => (error: { readonly message: string; readonly reason?: unknown }) =>
    new AnalysisError({
      file,
      analyzer,
      reason: error.reason === "spawn" ? "tool-missing" : tool === "fs" ? "io" : "failed",
      message: error.reason === "spawn"
        ? `${analyzer}: cannot run ${tool} (${error.message}); install it (Debian: ${tool === "tesseract" ? "tesseract-ocr" : "ffmpeg"})`
        : `${analyzer} of ${file} failed: ${error.message}`
    })
