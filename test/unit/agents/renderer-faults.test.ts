/**
 * The renderer's retries, leases, learned capacity and device breaker, and the encoder's stall
 * timeout, against media's fault-injecting process runner: the faults are played instead of chosen
 * ffmpeg runs (a hang, a failing device, a spawn that fails), and every other run is real ffmpeg on
 * tiny lavfi inputs. The test clock only moves when a test moves it, so no lease expires and no
 * encode is timed out by a slow machine.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Duration, Effect, Exit, FiberId, Layer, Option, TestClock } from "effect"
import { join } from "node:path"
import { AGENT_NAMES } from "../../../agents/agent-names.ts"
import { planScenes } from "../../../agents/director/script.ts"
import { splitSentences } from "../../../agents/director/sentences.ts"
import { encoderAgent, type EncoderAgentOptions } from "../../../agents/encoder/agent.ts"
import { rendererAgent, type RendererOptions } from "../../../agents/renderer/agent.ts"
import { CAPACITY_NAMESPACE } from "../../../agents/renderer/capacity.ts"
import { EncoderProtocol, EncoderReady, PlanRender, PullWork, Render, type RendererMessage } from "../../../agents/renderer/protocol.ts"
import { RenderError } from "../../../agents/renderer/render-data.ts"
import { rankShots } from "../../../agents/shot-matcher/match.ts"
import { probe, type ProcessFault, type ProcessRequest, ProcessRunner, runFfmpeg } from "../../../media/index.ts"
import { espeakNg, layer as ttsLayer } from "../../../media/tts/index.ts"
import { databaseLayer, SharedMemory, sharedMemoryLayer } from "../../../memory/index.ts"
import { define, Swarm, type SwarmEvent, swarmLayerInMemory } from "../../../runtime/index.ts"
import { mesh } from "../../../topologies/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("renderer-faults")

const env = Layer.mergeAll(swarmLayerInMemory({ topology: mesh, strict: true }), ttsLayer([espeakNg()]))

/** The work item an ffmpeg run encodes: segment n writes (a partial of) `reel.part-n.ts`, the single pass `reel.mp4` (as the stitch does, from a concat list). */
const itemOf = (request: ProcessRequest): { readonly kind: "segment" | "single-pass"; readonly index: number } | undefined => {
  const output = request.args.at(-1) ?? ""
  if (request.command !== "ffmpeg" || !/\/\.reel\./.test(output)) return undefined
  const segment = /\.part-(\d+)\.partial-[^/]*\.ts$/.exec(output)
  if (segment !== null) return { kind: "segment", index: Number(segment[1]) }
  return output.endsWith(".mp4") && !request.args.includes("concat") ? { kind: "single-pass", index: 0 } : undefined
}

/** Lets the event loop turn once (I/O, timers): a wait that does not spin, and does not move the test clock. */
const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const encoderOf = (request: ProcessRequest) => request.args[request.args.indexOf("-c:v") + 1]

/** Waits, without moving the test clock, until an event matching `test` has been published; gives it. */
const eventSeen = (test: (event: SwarmEvent) => boolean) =>
  Effect.gen(function*() {
    const swarm = yield* Swarm
    for (;;) {
      const found = (yield* swarm.events.since(0)).find(test)
      if (found !== undefined) return found
      yield* nextTurn
    }
  })

/** Moves the test clock `ms` on once a timer due then (a lease's expiry, a stall watch) has been set. */
const passTimer = (ms: number) =>
  Effect.gen(function*() {
    const due = (yield* TestClock.currentTimeMillis) + ms
    while (!Chunk.some(yield* TestClock.sleeps(), (wake) => wake === due)) yield* nextTurn
    yield* TestClock.adjust(Duration.millis(ms))
  })

const dataOf = (event: SwarmEvent) => event.data as Record<string, unknown>
const indexOf = (event: SwarmEvent) => (dataOf(event)["index"] ?? (dataOf(event)["item"] as { index: number }).index) as number

/** The renderer and the encoder slots of a test swarm. */
const startSwarm = (options: { readonly encoders: ReadonlyArray<EncoderAgentOptions>; readonly renderer?: RendererOptions }) =>
  Effect.gen(function*() {
    const swarm = yield* Swarm
    const renderer = yield* swarm.spawn(rendererAgent(options.renderer))
    for (const encoder of options.encoders) yield* swarm.spawn(encoderAgent(encoder))
    return renderer
  })

