/**
 * The renderer agent. Narration and planning are answered inline. A Render request becomes work
 * items (k segments, or one single pass) that encoder agents pull; the audio is mixed once in the
 * background meanwhile; when every segment and the audio are there, the stitch runs in the
 * background too, and the request is answered.
 *
 * A pulled item is a lease: the encoder renews it while its ffmpeg makes progress, and a lease not
 * renewed within the TTL (a hung device), or held by an encoder that restarts or stops, is taken
 * back and the item queued again. A failed item is retried (in software when a device failed, behind
 * a breaker per slot); every loss or failure counts as one of the item's MAX_ATTEMPTS. Which idle
 * slot gets which item follows the capacity learned per encoder and size (capacity.ts).
 * A CancelRender stops one render where it is (its job was cancelled), leaving every other one be.
 * Each message has its own handler below, over the agent's explicit state (`RendererState`).
 */
import { Clock, Duration, Effect, Either, Fiber, Option, type Scope } from "effect"
import { dirname, join } from "node:path"
import {
  type CaptionOptions,
  type CaptionStyle,
  ENCODER_CATALOGUE,
  mediaFileSystem,
  narrateRecording,
  planRender,
  probe,
  renderAudio,
  type RenderPlan,
  type ShotMedia,
  stitch,
  Tts,
  writeAss
} from "../../media/index.ts"
import { type AgentContext, define, SwarmEvents, type SwarmEventsService, type Terminated } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { answer } from "../answer.ts"
import { startHeartbeat } from "../monitor/heartbeat.ts"
import { type BreakerChange, type BreakerSettings, type DeviceBreakers, makeDeviceBreakers } from "./breaker.ts"
import {
  capacityKey,
  type CapacityRecord,
  etaSeconds,
  measuredCapacity,
  nextCapacity,
  pickFor,
  rankSlots,
  readCapacities,
  writeCapacity
} from "./capacity.ts"
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
} from "./events.ts"
import { contentKey, doneMarker, fileStamp, isFinished, readDone, readPlan, writeAtomically } from "./plan-file.ts"
import {
  AbortWork,
  AudioMixed,
  type CancelRender,
  CheckLeases,
  type EncoderReady,
  type Narrate,
  type PlanRender,
  type PullWork,
  type Render,
  type RendererMessage,
  RendererProtocol,
  type RenewLease,
  StepFailed,
  Stitched,
  WorkAvailable,
  type WorkDone,
  type WorkFailed
} from "./protocol.ts"
import {
  type EncodedPart,
  LeaseLostError,
  type OutputSettings,
  type RenderCause,
  RenderError,
  type RenderResult,
  type WorkItem
} from "./render-data.ts"
import { characterizedInput } from "./shot-characters.ts"
import { timelineInput } from "./timeline-input.ts"

/** Attempts per work item before the render fails. */
const MAX_ATTEMPTS = 3

/**
 * How long a lease lasts without a renewal, unless the renderer is told otherwise. Encoders renew
 * about every second while ffmpeg writes frames; the margin is for a machine loaded by other work.
 */
export const LEASE_TTL = "30 seconds"

/** Least time between two `render-eta` events of one render. */
export const ETA_INTERVAL = "2 seconds"

/** A work item leased to an encoder slot until `expiresAt` (epoch ms), renewed while it makes progress. */
interface Lease {
  readonly item: WorkItem
  readonly agent: string
  /** Which of the item's attempts this is (1 for the first). */
  readonly attempt: number
  /** The slot's pull that got it: what an AbortWork names. */
  readonly pull: number
  expiresAt: number
  /** Frames written so far, as last reported. */
  frame: number
}

