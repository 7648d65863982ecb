/**
 * The renderer agent. Narration and planning are answered inline. A Render request becomes work
 * items (k segments, or one single pass) that encoder agents pull; the audio is mixed once in the
 * background meanwhile; when every segment and the audio are there, the stitch runs in the
 * background too, and the request is answered. An encoder that fails a segment gets it retried
 * (in software when a device failed); an encoder that restarts gives its in-flight item back.
 */
import { mkdir, rm } from "node:fs/promises"
import { dirname, join } from "node:path"
import { Clock, Effect, Either, Option, type Scope } from "effect"
import {
  ENCODER_CATALOGUE, planRender, probe, type RenderPlan, renderAudio, type ShotMedia, stitch, Tts, writeAss
} from "../../media/index.ts"
import { type AgentContext, define, SwarmEvents } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { answer } from "../answer.ts"
import { startHeartbeat } from "../monitor/heartbeat.ts"
import { type BreakerChange, type BreakerSettings, type DeviceBreakers, makeDeviceBreakers } from "./breaker.ts"
import {
  DeviceBreakerClosedEvent, DeviceBreakerOpenedEvent, DeviceBreakerTrialEvent, EncodeRetryEvent, PartEncodedEvent, RenderFailedEvent,
  RenderFinishedEvent, RenderReusedEvent, RenderStartedEvent, WorkRequeuedEvent
} from "./events.ts"
import { contentKey, doneMarker, fileStamp, readDone, readPlan, writeAtomically } from "./plan-file.ts"
import {
  AudioMixed, type PlanRender, type Render, RendererProtocol, type RendererMessage, StepFailed, Stitched, WorkAvailable
} from "./protocol.ts"
import { type EncodedPart, RenderError, type RenderResult, type WorkItem } from "./render-data.ts"
import { timelineInput } from "./timeline-input.ts"

/** Attempts per work item before the render fails. */
const MAX_ATTEMPTS = 3

interface Job {
  readonly plan: RenderPlan
  readonly planFile: string
  readonly waiting: Array<Render>
  readonly items: number
  readonly parts: Map<number, EncodedPart>
  readonly attempts: Map<number, number>
  readonly startedAt: number
  audio: { readonly file: string; readonly seconds: number } | undefined
  encodeSeconds: number
  stitching: boolean
}

interface RendererState {
  readonly scope: Scope.Scope
  readonly encoders: Set<string>
  /** Items waiting for an encoder, oldest first. */
  readonly queue: Array<WorkItem>
  /** Encoder name → the item it is working on. */
  readonly inFlight: Map<string, WorkItem>
  readonly jobs: Map<string, Job>
  /** Per encoder slot: whether its device is skipped for a cool-down after failing. */
  readonly breakers: DeviceBreakers
}

const errorText = (error: unknown) =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

const failWith = (stage: RenderError["stage"]) => (error: unknown) => new RenderError({ stage, message: errorText(error) })

const seconds = (from: number, to: number) => Math.round(to - from) / 1000

/** The software encoder of the same codec: where a failed device's work goes next. */
const softwareFallback = (encoder: string): string | undefined => {
  const spec = ENCODER_CATALOGUE.find((e) => e.name === encoder)
  const fallback = ENCODER_CATALOGUE.find((e) => e.codec === (spec?.codec ?? "h264") && e.family === "software")
  return fallback === undefined || fallback.name === encoder ? undefined : fallback.name
}