/**
 * A render of scenes of `seconds` (default one second each) over one real lavfi clip and a real sine
 * narration, in a fresh directory, with the running swarm's renderer. `whileRendering` runs once
 * the Render is asked; the events returned are this render's.
 */
const renderOnce = (options: { readonly seconds: ReadonlyArray<number>; readonly whileRendering?: Effect.Effect<void, unknown, Swarm> }) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const clip = join(dir, "clip.mp4")
    const total = options.seconds.reduce((sum, s) => sum + s, 0)
    yield* runFfmpeg({
      args: [
        "-f",
        "lavfi",
        "-i",
        `testsrc=size=160x90:rate=10:duration=${Math.max(...options.seconds) + 1}`,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p"
      ],
      output: clip
    })
    const audioFile = join(dir, "narration.wav")
    yield* runFfmpeg({ args: ["-f", "lavfi", "-i", `sine=frequency=440:duration=${total}`, "-ac", "1"], output: audioFile })
    const text = ["One.", "Two.", "Three.", "Four."].slice(0, options.seconds.length).join(" ")
    let at = 0
    const sentences = splitSentences(text).map((s, i) => {
      const start = at
      at += options.seconds[i]!
      return { text: s.text, start, end: at, words: [] }
    })
    const narration = { provider: "test", audioFile, durationSec: total, sampleRate: 44100, words: [], sentences }
    const longest = Math.max(...options.seconds)
    const scenes = planScenes(splitSentences(text), [...options.seconds], { minSec: 0.5, targetSec: longest, maxSec: longest })
    expect(scenes).toHaveLength(options.seconds.length)
    const library = [{ path: clip, kind: "video" as const, durationSec: longest + 1, width: 160, height: 90, fps: 10, tags: ["test"] }]
    const picks = rankShots(scenes, library, { frame: { width: 64, height: 112 }, seed: 1 })

    const swarm = yield* Swarm
    const renderer = (yield* swarm.lookup<RendererMessage>(AGENT_NAMES.renderer)).pipe(Option.getOrThrow)
    const before = (yield* swarm.events.since(0)).at(-1)?.id ?? 0
    const output = { path: join(dir, "reel.mp4"), width: 64, height: 112, fps: 10, encoder: "libx264", captions: "none" as const }
    const segments = options.seconds.length
    const summary = yield* renderer.ask(new PlanRender({ scenes, picks, narration, output, segments, workDir: dir }))
    // The clock never moves by itself here: this timeout is only the test's own guard.
    const rendering = yield* Effect.fork(renderer.ask(new Render({ planFile: summary.planFile }), { timeout: "1 day" }))
    if (options.whileRendering !== undefined) yield* options.whileRendering
    const result = yield* rendering
    const frames = (yield* probe(result.output, { countFrames: true })).frames
    const events = yield* swarm.events.since(before)
    return { summary, result, frames, events }
  })

/** A swarm of the renderer and these encoder slots, and one render of `scenes` one-second scenes. */
const renderWith = (options: {
  readonly scenes: number
  readonly encoders: ReadonlyArray<EncoderAgentOptions>
  readonly renderer?: RendererOptions
  readonly whileRendering?: Effect.Effect<void, unknown, Swarm>
}) =>
  Effect.zipRight(
    startSwarm(options),
    renderOnce({
      seconds: Array.from({ length: options.scenes }, () => 1),
      ...(options.whileRendering === undefined ? {} : { whileRendering: options.whileRendering })
    })
  )

/**
 * Media's fault-injecting runner, scripted: `inject` is asked once per run for a fault to play, `hold`
 * may delay a run (until a test releases it), and the fake device `h264_nvenc`, when no fault is
 * played for it, is encoded by libx264, so a "device" works on this machine without one.
 */
