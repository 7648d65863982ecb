/**
 * The renderer agent. Narration and planning are answered inline. A Render request becomes work
 * items (k segments, or one single pass) that encoder agents pull; the audio is mixed once in the
 * background meanwhile; when every segment and the audio are there, the stitch runs in the
 * background too, and the request is answered. An encoder that fails a segment gets it retried
 * (in software when a device failed); an encoder that restarts gives its in-flight item back.
 * Each message has its own handler below, over the agent's explicit state (`RendererState`).
 */
import { Clock, Effect, Either, Option, type Scope } from "effect"
import { dirname, join } from "node:path"
import {
  ENCODER_CATALOGUE,
  mediaFileSystem,
  planRender,
  probe,
  renderAudio,
  type RenderPlan,
  type ShotMedia,
  stitch,
  Tts,
  writeAss
} from "../../media/index.ts"
import { type AgentContext, define, SwarmEvents, type SwarmEventsService } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { answer } from "../answer.ts"
import { startHeartbeat } from "../monitor/heartbeat.ts"
import { type BreakerChange, type BreakerSettings, type DeviceBreakers, makeDeviceBreakers } from "./breaker.ts"
import {
  DeviceBreakerClosedEvent,
  DeviceBreakerOpenedEvent,
  DeviceBreakerTrialEvent,
  EncodeRetryEvent,
  PartEncodedEvent,
  RenderFailedEvent,
  RenderFinishedEvent,
  RenderReusedEvent,
  RenderStartedEvent,
  WorkRequeuedEvent
} from "./events.ts"
import { contentKey, doneMarker, fileStamp, readDone, readPlan, writeAtomically } from "./plan-file.ts"
import {
  AudioMixed,
  type EncoderReady,
  type Narrate,
  type PlanRender,
  type PullWork,
  type Render,
  type RendererMessage,
  RendererProtocol,
  StepFailed,
  Stitched,
  WorkAvailable,
  type WorkDone,
  type WorkFailed
} from "./protocol.ts"
import { type EncodedPart, RenderError, type RenderResult, type WorkItem } from "./render-data.ts"
import { timelineInput } from "./timeline-input.ts"

/** Attempts per work item before the render fails. */
const MAX_ATTEMPTS = 3

/** One render in progress: its plan, the requests waiting for it, and what has come back so far. */
interface RenderJob {
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
  /** Where background steps (audio mix, stitch) run: the agent's incarnation. */
  readonly scope: Scope.Scope
  readonly encoders: Set<string>
  /** Items waiting for an encoder, oldest first. */
  readonly queue: Array<WorkItem>
  /** Encoder name → the item it is working on. */
  readonly inFlight: Map<string, WorkItem>
  /** Plan file → its render in progress. */
  readonly jobs: Map<string, RenderJob>
  /** Per encoder slot: whether its device is skipped for a cool-down after failing. */
  readonly breakers: DeviceBreakers
}

/** What a handler works with: the state, the agent's context, and where its events go. */
interface Renderer {
  readonly state: RendererState
  readonly ctx: AgentContext<RendererMessage>
  readonly events: SwarmEventsService
  readonly origin: { readonly agent: string }
}

/** What the renderer keeps of a media step's failure: its message, and the tool's own account (a detail, ffmpeg's stderr tail). */
interface StepFailure {
  readonly message: string
  readonly detail?: string | undefined
  readonly stderrTail?: string | undefined
}

/** A media step's failure as the renderer's typed failure. */
const renderError = (stage: RenderError["stage"]) => (error: StepFailure) => {
  const detail = error.detail ?? error.stderrTail
  return new RenderError({ stage, message: error.message, ...(detail === undefined || detail === "" ? {} : { detail }) })
}

const seconds = (from: number, to: number) => Math.round(to - from) / 1000

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    return { value, seconds: seconds(start, yield* Clock.currentTimeMillis) }
  })

/** The software encoder of the same codec: where a failed device's work goes next. */
const softwareFallback = (encoder: string): string | undefined => {
  const spec = ENCODER_CATALOGUE.find((e) => e.name === encoder)
  const fallback = ENCODER_CATALOGUE.find((e) => e.codec === (spec?.codec ?? "h264") && e.family === "software")
  return fallback === undefined || fallback.name === encoder ? undefined : fallback.name
}

