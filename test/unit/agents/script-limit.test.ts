import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { checkScriptLength, countWords, MAX_SCRIPT_WORDS, planScriptText, ScriptTooLongError } from "../../../agents/director/script.ts"
import { type JobSpec, validateJobSpec } from "../../../agents/production/job.ts"

/** `sentences` sentences of eight words each. */
const scriptOf = (sentences: number) => "The glider walks across the grid of cells. ".repeat(sentences)

const spec = (text: string): JobSpec => ({
  script: { _tag: "Text", title: "long", text },
  footage: { _tag: "Folder", dir: "/footage" },
  output: { path: "/out/long.mp4", width: 64, height: 112, fps: 10, encoder: "libx264", captions: "none" },
  voice: "en-us",
  seed: "s",
  segments: 1,
  workDir: "/state/work"
})

describe("the script length limit", () => {
  const tenThousandWords = scriptOf(1250)

  it("refuses a 10,000-word script before any work, naming its word count and the limit", () =>
    Effect.gen(function*() {
      expect(countWords(tenThousandWords)).toBe(10_000)
      // The check needs no service: no narration (or anything else) can have started when it fails.
      const error = yield* Effect.flip(validateJobSpec(spec(tenThousandWords)))
      expect(error).toBeInstanceOf(ScriptTooLongError)
      expect(error).toMatchObject({ words: 10_000, limit: MAX_SCRIPT_WORDS })
      expect(MAX_SCRIPT_WORDS).toBe(5_000)
      expect(error.message).toBe(
        "the script has 10,000 words (about 62 minutes of narration); the limit is 5,000 words (about 31 minutes): split it into several videos"
      )
    }).pipe(Effect.runSync))

  it("accepts a script of exactly the limit, and a topic (Claude writes it short)", () =>
    Effect.gen(function*() {
      const atLimit = scriptOf(MAX_SCRIPT_WORDS / 8)
      expect(countWords(atLimit)).toBe(MAX_SCRIPT_WORDS)
      yield* validateJobSpec(spec(atLimit))
      yield* validateJobSpec({ ...spec(""), script: { _tag: "Topic", topic: "cellular automata" } })
      yield* checkScriptLength(scriptOf(2), 16)
      expect((yield* Effect.flip(checkScriptLength(scriptOf(2), 15))).words).toBe(16)
    }).pipe(Effect.runSync))

  it("the director refuses it too, as a planning failure with the same words, before splitting it into sentences", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(planScriptText("long", tenThousandWords))
      expect(error._tag).toBe("ScriptPlanError")
      expect(error.message).toContain("the script has 10,000 words")
      expect(error.message).toContain("the limit is 5,000 words")
    }).pipe(Effect.runSync))
})
