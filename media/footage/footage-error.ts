import { Data } from "effect"

/** A failure that stops a footage operation (the folder itself is unreadable, an API refused, …). */
export class FootageError extends Data.TaggedError("FootageError")<{
  readonly reason: "InvalidOptions" | "Io" | "Generate" | "Http" | "BadResponse"
  readonly message: string
  /** stderr tail, HTTP body excerpt or underlying error text */
  readonly detail?: string
}> {}

/** A file that was left out of an index, and why; indexing goes on without it. */
export interface FootageWarning {
  readonly file: string
  readonly reason: "unreadable" | "corrupt" | "bad-sidecar"
  readonly message: string
}