/** Probes the shots, writes the captions and the plan (content-addressed), and returns its summary. */
const planRenderFor = Effect.fn("renderer.planRender")(function*(request: PlanRender) {
  const paths = Array.from(new Set(request.picks.map((p) => p.clip.path)))
  const facts = new Map<string, ShotMedia>()
  for (const path of paths) {
    // A video the footage index already probed is not probed again.
    const clip = request.picks.find((p) => p.clip.path === path)!.clip
    if (clip.kind === "video" && clip.fps !== undefined && clip.fps > 0) {
      facts.set(path, { duration: clip.durationSec, width: clip.width, height: clip.height, fps: clip.fps })
      continue
    }
    const info = yield* Effect.mapError(probe(path), renderError("probe"))
    facts.set(path, { duration: info.duration, width: info.width, height: info.height, fps: info.fps })
  }
  const music = request.output.music?.path
  if (music !== undefined) {
    // A music file ffmpeg cannot read fails the plan now, not every encode attempt later.
    const info = yield* Effect.mapError(probe(music), (error) => new RenderError({ stage: "probe", message: `music ${error.message}` }))
    if (!info.hasAudio) return yield* new RenderError({ stage: "probe", message: `music file ${music} has no audio stream` })
  }
  const stamps = yield* Effect.mapError(
    Effect.forEach([...paths, request.narration.audioFile, ...(music === undefined ? [] : [music])], fileStamp),
    renderError("plan")
  )
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
      renderError("captions")
    )
  }
  const input = yield* timelineInput({
    scenes: request.scenes,
    picks: request.picks,
    media: facts,
    narration: { path: request.narration.audioFile, duration: request.narration.durationSec },
    output: request.output,
    captionsFile,
    workDir: dir
  })
  const plan = yield* Either.mapLeft(planRender(input, { segments: request.segments }), renderError("plan"))
  const planFile = join(dir, "plan.json")
  yield* Effect.mapError(writeAtomically(planFile, JSON.stringify(plan)), renderError("plan"))
  yield* mediaFileSystem.pipe(
    Effect.flatMap((fs) => fs.makeDirectory(dirname(plan.files.output), { recursive: true })),
    Effect.mapError(renderError("plan"))
  )
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
      Effect.gen(function*() {
        yield* startHeartbeat(ctx)
        const state: RendererState = {
          scope: yield* Effect.scope,
          encoders: new Set(),
          queue: [],
          inFlight: new Map(),
          jobs: new Map(),
          breakers: makeDeviceBreakers(options.breaker)
        }
        return state
      }),
    receive: (message, state, ctx) =>
      Effect.flatMap(SwarmEvents, (events) => Effect.as(handle({ state, ctx, events, origin: { agent: ctx.name } }, message), state))
  })

/** Each message to its handler. */
const handle = (r: Renderer, message: RendererMessage) => {
  switch (message._tag) {
    case "Narrate":
      return narrate(r, message)
    case "PlanRender":
      return answer(r.ctx, message, planRenderFor(message))
    case "Render":
      return startRender(r, message)
    case "EncoderReady":
      return encoderReady(r, message)
    case "PullWork":
      return pullWork(r, message)
    case "WorkDone":
      return workDone(r, message)
    case "WorkFailed":
      return workFailed(r, message)
    case "AudioMixed":
      return audioMixed(r, message)
    case "Stitched":
      return stitched(r, message)
    case "StepFailed":
      return stepFailed(r, message)
  }
}

// The handlers, one per message.

const narrate = (r: Renderer, message: Narrate) =>
  answer(
    r.ctx,
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
      )).pipe(Effect.mapError(renderError("narration")))
  )

