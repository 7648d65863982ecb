import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { espeakNg, makeTts, Narration } from "../../../media/tts/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("tts-cache")

describe("espeak-ng narration cache", () => {
  it.scoped("a damaged cached timings file is synthesized again and replaced, not trusted", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const tts = makeTts([espeakNg()])
      const request = { text: "Fractals repeat at every scale. Cells follow rules.", voice: "en" }
      const first = yield* tts.synthesize(request, dir)
      const [timings] = (yield* Effect.promise(() => readdir(dir))).filter((f) => f.startsWith("narration-") && f.endsWith(".json"))
      const file = join(dir, timings!)
      const full = yield* Effect.promise(() => readFile(file, "utf8"))

      yield* Effect.promise(() => writeFile(file, full.slice(0, Math.floor(full.length / 2))))
      const again = yield* tts.synthesize(request, dir)
      expect(again.words).toEqual(first.words)
      expect(again.durationSec).toBeCloseTo(first.durationSec, 6)
      const rewritten = yield* Effect.promise(() => readFile(file, "utf8"))
      expect(Schema.decodeUnknownSync(Schema.parseJson(Narration))(rewritten).words).toEqual(first.words)
    }))
})
