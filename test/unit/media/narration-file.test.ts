import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFile, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { SentenceTiming } from "../../../media/tts/index.ts"
import { narrationKey, readCachedNarration, writeNarration } from "../../../media/tts/narration-file.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { warningsOf } from "../../fixtures/warnings.ts"

const tempDir = scopedTempDir("narration")

const sampleRate = 8000
const pcm = { sampleRate, samples: new Int16Array(sampleRate).map((_, i) => Math.round(8000 * Math.sin(i / 10))) }
const sentences: ReadonlyArray<SentenceTiming> = [
  { text: "Hello there.", start: 0, end: 1, words: [{ word: "Hello", start: 0.05, end: 0.4 }, { word: "there.", start: 0.45, end: 0.9 }] }
]
const key = narrationKey("fake", { text: "Hello there.", voice: "en" })

describe("cached narration", () => {
  it.scoped("a finished narration is found again under its key, with every timing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const written = yield* writeNarration("fake", dir, key, pcm, sentences)
      const cached = yield* readCachedNarration(dir, key)
      expect(cached).toEqual(written)
      expect(cached?.words).toEqual(sentences[0]!.words)
      expect(cached?.durationSec).toBe(1)
    }))

  it.scoped("a half-written or damaged timings file is a cache miss, with a warning naming it, and writing again repairs it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const written = yield* writeNarration("fake", dir, key, pcm, sentences)
      const timings = join(dir, `narration-${key}.json`)
      const full = yield* Effect.promise(() => readFile(timings, "utf8"))

      const damaged = [
        full.slice(0, Math.floor(full.length / 2)),
        JSON.stringify({ ...JSON.parse(full), words: "Hello there." }),
        JSON.stringify({ ...JSON.parse(full), sentences: [{ text: "Hello there.", start: "zero", end: 1, words: [] }] }),
        ""
      ]
      for (const text of damaged) {
        yield* Effect.promise(() => writeFile(timings, text))
        const { value, warnings } = yield* warningsOf(readCachedNarration(dir, key))
        expect(value).toBeUndefined()
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toContain(timings)
      }

      // The provider, finding no narration, synthesizes and writes it again.
      yield* writeNarration("fake", dir, key, pcm, sentences)
      expect(yield* readCachedNarration(dir, key)).toEqual(written)
    }))

  it.scoped("no timings file, or timings without their audio, is a plain miss", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const missing = yield* warningsOf(readCachedNarration(dir, key))
      expect(missing).toEqual({ value: undefined, warnings: [] })
      yield* writeNarration("fake", dir, key, pcm, sentences)
      yield* Effect.promise(() => rm(join(dir, `narration-${key}.wav`)))
      expect(yield* readCachedNarration(dir, key)).toBeUndefined()
    }))
})
