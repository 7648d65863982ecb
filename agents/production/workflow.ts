/**
 * The production of one video as a durable @effect/workflow workflow. Each stage is an activity
 * that asks an agent to do the work; the engine records each finished activity's result, so after
 * a crash the same job resumes where it was and finished stages are not run again. Every stage
 * records `stage-started`, then `stage-finished` or `stage-failed`: a resumed job's log shows which
 * ones ran again. A cancelled job's stages do not start (`stage-skipped`): see cancellation.ts.
 * Between the plan and the render the job publishes its ETA (`job-eta`), and its report compares it
 * with the render's real time.
 */
import { Activity, Workflow } from "@effect/workflow"
import { Clock, Duration, Effect, Either, Option, Schedule, Schema } from "effect"
import { extname } from "node:path"
import {
  AnalysisError,
  DEFAULT_LOUDNESS_LUFS,
  footageCacheFile,
  FootageIndexCache,
  type FootageWarning,
  indexFiles,
  indexFolder,
  mediaFileSystem,
  Narration,
  voiceFor
} from "../../media/index.ts"
import { Swarm, SwarmEvents } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { measuredSentenceDurations } from "../director/measured.ts"
import { PlanScript, Replan, WriteScriptForTopic } from "../director/protocol.ts"
import { Scene, ScriptPlan } from "../director/scene.ts"
import { estimateRender } from "../renderer/estimate.ts"
import { readPlan, writeAtomically } from "../renderer/plan-file.ts"
import { Narrate, PlanRender, Render } from "../renderer/protocol.ts"
import { RenderResult, RenderSummary } from "../renderer/render-data.ts"
import { MatchShots } from "../shot-matcher/protocol.ts"
import { Clip, clipOfFootage, ShotPick } from "../shot-matcher/shot.ts"
import { recordArtifactUse } from "./artifact-uses.ts"
import { isCancelled } from "./cancellation.ts"
import { FootageWarningEvent, JobEtaEvent, StageFailedEvent, StageFinishedEvent, StageSkippedEvent, StageStartedEvent } from "./events.ts"
import {
  executionId,
  JobCancelledError,
  jobId,
  type JobReport,
  JobReport as JobReportSchema,
  JobSpec,
  ProductionError,
  SkippedInput,
  type StageCause,
  type StageName
} from "./job.ts"
import { QcFailedError, QcResult } from "./qc-result.ts"
import { plannedStills, runQc } from "./qc.ts"
import { sampleClips } from "./samples.ts"
import { VideoSwarm } from "./video-swarm.ts"

export const ProduceVideo = Workflow.make({
  name: "ProduceVideo",
  payload: JobSpec,
  success: JobReportSchema,
  error: ProductionError,
  idempotencyKey: executionId
})

/** The report lies beside the MP4: out/demo.mp4 → out/demo.json. */
export const reportPath = (output: string) => output.slice(0, output.length - extname(output).length) + ".json"

const Timed = <A, I>(value: Schema.Schema<A, I>) => Schema.Struct({ value, seconds: Schema.Number })

/**
 * An agent that restarted under the stage (crashed, or its supervisor restarted it) answers the ask
 * again: its work is content-addressed, so asking twice redoes nothing finished. A stopped swarm,
 * a timeout or the work's own failure are not retried.
 */
const isTransient = (cause: StageCause): boolean =>
  cause._tag === "AgentCrashedError" || cause._tag === "AgentNotFoundError" ||
  (cause._tag === "UndeliveredError" && (cause.reason === "stopped" || cause.reason === "no-such-agent"))

/** From 100 ms, doubling to at most 2 s apart, for up to 2 minutes: long enough for a supervisor's restart backoff. */
const AGENT_RESTART_RETRY = Schedule.exponential("100 millis").pipe(
  Schedule.either(Schedule.spaced("2 seconds")),
  Schedule.upTo("2 minutes")
)

