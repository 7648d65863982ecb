/** What an encoder publishes while it encodes. */
import { Schema } from "effect"
import { eventKind } from "../../runtime/index.ts"

/** Frames encoded so far of one work item (`index` of the plan in `planFile`); the last one has `frame === frames`. */
export const EncodeProgressEvent = eventKind("encode-progress", {
  planFile: Schema.String,
  index: Schema.Int,
  frame: Schema.Number,
  frames: Schema.Number
})