const planRenderFor = Effect.fn("renderer.planRender")(function* (request: PlanRender) {
  const paths = Array.from(new Set(request.picks.map((p) => p.clip.path)))
  const facts = new Map<string, ShotMedia>()
  for (const path of paths) {
    // A video the footage index already probed is not probed again.
    const clip = request.picks.find((p) => p.clip.path === path)!.clip
    if (clip.kind === "video" && clip.fps !== undefined && clip.fps > 0) {
      facts.set(path, { duration: clip.durationSec, width: clip.width, height: clip.height, fps: clip.fps })
      continue
    }
    const info = yield* Effect.mapError(probe(path), failWith("probe"))
    facts.set(path, { duration: info.duration, width: info.width, height: info.height, fps: info.fps })
  }
  const music = request.output.music?.path
  if (music !== undefined) {
    // A music file ffmpeg cannot read fails the plan now, not every encode attempt later.
    const info = yield* Effect.mapError(probe(music), (error) => new RenderError({ stage: "probe", message: `music ${error.message}` }))
    if (!info.hasAudio) return yield* new RenderError({ stage: "probe", message: `music file ${music} has no audio stream` })
  }
  const stamps = yield* Effect.forEach([...paths, request.narration.audioFile, ...(music === undefined ? [] : [music])], fileStamp)
  const key = contentKey({
    scenes: request.scenes.map((s) => [s.text, s.estimatedSec]),
    shots: request.picks.map((p) => [p.scene, p.clip.path, p.clip.kind]),
    narration: [request.narration.audioFile, request.narration.durationSec, request.narration.words],
    facts: [...facts],
    stamps,
    output: request.output,
    segments: request.segments
  })
  const dir = join(request.workDir, `render-${key}`)
  const captionsFile = request.output.captions === "none" ? undefined : join(dir, "captions.ass")
  if (captionsFile !== undefined && request.output.captions !== "none") {
    yield* Effect.mapError(
      writeAss(
        captionsFile,
        { words: request.narration.words, sentences: request.narration.sentences },
        { width: request.output.width, height: request.output.height, style: request.output.captions }
      ),
      failWith("captions")
    )
  }
  const input = yield* Effect.try({
    try: () =>
      timelineInput({
        scenes: request.scenes,
        picks: request.picks,
        media: facts,
        narration: { path: request.narration.audioFile, duration: request.narration.durationSec },
        output: request.output,
        captionsFile,
        workDir: dir
      }),
    catch: failWith("plan")
  })
  const plan = yield* Either.match(planRender(input, { segments: request.segments }), {
    onLeft: (error) => Effect.fail(new RenderError({ stage: "plan", message: error.message })),
    onRight: Effect.succeed
  })
  const planFile = join(dir, "plan.json")
  yield* Effect.mapError(writeAtomically(planFile, JSON.stringify(plan)), failWith("plan"))
  yield* Effect.mapError(Effect.tryPromise(() => mkdir(dirname(plan.files.output), { recursive: true })), failWith("plan"))
  return {
    planFile,
    output: plan.files.output,
    captionsFile: captionsFile ?? null,
    totalFrames: plan.totalFrames,
    durationSeconds: plan.durationSeconds,
    segments: plan.segments.map((s) => ({ index: s.index, frames: s.frames }))
  }
})

export interface RendererOptions {
  readonly name?: string
  /** The circuit breaker around each encoder slot's device. */
  readonly breaker?: BreakerSettings
}

export const rendererAgent = (options: RendererOptions = {}) =>
  define({
    name: options.name ?? AGENT_NAMES.renderer,
    protocol: RendererProtocol,
    init: (ctx) =>
      Effect.gen(function* () {
        yield* startHeartbeat(ctx)
        const scope = yield* Effect.scope
        const state: RendererState = {
          scope,
          encoders: new Set(),
          queue: [],
          inFlight: new Map(),
          jobs: new Map(),
          breakers: makeDeviceBreakers(options.breaker)
        }
        return state
      }),
    receive: (message, state, ctx) => Effect.as(handle(message, state, ctx), state)
  })

