/**
 * The production of one video as a durable @effect/workflow workflow. Each stage is an activity
 * that asks an agent to do the work; the engine records each finished activity's result, so after
 * a crash the same job resumes where it was and finished stages are not run again. Every stage
 * records `stage-started` / `stage-finished` events: a resumed job's log shows which ones ran again.
 */
import { extname } from "node:path"
import { Activity, Workflow } from "@effect/workflow"
import { Clock, Duration, Effect, Either, Schema } from "effect"
import { type FootageWarning, indexFolder } from "../../media/footage/index.ts"
import { Swarm, SwarmEvents } from "../../runtime/index.ts"
import { measuredSentenceDurations } from "../director/measured.ts"
import { PlanScript, Replan, WriteScriptForTopic } from "../director/protocol.ts"
import { Scene, ScriptPlan } from "../director/scene.ts"
import { Narrate, PlanRender, Render } from "../renderer/protocol.ts"
import { Narration, RenderResult, RenderSummary } from "../renderer/render-data.ts"
import { writeAtomically } from "../renderer/plan-file.ts"
import { MatchShots } from "../shot-matcher/protocol.ts"
import { Clip, ShotPick } from "../shot-matcher/shot.ts"
import { executionId, type JobReport, jobId, JobReport as JobReportSchema, JobSpec, ProductionError, type StageName } from "./job.ts"
import { drawPickedSamples, sampleClips } from "./samples.ts"
import { DIRECTOR, RENDERER, SHOT_MATCHER, VideoSwarm } from "./video-swarm.ts"

export const ProduceVideo = Workflow.make({
  name: "ProduceVideo",
  payload: JobSpec,
  success: JobReportSchema,
  error: ProductionError,
  idempotencyKey: executionId
})

/** The report lies beside the MP4: out/demo.mp4 → out/demo.json. */
export const reportPath = (output: string) => output.slice(0, output.length - extname(output).length) + ".json"

const errorText = (error: unknown) =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

const Timed = <A, I>(value: Schema.Schema<A, I>) => Schema.Struct({ value, seconds: Schema.Number })

/** How long an agent may take for a stage before the activity fails. */
const LONG: Duration.DurationInput = "30 minutes"

