/** What quality control found (qc.ts), as the job's report and its failure carry it. */
import { Schema } from "effect"

/** One rule and what the video measured against it. */
export const QcCheck = Schema.Struct({
  rule: Schema.Literal("loudness", "true-peak", "black", "frozen", "av-offset", "captions-safe-area"),
  passed: Schema.Boolean,
  /** The measurement and the limit, in words ("-15.8 LUFS, target -14 ± 1"). */
  detail: Schema.String
})
export type QcCheck = typeof QcCheck.Type

export const QcResult = Schema.Struct({
  passed: Schema.Boolean,
  checks: Schema.Array(QcCheck),
  /** The analysis the checks read (`reelswarm analyze` gives the same report for the file). */
  analysisSeconds: Schema.Number
})
export type QcResult = typeof QcResult.Type

/** The finished video broke QC rules: each broken check's detail. */
export class QcFailedError extends Schema.TaggedError<QcFailedError>()("QcFailedError", {
  output: Schema.String,
  reasons: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `${this.output} failed quality control: ${this.reasons.join("; ")}`
  }
}