const scriptedRunner = (
  inject: (request: ProcessRequest) => ProcessFault | undefined,
  hold: (request: ProcessRequest) => Effect.Effect<void> | undefined = () => undefined
) => {
  let next: ProcessFault | undefined
  const software = (request: ProcessRequest): ProcessRequest => {
    const at = request.args.indexOf("h264_nvenc")
    if (at < 0) return request
    // -c:v h264_nvenc -preset pN -rc vbr -cq Q -b:v 0 → -c:v libx264 -preset ultrafast -crf Q
    const args = [
      ...request.args.slice(0, at),
      "libx264",
      "-preset",
      "ultrafast",
      "-crf",
      request.args[at + 6]!,
      ...request.args.slice(at + 9)
    ]
    return { ...request, args }
  }
  return Layer.effect(
    ProcessRunner,
    Effect.map(ProcessRunner, (faulty) => ({
      run: (request: ProcessRequest) =>
        Effect.zipRight(
          hold(request) ?? Effect.void,
          Effect.suspend(() => {
            // Read by the faulty runner's inject at once, as this run starts.
            next = inject(request)
            return faulty.run(next === undefined ? software(request) : request)
          })
        )
    }))
  ).pipe(Layer.provide(ProcessRunner.layerFaulty(() => {
    const fault = next
    next = undefined
    return fault
  })))
}

const isStitch = (request: ProcessRequest) => request.command === "ffmpeg" && request.args.includes("concat")

describe("the renderer against a faulty ffmpeg", () => {
  it.scoped("a segment whose encode fails on its first attempt is retried, and the render has every segment", () => {
    const failed: Array<number> = []
    const failSegmentOnce = (request: ProcessRequest): ProcessFault | undefined => {
      const item = itemOf(request)
      if (item?.kind !== "segment" || item.index !== 1 || failed.includes(item.index)) return undefined
      failed.push(item.index)
      return { _tag: "Exit", exitCode: 1, stderr: "Error while opening encoder for output stream #0:0" }
    }
    return Effect.gen(function*() {
      const { events, frames, result, summary } = yield* renderWith({ scenes: 2, encoders: [{ name: "encoder-0" }] })
      expect(failed).toEqual([1])
      expect(result.parts.map((p) => [p.kind, p.index, p.encoder])).toEqual([["segment", 0, "libx264"], ["segment", 1, "libx264"]])
      expect(frames).toBe(summary.totalFrames)
      const retries = events.filter((e) => e.type === "encode-retry")
      expect(retries.map((e) => [(e.data?.["item"] as { index: number }).index, e.data?.["failedOn"]])).toEqual([[1, "libx264"]])
      expect(retries[0]?.data?.["message"]).toContain("exit")
    }).pipe(Effect.provide(env), Effect.provide(ProcessRunner.layerFaulty(failSegmentOnce)))
  })

  it.scoped("a device encoder that fails K times opens its breaker: its items are encoded in software, and the parts say so", () => {
    const deviceRuns: Array<number> = []
    const noDevice = (request: ProcessRequest): ProcessFault | undefined => {
      const item = itemOf(request)
      if (item === undefined || encoderOf(request) !== "h264_nvenc") return undefined
      deviceRuns.push(item.index)
      return { _tag: "Exit", exitCode: 1, stderr: "No NVENC capable devices found" }
    }
    return Effect.gen(function*() {
      const { events, frames, result, summary } = yield* renderWith({
        scenes: 3,
        encoders: [{ name: "encoder-0", encoder: "h264_nvenc" }],
        renderer: { breaker: { threshold: 2 } }
      })
      // Segments 0 and 1 tried the device (K = 2 failures); segment 2 went to software at once.
      expect(deviceRuns).toEqual([0, 1])
      expect(result.parts.map((p) => [p.index, p.agent, p.encoder])).toEqual([
        [0, "encoder-0", "libx264"],
        [1, "encoder-0", "libx264"],
        [2, "encoder-0", "libx264"]
      ])
      expect(frames).toBe(summary.totalFrames)
      const opened = events.filter((e) => e.type === "device-breaker-opened")
      expect(opened.map((e) => [e.data?.["agent"], e.data?.["device"], e.data?.["fallback"], e.data?.["failures"]])).toEqual([
        ["encoder-0", "h264_nvenc", "libx264", 2]
      ])
      const retries = events.filter((e) => e.type === "encode-retry")
      expect(retries.map((e) => [(e.data?.["item"] as { index: number }).index, e.data?.["failedOn"]])).toEqual([
        [0, "h264_nvenc"],
        [1, "h264_nvenc"]
      ])
      expect(retries.map((e) => (e.data?.["item"] as { encoder?: string }).encoder)).toEqual(["libx264", "libx264"])
    }).pipe(Effect.provide(env), Effect.provide(ProcessRunner.layerFaulty(noDevice)))
  })

  it.scoped("a hung ffmpeg is stopped by the encoder's stall timeout, and the item is encoded again", () => {
    const stall = "7 seconds"
    const hung = Deferred.unsafeMake<void>(FiberId.none)
    let attempts = 0
    const hangFirstPass = (request: ProcessRequest): ProcessFault | undefined => {
      if (itemOf(request)?.kind !== "single-pass") return undefined
      attempts += 1
      if (attempts > 1) return undefined
      Deferred.unsafeDone(hung, Exit.void)
      return { _tag: "Hang" }
    }
    /** Once the hung encode's stall watch is set, the clock moves past it. */
    const passTheStallTimeout = Effect.gen(function*() {
      yield* Deferred.await(hung)
      const now = yield* TestClock.currentTimeMillis
      const watchSet = Effect.map(TestClock.sleeps(), Chunk.some((wake) => wake === now + 7_000))
      while (!(yield* watchSet)) yield* nextTurn
      yield* TestClock.adjust(stall)
    })
    return Effect.gen(function*() {
      const { events, frames, result, summary } = yield* renderWith({
        scenes: 1,
        encoders: [{ name: "encoder-0", stallTimeout: stall }],
        whileRendering: passTheStallTimeout
      })
      expect(attempts).toBe(2)
      expect(result.parts.map((p) => [p.kind, p.encoder])).toEqual([["single-pass", "libx264"]])
      expect(frames).toBe(summary.totalFrames)
      const retries = events.filter((e) => e.type === "encode-retry")
      expect(retries).toHaveLength(1)
      expect(retries[0]?.data?.["message"]).toContain("wrote no frame for 7s")
    }).pipe(Effect.provide(env), Effect.provide(ProcessRunner.layerFaulty(hangFirstPass)))
  })
})

