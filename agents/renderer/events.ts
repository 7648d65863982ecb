/**
 * What the renderer publishes: a render's start, end or reuse, each encoded part, work handed back
 * or retried, and its device breakers opening, trying and closing.
 */
import { Schema } from "effect"
import { eventKind } from "../../runtime/index.ts"
import { EncodedPart, RenderError, RenderResult, WorkItem } from "./render-data.ts"

export const RenderStartedEvent = eventKind("render-started", {
  planFile: Schema.String,
  items: Schema.Int,
  /** The encoder agents known when it started. */
  encoders: Schema.Array(Schema.String)
})

export const RenderFinishedEvent = eventKind("render-finished", {
  planFile: Schema.String,
  output: Schema.String,
  stages: RenderResult.fields.stages
})

export const RenderFailedEvent = eventKind("render-failed", {
  planFile: Schema.String,
  stage: RenderError.fields.stage,
  message: Schema.String
})

/** The same plan was rendered before and its output is still there. */
export const RenderReusedEvent = eventKind("render-reused", { planFile: Schema.String, output: Schema.String })

export const PartEncodedEvent = eventKind("part-encoded", { planFile: Schema.String, ...EncodedPart.fields })

/** An encoder restarted while holding `item`; it goes back to the front of the queue. */
export const WorkRequeuedEvent = eventKind("work-requeued", { agent: Schema.String, item: WorkItem, why: Schema.String })

/** `agent` (the encoder slot) failed `item` on `failedOn`; `item` is the retry (in software after a device failed). */
export const EncodeRetryEvent = eventKind("encode-retry", {
  planFile: Schema.String,
  item: WorkItem,
  failedOn: Schema.String,
  agent: Schema.String,
  message: Schema.String
})

/** A slot's device failed `failures` times: its work goes to `fallback` until `until` (epoch ms). */
export const DeviceBreakerOpenedEvent = eventKind("device-breaker-opened", {
  agent: Schema.String,
  device: Schema.String,
  fallback: Schema.String,
  failures: Schema.Int,
  until: Schema.Number
})

/** The cool-down is over: the next item tries the device again. */
export const DeviceBreakerTrialEvent = eventKind("device-breaker-trial", { agent: Schema.String, device: Schema.String })

export const DeviceBreakerClosedEvent = eventKind("device-breaker-closed", { agent: Schema.String, device: Schema.String })
