/**
 * Cancelling a render (CancelRender): against media's fault-injecting process runner, on the test
 * clock (no lease expires, no stall watch fires). One encoder slot, so a cancelled render has work
 * queued behind the item it encodes, and another render waits behind both.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, FiberId, Layer, Option } from "effect"
import { existsSync } from "node:fs"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { AGENT_NAMES } from "../../../agents/agent-names.ts"
import { planScenes } from "../../../agents/director/script.ts"
import { splitSentences } from "../../../agents/director/sentences.ts"
import { encoderAgent } from "../../../agents/encoder/agent.ts"
import { rendererAgent } from "../../../agents/renderer/agent.ts"
import { readPlan } from "../../../agents/renderer/plan-file.ts"
import { CancelRender, PlanRender, Render, type RendererMessage } from "../../../agents/renderer/protocol.ts"
import { RenderError } from "../../../agents/renderer/render-data.ts"
import { rankShots } from "../../../agents/shot-matcher/match.ts"
import { probe, type ProcessRequest, ProcessRunner, runFfmpeg } from "../../../media/index.ts"
import { espeakNg, layer as ttsLayer } from "../../../media/tts/index.ts"
import { Swarm, swarmLayerInMemory } from "../../../runtime/index.ts"
import { mesh } from "../../../topologies/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("renderer-cancel")

const env = Layer.mergeAll(swarmLayerInMemory({ topology: mesh, strict: true }), ttsLayer([espeakNg()]))

/** A plan of `scenes` one-second scenes over a real lavfi clip and a sine narration, in `dir`. */
const planIn = (dir: string, scenes: number) =>
  Effect.gen(function*() {
    const clip = join(dir, "clip.mp4")
    yield* runFfmpeg({
      args: [
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x90:rate=10:duration=2",
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
    yield* runFfmpeg({ args: ["-f", "lavfi", "-i", `sine=frequency=440:duration=${scenes}`, "-ac", "1"], output: audioFile })
    const text = ["One.", "Two.", "Three."].slice(0, scenes).join(" ")
    const sentences = splitSentences(text).map((s, i) => ({ text: s.text, start: i, end: i + 1, words: [] }))
    const narration = { provider: "test", audioFile, durationSec: scenes, sampleRate: 44100, words: [], sentences }
    const planned = planScenes(splitSentences(text), Array.from({ length: scenes }, () => 1), { minSec: 0.5, targetSec: 1, maxSec: 1 })
    const library = [{ path: clip, kind: "video" as const, durationSec: 2, width: 160, height: 90, fps: 10, tags: ["test"] }]
    const picks = rankShots(planned, library, { frame: { width: 64, height: 112 }, seed: 1 })
    const output = { path: join(dir, "reel.mp4"), width: 64, height: 112, fps: 10, encoder: "libx264", captions: "none" as const }
    const renderer = (yield* (yield* Swarm).lookup<RendererMessage>(AGENT_NAMES.renderer)).pipe(Option.getOrThrow)
    const summary = yield* renderer.ask(new PlanRender({ scenes: planned, picks, narration, output, segments: scenes, workDir: dir }))
    return { renderer, summary }
  })

/** Lets the event loop turn once: a wait that does not spin, and does not move the test clock. */
const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** An encode's ffmpeg run (a segment or the single pass) writing under `dir`. */
const encodesUnder = (request: ProcessRequest, dir: string) =>
  request.command === "ffmpeg" && (request.args.at(-1) ?? "").startsWith(dir) && !request.args.includes("concat") &&
  /\/\.reel\.(part-\d+\.)?partial-[^/]*\.(ts|mp4)$/.test(request.args.at(-1) ?? "")

describe("cancelling a render", () => {
  it.scoped("drops its queued items, interrupts its running encode, fails its Render with `cancelled`, and leaves the other render's work alone", () => {
    const dirs = { cancelled: "", other: "" }
    const encodeStarted = Deferred.unsafeMake<void>(FiberId.none)
    const encodeInterrupted = Deferred.unsafeMake<void>(FiberId.none)
    const cancelledRuns: Array<string> = []
    const runner = Layer.effect(
      ProcessRunner,
      Effect.map(ProcessRunner, (real) => ({
        run: (request: ProcessRequest) => {
          if (dirs.cancelled === "" || !encodesUnder(request, dirs.cancelled)) return real.run(request)
          cancelledRuns.push(request.args.at(-1)!)
          // The cancelled render's first encode runs until it is stopped.
          return Effect.zipRight(
            Deferred.succeed(encodeStarted, undefined),
            Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(encodeInterrupted, undefined)))
          )
        }
      }))
    ).pipe(Layer.provide(ProcessRunner.layerFaulty(() => undefined)))

    return Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(rendererAgent())
      yield* swarm.spawn(encoderAgent({ name: "encoder-0" }))
      dirs.cancelled = join(yield* tempDir, "cancelled")
      dirs.other = join(yield* tempDir, "other")
      yield* Effect.promise(() => Promise.all([mkdir(dirs.cancelled), mkdir(dirs.other)]))
      const three = yield* planIn(dirs.cancelled, 3)
      const one = yield* planIn(dirs.other, 1)

      const cancelled = yield* Effect.fork(three.renderer.ask(new Render({ planFile: three.summary.planFile }), { timeout: "1 day" }))
      yield* Deferred.await(encodeStarted)
      // Queued behind the cancelled render's two other segments, on the one slot.
      const other = yield* Effect.fork(one.renderer.ask(new Render({ planFile: one.summary.planFile }), { timeout: "1 day" }))
      const started = (planFile: string) =>
        swarm.events.since(0).pipe(
          Effect.map((events) => events.some((e) => e.type === "render-started" && e.data?.["planFile"] === planFile))
        )
      while (!(yield* started(one.summary.planFile))) yield* nextTurn

      expect(yield* three.renderer.ask(new CancelRender({ planFile: three.summary.planFile }))).toBe(true)
      const failure = yield* Fiber.join(cancelled).pipe(Effect.flip)
      expect(failure).toBeInstanceOf(RenderError)
      expect(failure).toMatchObject({ _tag: "RenderError", stage: "cancelled" })
      yield* Deferred.await(encodeInterrupted)

      const result = yield* Fiber.join(other)
      expect(result.parts.map((p) => [p.kind, p.agent])).toEqual([["single-pass", "encoder-0"]])
      expect((yield* probe(result.output, { countFrames: true })).frames).toBe(one.summary.totalFrames)

      // Only the first segment of the cancelled render ever ran; nothing of it was written or retried.
      expect(cancelledRuns).toHaveLength(1)
      const files = (yield* readPlan(three.summary.planFile)).files
      expect([files.output, files.audio, ...files.segments].filter((file) => existsSync(file))).toEqual([])
      const events = yield* swarm.events.since(0)
      const ofCancelled = events.filter((e) => e.data?.["planFile"] === three.summary.planFile).map((e) => e.type)
      expect(ofCancelled).toContain("render-cancelled")
      expect(ofCancelled.filter((t) => t === "part-encoded" || t === "encode-retry" || t === "render-finished")).toEqual([])
      expect(events.filter((e) => e.type.startsWith("device-breaker") || e.type === "restarted")).toEqual([])
      // A second cancel finds nothing running.
      expect(yield* three.renderer.ask(new CancelRender({ planFile: three.summary.planFile }))).toBe(false)
      expect(Exit.isSuccess(yield* Fiber.await(other))).toBe(true)
    }).pipe(Effect.provide(env), Effect.provide(runner))
  })
})