const twoSlots = [{ name: "encoder-0" }, { name: "encoder-1" }]

describe("encode work as leases", () => {
  it.scoped("a lease whose encoder hangs without progress expires, and another encoder encodes the segment", () => {
    let hung: number | undefined
    const hangFirstSegment = (request: ProcessRequest): ProcessFault | undefined => {
      const item = itemOf(request)
      if (item?.kind !== "segment" || hung !== undefined) return undefined
      hung = item.index
      return { _tag: "Hang" }
    }
    return Effect.gen(function*() {
      const { events, frames, result, summary } = yield* renderWith({
        scenes: 2,
        encoders: twoSlots,
        renderer: { leaseTtl: "10 seconds" },
        // The other segment is in, so only the hung lease is left to run out.
        whileRendering: Effect.zipRight(eventSeen((e) => e.type === "part-encoded"), passTimer(10_000))
      })
      const expired = events.filter((e) => e.type === "lease-expired")
      expect(expired.map((e) => [indexOf(e), dataOf(e)["attempt"], dataOf(e)["ttlSeconds"]])).toEqual([[hung, 1, 10]])
      const lost = dataOf(expired[0]!)["agent"]
      const again = result.parts.find((p) => p.index === hung)!
      expect(again.agent).not.toBe(lost)
      expect(again.reused).toBe(false)
      expect(frames).toBe(summary.totalFrames)
    }).pipe(Effect.provide(env), Effect.provide(ProcessRunner.layerFaulty(hangFirstSegment)))
  })

  it.scoped("an encoder stopped mid-item gives its lease back: the segment is encoded by another, and the slot can rejoin", () => {
    let hung: number | undefined
    const hangFirstSegment = (request: ProcessRequest): ProcessFault | undefined => {
      const item = itemOf(request)
      if (item?.kind !== "segment" || hung !== undefined) return undefined
      hung = item.index
      return { _tag: "Hang" }
    }
    let stopped = ""
    return Effect.gen(function*() {
      const swarm = yield* Swarm
      const { events, frames, result, summary } = yield* renderWith({
        scenes: 2,
        encoders: twoSlots,
        whileRendering: Effect.gen(function*() {
          const survivor = dataOf(yield* eventSeen((e) => e.type === "part-encoded"))["agent"]
          stopped = survivor === "encoder-0" ? "encoder-1" : "encoder-0"
          yield* swarm.terminateChild(stopped)
        })
      })
      const requeued = events.filter((e) => e.type === "work-requeued")
      expect(requeued.map((e) => [e.data?.["agent"], indexOf(e), e.data?.["why"]])).toEqual([[stopped, hung, "encoder stopped"]])
      expect(result.parts.find((p) => p.index === hung)!.agent).not.toBe(stopped)
      expect(frames).toBe(summary.totalFrames)
      // Nothing expired: the stop alone gave the segment back.
      expect(events.filter((e) => e.type === "lease-expired")).toEqual([])
      yield* swarm.restartChild(stopped)
      expect((yield* swarm.whichChildren()).find((c) => c.name === stopped)?.state).toBe("running")
    }).pipe(Effect.provide(env), Effect.provide(ProcessRunner.layerFaulty(hangFirstSegment)))
  })

  it.scoped("a slot that leaves the work to a faster idle slot is not woken by its own pull; when that slot stops, the work goes on", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      // Two stand-in slots, ranked ahead of encoder-0 by name (no capacity is known for any): one that
      // never pulls, as a slot whose end the renderer has not heard of yet, and one that counts its pulls.
      let pulls = 0
      const standIn = (name: string, pullsWork: boolean) =>
        define({
          name,
          protocol: EncoderProtocol,
          init: (ctx) => Effect.as(ctx.lookup<RendererMessage>(AGENT_NAMES.renderer).tell(new EncoderReady({ agent: name })), undefined),
          receive: (message, state, ctx) =>
            message._tag !== "WorkAvailable" || !pullsWork
              ? Effect.succeed(state)
              : Effect.as(
                ctx.lookup<RendererMessage>(AGENT_NAMES.renderer).ask(new PullWork({ agent: name })).pipe(
                  Effect.tap(() => Effect.sync(() => pulls++))
                ),
                state
              )
        })
      yield* startSwarm({ encoders: [{ name: "encoder-0" }] })
      yield* swarm.spawn(standIn("a-silent", false))
      yield* swarm.spawn(standIn("b-counting", true))
      const { frames, result, summary } = yield* renderOnce({
        seconds: [1],
        whileRendering: Effect.gen(function*() {
          yield* eventSeen((e) => e.type === "render-started")
          // The one item is a-silent's to take: b-counting pulls once for each time it is told, not
          // again and again for as long as a-silent does not (before, its own pull told it to pull).
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 500)))
          expect(pulls).toBeGreaterThanOrEqual(1)
          expect(pulls).toBeLessThanOrEqual(4)
          yield* swarm.terminateChild("a-silent")
          yield* swarm.terminateChild("b-counting")
        })
      })
      expect(result.parts.map((p) => p.agent)).toEqual(["encoder-0"])
      expect(frames).toBe(summary.totalFrames)
    }).pipe(Effect.provide(env), Effect.provide(ProcessRunner.layerFaulty(() => undefined))))

  it.scoped("a late WorkDone after its lease expired counts once: the first part in is kept, the other is ignored", () => {
    const lateGate = Deferred.unsafeMake<void>(FiberId.none)
    const secondGate = Deferred.unsafeMake<void>(FiberId.none)
    const secondStarted = Deferred.unsafeMake<void>(FiberId.none)
    const stitchGate = Deferred.unsafeMake<void>(FiberId.none)
    let slow: number | undefined
    let runsOfSlow = 0
    const hold = (request: ProcessRequest): Effect.Effect<void> | undefined => {
      if (isStitch(request)) return Deferred.await(stitchGate)
      const item = itemOf(request)
      if (item?.kind !== "segment") return undefined
      slow ??= item.index
      if (item.index !== slow) return undefined
      runsOfSlow += 1
      if (runsOfSlow === 1) return Deferred.await(lateGate)
      Deferred.unsafeDone(secondStarted, Exit.void)
      return Deferred.await(secondGate)
    }
    return Effect.gen(function*() {
      const { events, frames, result, summary } = yield* renderWith({
        scenes: 2,
        encoders: twoSlots,
        renderer: { leaseTtl: "10 seconds" },
        whileRendering: Effect.gen(function*() {
          yield* eventSeen((e) => e.type === "part-encoded")
          yield* passTimer(10_000)
          // The segment is leased again and its second encode waits; the first one now finishes, late.
          yield* Deferred.await(secondStarted)
          yield* Deferred.succeed(lateGate, undefined)
          yield* eventSeen((e) => e.type === "part-encoded" && indexOf(e) === slow)
          yield* Deferred.succeed(secondGate, undefined)
          yield* eventSeen((e) => e.type === "work-ignored")
          yield* Deferred.succeed(stitchGate, undefined)
        })
      })
      const late = dataOf(events.find((e) => e.type === "lease-expired")!)["agent"]
      const parts = events.filter((e) => e.type === "part-encoded" && indexOf(e) === slow)
      expect(parts.map((e) => dataOf(e)["agent"])).toEqual([late])
      const ignored = events.filter((e) => e.type === "work-ignored")
      expect(ignored.map((e) => [indexOf(e), dataOf(e)["why"]])).toEqual([[slow, "duplicate"]])
      expect(dataOf(ignored[0]!)["agent"]).not.toBe(late)
      expect(result.parts.map((p) => p.index)).toEqual([0, 1])
      expect(result.parts.find((p) => p.index === slow)!.agent).toBe(late)
      expect(frames).toBe(summary.totalFrames)
    }).pipe(Effect.provide(env), Effect.provide(scriptedRunner(() => undefined, hold)))
  })

  it.scoped("an ffmpeg that cannot be spawned (E2BIG) is a failed work item, retried, then a RenderError; the encoder never crashes", () => {
    let spawns = 0
    const cannotSpawn = (request: ProcessRequest): ProcessFault | undefined => {
      if (itemOf(request)?.kind !== "single-pass") return undefined
      spawns += 1
      return { _tag: "SpawnFailure", code: "E2BIG" }
    }
    return Effect.gen(function*() {
      const error = yield* Effect.flip(renderWith({ scenes: 1, encoders: [{ name: "encoder-0" }] }))
      expect(error).toBeInstanceOf(RenderError)
      expect(error).toMatchObject({ stage: "encode", cause: { _tag: "FfmpegError", reason: "spawn" } })
      expect((error as RenderError).message).toContain("E2BIG")
      expect(spawns).toBe(3)
      const events = yield* (yield* Swarm).events.since(0)
      expect(events.filter((e) => e.type === "encode-retry")).toHaveLength(2)
      expect(events.filter((e) => e.type === "restarted" || (e.type === "dead-letter" && e.data?.["reason"] === "crashed"))).toEqual([])
    }).pipe(Effect.provide(env), Effect.provide(ProcessRunner.layerFaulty(cannotSpawn)))
  })
})

