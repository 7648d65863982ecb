/**
 * An encoder agent: one per device slot. When told work is available it pulls items from the
 * renderer until none is left, encoding each (a segment to MPEG-TS, or the single pass to the
 * final MP4) and reporting WorkDone or WorkFailed. A segment already finished on disk (from an
 * earlier run of the same plan) is reported without encoding it again. At every (re)start it
 * tells the renderer it is ready, which also gives back any item it held when it crashed.
 */
import { Clock, Effect, Fiber, Schedule } from "effect"
import {
  type FfmpegError,
  type JsonFileError,
  type RenderPlan,
  type RenderProgress,
  renderSegment,
  renderSinglePass,
  type UnknownEncoderError
} from "../../media/index.ts"
import { define, SwarmEvents } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { startHeartbeat } from "../monitor/heartbeat.ts"
import { isFinished, readPlan } from "../renderer/plan-file.ts"
import { EncoderProtocol, EncoderReady, PullWork, type RendererMessage, WorkDone, WorkFailed } from "../renderer/protocol.ts"
import { type EncodedPart, EncodeFailedError, type WorkItem } from "../renderer/render-data.ts"
import { EncodeProgressEvent } from "./events.ts"

export interface EncoderAgentOptions {
  readonly name: string
  /** The encoder this slot drives ("h264_nvenc", "libx264", …); default the plan's. */
  readonly encoder?: string
  readonly renderer?: string
}

/** What an encode failed with, as the renderer receives it. */
const encodeFailed = (error: FfmpegError | UnknownEncoderError | JsonFileError): EncodeFailedError => {
  switch (error._tag) {
    case "FfmpegError":
      return new EncodeFailedError({
        reason: "ffmpeg",
        message: error.message,
        ...(error.stderrTail === "" ? {} : { detail: error.stderrTail })
      })
    case "UnknownEncoderError":
      return new EncodeFailedError({ reason: "unknown-encoder", message: error.message })
    case "JsonFileError":
      return new EncodeFailedError({ reason: "unreadable-plan", message: error.message })
  }
}

/** Least time between two `encode-progress` events of one work item. */
export const PROGRESS_INTERVAL = "250 millis"

/**
 * Runs one encode, publishing `encode-progress` events ({ planFile, index, frame, frames }) from
 * ffmpeg's progress: the latest frame count at most every PROGRESS_INTERVAL, and a final one when
 * the encode finished.
 */
const withProgress = <A, E, R>(
  agent: string,
  item: WorkItem,
  frames: number,
  encode: (onProgress: (progress: RenderProgress) => void) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const events = yield* SwarmEvents
    const publish = (frame: number) =>
      events.publish(EncodeProgressEvent.make({ planFile: item.planFile, index: item.index, frame, frames }, { agent }))
    let latest = 0
    let sent = 0
    const ticker = Effect.suspend(() => {
      if (latest === sent) return Effect.void
      sent = latest
      return publish(latest)
    }).pipe(Effect.repeat(Schedule.spaced(PROGRESS_INTERVAL)), Effect.delay(PROGRESS_INTERVAL))
    const fiber = yield* Effect.fork(ticker)
    const result = yield* encode((progress) => {
      latest = Math.min(frames, progress.frame)
    }).pipe(Effect.ensuring(Fiber.interrupt(fiber)))
    yield* publish(frames)
    return result
  })

export const encoderAgent = (options: EncoderAgentOptions) =>
  define({
    name: options.name,
    protocol: EncoderProtocol,
    init: (ctx) =>
      Effect.gen(function*() {
        yield* startHeartbeat(ctx)
        yield* ctx.lookup<RendererMessage>(options.renderer ?? AGENT_NAMES.renderer).tell(new EncoderReady({ agent: ctx.name }))
        return new Map<string, RenderPlan>()
      }),
    receive: (_workAvailable, plans, ctx) => {
      const renderer = ctx.lookup<RendererMessage>(options.renderer ?? AGENT_NAMES.renderer)

      const encode = (item: WorkItem, plan: RenderPlan) =>
        Effect.gen(function*() {
          const encoder = item.encoder ?? options.encoder ?? plan.input.output.encoder
          const start = yield* Clock.currentTimeMillis
          const part = (file: string, reused: boolean): Effect.Effect<EncodedPart> =>
            Effect.map(Clock.currentTimeMillis, (end) => ({
              kind: item.kind,
              index: item.index,
              agent: ctx.name,
              encoder,
              file,
              seconds: Math.round(end - start) / 1000,
              reused
            }))
          if (item.kind === "single-pass") {
            return yield* part(
              yield* withProgress(ctx.name, item, plan.totalFrames, (onProgress) => renderSinglePass(plan, { encoder, onProgress })),
              false
            )
          }
          const file = plan.files.segments[item.index]
          if (file !== undefined && (yield* isFinished(file))) return yield* part(file, true)
          const frames = plan.segments[item.index]?.frames ?? 0
          return yield* part(
            yield* withProgress(ctx.name, item, frames, (onProgress) => renderSegment(plan, item.index, { encoder, onProgress })),
            false
          )
        }).pipe(
          Effect.matchEffect({
            onSuccess: (part) => renderer.tell(new WorkDone({ planFile: item.planFile, part })),
            onFailure: (error) =>
              renderer.tell(
                new WorkFailed({
                  planFile: item.planFile,
                  item,
                  agent: ctx.name,
                  encoder: item.encoder ?? options.encoder ?? plan.input.output.encoder,
                  error: encodeFailed(error)
                })
              )
          })
        )

      const planFor = (item: WorkItem) =>
        Effect.gen(function*() {
          const known = plans.get(item.planFile)
          if (known !== undefined) return known
          const plan = yield* readPlan(item.planFile)
          plans.set(item.planFile, plan)
          return plan
        })

      const drain: Effect.Effect<void, never, SwarmEvents> = Effect.gen(function*() {
        for (;;) {
          const item = yield* renderer.ask(new PullWork({ agent: ctx.name }))
          if (item === null) return
          const plan = yield* Effect.either(planFor(item))
          if (plan._tag === "Left") {
            yield* renderer.tell(
              new WorkFailed({
                planFile: item.planFile,
                item,
                agent: ctx.name,
                encoder: options.encoder ?? "unknown",
                error: encodeFailed(plan.left)
              })
            )
            continue
          }
          yield* encode(item, plan.right)
        }
      }).pipe(Effect.catchAll((error) => Effect.logWarning(`${ctx.name}: cannot pull work from ${renderer.name}: ${error.message}`)))

      return Effect.as(drain, plans)
    }
  })
