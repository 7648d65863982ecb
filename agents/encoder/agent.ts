/**
 * An encoder agent: one per device slot. When told work is available it pulls items from the
 * renderer until none is left, encoding each (a segment to MPEG-TS, or the single pass to the
 * final MP4) and reporting WorkDone or WorkFailed; every failure of an encode, ffmpeg that cannot
 * even be started included (ENOENT, E2BIG), is a WorkFailed, never a crash of the slot. Each pulled
 * item is a lease the encoder renews (RenewLease) while ffmpeg writes frames. A segment already
 * finished on disk (from an earlier run of the same plan) is reported without encoding it again.
 * At every (re)start it tells the renderer it is ready, which also gives back any lease it held.
 *
 * The pulling and encoding run in a fiber of the slot's own (in its incarnation's scope), so the slot
 * keeps reading its mailbox while ffmpeg runs: an AbortWork for the item it encodes (its render was
 * cancelled) interrupts that encode, which stops its ffmpeg, and the slot reports nothing for it
 * (the renderer has dropped the lease) and pulls its next item.
 */
import { Cause, Clock, Duration, Effect, Exit, Fiber, Schedule, type Scope } from "effect"
import { type RenderPlan, type RenderProgress, renderSegment, renderSinglePass } from "../../media/index.ts"
import { define, SwarmEvents } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { startHeartbeat } from "../monitor/heartbeat.ts"
import { isFinished, readPlan } from "../renderer/plan-file.ts"
import {
  type AbortWork,
  DrainDied,
  EncoderProtocol,
  EncoderReady,
  PullWork,
  type RendererMessage,
  RenewLease,
  WorkDone,
  WorkFailed
} from "../renderer/protocol.ts"
import { type EncodedPart, EncodeFailedError, EncodeStalledError, type WorkItem } from "../renderer/render-data.ts"
import { EncodeProgressEvent } from "./events.ts"

export interface EncoderAgentOptions {
  readonly name: string
  /** The encoder this slot drives ("h264_nvenc", "libx264", …); default the plan's. */
  readonly encoder?: string
  readonly renderer?: string
  /** How long an encode may go without writing a frame before it is stopped and reported failed. Default STALL_TIMEOUT. */
  readonly stallTimeout?: Duration.DurationInput
}

/** Least time between two `encode-progress` events of one work item. */
export const PROGRESS_INTERVAL = "250 millis"

/** Least time between two renewals of a lease (sent only when ffmpeg wrote frames since the last). */
export const LEASE_RENEW_INTERVAL = "1 second"

/** How long an encode may go without writing a frame before its ffmpeg is stopped, unless the slot says otherwise. */
export const STALL_TIMEOUT = "2 minutes"

/**
 * Runs one encode, publishing `encode-progress` events ({ planFile, index, frame, frames }) from
 * ffmpeg's progress: the latest frame count at most every PROGRESS_INTERVAL, and a final one when
 * the encode finished. While the frame count moves, the lease is renewed (`renew`) at most every
 * LEASE_RENEW_INTERVAL. An encode whose frame count has not moved for `stall` (a hung device, a
 * wedged ffmpeg) is interrupted, which stops its ffmpeg, and fails with an EncodeStalledError.
 */
const withProgress = <A, E, R>(
  agent: string,
  item: WorkItem,
  frames: number,
  watch: {
    readonly encoder: string
    readonly stall: Duration.Duration
    readonly renew: (frame: number) => Effect.Effect<void>
  },
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
    let renewed = 0
    const renewer = Effect.suspend(() => {
      if (latest === renewed) return Effect.void
      renewed = latest
      return watch.renew(latest)
    }).pipe(Effect.repeat(Schedule.spaced(LEASE_RENEW_INTERVAL)), Effect.delay(LEASE_RENEW_INTERVAL))
    const stalled = new EncodeStalledError({
      encoder: watch.encoder,
      seconds: Duration.toSeconds(watch.stall),
      message: `${item.kind} ${item.index} on ${watch.encoder} wrote no frame for ${Duration.format(watch.stall)}; its ffmpeg was stopped`
    })
    const watchdog = Effect.gen(function*() {
      for (;;) {
        const before = latest
        yield* Effect.sleep(watch.stall)
        if (latest === before) return yield* stalled
      }
    })
    const fibers = [yield* Effect.fork(ticker), yield* Effect.fork(renewer)]
    const result = yield* Effect.raceFirst(
      encode((progress) => {
        latest = Math.min(frames, progress.frame)
      }),
      watchdog
    ).pipe(Effect.ensuring(Fiber.interruptAll(fibers)))
    yield* publish(frames)
    return result
  })

/** A slot's incarnation: its plans read so far, and its drain fiber's progress. */
interface EncoderState {
  readonly plans: Map<string, RenderPlan>
  /** The incarnation's scope, where the drain fiber runs. */
  readonly scope: Scope.Scope
  /** A drain fiber is running. */
  draining: boolean
  /** A WorkAvailable came while draining: pull again before the drain ends. */
  again: boolean
  /** Pulls so far (numbered from 1). */
  pulls: number
  /** The pull in flight or the item being encoded; `aborted` once an AbortWork named it. */
  current: { readonly pull: number; planFile?: string; encode?: Fiber.RuntimeFiber<void>; aborted: boolean } | undefined
}

