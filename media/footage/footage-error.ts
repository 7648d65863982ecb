import { Schema } from "effect"

/** A failure that stops a footage operation (the folder itself is unreadable, an API refused, a sample clip not drawn, …). */
export class FootageError extends Schema.TaggedError<FootageError>()("FootageError", {
  reason: Schema.Literal("invalid-options", "io", "generate", "http", "bad-response"),
  message: Schema.String,
  /** stderr tail, HTTP body excerpt or underlying error text */
  detail: Schema.optional(Schema.String)
}) {}

/** A file that was left out of an index, and why; indexing goes on without it. */
export interface FootageWarning {
  readonly file: string
  readonly reason: "unreadable" | "corrupt" | "bad-sidecar"
  readonly message: string
}
