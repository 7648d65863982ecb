/**
 * What a job publishes as it goes (each stage starting, finishing or failing; footage left out), and
 * `VideoSwarmEvent`: every event the video swarm publishes, the runtime's lifecycle and memory's
 * cleanup reports included. The CLI's progress, the console and tests decode events with it;
 * publishers build them with each kind's `make`, so what is published matches the union.
 */
import { Option, Schema } from "effect"
import type { FootageWarning } from "../../media/index.ts"
import { CleanupEvent, CleanupFailedEvent } from "../../memory/index.ts"
import { eventKind, HeartbeatEvent, LifecycleEvent, type SwarmEvent } from "../../runtime/index.ts"
import { EncodeProgressEvent } from "../encoder/events.ts"
import { AgentAliveEvent, AgentStaleEvent, MetricsEvent } from "../monitor/events.ts"
import { RenderEstimate } from "../renderer/estimate.ts"
import {
  DeviceBreakerClosedEvent,
  DeviceBreakerOpenedEvent,
  DeviceBreakerTrialEvent,
  EncodeRetryEvent,
  LeaseExpiredEvent,
  PartEncodedEvent,
  RenderCancelledEvent,
  RenderEtaEvent,
  RenderFailedEvent,
  RenderFinishedEvent,
  RenderReusedEvent,
  RenderStartedEvent,
  WorkIgnoredEvent,
  WorkRequeuedEvent
} from "../renderer/events.ts"
import { ShotPickedEvent } from "../shot-matcher/events.ts"
import { StageName } from "./job.ts"

/** `attempt` counts the workflow engine's retries of the stage's activity, from 1. */
export const StageStartedEvent = eventKind("stage-started", { stage: StageName, attempt: Schema.Int })

export const StageFinishedEvent = eventKind("stage-finished", { stage: StageName, seconds: Schema.Number })

export const StageFailedEvent = eventKind("stage-failed", { stage: StageName, attempt: Schema.Int, message: Schema.String })

/** The job was cancelled before the stage started: it is not run, nor any stage after it. */
export const StageSkippedEvent = eventKind("stage-skipped", { stage: StageName, why: Schema.Literal("cancelled") })

// A Schema's type is invariant: a reason media adds (or drops) and this list does not follow does not compile.
const warningReason: Schema.Schema<FootageWarning["reason"]> = Schema.Literal("unreadable", "corrupt", "bad-sidecar")

/** A footage file left out of the job's footage (an unreadable or corrupt clip, a bad sidecar). */
export const FootageWarningEvent = eventKind("footage-warning", { file: Schema.String, reason: warningReason, message: Schema.String })

/**
 * The job's ETA, once its render is planned and before it starts: the render's frames over the
 * frames/s its encoder learned on this machine (or a default, `source: "default"`), spread over its
 * encoder slots, plus a start cost (agents/renderer/estimate.ts).
 */
export const JobEtaEvent = eventKind("job-eta", RenderEstimate.fields)

export const VideoSwarmEvent = Schema.Union(
  ...LifecycleEvent.members,
  HeartbeatEvent.schema,
  StageStartedEvent.schema,
  StageFinishedEvent.schema,
  StageFailedEvent.schema,
  StageSkippedEvent.schema,
  FootageWarningEvent.schema,
  JobEtaEvent.schema,
  ShotPickedEvent.schema,
  RenderStartedEvent.schema,
  RenderFinishedEvent.schema,
  RenderFailedEvent.schema,
  RenderReusedEvent.schema,
  RenderCancelledEvent.schema,
  PartEncodedEvent.schema,
  WorkRequeuedEvent.schema,
  WorkIgnoredEvent.schema,
  LeaseExpiredEvent.schema,
  RenderEtaEvent.schema,
  EncodeRetryEvent.schema,
  EncodeProgressEvent.schema,
  DeviceBreakerOpenedEvent.schema,
  DeviceBreakerTrialEvent.schema,
  DeviceBreakerClosedEvent.schema,
  MetricsEvent.schema,
  AgentStaleEvent.schema,
  AgentAliveEvent.schema,
  CleanupEvent.schema,
  CleanupFailedEvent.schema
)
export type VideoSwarmEvent = typeof VideoSwarmEvent.Type

/** The event as one of the swarm's known kinds; none for an unknown type or data that does not fit its kind. */
export const decodeVideoSwarmEvent: (event: SwarmEvent) => Option.Option<VideoSwarmEvent> = Schema.decodeUnknownOption(VideoSwarmEvent)
