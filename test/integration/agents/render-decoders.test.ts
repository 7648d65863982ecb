/**
 * A render planned for one encoder slot never runs two of its segments at once, however many slots
 * are idle: the renderer leases no more of a plan's segments than its concurrency, so the swarm holds
 * no more than the plan's K clip decoders open, and the output still has every planned frame.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import { encoderAgent } from "../../../agents/encoder/agent.ts"
import { rendererAgent } from "../../../agents/renderer/agent.ts"
import { Render } from "../../../agents/renderer/protocol.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import { planRender, type TimelineInput } from "../../../media/timeline.ts"
import { espeakNg, layer as ttsLayer } from "../../../media/tts/index.ts"
import { Swarm, swarmLayerInMemory } from "../../../runtime/index.ts"
import { mesh } from "../../../topologies/index.ts"
import { countClipDecoders } from "../../fixtures/decoder-count.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("render-decoders")
const SCENES = 12

describe("the renderer and a plan's decoder limit", () => {
  it.scopedLive("leases one segment at a time of a plan made for one slot, though three slots are idle", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const clip = join(dir, "clip.mp4")
      const narration = join(dir, "narration.wav")
      yield* runFfmpeg({
        args: [
          "-f",
          "lavfi",
          "-i",
          "testsrc2=size=160x90:rate=10:duration=2",
          "-c:v",
          "libx264",
          "-preset",
          "ultrafast",
          "-pix_fmt",
          "yuv420p"
        ],
        output: clip
      })
      yield* runFfmpeg({ args: ["-f", "lavfi", "-i", `sine=frequency=440:duration=${SCENES * 0.5}`, "-ac", "1"], output: narration })
      const media = yield* probe(clip)
      const input: TimelineInput = {
        scenes: Array.from({ length: SCENES }, (_, i) => ({ text: `s${i}`, narration: { start: i * 0.5, end: (i + 1) * 0.5 } })),
        shots: Array.from({ length: SCENES }, (_, i) => ({ path: clip, kind: "video" as const, inPoint: (i % 4) * 0.2, media })),
        output: {
          path: join(dir, "reel.mp4"),
          width: 64,
          height: 112,
          fps: 10,
          encoder: "libx264",
          encoderSettings: { preset: "ultrafast" },
          narration: { path: narration, duration: SCENES * 0.5 },
          workDir: join(dir, "work")
        }
      }
      // One slot's plan with K = 3: four segments of three clips, to be encoded one after another.
      const plan = Either.getOrThrow(planRender(input, { segments: 1, decoderLimit: 3 }))
      expect(plan.concurrency).toBe(1)
      expect(plan.segments).toHaveLength(4)
      const planFile = join(dir, "plan.json")
      yield* Effect.promise(() => writeFile(planFile, JSON.stringify(plan)))

      const swarm = yield* Swarm
      const renderer = yield* swarm.spawn(rendererAgent())
      for (const name of ["encoder-0", "encoder-1", "encoder-2"]) yield* swarm.spawn(encoderAgent({ name }))
      const count = yield* countClipDecoders(dir, ["clip.mp4"])
      const result = yield* renderer.ask(new Render({ planFile }), { timeout: "3 minutes" })
      expect(result.parts.map((p) => p.kind)).toEqual(["segment", "segment", "segment", "segment"])
      expect(yield* count.mostOpenAtOnce).toBe(3)
      const info = yield* probe(result.output, { countFrames: true })
      expect(info.frames).toBe(plan.totalFrames)
    }).pipe(Effect.provide(Layer.mergeAll(swarmLayerInMemory({ topology: mesh, strict: true }), ttsLayer([espeakNg()])))))
})