/** One render in progress: its plan, the requests waiting for it, and what has come back so far. */
interface RenderJob {
  readonly plan: RenderPlan
  readonly planFile: string
  readonly waiting: Array<Render>
  readonly items: number
  readonly parts: Map<number, EncodedPart>
  readonly attempts: Map<number, number>
  readonly startedAt: number
  /** Its background steps (audio mix, stitch): interrupted when it is cancelled. */
  readonly steps: Array<Fiber.RuntimeFiber<void>>
  audio: { readonly file: string; readonly seconds: number } | undefined
  encodeSeconds: number
  stitching: boolean
  /** When the last `render-eta` went out (epoch ms). */
  etaAt: number
}

interface RendererState {
  /** Where background steps (audio mix, stitch) run: the agent's incarnation. */
  readonly scope: Scope.Scope
  readonly encoders: Set<string>
  /** Encoder slot → the encoder it drives, when not the plan's. */
  readonly devices: Map<string, string>
  /** Slots known to wait for work (they asked and got none, or just started). */
  readonly idle: Set<string>
  /** Items waiting for an encoder; retries first. */
  readonly queue: Array<WorkItem>
  /** Encoder slot → its lease. */
  readonly leases: Map<string, Lease>
  /** Learned frames/s, by capacityKey (encoder and size): read from shared memory at each render's start. */
  readonly capacity: Map<string, CapacityRecord>
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
  readonly leaseTtlMs: number
}

/** A media step's failure as the renderer's typed failure, carrying it whole. */
const renderError = (stage: RenderError["stage"]) => (cause: RenderCause) => new RenderError({ stage, message: cause.message, cause })

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

/** media's caption options for the job's output: its size and style, and the look it asks for. */
const captionOptions = (output: OutputSettings, style: CaptionStyle): CaptionOptions => {
  const look = output.captionStyle
  return {
    width: output.width,
    height: output.height,
    style,
    ...(look === undefined ? {} : {
      position: look.position,
      ...(look.size === undefined ? {} : { fontSize: look.size }),
      ...(look.color === undefined ? {} : { textColor: look.color }),
      ...(look.stroke === undefined ? {} : { outlineColor: look.stroke }),
      ...(look.strokeWidth === undefined ? {} : { outlineWidth: look.strokeWidth })
    })
  }
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
    const info = yield* Effect.mapError(
      probe(music),
      (error) => new RenderError({ stage: "probe", message: `music ${error.message}`, cause: error })
    )
    if (!info.hasAudio) return yield* new RenderError({ stage: "probe", message: `music file ${music} has no audio stream` })
  }
  const stamps = yield* Effect.mapError(
    Effect.forEach([...paths, request.narration.audioFile, ...(music === undefined ? [] : [music])], fileStamp),
    renderError("plan")
  )
  const key = contentKey({
    scenes: request.scenes.map((s) => [s.text, s.estimatedSec]),
    // Where each pick sits in its scene too: a scene cut differently is a different render.
    shots: request.picks.map((p) => [p.scene, p.clip.path, p.clip.kind, p.shot, p.startSec, p.durationSec, p.inPointSec, p.looped]),
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
        captionOptions(request.output, request.output.captions)
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
  // Content-aware encoding: SI/TI of the frames each scene reads (cached), which planRender turns into classes.
  const characterized = yield* Effect.mapError(characterizedInput(input, request.workDir), renderError("plan"))
  const plan = yield* Either.mapLeft(planRender(characterized, { segments: request.segments }), renderError("plan"))
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
  /** How long a lease lasts without a renewal. Default LEASE_TTL. */
  readonly leaseTtl?: Duration.DurationInput
  /**
   * The swarm's encoder slots (name, and the encoder it drives). A renderer that restarts knows them
   * at once: encoders announce themselves only when they start, so without this list a restarted
   * renderer would wait for encoders that never come. One not started yet is forgotten until its
   * EncoderReady (its watch answers `no-such-agent`).
   */
  readonly encoders?: ReadonlyArray<{ readonly name: string; readonly encoder?: string | undefined }>
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
          devices: new Map(),
          idle: new Set(),
          queue: [],
          leases: new Map(),
          capacity: new Map(),
          jobs: new Map(),
          breakers: makeDeviceBreakers(options.breaker)
        }
        for (const slot of options.encoders ?? []) yield* admitEncoder(state, ctx, slot.name, slot.encoder)
        return state
      }),
    receive: (message, state, ctx) => {
      const leaseTtlMs = Duration.toMillis(Duration.decode(options.leaseTtl ?? LEASE_TTL))
      return Effect.flatMap(
        SwarmEvents,
        (events) => Effect.as(handle({ state, ctx, events, origin: { agent: ctx.name }, leaseTtlMs }, message), state)
      )
    }
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
    case "CancelRender":
      return cancelRender(r, message)
    case "EncoderReady":
      return encoderReady(r, message)
    case "PullWork":
      return pullWork(r, message)
    case "RenewLease":
      return renewLease(r, message)
    case "CheckLeases":
      return checkLeases(r)
    case "Terminated":
      return encoderStopped(r, message)
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

