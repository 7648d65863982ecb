import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import { join } from "node:path"
import { directorAgent } from "../../../agents/director/agent.ts"
import { measuredSentenceDurations } from "../../../agents/director/measured.ts"
import { PlanScript, Replan } from "../../../agents/director/protocol.ts"
import { planScenes } from "../../../agents/director/script.ts"
import { splitSentences } from "../../../agents/director/sentences.ts"
import { layer as topicLayer } from "../../../agents/director/topic.ts"
import { encoderAgent } from "../../../agents/encoder/agent.ts"
import { rendererAgent } from "../../../agents/renderer/agent.ts"
import { CAPACITY_NAMESPACE } from "../../../agents/renderer/capacity.ts"
import { Narrate, PlanRender, Render } from "../../../agents/renderer/protocol.ts"
import type { OutputSettings } from "../../../agents/renderer/render-data.ts"
import { shotMatcherAgent } from "../../../agents/shot-matcher/agent.ts"
import { rankShots } from "../../../agents/shot-matcher/match.ts"
import { MatchShots } from "../../../agents/shot-matcher/protocol.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import { espeakNg, layer as ttsLayer } from "../../../media/tts/index.ts"
import { databaseLayer, SharedMemory, sharedMemoryLayer } from "../../../memory/index.ts"
import { Swarm, swarmLayerInMemory } from "../../../runtime/index.ts"
import { mesh } from "../../../topologies/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, SCRIPT } from "./library-fixture.ts"

const tempDir = scopedTempDir("render")

const output = (path: string): OutputSettings => ({ path, width: 180, height: 320, fps: 15, encoder: "libx264", captions: "lines" })

const env = Layer.mergeAll(swarmLayerInMemory({ topology: mesh, strict: true }), topicLayer(), ttsLayer([espeakNg()]))

describe("renderer and encoder agents on real ffmpeg and espeak-ng", () => {
  it.scopedLive("script to MP4 through director, shot-matcher, renderer and two encoders; a re-run is reused", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const library = yield* makeLibrary(dir)
      const swarm = yield* Swarm
      const director = yield* swarm.spawn(directorAgent())
      const matcher = yield* swarm.spawn(shotMatcherAgent())
      const renderer = yield* swarm.spawn(rendererAgent())
      yield* swarm.spawn(encoderAgent({ name: "encoder-0" }))
      yield* swarm.spawn(encoderAgent({ name: "encoder-1" }))
      const long = { timeout: "2 minutes" } as const

      const plan = yield* director.ask(new PlanScript({ title: "t", script: SCRIPT }))
      const narration = yield* renderer.ask(
        new Narrate({ text: plan.sentences.map((s) => s.text).join(" "), voice: "en", workDir: dir }),
        long
      )
      const durations = Either.getOrThrow(
        measuredSentenceDurations(plan.sentences.map((s) => s.text), narration.words, narration.durationSec)
      )
      const scenes = yield* director.ask(new Replan({ sentences: plan.sentences, durationsSec: durations }))
      expect(scenes).toHaveLength(2)
      const picks = yield* matcher.ask(new MatchShots({ scenes, clips: library, frame: { width: 180, height: 320 }, seed: 1 }))
      expect(picks.map((p) => p.clip.path)).toEqual([join(dir, "mandelbrot.mp4"), join(dir, "life.mp4")])

      const out = join(dir, "out", "job.mp4")
      const summary = yield* renderer.ask(
        new PlanRender({ scenes, picks, narration, output: output(out), segments: 2, workDir: join(dir, "work") }),
        long
      )
      expect(summary.segments).toHaveLength(2)
      const result = yield* renderer.ask(new Render({ planFile: summary.planFile }), long)
      expect(result.output).toBe(out)
      expect(result.cached).toBe(false)
      expect(result.parts.map((p) => p.kind)).toEqual(["segment", "segment"])
      expect(new Set(result.parts.map((p) => p.agent)).size).toBeGreaterThanOrEqual(1)

      const info = yield* probe(out, { countFrames: true })
      expect([info.width, info.height]).toEqual([180, 320])
      expect(info.hasAudio).toBe(true)
      expect(info.frames).toBe(summary.totalFrames)
      expect(Math.abs(info.duration - narration.durationSec)).toBeLessThan(0.15)

      const again = yield* renderer.ask(new Render({ planFile: summary.planFile }), long)
      expect(again.cached).toBe(true)
      expect(again.output).toBe(out)

      // Same inputs, same plan file: the content-addressed directory finds the earlier run.
      const replanned = yield* renderer.ask(
        new PlanRender({ scenes, picks, narration, output: output(out), segments: 2, workDir: join(dir, "work") }),
        long
      )
      expect(replanned.planFile).toBe(summary.planFile)

      // One segment: a single pass by one encoder, audio included.
      const single = yield* renderer.ask(
        new PlanRender({
          scenes,
          picks,
          narration,
          output: output(join(dir, "out", "single.mp4")),
          segments: 1,
          workDir: join(dir, "work")
        }),
        long
      )
      const singleResult = yield* renderer.ask(new Render({ planFile: single.planFile }), long)
      expect(singleResult.parts.map((p) => p.kind)).toEqual(["single-pass"])
      const singleInfo = yield* probe(singleResult.output, { countFrames: true })
      expect(singleInfo.frames).toBe(single.totalFrames)
      expect(singleInfo.hasAudio).toBe(true)

      const events = yield* swarm.events.since(0)
      expect(events.filter((e) => e.type === "part-encoded")).toHaveLength(3)
      expect(events.filter((e) => e.type === "render-reused")).toHaveLength(1)

      // Encode progress: per work item, frame counts that only grow, ending with one at the item's total.
      const progress = events.filter((e) => e.type === "encode-progress")
      const items = [
        ...summary.segments.map((s) => ({ planFile: summary.planFile, index: s.index, frames: s.frames })),
        { planFile: single.planFile, index: 0, frames: single.totalFrames }
      ]
      for (const item of items) {
        const mine = progress.filter((e) => e.data?.["planFile"] === item.planFile && e.data?.["index"] === item.index)
        expect(mine.length).toBeGreaterThan(0)
        expect(mine.every((e) => e.data?.["frames"] === item.frames)).toBe(true)
        const frames = mine.map((e) => e.data?.["frame"] as number)
        expect(frames).toEqual([...frames].sort((a, b) => a - b))
        expect(frames.at(-1)).toBe(item.frames)
      }
    }).pipe(Effect.provide(env)))
})

