import { describe, expect, it } from "@effect/vitest"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either, Layer } from "effect"
import { probe } from "../../../media/probe.ts"
import { espeakNg, layer as ttsLayer } from "../../../media/tts/index.ts"
import { directorAgent } from "../../../agents/director/agent.ts"
import { measuredSentenceDurations } from "../../../agents/director/measured.ts"
import { PlanScript, Replan } from "../../../agents/director/protocol.ts"
import { layer as topicLayer } from "../../../agents/director/topic.ts"
import { encoderAgent } from "../../../agents/encoder/agent.ts"
import { rendererAgent } from "../../../agents/renderer/agent.ts"
import { Narrate, PlanRender, Render } from "../../../agents/renderer/protocol.ts"
import type { OutputSettings } from "../../../agents/renderer/render-data.ts"
import { shotMatcherAgent } from "../../../agents/shot-matcher/agent.ts"
import { MatchShots } from "../../../agents/shot-matcher/protocol.ts"
import { Swarm, swarmLayerInMemory } from "../../../runtime/index.ts"
import { mesh } from "../../../topologies/index.ts"
import { makeLibrary, SCRIPT } from "./library-fixture.ts"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "reelswarm-render-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

const output = (path: string): OutputSettings => ({ path, width: 180, height: 320, fps: 15, encoder: "libx264", captions: "lines" })

const env = Layer.mergeAll(swarmLayerInMemory({ topology: mesh, strict: true }), topicLayer(), ttsLayer([espeakNg()]))

describe("renderer and encoder agents on real ffmpeg and espeak-ng", () => {
  it.scopedLive("script to MP4 through director, shot-matcher, renderer and two encoders; a re-run is reused", () =>
    Effect.gen(function* () {
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
        new PlanRender({ scenes, picks, narration, output: output(join(dir, "out", "single.mp4")), segments: 1, workDir: join(dir, "work") }),
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
    }).pipe(Effect.provide(env)))
})