/** The offline synthesizer a recording is aligned against, where the Tts service has it. */
const ALIGNMENT_PROVIDER = "espeak-ng"

const narrate = (r: Renderer, message: Narrate) =>
  answer(
    r.ctx,
    message,
    Effect.flatMap(Tts, (tts) => {
      const provider = message.provider ?? (tts.providers.includes(ALIGNMENT_PROVIDER) ? ALIGNMENT_PROVIDER : undefined)
      const request = {
        text: message.text,
        voice: message.voice,
        ...(message.rate === undefined ? {} : { rate: message.rate })
      }
      if (message.recording === undefined) {
        return tts.synthesize({ ...request, ...(message.provider === undefined ? {} : { provider: message.provider }) }, message.workDir)
      }
      return narrateRecording(
        { ...request, file: message.recording },
        message.workDir,
        (rendition, outDir) => tts.synthesize({ ...rendition, ...(provider === undefined ? {} : { provider }) }, outDir)
      )
    }).pipe(Effect.mapError(renderError("narration")))
  )

/** A render already running gets one more waiter; one done before is answered from its marker; else its items are queued. */
const startRender = (r: Renderer, message: Render) =>
  Effect.gen(function*() {
    const running = r.state.jobs.get(message.planFile)
    if (running !== undefined) {
      running.waiting.push(message)
      return
    }
    const done = yield* Effect.either(readDone(message.planFile))
    if (Either.isLeft(done)) return yield* r.ctx.replyFailure(message, renderError("plan")(done.left))
    if (Option.isSome(done.right)) {
      const earlier = done.right.value
      yield* r.events.publish(RenderReusedEvent.make({ planFile: message.planFile, output: earlier.output }, r.origin))
      return yield* r.ctx.reply(message, { ...earlier, cached: true })
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
      steps: [],
      audio: undefined,
      encodeSeconds: 0,
      stitching: false,
      etaAt: 0
    }
    for (const [encoder, record] of yield* readCapacities(plan.width, plan.height)) {
      r.state.capacity.set(capacityKey(encoder, plan.width, plan.height), record)
    }
    r.state.jobs.set(message.planFile, job)
    r.state.queue.push(...items)
    yield* r.events.publish(
      RenderStartedEvent.make({ planFile: message.planFile, items: items.length, encoders: [...r.state.encoders] }, r.origin)
    )
    yield* publishEta(r, job)
    if (plan.segments.length !== 1) {
      yield* background(
        r,
        job,
        Effect.mapError(timed(renderAudio(plan)), renderError("audio")),
        ({ value, seconds }) => new AudioMixed({ planFile: message.planFile, file: value, seconds })
      )
    }
    yield* notifyEncoders(r)
  })

/**
 * The render is stopped where it is: nothing of it is queued or leased any more (its encoders abort
 * their ffmpeg: no retry, no breaker count), its audio mix or stitch is interrupted, the files it
 * made so far are removed, and whoever waits for it gets a RenderError of stage `cancelled`.
 */