describe("encoder failure", () => {
  it.scopedLive("a segment that fails on its slot's encoder is retried in software and the video completes", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const [clip] = yield* makeLibrary(dir)
      const audioFile = join(dir, "narration.wav")
      yield* runFfmpeg({ args: ["-f", "lavfi", "-i", "sine=frequency=440:duration=1.5", "-ac", "1"], output: audioFile })
      const words = [{ word: "Fractals", start: 0.1, end: 0.6 }, { word: "repeat.", start: 0.7, end: 1.3 }]
      const narration = {
        provider: "test",
        audioFile,
        durationSec: 1.5,
        sampleRate: 44100,
        words,
        sentences: [{ text: "Fractals repeat.", start: 0, end: 1.5, words }]
      }
      const scenes = planScenes(splitSentences("Fractals repeat."), [1.5])
      const picks = rankShots(scenes, [clip], { frame: { width: 180, height: 320 }, seed: 1 })

      const swarm = yield* Swarm
      const renderer = yield* swarm.spawn(rendererAgent())
      // This slot's encoder cannot run (as a listed GPU encoder on a machine without the GPU).
      yield* swarm.spawn(encoderAgent({ name: "encoder-0", encoder: "h264_unavailable" }))
      const summary = yield* renderer.ask(
        new PlanRender({ scenes, picks, narration, output: output(join(dir, "fallback.mp4")), segments: 1, workDir: dir })
      )
      const result = yield* renderer.ask(new Render({ planFile: summary.planFile }), { timeout: "2 minutes" })
      expect(result.parts.map((p) => [p.kind, p.encoder])).toEqual([["single-pass", "libx264"]])
      const info = yield* probe(result.output, { countFrames: true })
      expect(info.frames).toBe(summary.totalFrames)
      const retries = (yield* swarm.events.since(0)).filter((e) => e.type === "encode-retry")
      expect(retries.map((e) => e.data?.["failedOn"])).toEqual(["h264_unavailable"])
    }).pipe(Effect.provide(env)))

  it.scopedLive("after two failures a slot's device is behind a circuit breaker: its next items go to software at once", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const [clip] = yield* makeLibrary(dir)
      const audioFile = join(dir, "narration.wav")
      yield* runFfmpeg({ args: ["-f", "lavfi", "-i", "sine=frequency=440:duration=12", "-ac", "1"], output: audioFile })
      const text = "Fractals repeat. Cells live. Rules compute."
      const sentences = splitSentences(text).map((s, i) => ({ text: s.text, start: i * 4, end: i * 4 + 4, words: [] }))
      const narration = { provider: "test", audioFile, durationSec: 12, sampleRate: 44100, words: [], sentences }
      const scenes = planScenes(splitSentences(text), [4, 4, 4])
      expect(scenes).toHaveLength(3)
      const picks = rankShots(scenes, [clip], { frame: { width: 180, height: 320 }, seed: 1 })

      const swarm = yield* Swarm
      const renderer = yield* swarm.spawn(rendererAgent())
      yield* swarm.spawn(encoderAgent({ name: "encoder-0", encoder: "h264_unavailable" }))
      const summary = yield* renderer.ask(
        new PlanRender({
          scenes,
          picks,
          narration,
          output: { ...output(join(dir, "breaker.mp4")), captions: "none" },
          segments: 3,
          workDir: dir
        })
      )
      expect(summary.segments).toHaveLength(3)
      const result = yield* renderer.ask(new Render({ planFile: summary.planFile }), { timeout: "2 minutes" })
      expect(result.parts.map((p) => p.encoder)).toEqual(["libx264", "libx264", "libx264"])
      const info = yield* probe(result.output, { countFrames: true })
      expect(info.frames).toBe(summary.totalFrames)

      const events = yield* swarm.events.since(0)
      // Segments 0 and 1 failed on the device and were retried in software; segment 2 never tried it.
      expect(events.filter((e) => e.type === "encode-retry").map((e) => (e.data?.["item"] as { index: number }).index)).toEqual([0, 1])
      const opened = events.filter((e) => e.type === "device-breaker-opened")
      expect(opened.map((e) => [e.data?.["agent"], e.data?.["device"], e.data?.["fallback"]])).toEqual([[
        "encoder-0",
        "h264_unavailable",
        "libx264"
      ]])
    }).pipe(Effect.provide(env)))
})

