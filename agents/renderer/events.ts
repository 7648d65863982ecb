/**
 * What the renderer publishes: a render's start, end or reuse, each encoded part, work handed back,
 * expired or retried, reports it ignored, the ETA, and its device breakers opening, trying and closing.
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

/** The render was cancelled: its work was dropped, its ffmpeg runs stopped and its files removed. */
export const RenderCancelledEvent = eventKind("render-cancelled", { planFile: Schema.String })

/** The same plan was rendered before and its output is still there. */
export const RenderReusedEvent = eventKind("render-reused", { planFile: Schema.String, output: Schema.String })

export const PartEncodedEvent = eventKind("part-encoded", { planFile: Schema.String, ...EncodedPart.fields })

/** An encoder restarted or stopped while holding the lease on `item`; it goes back to the front of the queue. */
export const WorkRequeuedEvent = eventKind("work-requeued", { agent: Schema.String, item: WorkItem, why: Schema.String })

/** `agent` held the lease on `item` (its `attempt`-th) and did not renew it within `ttlSeconds`: the item goes back to the queue. */
export const LeaseExpiredEvent = eventKind("lease-expired", {
  planFile: Schema.String,
  agent: Schema.String,
  item: WorkItem,
  attempt: Schema.Int,
  ttlSeconds: Schema.Number
})

/**
 * A report the renderer did not count: a part already in (`duplicate`), a result or failure from a
 * slot whose lease was taken back (`lease-lost`), or a late part whose file is not there (`invalid-part`).
 */
export const WorkIgnoredEvent = eventKind("work-ignored", {
  planFile: Schema.String,
  agent: Schema.String,
  kind: WorkItem.fields.kind,
  index: Schema.Int,
  why: Schema.Literal("duplicate", "lease-lost", "invalid-part")
})

/**
 * The time the rest of a render should take: frames not yet encoded over the summed learned capacity
 * (frames/s) of its encoder slots. Published beside encode-progress, at most every ETA_INTERVAL.
 */
export const RenderEtaEvent = eventKind("render-eta", {
  planFile: Schema.String,
  remainingFrames: Schema.Number,
  framesPerSecond: Schema.Number,
  etaSeconds: Schema.Number
})

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
