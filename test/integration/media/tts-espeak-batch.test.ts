/**
 * espeak-ng narration speaks the solo words for alignment in batches: one process per batch, not
 * one per word, and a batch is cut back into its words at the pauses.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { chmod, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { espeakNg, splitAtPauses } from "../../../media/tts/espeak-ng.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("espeak-batch")

const burst = (sampleRate: number, seconds: number) =>
  Int16Array.from({ length: Math.round(sampleRate * seconds) }, (_, i) => Math.round(8000 * Math.sin(i / 3)))

describe("espeak-ng solo-word batches", () => {
  it("cuts a batch at its pauses, and refuses a batch that does not split into its words", () => {
    const rate = 22050
    const pause = new Int16Array(Math.round(rate * 0.5))
    const samples = Int16Array.from([...burst(rate, 0.2), ...pause, ...burst(rate, 0.3), ...pause, ...burst(rate, 0.1), ...pause])
    const parts = splitAtPauses({ sampleRate: rate, samples }, 3)
    expect(parts?.map((p) => Math.round((p.samples.length / rate) * 10) / 10)).toEqual([0.2, 0.3, 0.1])
    expect(splitAtPauses({ sampleRate: rate, samples }, 4)).toBeUndefined()
  })

  it.scoped("runs one espeak-ng process per sentence and one per batch of words", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const log = join(dir, "calls.log")
      const binary = join(dir, "espeak-ng-logged")
      yield* Effect.promise(() => writeFile(binary, `#!/bin/sh\necho "$*" >> '${log}'\nexec espeak-ng "$@"\n`))
      yield* Effect.promise(() => chmod(binary, 0o755))
      const narration = yield* espeakNg({ binary }).synthesize(
        { text: "Fractals repeat the same shapes at every scale. Cells live and die by simple rules.", voice: "en" },
        join(dir, "out")
      )
      const calls = (yield* Effect.promise(() => readFile(log, "utf8"))).trim().split("\n")
      // Two sentences and one batch of their 15 distinct words.
      expect(calls.length).toBe(3)
      expect(calls.filter((args) => args.split(" ").includes("-m")).length).toBe(1)
      expect(narration.words.map((w) => w.word).join(" ")).toBe(
        "Fractals repeat the same shapes at every scale. Cells live and die by simple rules."
      )
      // Onsets increase through the narration.
      const starts = narration.words.map((w) => w.start)
      expect(starts).toEqual([...starts].sort((a, b) => a - b))
    }))
})