export const ProduceVideoLive = ProduceVideo.toLayer(
  Effect.fn("production.produceVideo")(function* (spec) {
    yield* VideoSwarm
    const swarm = yield* Swarm
    const events = yield* SwarmEvents
    const job = jobId(spec)
    const publishWarnings = (warnings: ReadonlyArray<FootageWarning>) =>
      events.publishAll(warnings.map((warning) => ({ type: "footage-warning", job, data: { ...warning } })))

    /** One stage as an activity: timed, logged, its failures typed with the stage's name. */
    const stage = <A, I, R>(name: StageName, success: Schema.Schema<A, I>, work: Effect.Effect<A, unknown, R>) =>
      Activity.make({
        name,
        success: Timed(success),
        error: ProductionError,
        execute: Effect.gen(function* () {
          yield* events.publish({ type: "stage-started", job, data: { stage: name, attempt: yield* Activity.CurrentAttempt } })
          const start = yield* Clock.currentTimeMillis
          const value = yield* Effect.mapError(work, (error) => new ProductionError({ stage: name, message: errorText(error) }))
          const seconds = ((yield* Clock.currentTimeMillis) - start) / 1000
          yield* events.publish({ type: "stage-finished", job, data: { stage: name, seconds } })
          return { value, seconds }
        })
      })

    const frame = { width: spec.output.width, height: spec.output.height, fps: spec.output.fps }

    const footageStage = stage(
      "footage",
      Schema.Array(Clip),
      Effect.gen(function* () {
        const source = spec.footage
        // The sample library is matched from its clips' records; only the picked clips are drawn ("fetch").
        if (source._tag === "Samples") return yield* sampleClips(source, frame)
        const index = yield* indexFolder(source.dir)
        yield* publishWarnings(index.warnings)
        return index.clips.map((c): Clip => ({
          path: c.path,
          kind: c.kind,
          durationSec: c.durationSec,
          width: c.width,
          height: c.height,
          tags: c.tags,
          // The renderer takes a video's facts from here instead of probing it again.
          ...(c.kind === "video" ? { fps: c.fps } : {})
        }))
      })
    )

    const scriptStage = stage(
      "script",
      ScriptPlan,
      spec.script._tag === "Text"
        ? swarm.ask(DIRECTOR, new PlanScript({ title: spec.script.title, script: spec.script.text }))
        : swarm.ask(DIRECTOR, new WriteScriptForTopic({ topic: spec.script.topic }), { timeout: "5 minutes" })
    )

    const narrationStage = (plan: ScriptPlan) =>
      stage(
        "narration",
        Narration,
        swarm.ask(
          RENDERER,
          new Narrate({
            text: plan.sentences.map((s) => s.text).join(" "),
            voice: spec.voice,
            workDir: spec.workDir,
            ...(spec.ttsProvider === undefined ? {} : { provider: spec.ttsProvider })
          }),
          { timeout: LONG }
        )
      )

    // The footage is indexed while the script is planned and narrated: neither needs the other.
    const [[script, narration], footage] = yield* Effect.all(
      [Effect.flatMap(scriptStage, (script) => Effect.map(narrationStage(script.value), (narration) => [script, narration] as const)), footageStage],
      { concurrency: 2 }
    )
    const plan = script.value

    const scenes = yield* stage(
      "scenes",
      Schema.Array(Scene),
      Effect.flatMap(
        Either.match(
          measuredSentenceDurations(plan.sentences.map((s) => s.text), narration.value.words, narration.value.durationSec),
          { onLeft: Effect.fail, onRight: Effect.succeed }
        ),
        (durationsSec) => swarm.ask(DIRECTOR, new Replan({ sentences: plan.sentences, durationsSec }))
      )
    )

    const shots = yield* stage(
      "shots",
      Schema.Array(ShotPick),
      swarm.ask(
        SHOT_MATCHER,
        new MatchShots({
          scenes: scenes.value,
          clips: footage.value,
          frame: { width: spec.output.width, height: spec.output.height },
          seed: spec.seed,
          job
        })
      )
    )

    /** The picked clips on disk: sample clips are drawn now; a folder's are there already. */
    const fetched = yield* stage(
      "fetch",
      Schema.Array(Schema.String),
      Effect.gen(function* () {
        const source = spec.footage
        if (source._tag !== "Samples") return []
        const { drawn, warnings } = yield* drawPickedSamples(source, frame, shots.value.map((s) => s.clip.path))
        yield* publishWarnings(warnings)
        return drawn
      })
    )

    const summary = yield* stage(
      "plan",
      RenderSummary,
      swarm.ask(
        RENDERER,
        new PlanRender({
          scenes: scenes.value,
          picks: shots.value,
          narration: narration.value,
          output: spec.output,
          segments: spec.segments,
          workDir: spec.workDir
        }),
        { timeout: LONG }
      )
    )

    const render = yield* stage(
      "render",
      RenderResult,
      swarm.ask(RENDERER, new Render({ planFile: summary.value.planFile }), { timeout: LONG })
    )

    const report: JobReport = {
      job,
      title: plan.title,
      output: render.value.output,
      scenes: scenes.value,
      shots: shots.value,
      narration: {
        provider: narration.value.provider,
        voice: spec.voice,
        durationSec: narration.value.durationSec,
        words: narration.value.words
      },
      render: render.value,
      stages: {
        script: script.seconds,
        narration: narration.seconds,
        scenes: scenes.seconds,
        footage: footage.seconds,
        shots: shots.seconds,
        fetch: fetched.seconds,
        plan: summary.seconds,
        render: render.seconds
      }
    }
    yield* stage(
      "report",
      Schema.String,
      Effect.as(writeAtomically(reportPath(report.output), JSON.stringify(Schema.encodeSync(JobReportSchema)(report), null, 2)), reportPath(report.output))
    )
    return report
  })
)