/** A render already running gets one more waiter; one done before is answered from its marker; else its items are queued. */
const startRender = (r: Renderer, message: Render) =>
  Effect.gen(function*() {
    const running = r.state.jobs.get(message.planFile)
    if (running !== undefined) {
      running.waiting.push(message)
      return
    }
    const done = yield* readDone(message.planFile)
    if (Option.isSome(done)) {
      yield* r.events.publish(RenderReusedEvent.make({ planFile: message.planFile, output: done.value.output }, r.origin))
      return yield* r.ctx.reply(message, { ...done.value, cached: true })
    }
    const loaded = yield* Effect.either(readPlan(message.planFile))
    if (Either.isLeft(loaded)) return yield* r.ctx.replyFailure(message, renderError("plan")(loaded.left))
    const plan = loaded.right
    const items = workItems(message.planFile, plan)
    const job: RenderJob = {
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
    r.state.jobs.set(message.planFile, job)
    r.state.queue.push(...items)
    yield* r.events.publish(
      RenderStartedEvent.make({ planFile: message.planFile, items: items.length, encoders: [...r.state.encoders] }, r.origin)
    )
    if (plan.segments.length !== 1) {
      yield* background(
        r,
        message.planFile,
        Effect.mapError(timed(renderAudio(plan)), renderError("audio")),
        ({ value, seconds }) => new AudioMixed({ planFile: message.planFile, file: value, seconds })
      )
    }
    yield* notifyEncoders(r)
  })

/** An encoder (re)started: the item it held goes back to the front of the queue. */
const encoderReady = (r: Renderer, message: EncoderReady) =>
  Effect.gen(function*() {
    r.state.encoders.add(message.agent)
    const lost = r.state.inFlight.get(message.agent)
    if (lost !== undefined) {
      r.state.inFlight.delete(message.agent)
      r.state.queue.unshift(lost)
      yield* r.events.publish(WorkRequeuedEvent.make({ agent: message.agent, item: lost, why: "encoder restarted" }, r.origin))
      yield* notifyEncoders(r)
    } else if (r.state.queue.length > 0) {
      yield* r.ctx.lookup(message.agent).tell(new WorkAvailable())
    }
  })

const pullWork = (r: Renderer, message: PullWork) =>
  Effect.gen(function*() {
    let item = r.state.queue.shift() ?? null
    if (item !== null && item.encoder === undefined) {
      // A slot whose device is behind an open breaker encodes in software meanwhile.
      const routed = r.state.breakers.route(message.agent, yield* Clock.currentTimeMillis)
      yield* publishBreaker(r, message.agent, routed.change)
      if (routed.encoder !== undefined) item = { ...item, encoder: routed.encoder }
    }
    if (item !== null) r.state.inFlight.set(message.agent, item)
    yield* r.ctx.reply(message, item)
  })

const workDone = (r: Renderer, message: WorkDone) =>
  Effect.gen(function*() {
    r.state.inFlight.delete(message.part.agent)
    yield* publishBreaker(r, message.part.agent, r.state.breakers.success(message.part.agent, message.part.encoder))
    yield* forJob(r, message.planFile, (job) =>
      Effect.gen(function*() {
        job.parts.set(message.part.index, message.part)
        yield* r.events.publish(PartEncodedEvent.make({ planFile: message.planFile, ...message.part }, r.origin))
        yield* completeIfReady(r, job)
      }))
  })

/** A failed item is retried (in software after a device failed) until it has had MAX_ATTEMPTS; then the render fails. */
const workFailed = (r: Renderer, message: WorkFailed) =>
  Effect.gen(function*() {
    r.state.inFlight.delete(message.agent)
    const fallback = softwareFallback(message.encoder)
    if (fallback !== undefined) {
      yield* publishBreaker(
        r,
        message.agent,
        r.state.breakers.failure(message.agent, message.encoder, fallback, yield* Clock.currentTimeMillis)
      )
    }
    yield* forJob(r, message.planFile, (job) =>
      Effect.gen(function*() {
        const attempts = (job.attempts.get(message.item.index) ?? 0) + 1
        job.attempts.set(message.item.index, attempts)
        if (attempts >= MAX_ATTEMPTS) {
          const { error, item } = message
          return yield* fail(
            r,
            job,
            renderError("encode")({ message: `${item.kind} ${item.index}: ${error.message}`, detail: error.detail })
          )
        }
        const retry: WorkItem = fallback === undefined ? message.item : { ...message.item, encoder: fallback }
        r.state.queue.unshift(retry)
        yield* r.events.publish(
          EncodeRetryEvent.make({
            planFile: message.planFile,
            item: retry,
            failedOn: message.encoder,
            agent: message.agent,
            message: message.error.message
          }, r.origin)
        )
        yield* notifyEncoders(r)
      }))
  })

const audioMixed = (r: Renderer, message: AudioMixed) =>
  forJob(r, message.planFile, (job) => {
    job.audio = { file: message.file, seconds: message.seconds }
    return completeIfReady(r, job)
  })

const stitched = (r: Renderer, message: Stitched) =>
  forJob(r, message.planFile, (job) =>
    Effect.gen(function*() {
      const result: RenderResult = {
        output: message.output,
        parts: job.plan.segments.map((s) => job.parts.get(s.index)!),
        stages: { encode: job.encodeSeconds, audio: job.audio?.seconds ?? 0, stitch: message.seconds },
        cached: false
      }
      yield* writeDoneMarker(job, result)
      // The segments and the mixed audio are in the output now; one that cannot be removed is only left behind.
      const fs = yield* mediaFileSystem
      yield* Effect.forEach([...job.plan.files.segments, job.plan.files.audio], (file) =>
        Effect.catchAll(
          fs.remove(file, { force: true }),
          (error) => Effect.logWarning(`cannot remove ${file} after the stitch: ${error.message}`)
        ))
      yield* finish(r, job, result)
    }))

/** A background step (audio mix, stitch) failed: so does the render. */
const stepFailed = (r: Renderer, message: StepFailed) => forJob(r, message.planFile, (job) => fail(r, job, message.error))

// The steps the handlers share.

/** The render of `planFile`, if it is still running (a late report of a failed render finds none). */
const forJob = <E, R>(r: Renderer, planFile: string, step: (job: RenderJob) => Effect.Effect<void, E, R>) => {
  const job = r.state.jobs.get(planFile)
  return job === undefined ? Effect.void : step(job)
}

/** One work item per segment, or a single pass for a one-segment plan. */
const workItems = (planFile: string, plan: RenderPlan): Array<WorkItem> =>
  plan.segments.length === 1
    ? [{ planFile, kind: "single-pass", index: 0 }]
    : plan.segments.map((s) => ({ planFile, kind: "segment" as const, index: s.index }))

const notifyEncoders = (r: Renderer) =>
  Effect.forEach(r.state.encoders, (name) => r.ctx.lookup(name).tell(new WorkAvailable()), { discard: true })

const publishBreaker = (r: Renderer, agent: string, change: BreakerChange | undefined) => {
  if (change === undefined) return Effect.void
  switch (change._tag) {
    case "Opened": {
      const { device, fallback, failures, until } = change
      return r.events.publish(DeviceBreakerOpenedEvent.make({ agent, device, fallback, failures, until }, r.origin))
    }
    case "Trial":
      return r.events.publish(DeviceBreakerTrialEvent.make({ agent, device: change.device }, r.origin))
    case "Closed":
      return r.events.publish(DeviceBreakerClosedEvent.make({ agent, device: change.device }, r.origin))
  }
}

/** Runs a background step in the agent's scope; it reports back as a message (StepFailed when it fails). */
const background = <A, R>(r: Renderer, planFile: string, step: Effect.Effect<A, RenderError, R>, report: (a: A) => RendererMessage) =>
  Effect.asVoid(
    Effect.forkIn(
      Effect.matchEffect(step, {
        onFailure: (error) => r.ctx.self.tell(new StepFailed({ planFile, error })),
        onSuccess: (a) => r.ctx.self.tell(report(a))
      }),
      r.state.scope
    )
  )

/** Every part is in: a single pass is the output; segments are stitched (in the background) once the audio is mixed too. */
const completeIfReady = (r: Renderer, job: RenderJob) =>
  Effect.gen(function*() {
    if (job.parts.size < job.items) return
    if (job.encodeSeconds === 0) job.encodeSeconds = seconds(job.startedAt, yield* Clock.currentTimeMillis)
    if (job.parts.get(0)?.kind === "single-pass") {
      const result: RenderResult = {
        output: job.plan.files.output,
        parts: [...job.parts.values()],
        stages: { encode: job.encodeSeconds, audio: 0, stitch: 0 },
        cached: false
      }
      yield* writeDoneMarker(job, result)
      return yield* finish(r, job, result)
    }
    if (job.audio === undefined || job.stitching) return
    job.stitching = true
    const files = job.plan.segments.map((s) => job.parts.get(s.index)!.file)
    yield* background(
      r,
      job.planFile,
      Effect.mapError(timed(stitch(job.plan, files, { audioFile: job.audio.file })), renderError("stitch")),
      ({ value, seconds }) => new Stitched({ planFile: job.planFile, output: value, seconds })
    )
  })

/**
 * The marker that lets a later Render of the same plan answer at once. The render itself is done
 * either way, so a marker that cannot be written costs only a re-render later: it is logged, not failed.
 */
const writeDoneMarker = (job: RenderJob, result: RenderResult) =>
  writeAtomically(doneMarker(job.planFile), JSON.stringify(result)).pipe(
    Effect.catchAll((error) => Effect.logWarning(`renderer: cannot write the done marker of ${job.planFile}: ${error.message}`))
  )

const finish = (r: Renderer, job: RenderJob, result: RenderResult) =>
  Effect.gen(function*() {
    r.state.jobs.delete(job.planFile)
    yield* Effect.forEach(job.waiting, (request) => r.ctx.reply(request, result), { discard: true })
    yield* r.events.publish(RenderFinishedEvent.make({ planFile: job.planFile, output: result.output, stages: result.stages }, r.origin))
  })

/** The render fails: its queued items are dropped and every waiting request gets the error. */
const fail = (r: Renderer, job: RenderJob, error: RenderError) =>
  Effect.gen(function*() {
    r.state.jobs.delete(job.planFile)
    r.state.queue.splice(0, r.state.queue.length, ...r.state.queue.filter((item) => item.planFile !== job.planFile))
    yield* Effect.forEach(job.waiting, (request) => r.ctx.replyFailure(request, error), { discard: true })
    yield* r.events.publish(RenderFailedEvent.make({ planFile: job.planFile, stage: error.stage, message: error.message }, r.origin))
  })
