/**
 * A video job: what goes in (the spec, which is also the workflow payload) and what comes out (the
 * report written beside the MP4). The job id is a hash of the spec, so running the same command
 * again finds the same workflow execution: it resumes an unfinished job and returns a finished one.
 * A failed job is run again as a new execution by bumping the spec's `attempt`.
 */
import { PlatformError } from "@effect/platform/Error"
import { Effect, Schema } from "effect"
import { createHash } from "node:crypto"
import { AnalysisError, FootageError, type FootageWarning, Narration, type VoiceWarning } from "../../media/index.ts"
import { AgentCrashedError, AgentNotFoundError, AskTimeoutError, SwarmStoppedError, UndeliveredError } from "../../runtime/index.ts"
import { TimingMismatchError } from "../director/measured.ts"
import { Scene } from "../director/scene.ts"
import { checkScriptLength, ScriptPlanError, type ScriptTooLongError } from "../director/script.ts"
import { ClaudeRequestError, InvalidScriptOutputError, MissingApiKeyError } from "../director/topic.ts"
import { OutputSettings, RenderError, RenderResult } from "../renderer/render-data.ts"
import { NoFootageError } from "../shot-matcher/match.ts"
import { ShotPick } from "../shot-matcher/shot.ts"
import { QcFailedError, QcResult } from "./qc-result.ts"
import { SampleLibraryError } from "./samples.ts"

export const ScriptSource = Schema.Union(
  Schema.TaggedStruct("Text", { title: Schema.String, text: Schema.String }),
  Schema.TaggedStruct("Topic", { topic: Schema.String }),
  /** No script: a recorded narration (the spec's `narration`) as it is, one scene, no captions. */
  Schema.TaggedStruct("None", { title: Schema.String })
)
export type ScriptSource = typeof ScriptSource.Type

/** What a job is called in lists: its script's title, or the topic Claude writes about. */
export const scriptTitle = (script: ScriptSource): string => (script._tag === "Topic" ? script.topic : script.title)

export const FootageSource = Schema.Union(
  /** A folder of clips and images, indexed with ffprobe (cached). */
  Schema.TaggedStruct("Folder", { dir: Schema.String }),
  /** These images and clips (absolute paths), indexed as a folder's are. */
  Schema.TaggedStruct("Files", { files: Schema.NonEmptyArray(Schema.String) }),
  /** The procedural sample library, generated into `dir` at the output size (once). */
  Schema.TaggedStruct("Samples", {
    dir: Schema.String,
    durationSec: Schema.Number,
    /** Only these clips of the library (names as in media's SAMPLE_CLIPS); all when absent. */
    only: Schema.optional(Schema.Array(Schema.String))
  })
)
export type FootageSource = typeof FootageSource.Type

export const JobSpec = Schema.Struct({
  script: ScriptSource,
  footage: FootageSource,
  output: OutputSettings,
  voice: Schema.String,
  /** The narration's speaking-rate multiplier: 1 (or absent) is the voice's normal speed. */
  voiceRate: Schema.optional(Schema.Number),
  /** A TTS provider registered with media's Tts; its default when absent. */
  ttsProvider: Schema.optional(Schema.String),
  /**
   * A recorded voice as the narration, instead of a synthesized one: the script's words are aligned
   * to it. Its content's digest is part of the job's identity, so a changed recording is a new job.
   */
  narration: Schema.optional(Schema.Struct({ file: Schema.String, sha256: Schema.String })),
  /**
   * The longest a single shot stays on screen, in seconds: longer scenes are cut into enough shots
   * that none passes it. Absent: each scene's pace alone decides (SHOT_LENGTHS).
   */
  maxShotSeconds: Schema.optional(Schema.Number),
  /** Shot-matcher tie-breaking seed. */
  seed: Schema.String,
  /** Quality control of the finished video (qc.ts): its rules broken fail the job, with every reason. Default off. */
  qc: Schema.optional(Schema.Boolean),
  /** Render segments (one per encoder slot): a number, `auto` already resolved for the machine (apps/host/job-request.ts). */
  segments: Schema.Int.pipe(Schema.positive()),
  /** Where narration, plans and segments go. */
  workDir: Schema.String,
  /**
   * Which execution of the job this is: 0 (or absent) first, bumped after a failure so that
   * running the job again starts afresh instead of answering with the recorded failure. Not part
   * of the job's identity: the job id, the report and every artifact are the same for all attempts.
   */
  attempt: Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
})
export type JobSpec = typeof JobSpec.Type

/**
 * What a face checks before it starts a job, so that a spec the job would refuse costs no work: a
 * given script must be within the word limit (MAX_SCRIPT_WORDS). A topic's script is Claude's,
 * written for a short video.
 */
export const validateJobSpec = (spec: JobSpec): Effect.Effect<JobSpec, ScriptTooLongError> =>
  spec.script._tag === "Text" ? Effect.as(checkScriptLength(spec.script.text), spec) : Effect.succeed(spec)

/** The job's identity: a hash of the spec, attempt aside. */
export const jobId = (spec: JobSpec): string => {
  const { attempt: _attempt, ...identity } = Schema.encodeSync(JobSpec)(spec)
  return "job-" + createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 16)
}

