import { Schema } from "effect"

/** Why a narration could not be produced, with the facts needed to fix it. */
export class TtsError extends Schema.TaggedError<TtsError>()("TtsError", {
  provider: Schema.String,
  reason: Schema.Literal("invalid-request", "unknown-provider", "process-failed", "http", "bad-response", "io"),
  message: Schema.String,
  /** stderr tail, HTTP body excerpt or underlying error text */
  detail: Schema.optional(Schema.String)
}) {}