describe("learned capacity", () => {
  it.scoped("is measured per encoder and size, kept in shared memory across runs, and gives the longest segment to the fastest slot", () => {
    // encoder-1 drives a fake device (h264_nvenc, encoded by libx264 here) that is slow in the first
    // run: its encode waits while the test clock moves 10 s; the other encodes take no test time.
    const slowGate = Deferred.unsafeMake<void>(FiberId.none)
    let firstRun = true
    const hold = (request: ProcessRequest) =>
      firstRun && itemOf(request) !== undefined && request.args.includes("h264_nvenc") ? Deferred.await(slowGate) : undefined
    const slots = [{ name: "encoder-0", encoder: "libx264" }, { name: "encoder-1", encoder: "h264_nvenc" }]
    return Effect.gen(function*() {
      const db = join(yield* tempDir, "swarm.db")
      const memory = sharedMemoryLayer().pipe(Layer.provide(databaseLayer({ filename: db })))
      const learned = Effect.flatMap(SharedMemory, (m) => m.list(CAPACITY_NAMESPACE)).pipe(Effect.provide(memory))
      const run = (seconds: ReadonlyArray<number>, whileRendering?: Effect.Effect<void, unknown, Swarm>) =>
        Effect.scoped(
          Effect.zipRight(
            startSwarm({ encoders: slots }),
            renderOnce({ seconds, ...(whileRendering === undefined ? {} : { whileRendering }) })
          )
            .pipe(Effect.provide(Layer.merge(env, memory)))
        )

      const first = yield* run(
        [1, 1],
        Effect.gen(function*() {
          yield* eventSeen((e) => e.type === "part-encoded" && dataOf(e)["agent"] === "encoder-0")
          yield* TestClock.adjust("10 seconds")
          yield* Deferred.succeed(slowGate, undefined)
        })
      )
      expect(first.frames).toBe(first.summary.totalFrames)
      firstRun = false
      const afterFirst = new Map((yield* learned).map((e) => [e.key, e.value as { framesPerSecond: number; samples: number }]))
      expect([...afterFirst.keys()].sort()).toEqual(["capacity/h264_nvenc/64x112", "capacity/libx264/64x112"])
      const slow = afterFirst.get("capacity/h264_nvenc/64x112")!
      const fast = afterFirst.get("capacity/libx264/64x112")!
      expect(slow).toEqual({ framesPerSecond: first.summary.segments[0]!.frames / 10, samples: 1 })
      expect(fast.framesPerSecond).toBeGreaterThan(slow.framesPerSecond)

      // A new swarm (another run of the program) reads what the first learned.
      const second = yield* run([1, 3])
      const [short, long] = second.summary.segments
      expect(long!.frames).toBeGreaterThan(short!.frames)
      const agentOf = (index: number) => second.result.parts.find((p) => p.index === index)!.agent
      expect([agentOf(long!.index), agentOf(short!.index)]).toEqual(["encoder-0", "encoder-1"])
      expect(second.frames).toBe(second.summary.totalFrames)
      const eta = second.events.find((e) => e.type === "render-eta")!
      expect(dataOf(eta)["remainingFrames"]).toBe(short!.frames + long!.frames)
      expect(dataOf(eta)["framesPerSecond"]).toBeCloseTo(fast.framesPerSecond + slow.framesPerSecond)
      const afterSecond = new Map((yield* learned).map((e) => [e.key, e.value as { samples: number }]))
      expect([afterSecond.get("capacity/libx264/64x112")?.samples, afterSecond.get("capacity/h264_nvenc/64x112")?.samples]).toEqual([2, 2])
    }).pipe(Effect.provide(scriptedRunner(() => undefined, hold)))
  })
})

