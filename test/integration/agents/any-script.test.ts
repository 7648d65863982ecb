/**
 * Scripts that no one here wrote: Chinese and Japanese sentences ending in `。！？` with no space
 * after them, and a line with every class of special character, each made into a video with
 * karaoke captions and the voice picked for its language (these gave no video at all before: the
 * planner and the narration split them differently).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { ProduceVideo, productionLayer } from "../../../agents/index.ts"
import { probe } from "../../../media/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, tinyJob } from "./library-fixture.ts"

const tempDir = scopedTempDir("any-script")

const SCRIPTS = [
  { name: "chinese", text: "分形在每个尺度上重复同样的形状。细胞在网格上生存和死亡！它们会数邻居吗？", voice: /^cmn/ },
  { name: "japanese", text: "こんにちは。元気ですか？フラクタルはどこまでも同じ形を繰り返します。", voice: /^ja/ },
  {
    name: "mixed symbols",
    text: "Dr. Smith paid $3.50 (7.5% off) vs. €5 & more, e.g. on 3/4/2025 at 10:30! \"Quotes\" — #tags, @users & emoji 🚀 too?",
    voice: /^en/
  }
]

describe("a video from any script", () => {
  for (const script of SCRIPTS) {
    it.scopedLive(`${script.name}: narrated in its language's voice, every word timed, captions burned in`, () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const footage = join(dir, "footage")
        yield* Effect.promise(() => mkdir(footage))
        yield* makeLibrary(footage)
        const job = { ...tinyJob(dir, { script: script.text, output: { captions: "karaoke" } }), voice: "auto" }
        const report = yield* Effect.scoped(
          ProduceVideo.execute(job).pipe(Effect.provide(productionLayer({ database: join(dir, "swarm.db"), pollInterval: "100 millis" })))
        )
        expect(report.narration.voice).toMatch(script.voice)
        expect(report.narration.words.length).toBeGreaterThan(2)
        expect(report.scenes.length).toBeGreaterThan(0)
        const info = yield* probe(report.output)
        expect({ width: info.width, height: info.height }).toEqual({ width: 180, height: 320 })
        // The video lasts as long as its narration (within a frame or two at 15 fps).
        expect(Math.abs(info.duration - report.narration.durationSec)).toBeLessThan(0.2)
      }))
  }
})