const cancelRender = (r: Renderer, message: CancelRender) =>
  Effect.gen(function*() {
    const job = r.state.jobs.get(message.planFile)
    if (job === undefined) return yield* r.ctx.reply(message, false)
    const { planFile } = job
    r.state.jobs.delete(planFile)
    r.state.queue.splice(0, r.state.queue.length, ...r.state.queue.filter((item) => item.planFile !== planFile))
    for (const lease of [...r.state.leases.values()]) {
      if (lease.item.planFile !== planFile) continue
      r.state.leases.delete(lease.agent)
      yield* r.ctx.lookup(lease.agent).tell(new AbortWork({ planFile, index: lease.item.index, pull: lease.pull }))
    }
    // Awaited, so that their ffmpeg has exited (and removed its partial file) before the files go.
    yield* Fiber.interruptAll(job.steps)
    const fs = yield* mediaFileSystem
    yield* Effect.forEach([...job.plan.files.segments, job.plan.files.audio, job.plan.files.output], (file) =>
      Effect.catchAll(
        fs.remove(file, { force: true }),
        (error) => Effect.logWarning(`cannot remove ${file} of the cancelled render: ${error.message}`)
      ), { discard: true })
    const error = new RenderError({ stage: "cancelled", message: `the render of ${planFile} was cancelled` })
    yield* Effect.forEach(job.waiting, (request) => r.ctx.replyFailure(request, error), { discard: true })
    yield* r.events.publish(RenderCancelledEvent.make({ planFile }, r.origin))
    yield* r.ctx.reply(message, true)
  })

/** An encoder slot the renderer hands work to: idle, driving `encoder` (the plan's when none), and watched. */
const admitEncoder = (state: RendererState, ctx: AgentContext<RendererMessage>, agent: string, encoder: string | undefined) => {
  state.encoders.add(agent)
  state.idle.add(agent)
  if (encoder === undefined) state.devices.delete(agent)
  else state.devices.set(agent, encoder)
  return ctx.watch(agent)
}

/** An encoder (re)started, or joined: it is watched, and the lease it held is taken back. */
const encoderReady = (r: Renderer, message: EncoderReady) =>
  Effect.gen(function*() {
    const agent = message.agent
    yield* admitEncoder(r.state, r.ctx, agent, message.encoder)
    const lost = r.state.leases.get(agent)
    if (lost !== undefined) {
      r.state.leases.delete(agent)
      yield* takeBack(r, lost, "encoder-restarted")
    } else if (r.state.queue.length > 0) {
      yield* r.ctx.lookup(agent).tell(new WorkAvailable())
    }
  })

/** An encoder slot stopped for good: it gets no more work, and its lease is taken back. */
const encoderStopped = (r: Renderer, message: Terminated) =>
  Effect.gen(function*() {
    const agent = message.agent
    if (!r.state.encoders.delete(agent)) return
    r.state.idle.delete(agent)
    r.state.devices.delete(agent)
    const lost = r.state.leases.get(agent)
    // Slower idle slots may have left the waiting work to this one.
    if (lost === undefined) return r.state.queue.length > 0 ? yield* notifyEncoders(r) : undefined
    r.state.leases.delete(agent)
    yield* takeBack(r, lost, "encoder-stopped")
  })