describe("the device breaker's half-open probe", () => {
  it.scoped("after the cool-down the next item tries the device again, and a success closes the breaker", () => {
    let deviceBroken = true
    const deviceRuns: Array<boolean> = []
    const brokenDevice = (request: ProcessRequest): ProcessFault | undefined => {
      if (itemOf(request) === undefined || !request.args.includes("h264_nvenc")) return undefined
      deviceRuns.push(deviceBroken)
      return deviceBroken ? { _tag: "Exit", exitCode: 1, stderr: "No NVENC capable devices found" } : undefined
    }
    return Effect.gen(function*() {
      yield* startSwarm({
        encoders: [{ name: "encoder-0", encoder: "h264_nvenc" }],
        renderer: { breaker: { threshold: 2, coolDown: "1 minute" } }
      })
      const first = yield* renderOnce({ seconds: [1, 1, 1] })
      expect(first.result.parts.map((p) => p.encoder)).toEqual(["libx264", "libx264", "libx264"])
      expect(first.events.filter((e) => e.type === "device-breaker-opened")).toHaveLength(1)
      // While open, the slot stays on software: a render now does not touch the device.
      const during = yield* renderOnce({ seconds: [2] })
      expect(during.result.parts.map((p) => p.encoder)).toEqual(["libx264"])
      expect(deviceRuns).toEqual([true, true])

      deviceBroken = false
      yield* TestClock.adjust("1 minute")
      const after = yield* renderOnce({ seconds: [1, 2] })
      expect(after.events.filter((e) => e.type.startsWith("device-breaker")).map((e) => e.type)).toEqual([
        "device-breaker-trial",
        "device-breaker-closed"
      ])
      expect(after.result.parts.map((p) => p.encoder)).toEqual(["h264_nvenc", "h264_nvenc"])
      expect(after.frames).toBe(after.summary.totalFrames)
      expect(deviceRuns).toEqual([true, true, false, false])
    }).pipe(Effect.provide(env), Effect.provide(scriptedRunner(brokenDevice)))
  })
})