describe("learned capacity", () => {
  const withMemory = (file: string) =>
    Layer.mergeAll(
      swarmLayerInMemory({ topology: mesh, strict: true }),
      ttsLayer([espeakNg()]),
      sharedMemoryLayer().pipe(Layer.provide(databaseLayer({ filename: file })))
    )

  it.scopedLive("each encode's frames/s is kept in the SQLite file; a later run at the same size starts with an ETA", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const [clip] = yield* makeLibrary(dir)
      const database = join(dir, "swarm.db")
      const audioFile = join(dir, "narration.wav")
      yield* runFfmpeg({ args: ["-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-ac", "1"], output: audioFile })
      const text = "Fractals repeat. Cells live."
      const sentences = splitSentences(text).map((s, i) => ({ text: s.text, start: i * 1.5, end: i * 1.5 + 1.5, words: [] }))
      const narration = { provider: "test", audioFile, durationSec: 3, sampleRate: 44100, words: [], sentences }
      const scenes = planScenes(splitSentences(text), [1.5, 1.5])
      const picks = rankShots(scenes, [clip], { frame: { width: 180, height: 320 }, seed: 1 })

      /** One run of the program: a new swarm over the same SQLite file, rendering to `name`. */
      const run = (name: string) =>
        Effect.scoped(
          Effect.gen(function*() {
            const swarm = yield* Swarm
            const renderer = yield* swarm.spawn(rendererAgent())
            yield* swarm.spawn(encoderAgent({ name: "encoder-0" }))
            yield* swarm.spawn(encoderAgent({ name: "encoder-1" }))
            const summary = yield* renderer.ask(
              new PlanRender({
                scenes,
                picks,
                narration,
                output: { ...output(join(dir, name)), captions: "none" },
                segments: 2,
                workDir: dir
              })
            )
            const result = yield* renderer.ask(new Render({ planFile: summary.planFile }), { timeout: "2 minutes" })
            expect((yield* probe(result.output, { countFrames: true })).frames).toBe(summary.totalFrames)
            return { summary, events: yield* swarm.events.since(0) }
          }).pipe(Effect.provide(withMemory(database)))
        )

      const first = yield* run("first.mp4")
      const second = yield* run("second.mp4")
      // Known from the first run: the second publishes an ETA as it starts, before any part is in.
      const eta = second.events.find((e) => e.type === "render-eta")!
      expect(second.events.indexOf(eta)).toBeLessThan(second.events.findIndex((e) => e.type === "part-encoded"))
      expect(eta.data?.["remainingFrames"]).toBe(second.summary.segments.reduce((sum, s) => sum + s.frames, 0))
      expect(eta.data?.["framesPerSecond"]).toBeGreaterThan(0)
      const learned = yield* Effect.flatMap(SharedMemory, (memory) => memory.list(CAPACITY_NAMESPACE)).pipe(
        Effect.provide(sharedMemoryLayer().pipe(Layer.provide(databaseLayer({ filename: database }))))
      )
      // One measurement per part encoded, over both runs.
      const encoded = first.summary.segments.length + second.summary.segments.length
      expect(learned.map((e) => [e.key, (e.value as { samples: number }).samples])).toEqual([["capacity/libx264/180x320", encoded]])
    }))
})