/** The workflow execution's idempotency key: the job id, plus the attempt after the first. */
export const executionId = (spec: JobSpec): string => {
  const attempt = spec.attempt ?? 0
  return attempt === 0 ? jobId(spec) : `${jobId(spec)}-attempt-${attempt}`
}

export const StageName = Schema.Literal("script", "narration", "scenes", "footage", "shots", "fetch", "plan", "render", "qc", "report")
export type StageName = typeof StageName.Type

// A Schema's type is invariant: a reason media adds (or drops) and this list does not follow does not compile.
const skippedReason: Schema.Schema<FootageWarning["reason"]> = Schema.Literal("unreadable", "corrupt", "bad-sidecar")

/** An input the job left out (an unreadable or corrupt clip, a bad sidecar, a sample clip not drawn), and why. */
export const SkippedInput = Schema.Struct({ file: Schema.String, reason: skippedReason, message: Schema.String })
export type SkippedInput = typeof SkippedInput.Type

/**
 * A script the narration's voice cannot speak well: its characters are read as letter names (a named
 * voice that is not the script's), or by another voice (a language espeak-ng has no voice for).
 */
export const NarrationWarning: Schema.Schema<VoiceWarning> = Schema.Struct({
  voice: Schema.String,
  script: Schema.String,
  characters: Schema.String,
  message: Schema.String
})

/**
 * The render's estimate against what it took: `estimatedSec` as the job's ETA said before the render
 * started (job-eta), `actualSec` the render stage's seconds, `ratio` the one over the other (1: exact;
 * above 1: the estimate was long).
 */
export const JobEta = Schema.Struct({ estimatedSec: Schema.Number, actualSec: Schema.Number, ratio: Schema.Number })
export type JobEta = typeof JobEta.Type

export const JobReport = Schema.Struct({
  job: Schema.String,
  title: Schema.String,
  output: Schema.String,
  scenes: Schema.Array(Scene),
  /** One pick per shot, in scene and shot order; `looped` marks a clip looped because no other matched. */
  shots: Schema.Array(ShotPick),
  /** Every input left out, from the footage index and the sample library, with its reason. */
  skipped: Schema.Array(SkippedInput),
  /** `voice`: the voices that spoke, the main one first (what `auto` resolved to) */
  narration: Schema.Struct({ provider: Schema.String, voice: Schema.String, durationSec: Schema.Number, words: Narration.fields.words }),
  /** What the narration's voices could not speak; absent from reports written before voices were checked. */
  warnings: Schema.optionalWith(Schema.Array(NarrationWarning), { default: () => [] }),
  render: RenderResult,
  /** Seconds each stage took when it ran (a resumed job keeps the figures of the run that did the work). */
  stages: Schema.Record({ key: Schema.String, value: Schema.Number }),
  /** The ETA against the render's real time; absent from reports written before jobs had an ETA. */
  eta: Schema.optional(JobEta),
  /** Quality control's checks of the finished video, when the job asked for it (`qc`). */
  qc: Schema.optional(QcResult)
})
export type JobReport = typeof JobReport.Type

/** The job's execution was cancelled (`reelswarm serve`'s cancel): the stage did not start. */
export class JobCancelledError extends Schema.TaggedError<JobCancelledError>()("JobCancelledError", { job: Schema.String }) {
  override get message(): string {
    return `job ${this.job} was cancelled`
  }
}

/**
 * What a stage fails with, kept whole in ProductionError and in the workflow's record of it: an
 * agent's typed answer, the ask's own failure (timeout, crash, undelivered, no such agent, swarm
 * stopped), or one of the production's own steps (footage, sample clips, the report file).
 */
export const StageCause = Schema.Union(
  ScriptPlanError,
  MissingApiKeyError,
  ClaudeRequestError,
  InvalidScriptOutputError,
  TimingMismatchError,
  NoFootageError,
  RenderError,
  AskTimeoutError,
  AgentCrashedError,
  UndeliveredError,
  AgentNotFoundError,
  SwarmStoppedError,
  FootageError,
  SampleLibraryError,
  PlatformError,
  JobCancelledError,
  AnalysisError,
  QcFailedError
)
export type StageCause = typeof StageCause.Type

/** A stage's failure in words: the cause's message, then the tool's own account (ffmpeg's stderr, …) when it has one. */
const describeCause = (cause: StageCause): string => {
  const detail = (cause._tag === "RenderError" || cause._tag === "FootageError" ? cause.detail : undefined)?.trim()
  if (detail === undefined || detail === "") return cause.message
  return detail.includes("\n") ? `${cause.message}\n  ${detail.split("\n").join("\n  ")}` : `${cause.message}: ${detail}`
}

/** A stage of the job failed; `cause` is what it failed with, as its own typed error. */
export class ProductionError extends Schema.TaggedError<ProductionError>()("ProductionError", {
  stage: StageName,
  cause: StageCause
}) {
  override get message(): string {
    return `${this.stage} failed: ${describeCause(this.cause)}`
  }
}