export const encoderAgent = (options: EncoderAgentOptions) =>
  define({
    name: options.name,
    protocol: EncoderProtocol,
    init: (ctx) =>
      Effect.gen(function*() {
        yield* startHeartbeat(ctx)
        yield* ctx.lookup<RendererMessage>(options.renderer ?? AGENT_NAMES.renderer).tell(
          new EncoderReady({ agent: ctx.name, ...(options.encoder === undefined ? {} : { encoder: options.encoder }) })
        )
        const state: EncoderState = {
          plans: new Map(),
          scope: yield* Effect.scope,
          draining: false,
          again: false,
          pulls: 0,
          current: undefined
        }
        return state
      }),
    receive: (message, state, ctx) => {
      const { plans } = state
      const renderer = ctx.lookup<RendererMessage>(options.renderer ?? AGENT_NAMES.renderer)
      const stall = Duration.decode(options.stallTimeout ?? STALL_TIMEOUT)

      const encode = (item: WorkItem, plan: RenderPlan) =>
        Effect.gen(function*() {
          const encoder = item.encoder ?? options.encoder ?? plan.input.output.encoder
          const renew = (frame: number) =>
            renderer.tell(new RenewLease({ agent: ctx.name, planFile: item.planFile, index: item.index, frame }))
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
              yield* withProgress(
                ctx.name,
                item,
                plan.totalFrames,
                { encoder, stall, renew },
                (onProgress) => renderSinglePass(plan, { encoder, onProgress })
              ),
              false
            )
          }
          const file = plan.files.segments[item.index]
          if (file !== undefined && (yield* isFinished(file))) return yield* part(file, true)
          const frames = plan.segments[item.index]?.frames ?? 0
          return yield* part(
            yield* withProgress(
              ctx.name,
              item,
              frames,
              { encoder, stall, renew },
              (onProgress) => renderSegment(plan, item.index, { encoder, onProgress })
            ),
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
                  error: new EncodeFailedError({ cause: error })
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

      /** Pulls and encodes until the renderer has nothing for this slot. */
      const pullUntilEmpty: Effect.Effect<void, never, SwarmEvents> = Effect.gen(function*() {
        for (;;) {
          const pull = ++state.pulls
          const current: NonNullable<EncoderState["current"]> = { pull, aborted: false }
          state.current = current
          const item = yield* renderer.ask(new PullWork({ agent: ctx.name, pull }))
          if (item === null) return
          current.planFile = item.planFile
          // Its render was cancelled before the item got here.
          if (current.aborted) continue
          const plan = yield* Effect.either(planFor(item))
          if (plan._tag === "Left") {
            yield* renderer.tell(
              new WorkFailed({
                planFile: item.planFile,
                item,
                agent: ctx.name,
                encoder: options.encoder ?? "unknown",
                error: new EncodeFailedError({ cause: plan.left })
              })
            )
            continue
          }
          if (current.aborted) continue
          current.encode = yield* Effect.fork(encode(item, plan.right))
          // An aborted encode ends interrupted: nothing is reported, and the next item is pulled.
          const exit = yield* Fiber.await(current.encode)
          // Its failures are WorkFailed already: what is left is a defect, which crashes the slot.
          if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) return yield* Effect.failCause(exit.cause)
        }
      }).pipe(
        Effect.catchAll((error) => Effect.logWarning(`${ctx.name}: cannot pull work from ${renderer.name}: ${error.message}`)),
        Effect.ensuring(Effect.sync(() => {
          state.current = undefined
        }))
      )

      /** Drains, then once more for each WorkAvailable that came meanwhile; `draining` ends in the same step as the last check. */
      const drain: Effect.Effect<void, never, SwarmEvents> = Effect.zipRight(
        pullUntilEmpty,
        Effect.suspend(() => {
          if (state.again) {
            state.again = false
            return drain
          }
          state.draining = false
          return Effect.void
        })
      )

      const workAvailable = Effect.suspend(() => {
        if (state.draining) {
          state.again = true
          return Effect.void
        }
        state.draining = true
        return Effect.asVoid(Effect.forkIn(
          // A defect crashes the slot, as it did when the slot encoded in its handler.
          Effect.catchAllDefect(drain, (defect) => ctx.self.tell(new DrainDied({ message: String(defect) }))),
          state.scope
        ))
      })

      const abort = (message: AbortWork) =>
        Effect.suspend(() => {
          const current = state.current
          if (current === undefined || current.pull !== message.pull) return Effect.void
          if (current.planFile !== undefined && current.planFile !== message.planFile) return Effect.void
          current.aborted = true
          // Awaited: its ffmpeg has exited (and removed its partial file) when this returns.
          return current.encode === undefined ? Effect.void : Fiber.interrupt(current.encode)
        })

      switch (message._tag) {
        case "WorkAvailable":
          return Effect.as(workAvailable, state)
        case "AbortWork":
          return Effect.as(abort(message), state)
        case "DrainDied":
          return Effect.dieMessage(`${ctx.name}: its drain died: ${message.message}`)
      }
    }
  })
