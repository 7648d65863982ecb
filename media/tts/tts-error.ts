import { Data } from "effect"

/** Why a narration could not be produced, with the facts needed to fix it. */
export class TtsError extends Data.TaggedError("TtsError")<{
  readonly provider: string
  readonly reason: "InvalidRequest" | "UnknownProvider" | "ProcessFailed" | "Http" | "BadResponse" | "Io"
  readonly message: string
  /** stderr tail, HTTP body excerpt or underlying error text */
  readonly detail?: string
}> {}