/** The item the asking slot should take now (see capacity.ts pickFor), leased to it; none when faster idle slots will take them all. */
const pullWork = (r: Renderer, message: PullWork) =>
  Effect.gen(function*() {
    const agent = message.agent
    const now = yield* Clock.currentTimeMillis
    r.state.encoders.add(agent)
    const eligible = r.state.queue.filter((item) => belowConcurrency(r, item.planFile))
    const head = eligible[0]
    const headJob = head === undefined ? undefined : r.state.jobs.get(head.planFile)
    const speed = (slot: string) => headJob === undefined ? 0 : speedOf(r, slot, headJob.plan, now)
    const picked = headJob === undefined
      ? undefined
      : pickFor(agent, [...r.state.idle], speed, eligible, (item) => framesOf(r, item))
    if (picked === undefined) {
      // Items this slot leaves to faster idle slots: those slots are told. Only the faster ones, never
      // this slot itself: a slot told by its own pull would pull again at once, for as long as a
      // faster slot does not (one that died and is not restarted yet), flooding the mailboxes.
      if (eligible.length > 0) {
        const ranked = rankSlots(agent, r.state.idle, speed)
        yield* Effect.forEach(ranked.slice(0, ranked.indexOf(agent)), (slot) => r.ctx.lookup(slot).tell(new WorkAvailable()), {
          discard: true
        })
      }
      r.state.idle.add(agent)
      return yield* r.ctx.reply(message, null)
    }
    r.state.queue.splice(r.state.queue.indexOf(picked), 1)
    r.state.idle.delete(agent)
    let item = picked
    if (item.encoder === undefined) {
      // A slot whose device is behind an open breaker encodes in software meanwhile.
      const routed = r.state.breakers.route(agent, now)
      yield* publishBreaker(r, agent, routed.change)
      if (routed.encoder !== undefined) item = { ...item, encoder: routed.encoder }
    }
    const attempt = (r.state.jobs.get(item.planFile)?.attempts.get(item.index) ?? 0) + 1
    r.state.leases.set(agent, { item, agent, attempt, pull: message.pull ?? 0, expiresAt: now + r.leaseTtlMs, frame: 0 })
    yield* watchLeases(r, now)
    yield* r.ctx.reply(message, item)
  })

/** The slot holding the lease on this item made progress: the lease runs one more TTL from now. */
const renewLease = (r: Renderer, message: RenewLease) =>
  Effect.gen(function*() {
    const lease = r.state.leases.get(message.agent)
    if (lease === undefined || lease.item.planFile !== message.planFile || lease.item.index !== message.index) return
    const now = yield* Clock.currentTimeMillis
    lease.expiresAt = now + r.leaseTtlMs
    lease.frame = message.frame
    const job = r.state.jobs.get(message.planFile)
    if (job !== undefined && now - job.etaAt >= Duration.toMillis(ETA_INTERVAL)) yield* publishEta(r, job)
  })

/** The lease timer: every lease not renewed in time is taken back; the timer is set again for the next one due. */
const checkLeases = (r: Renderer) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    for (const lease of [...r.state.leases.values()]) {
      if (lease.expiresAt > now) continue
      r.state.leases.delete(lease.agent)
      yield* takeBack(r, lease, "expired")
    }
    yield* watchLeases(r, now)
  })

const workDone = (r: Renderer, message: WorkDone) =>
  Effect.gen(function*() {
    const { part, planFile } = message
    const held = holds(r, part.agent, planFile, part.index)
    if (held) r.state.leases.delete(part.agent)
    if (held) yield* leaseFreed(r, planFile)
    yield* publishBreaker(r, part.agent, r.state.breakers.success(part.agent, part.encoder))
    yield* forJob(r, planFile, (job) =>
      Effect.gen(function*() {
        const ignored = (why: "duplicate" | "lease-lost" | "invalid-part") =>
          r.events.publish(WorkIgnoredEvent.make({ planFile, agent: part.agent, kind: part.kind, index: part.index, why }, r.origin))
        if (job.parts.has(part.index)) return yield* ignored("duplicate")
        if (!held) {
          // A slot whose lease was taken back finished after all: its part counts if its file is there.
          const valid = yield* Effect.orElseSucceed(isFinished(part.file), () => false)
          if (!valid) return yield* ignored("invalid-part")
          const waiting = r.state.queue.findIndex((item) => item.planFile === planFile && item.index === part.index)
          if (waiting >= 0) r.state.queue.splice(waiting, 1)
        }
        job.parts.set(part.index, part)
        yield* r.events.publish(PartEncodedEvent.make({ planFile, ...part }, r.origin))
        if (!part.reused) yield* learnCapacity(r, job, part)
        yield* publishEta(r, job)
        yield* completeIfReady(r, job)
      }))
  })

