/**
 * The renderer: narrates, plans the render (captions, timeline, segments), leases segments to the
 * encoder agents that pull them, mixes the audio once and stitches. Encoders talk to it with
 * EncoderReady / PullWork / RenewLease / WorkDone / WorkFailed; the rest are the production's requests.
 */
import { Schema } from "effect"
import { Narration } from "../../media/index.ts"
import { Terminated } from "../../runtime/index.ts"
import { Scene } from "../director/scene.ts"
import { ShotPick } from "../shot-matcher/shot.ts"
import { EncodedPart, EncodeFailedError, OutputSettings, RenderError, RenderResult, RenderSummary, WorkItem } from "./render-data.ts"

export class Narrate extends Schema.TaggedRequest<Narrate>()("Narrate", {
  failure: RenderError,
  success: Narration,
  payload: {
    text: Schema.String,
    voice: Schema.String,
    /** A TTS provider registered with media's Tts service; its default when absent. */
    provider: Schema.optional(Schema.String),
    rate: Schema.optional(Schema.Number),
    /**
     * A recorded voice to narrate with instead: `text` (when not empty) is aligned to it against a
     * synthesized rendition (espeak-ng's where registered, else the provider's), so its words are timed on the recording.
     */
    recording: Schema.optional(Schema.String),
    workDir: Schema.String
  }
}) {}

export class PlanRender extends Schema.TaggedRequest<PlanRender>()("PlanRender", {
  failure: RenderError,
  success: RenderSummary,
  payload: {
    scenes: Schema.Array(Scene),
    picks: Schema.Array(ShotPick),
    narration: Narration,
    output: OutputSettings,
    /** Segments wanted: one per encoder slot (1 = a single pass). */
    segments: Schema.Int.pipe(Schema.positive()),
    workDir: Schema.String
  }
}) {}

export class Render extends Schema.TaggedRequest<Render>()("Render", {
  failure: RenderError,
  success: RenderResult,
  payload: { planFile: Schema.String }
}) {}

/**
 * Stops the render of `planFile` at once: its queued items are dropped, the encoders holding its
 * leases abort their ffmpeg, its audio mix or stitch is interrupted, its intermediate files are
 * removed and every Render waiting for it fails with a RenderError of stage `cancelled`. Answers whether a
 * render of that plan was running; other plans' work is untouched.
 */
export class CancelRender extends Schema.TaggedRequest<CancelRender>()("CancelRender", {
  failure: Schema.Never,
  success: Schema.Boolean,
  payload: { planFile: Schema.String }
}) {}

/** An encoder (re)started and can take work; if it held a lease, that work is given out again. */
export class EncoderReady extends Schema.TaggedClass<EncoderReady>()("EncoderReady", {
  agent: Schema.String,
  /** The encoder the slot drives, when not the plan's: what its learned capacity is kept under. */
  encoder: Schema.optional(Schema.String)
}) {}

export class PullWork extends Schema.TaggedRequest<PullWork>()("PullWork", {
  failure: Schema.Never,
  success: Schema.NullOr(WorkItem),
  payload: {
    agent: Schema.String,
    /** The slot's count of its pulls: an AbortWork names the pull whose item it stops. */
    pull: Schema.optional(Schema.Int)
  }
}) {}

/** The encoder holding the lease on item `index` of `planFile` is making progress (`frame` of its frames written): the lease is renewed. */
export class RenewLease extends Schema.TaggedClass<RenewLease>()("RenewLease", {
  agent: Schema.String,
  planFile: Schema.String,
  index: Schema.Int,
  frame: Schema.Number
}) {}

export class WorkDone extends Schema.TaggedClass<WorkDone>()("WorkDone", { planFile: Schema.String, part: EncodedPart }) {}

export class WorkFailed extends Schema.TaggedClass<WorkFailed>()("WorkFailed", {
  planFile: Schema.String,
  item: WorkItem,
  agent: Schema.String,
  encoder: Schema.String,
  error: EncodeFailedError
}) {}

/** The renderer's own background steps reporting back. */
export class AudioMixed extends Schema.TaggedClass<AudioMixed>()("AudioMixed", {
  planFile: Schema.String,
  file: Schema.String,
  seconds: Schema.Number
}) {}

export class Stitched extends Schema.TaggedClass<Stitched>()("Stitched", {
  planFile: Schema.String,
  output: Schema.String,
  seconds: Schema.Number
}) {}

/** The renderer's lease timer: leases not renewed in time are taken back. */
export class CheckLeases extends Schema.TaggedClass<CheckLeases>()("CheckLeases", {}) {}

export class StepFailed extends Schema.TaggedClass<StepFailed>()("StepFailed", {
  planFile: Schema.String,
  error: RenderError
}) {}

export const RendererProtocol = Schema.Union(
  Narrate,
  PlanRender,
  Render,
  CancelRender,
  EncoderReady,
  PullWork,
  RenewLease,
  WorkDone,
  WorkFailed,
  AudioMixed,
  Stitched,
  StepFailed,
  CheckLeases,
  Terminated
)
export type RendererMessage = typeof RendererProtocol.Type

/** What the renderer tells encoders: there is work to pull. */
export class WorkAvailable extends Schema.TaggedClass<WorkAvailable>()("WorkAvailable", {}) {}

/**
 * What the renderer tells the slot holding the lease on `index` of `planFile` (got by its pull
 * number `pull`) when that render is cancelled: stop its ffmpeg and report nothing; the lease is gone.
 */
export class AbortWork extends Schema.TaggedClass<AbortWork>()("AbortWork", {
  planFile: Schema.String,
  index: Schema.Int,
  pull: Schema.Int
}) {}

/** An encoder's own drain fiber died of a defect: the slot crashes (and restarts) as if it had died in a handler. */
export class DrainDied extends Schema.TaggedClass<DrainDied>()("DrainDied", { message: Schema.String }) {}

export const EncoderProtocol = Schema.Union(WorkAvailable, AbortWork, DrainDied)
export type EncoderMessage = typeof EncoderProtocol.Type