const handle = (message: RendererMessage, state: RendererState, ctx: AgentContext<RendererMessage>) =>
  Effect.gen(function* () {
    const events = yield* SwarmEvents
    const origin = { agent: ctx.name }

    const publishBreaker = (agent: string, change: BreakerChange | undefined) => {
      if (change === undefined) return Effect.void
      switch (change._tag) {
        case "Opened": {
          const { device, fallback, failures, until } = change
          return events.publish(DeviceBreakerOpenedEvent.make({ agent, device, fallback, failures, until }, origin))
        }
        case "Trial":
          return events.publish(DeviceBreakerTrialEvent.make({ agent, device: change.device }, origin))
        case "Closed":
          return events.publish(DeviceBreakerClosedEvent.make({ agent, device: change.device }, origin))
      }
    }

    const notifyEncoders = Effect.forEach(state.encoders, (name) => ctx.lookup(name).tell(new WorkAvailable()), { discard: true })

    const finish = (job: Job, result: RenderResult) =>
      Effect.gen(function* () {
        state.jobs.delete(job.planFile)
        yield* Effect.forEach(job.waiting, (request) => ctx.reply(request, result), { discard: true })
        yield* events.publish(RenderFinishedEvent.make({ planFile: job.planFile, output: result.output, stages: result.stages }, origin))
      })

    const fail = (job: Job, error: RenderError) =>
      Effect.gen(function* () {
        state.jobs.delete(job.planFile)
        state.queue.splice(0, state.queue.length, ...state.queue.filter((item) => item.planFile !== job.planFile))
        yield* Effect.forEach(job.waiting, (request) => ctx.replyFailure(request, error), { discard: true })
        yield* events.publish(RenderFailedEvent.make({ planFile: job.planFile, stage: error.stage, message: error.message }, origin))
      })

    /** Runs a background step in the agent's scope; it reports back as a message. */
    const background = <A>(step: Effect.Effect<A, RenderError>, report: (a: A) => RendererMessage, planFile: string) =>
      Effect.asVoid(
        Effect.forkIn(
          Effect.matchEffect(step, {
            onFailure: (error) => ctx.self.tell(new StepFailed({ planFile, error })),
            onSuccess: (a) => ctx.self.tell(report(a))
          }),
          state.scope
        )
      )

    const timed = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.gen(function* () {
        const start = yield* Clock.currentTimeMillis
        const value = yield* effect
        return { value, seconds: seconds(start, yield* Clock.currentTimeMillis) }
      })

    const completeIfReady = (job: Job) =>
      Effect.gen(function* () {
        if (job.parts.size < job.items) return
        if (job.encodeSeconds === 0) job.encodeSeconds = seconds(job.startedAt, yield* Clock.currentTimeMillis)
        const single = job.parts.get(0)?.kind === "single-pass"
        if (single) {
          const result: RenderResult = {
            output: job.plan.files.output,
            parts: [...job.parts.values()],
            stages: { encode: job.encodeSeconds, audio: 0, stitch: 0 },
            cached: false
          }
          yield* Effect.ignore(writeAtomically(doneMarker(job.planFile), JSON.stringify(result)))
          return yield* finish(job, result)
        }
        if (job.audio === undefined || job.stitching) return
        job.stitching = true
        const files = job.plan.segments.map((s) => job.parts.get(s.index)!.file)
        yield* background(
          Effect.mapError(timed(stitch(job.plan, files, { audioFile: job.audio.file })), failWith("stitch")),
          ({ value, seconds }) => new Stitched({ planFile: job.planFile, output: value, seconds }),
          job.planFile
        )
      })

    switch (message._tag) {
      case "Narrate":
        return yield* answer(
          ctx,
          message,
          Effect.flatMap(Tts, (tts) =>
            tts.synthesize(
              {
                text: message.text,
                voice: message.voice,
                ...(message.provider === undefined ? {} : { provider: message.provider }),
                ...(message.rate === undefined ? {} : { rate: message.rate })
              },
              message.workDir
            )
          ).pipe(Effect.mapError(failWith("narration")))
        )

      case "PlanRender":
        return yield* answer(ctx, message, planRenderFor(message))

      case "Render": {
        const running = state.jobs.get(message.planFile)
        if (running !== undefined) {
          running.waiting.push(message)
          return
        }
        const done = yield* readDone(message.planFile)
        if (Option.isSome(done)) {
          yield* events.publish(RenderReusedEvent.make({ planFile: message.planFile, output: done.value.output }, origin))
          return yield* ctx.reply(message, { ...done.value, cached: true })
        }
        const loaded = yield* Effect.either(readPlan(message.planFile))
        if (Either.isLeft(loaded)) {
          return yield* ctx.replyFailure(message, new RenderError({ stage: "plan", message: errorText(loaded.left) }))
        }
        const plan = loaded.right
        const single = plan.segments.length === 1
        const items: Array<WorkItem> = single
          ? [{ planFile: message.planFile, kind: "single-pass", index: 0 }]
          : plan.segments.map((s) => ({ planFile: message.planFile, kind: "segment" as const, index: s.index }))
        const job: Job = {
          plan,
          planFile: message.planFile,
          waiting: [message],
          items: items.length,
          parts: new Map(),
          attempts: new Map(),
          startedAt: yield* Clock.currentTimeMillis,
          audio: undefined,
          encodeSeconds: 0,
          stitching: false
        }
        state.jobs.set(message.planFile, job)
        state.queue.push(...items)
        yield* events.publish(RenderStartedEvent.make({ planFile: message.planFile, items: items.length, encoders: [...state.encoders] }, origin))
        if (!single) {
          yield* background(
            Effect.mapError(timed(renderAudio(plan)), failWith("audio")),
            ({ value, seconds }) => new AudioMixed({ planFile: message.planFile, file: value, seconds }),
            message.planFile
          )
        }
        return yield* notifyEncoders
      }

      case "EncoderReady": {
        state.encoders.add(message.agent)
        const lost = state.inFlight.get(message.agent)
        if (lost !== undefined) {
          state.inFlight.delete(message.agent)
          state.queue.unshift(lost)
          yield* events.publish(WorkRequeuedEvent.make({ agent: message.agent, item: lost, why: "encoder restarted" }, origin))
          yield* notifyEncoders
        } else if (state.queue.length > 0) {
          yield* ctx.lookup(message.agent).tell(new WorkAvailable())
        }
        return
      }

      case "PullWork": {
        let item = state.queue.shift() ?? null
        if (item !== null && item.encoder === undefined) {
          // A slot whose device is behind an open breaker encodes in software meanwhile.
          const routed = state.breakers.route(message.agent, yield* Clock.currentTimeMillis)
          yield* publishBreaker(message.agent, routed.change)
          if (routed.encoder !== undefined) item = { ...item, encoder: routed.encoder }
        }
        if (item !== null) state.inFlight.set(message.agent, item)
        return yield* ctx.reply(message, item)
      }

      case "WorkDone": {
        state.inFlight.delete(message.part.agent)
        yield* publishBreaker(message.part.agent, state.breakers.success(message.part.agent, message.part.encoder))
        const job = state.jobs.get(message.planFile)
        if (job === undefined) return
        job.parts.set(message.part.index, message.part)
        yield* events.publish(PartEncodedEvent.make({ planFile: message.planFile, ...message.part }, origin))
        return yield* completeIfReady(job)
      }

      case "WorkFailed": {
        state.inFlight.delete(message.agent)
        const fallback = softwareFallback(message.encoder)
        if (fallback !== undefined) {
          yield* publishBreaker(message.agent, state.breakers.failure(message.agent, message.encoder, fallback, yield* Clock.currentTimeMillis))
        }
        const job = state.jobs.get(message.planFile)
        if (job === undefined) return
        const attempts = (job.attempts.get(message.item.index) ?? 0) + 1
        job.attempts.set(message.item.index, attempts)
        if (attempts >= MAX_ATTEMPTS) {
          return yield* fail(job, new RenderError({ stage: "encode", message: `${message.item.kind} ${message.item.index}: ${message.message}` }))
        }
        const retry: WorkItem = fallback === undefined ? message.item : { ...message.item, encoder: fallback }
        state.queue.unshift(retry)
        yield* events.publish(
          EncodeRetryEvent.make({ planFile: message.planFile, item: retry, failedOn: message.encoder, agent: message.agent, message: message.message }, origin)
        )
        return yield* notifyEncoders
      }

      case "AudioMixed": {
        const job = state.jobs.get(message.planFile)
        if (job === undefined) return
        job.audio = { file: message.file, seconds: message.seconds }
        return yield* completeIfReady(job)
      }

      case "Stitched": {
        const job = state.jobs.get(message.planFile)
        if (job === undefined) return
        const result: RenderResult = {
          output: message.output,
          parts: job.plan.segments.map((s) => job.parts.get(s.index)!),
          stages: { encode: job.encodeSeconds, audio: job.audio?.seconds ?? 0, stitch: message.seconds },
          cached: false
        }
        yield* Effect.ignore(writeAtomically(doneMarker(job.planFile), JSON.stringify(result)))
        yield* Effect.promise(() =>
          Promise.all([...job.plan.files.segments, job.plan.files.audio].map((f) => rm(f, { force: true })))
        )
        return yield* finish(job, result)
      }

      case "StepFailed": {
        const job = state.jobs.get(message.planFile)
        if (job === undefined) return
        return yield* fail(job, message.error)
      }
    }
  })