/** How long an agent may take for a stage before the activity fails. */
const LONG: Duration.DurationInput = "30 minutes"

export const ProduceVideoLive = ProduceVideo.toLayer(
  Effect.fn("production.produceVideo")(function*(spec) {
    const { encoders } = yield* VideoSwarm
    const swarm = yield* Swarm
    const events = yield* SwarmEvents
    const job = jobId(spec)
    /** Published as they happen, and kept for the report's `skipped`. */
    const publishWarnings = (warnings: ReadonlyArray<FootageWarning>) =>
      Effect.as(
        events.publishAll(warnings.map(({ file, reason, message }) => FootageWarningEvent.make({ file, reason, message }, { job }))),
        warnings.map(({ file, reason, message }): SkippedInput => ({ file, reason, message }))
      )

    /** One stage as an activity: timed, logged, its failure the stage's name with its typed cause. */
    const stage = <A, I, R>(name: StageName, success: Schema.Schema<A, I>, work: Effect.Effect<A, StageCause, R>) =>
      Activity.make({
        name,
        success: Timed(success),
        error: ProductionError,
        execute: Effect.gen(function*() {
          // A cancelled job starts no stage (see cancellation.ts for why a mark, not an interruption).
          if (yield* isCancelled(spec)) {
            yield* events.publish(StageSkippedEvent.make({ stage: name, why: "cancelled" }, { job }))
            return yield* new ProductionError({ stage: name, cause: new JobCancelledError({ job }) })
          }
          const attempt = yield* Activity.CurrentAttempt
          yield* events.publish(StageStartedEvent.make({ stage: name, attempt }, { job }))
          const start = yield* Clock.currentTimeMillis
          // The engine runs activities uninterruptibly; the agent's work is not, so a closing engine
          // interrupts it (its result unrecorded: it runs again at the next start) instead of waiting for it.
          const value = yield* Effect.mapError(
            Effect.interruptible(Effect.retry(work, { while: isTransient, schedule: AGENT_RESTART_RETRY })),
            (cause) => new ProductionError({ stage: name, cause })
          ).pipe(
            Effect.tapError((error) =>
              events.publish(StageFailedEvent.make({ stage: name, attempt, message: error.cause.message }, { job }))
            )
          )
          const seconds = ((yield* Clock.currentTimeMillis) - start) / 1000
          yield* events.publish(StageFinishedEvent.make({ stage: name, seconds }, { job }))
          return { value, seconds }
        })
      })

    const frame = { width: spec.output.width, height: spec.output.height, fps: spec.output.fps }

    /** The footage folder's probe cache (one file per folder, where the environment keeps them), as this job used it. */
    const recordFootageCache = (dir: string) =>
      Effect.gen(function*() {
        const cacheDir = (yield* FootageIndexCache).dir
        if (cacheDir === undefined) return
        const real = yield* Effect.orElseSucceed((yield* mediaFileSystem).realPath(dir), () => dir)
        yield* recordArtifactUse([footageCacheFile(cacheDir, real)], job)
      })

    const footageStage = stage(
      "footage",
      Schema.Struct({ clips: Schema.Array(Clip), skipped: Schema.Array(SkippedInput) }),
      Effect.gen(function*() {
        const source = spec.footage
        // The sample library is matched from its clips' records; the render generates the picked ones.
        if (source._tag === "Samples") return { clips: yield* sampleClips(source, frame), skipped: [] }
        const index = source._tag === "Files" ? yield* indexFiles(source.files) : yield* indexFolder(source.dir)
        // Given files are indexed without writing a folder's cache.
        if (source._tag === "Folder") yield* recordFootageCache(source.dir)
        const skipped = yield* publishWarnings(index.warnings)
        return { clips: index.clips.map(clipOfFootage), skipped }
      })
    )

    const scriptStage = stage(
      "script",
      ScriptPlan,
      spec.script._tag === "Text"
        ? swarm.ask(AGENT_NAMES.director, new PlanScript({ title: spec.script.title, script: spec.script.text }))
        : spec.script._tag === "Topic"
        ? swarm.ask(AGENT_NAMES.director, new WriteScriptForTopic({ topic: spec.script.topic }), { timeout: "5 minutes" })
        // No script (a recording speaks for itself): one sentence without words, the whole recording long.
        : Effect.succeed({ title: spec.script.title, sentences: [{ text: "", paragraph: 0 }], scenes: [] })
    )

    const narrationText = (plan: ScriptPlan) => plan.sentences.map((s) => s.text).join(" ")
    const narrationStage = (plan: ScriptPlan) =>
      stage(
        "narration",
        Narration,
        swarm.ask(
          AGENT_NAMES.renderer,
          new Narrate({
            text: narrationText(plan),
            voice: spec.voice,
            workDir: spec.workDir,
            ...(spec.ttsProvider === undefined ? {} : { provider: spec.ttsProvider }),
            ...(spec.voiceRate === undefined ? {} : { rate: spec.voiceRate }),
            ...(spec.narration === undefined ? {} : { recording: spec.narration.file })
          }),
          { timeout: LONG }
        ).pipe(Effect.tap((narration) => recordArtifactUse([narration.audioFile], job)))
      )

    // The footage is indexed while the script is planned and narrated: neither needs the other.
    const [[script, narration], footage] = yield* Effect.all(
      [
        Effect.flatMap(scriptStage, (script) => Effect.map(narrationStage(script.value), (narration) => [script, narration] as const)),
        footageStage
      ],
      { concurrency: 2 }
    )
    const plan = script.value
    // The voices espeak-ng spoke with (auto resolved per language) and what they could not speak: for the
    // report, and on stderr as they are found. Another provider's voices are its own business.
    const voicing = narration.value.provider === "espeak-ng"
      ? yield* Effect.option(voiceFor(narrationText(plan), spec.voice))
      : Option.none()
    const voiceWarnings = Option.match(voicing, { onNone: () => [], onSome: (voices) => voices.warnings })
    yield* Effect.forEach(voiceWarnings, (warning) => Effect.logWarning(`narration: ${warning.message}`), { discard: true })

    const scenes = yield* stage(
      "scenes",
      Schema.Array(Scene),
      Effect.flatMap(
        Either.match(
          measuredSentenceDurations(plan.sentences.map((s) => s.text), narration.value.words, narration.value.durationSec),
          { onLeft: Effect.fail, onRight: Effect.succeed }
        ),
        (durationsSec) =>
          swarm.ask(
            AGENT_NAMES.director,
            // The word timings let the director cut long scenes between words.
            new Replan({
              sentences: plan.sentences,
              durationsSec,
              words: narration.value.words.map(({ end, start }) => ({ start, end })),
              ...(spec.maxShotSeconds === undefined ? {} : { maxShotSeconds: spec.maxShotSeconds })
            })
          )
      )
    )

    const shots = yield* stage(
      "shots",
      Schema.Array(ShotPick),
      swarm.ask(
        AGENT_NAMES.shotMatcher,
        new MatchShots({
          scenes: scenes.value,
          clips: footage.value.clips,
          frame: { width: spec.output.width, height: spec.output.height },
          seed: spec.seed,
          job
        })
      )
    )

    /**
     * The picked clips where the render reads them: a folder's are on disk already, and the sample
     * library's are generated inside the render (only the frames each scene shows), so nothing is drawn.
     */
    const fetched = yield* stage(
      "fetch",
      Schema.Struct({ drawn: Schema.Array(Schema.String), skipped: Schema.Array(SkippedInput) }),
      Effect.succeed({ drawn: [], skipped: [] })
    )

    const summary = yield* stage(
      "plan",
      RenderSummary,
      swarm.ask(
        AGENT_NAMES.renderer,
        new PlanRender({
          scenes: scenes.value,
          picks: shots.value,
          narration: narration.value,
          output: spec.output,
          segments: spec.segments,
          workDir: spec.workDir
        }),
        { timeout: LONG }
      ).pipe(Effect.tap((planned) => recordArtifactUse([planned.planFile], job)))
    )

    // Estimated afresh on every run of the workflow (a resumed job too), from what the encoder learned so far.
    const eta = yield* estimateRender({
      encoder: spec.output.encoder,
      width: spec.output.width,
      height: spec.output.height,
      segmentFrames: summary.value.segments.map((s) => s.frames),
      slots: Math.min(spec.segments, encoders.length),
      durationSeconds: summary.value.durationSeconds
    })
    yield* events.publish(JobEtaEvent.make(eta, { job }))

    const render = yield* stage(
      "render",
      RenderResult,
      swarm.ask(AGENT_NAMES.renderer, new Render({ planFile: summary.value.planFile }), { timeout: LONG }).pipe(
        Effect.tap(() => recordArtifactUse([summary.value.planFile], job))
      )
    )

    // Quality control, when asked for: the finished MP4 analysed and held to the rules (qc.ts).
    const qc = spec.qc === true
      ? Option.some(
        yield* stage(
          "qc",
          QcResult,
          Effect.gen(function*() {
            const planned = yield* readPlan(summary.value.planFile).pipe(
              Effect.mapError((error) =>
                new AnalysisError({ file: summary.value.planFile, analyzer: "qc", reason: "io", message: error.message })
              )
            )
            return yield* runQc(render.value.output, spec.workDir, {
              loudnessTarget: spec.output.loudness ?? DEFAULT_LOUDNESS_LUFS,
              stillSpans: plannedStills(planned),
              captionWords: spec.output.captions === "none" ? [] : narration.value.words.map((w) => w.word),
              width: spec.output.width,
              height: spec.output.height,
              fps: spec.output.fps
            })
          })
        )
      )
      : Option.none()

    const report: JobReport = {
      job,
      title: plan.title,
      output: render.value.output,
      scenes: scenes.value,
      shots: shots.value,
      skipped: [...footage.value.skipped, ...fetched.value.skipped],
      narration: {
        provider: narration.value.provider,
        voice: spec.narration?.file ?? Option.match(voicing, { onNone: () => spec.voice, onSome: (voices) => voices.voices.join(", ") }),
        durationSec: narration.value.durationSec,
        words: narration.value.words
      },
      warnings: voiceWarnings,
      render: render.value,
      stages: {
        script: script.seconds,
        narration: narration.seconds,
        scenes: scenes.seconds,
        footage: footage.seconds,
        shots: shots.seconds,
        fetch: fetched.seconds,
        plan: summary.seconds,
        render: render.seconds,
        ...Option.match(qc, { onNone: () => ({}), onSome: (checked) => ({ qc: checked.seconds }) })
      },
      eta: {
        estimatedSec: eta.estimatedSeconds,
        actualSec: render.seconds,
        ratio: Math.round((eta.estimatedSeconds / Math.max(render.seconds, 0.001)) * 1000) / 1000
      },
      ...Option.match(qc, { onNone: () => ({}), onSome: (checked) => ({ qc: checked.value }) })
    }
    yield* stage(
      "report",
      Schema.String,
      Effect.as(
        writeAtomically(reportPath(report.output), JSON.stringify(Schema.encodeSync(JobReportSchema)(report), null, 2)),
        reportPath(report.output)
      )
    )
    // A video that broke QC rules is a failed job (its report says what was measured), not a done one.
    if (Option.isSome(qc) && !qc.value.value.passed) {
      const reasons = qc.value.value.checks.filter((c) => !c.passed).map((c) => `${c.rule}: ${c.detail}`)
      return yield* new ProductionError({ stage: "qc", cause: new QcFailedError({ output: report.output, reasons }) })
    }
    return report
  })
)