/** A failed item is retried (in software after a device failed) until it has had MAX_ATTEMPTS; then the render fails. */
const workFailed = (r: Renderer, message: WorkFailed) =>
  Effect.gen(function*() {
    if (!holds(r, message.agent, message.planFile, message.item.index)) {
      // Its lease was taken back and the item given out again: this failure is not the item's any more.
      return yield* r.events.publish(
        WorkIgnoredEvent.make({
          planFile: message.planFile,
          agent: message.agent,
          kind: message.item.kind,
          index: message.item.index,
          why: "lease-lost"
        }, r.origin)
      )
    }
    r.state.leases.delete(message.agent)
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
            new RenderError({ stage: "encode", message: `${item.kind} ${item.index}: ${error.message}`, cause: error.cause })
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

/**
 * Whether another item of `planFile` may be leased now: no more of its segments run at once than its
 * plan's concurrency, so the render never holds more than the plan's K clip decoders open
 * (media/timeline/plan.ts), however many encoder slots are idle.
 */
const belowConcurrency = (r: Renderer, planFile: string) => {
  const job = r.state.jobs.get(planFile)
  if (job === undefined) return true
  let leased = 0
  for (const lease of r.state.leases.values()) if (lease.item.planFile === planFile) leased++
  return leased < job.plan.concurrency
}

/** Whether `agent` holds the lease on item `index` of `planFile`. */
const holds = (r: Renderer, agent: string, planFile: string, index: number) => {
  const lease = r.state.leases.get(agent)
  return lease !== undefined && lease.item.planFile === planFile && lease.item.index === index
}

const LEASE_TIMER = "leases"

/** Sets the lease timer for the earliest expiry, unless it is set (a later lease never expires earlier). */
const watchLeases = (r: Renderer, now: number) =>
  Effect.gen(function*() {
    if (r.state.leases.size === 0 || (yield* r.ctx.isTimerActive(LEASE_TIMER))) return
    const due = Math.min(...[...r.state.leases.values()].map((lease) => lease.expiresAt))
    yield* r.ctx.startTimer(LEASE_TIMER, new CheckLeases(), { delay: Duration.millis(Math.max(0, due - now)) })
  })

/**
 * A lease taken back (expired, or its slot restarted or stopped): the loss counts as one of the
 * item's attempts, and the item goes back to the front of the queue, or the render fails.
 */
const takeBack = (r: Renderer, lease: Lease, why: LeaseLostError["why"]) =>
  forJob(r, lease.item.planFile, (job) =>
    Effect.gen(function*() {
      const { agent, item } = lease
      if (why === "expired") {
        const ttlSeconds = r.leaseTtlMs / 1000
        yield* r.events.publish(
          LeaseExpiredEvent.make({ planFile: item.planFile, agent, item, attempt: lease.attempt, ttlSeconds }, r.origin)
        )
      } else {
        const said = why === "encoder-restarted" ? "encoder restarted" : "encoder stopped"
        yield* r.events.publish(WorkRequeuedEvent.make({ agent, item, why: said }, r.origin))
      }
      if (job.parts.has(item.index)) return yield* leaseFreed(r, item.planFile)
      const attempts = (job.attempts.get(item.index) ?? 0) + 1
      job.attempts.set(item.index, attempts)
      if (attempts >= MAX_ATTEMPTS) {
        const message = why === "expired"
          ? `${agent} did not renew its lease on ${item.kind} ${item.index} within ${r.leaseTtlMs / 1000} s`
          : `${agent} ${why === "encoder-restarted" ? "restarted" : "stopped"} while encoding ${item.kind} ${item.index}`
        const cause = new LeaseLostError({ agent, kind: item.kind, index: item.index, why, message })
        const said = `${item.kind} ${item.index}: ${message} (attempt ${attempts} of ${MAX_ATTEMPTS})`
        return yield* fail(r, job, new RenderError({ stage: "encode", message: said, cause }))
      }
      r.state.queue.unshift(item)
      yield* notifyEncoders(r)
    }))

const framesOf = (r: Renderer, item: WorkItem): number => {
  const plan = r.state.jobs.get(item.planFile)?.plan
  if (plan === undefined) return 0
  return item.kind === "single-pass" ? plan.totalFrames : plan.segments[item.index]?.frames ?? 0
}

/** The encoder a slot uses at `now`: its breaker's fallback while open, else its own device or the plan's. */
const encoderOf = (r: Renderer, agent: string, plan: RenderPlan, now: number) =>
  r.state.breakers.openFallback(agent, now) ?? r.state.devices.get(agent) ?? plan.input.output.encoder

const capacityOf = (r: Renderer, encoder: string, plan: RenderPlan) =>
  r.state.capacity.get(capacityKey(encoder, plan.width, plan.height))?.framesPerSecond

/** How a slot ranks for assignment: behind an open breaker last, unknown capacity first (so it gets measured). */
const speedOf = (r: Renderer, agent: string, plan: RenderPlan, now: number) =>
  r.state.breakers.openFallback(agent, now) !== undefined
    ? Number.NEGATIVE_INFINITY
    : capacityOf(r, encoderOf(r, agent, plan, now), plan) ?? Number.POSITIVE_INFINITY

/** One more measurement of the part's encoder at the plan's size, kept for this run and in shared memory. */
const learnCapacity = (r: Renderer, job: RenderJob, part: EncodedPart) => {
  const { height, width } = job.plan
  const key = capacityKey(part.encoder, width, height)
  const frames = part.kind === "single-pass" ? job.plan.totalFrames : job.plan.segments[part.index]?.frames ?? 0
  const record = nextCapacity(r.state.capacity.get(key), measuredCapacity(frames, part.seconds))
  r.state.capacity.set(key, record)
  return writeCapacity(part.encoder, width, height, record)
}

/** The render's ETA: frames not yet written over the summed capacity of the slots; nothing while no capacity is known. */
const publishEta = (r: Renderer, job: RenderJob) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const left = workItems(job.planFile, job.plan).filter((item) => !job.parts.has(item.index))
    const inFlight = [...r.state.leases.values()].filter((lease) => lease.item.planFile === job.planFile)
      .reduce((sum, lease) => sum + lease.frame, 0)
    const remainingFrames = Math.max(0, left.reduce((sum, item) => sum + framesOf(r, item), 0) - inFlight)
    const capacities = [...r.state.encoders].map((agent) => capacityOf(r, encoderOf(r, agent, job.plan, now), job.plan))
    const eta = etaSeconds(remainingFrames, capacities)
    if (eta === undefined) return
    job.etaAt = now
    const framesPerSecond = capacities.reduce<number>((sum, c) => sum + (c ?? 0), 0)
    yield* r.events.publish(
      RenderEtaEvent.make({ planFile: job.planFile, remainingFrames, framesPerSecond, etaSeconds: eta }, r.origin)
    )
  })

/** A lease of `planFile` was let go: the slots its concurrency kept waiting may pull again. */
const leaseFreed = (r: Renderer, planFile: string) =>
  r.state.queue.some((item) => item.planFile === planFile) ? notifyEncoders(r) : Effect.void

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

/** Runs a background step of `job` in the agent's scope; it reports back as a message (StepFailed when it fails). */
const background = <A, R>(r: Renderer, job: RenderJob, step: Effect.Effect<A, RenderError, R>, report: (a: A) => RendererMessage) =>
  Effect.map(
    Effect.forkIn(
      Effect.matchEffect(step, {
        onFailure: (error) => r.ctx.self.tell(new StepFailed({ planFile: job.planFile, error })),
        onSuccess: (a) => r.ctx.self.tell(report(a))
      }),
      r.state.scope
    ),
    (fiber) => {
      job.steps.push(fiber)
    }
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
      job,
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
