/**
 * The renderer's side of content-aware encoding: a job's `encodeAware` reaches the timeline as
 * media's `contentAware` setting; each file shot's SI/TI is measured once over the frames its scene
 * reads and cached under the work folder by the file's stamp and the range (a second plan reads the
 * cache, a changed file is measured again); a shot that cannot be measured is left unclassed instead
 * of failing the plan.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { readdir, utimes, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { Scene } from "../../../agents/director/scene.ts"
import { characterCacheFile, characterizedInput } from "../../../agents/renderer/shot-characters.ts"
import { timelineInput } from "../../../agents/renderer/timeline-input.ts"
import { type Clip, rankShots } from "../../../agents/shot-matcher/match.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { type MediaInfo, probe } from "../../../media/probe.ts"
import { planRender, type TimelineInput } from "../../../media/timeline.ts"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = suiteTempDir("encode-aware-characters")
const file = (name: string) => join(tempDir(), name)
let automaton: MediaInfo

beforeAll(async () => {
  automaton = await Effect.runPromise(
    Effect.zipRight(
      runFfmpeg({
        args: [
          "-f",
          "lavfi",
          "-i",
          "cellauto=size=320x568:rate=25:rule=110:seed=3,trim=duration=3,format=yuv420p",
          "-c:v",
          "libx264",
          "-qp",
          "10"
        ],
        output: file("automaton.mp4")
      }),
      probe(file("automaton.mp4"))
    )
  )
})

const scene = (index: number): Scene => ({
  index,
  text: `About cells ${index}.`,
  sentences: [`About cells ${index}.`],
  keywords: ["automaton"],
  mood: "calm",
  pace: "slow",
  estimatedSec: 2
})

/** The timeline a PlanRender builds for two scenes over the automaton clip, with content-aware encoding on or off. */
const jobTimeline = (encodeAware: boolean | undefined): TimelineInput => {
  const clip: Clip = { path: automaton.file, kind: "video", durationSec: 3, width: 320, height: 568, fps: 25, tags: ["automaton"] }
  const scenes = [scene(0), scene(1)]
  return Either.getOrThrow(timelineInput({
    scenes,
    picks: rankShots(scenes, [clip], { frame: { width: 320, height: 568 }, seed: 1 }),
    media: new Map([[automaton.file, automaton]]),
    narration: { path: file("narration.wav"), duration: 4 },
    output: {
      path: file("v.mp4"),
      width: 320,
      height: 568,
      fps: 25,
      encoder: "libx264",
      captions: "none",
      ...(encodeAware === undefined ? {} : { encodeAware })
    },
    captionsFile: undefined,
    workDir: file("work")
  }))
}

describe("renderer: shot characters for content-aware encoding", () => {
  it("a job's encodeAware turns media's contentAware on; without it the input is left as it was", () => {
    expect(jobTimeline(true).output.encoderSettings).toEqual({ contentAware: true })
    expect(jobTimeline(undefined).output.encoderSettings).toBeUndefined()
  })

  it.effect("measures each file shot once, caches it by the file's stamp and range, and measures a changed file again", () =>
    Effect.gen(function*() {
      const workDir = file("cache-work")
      const input = jobTimeline(true)
      const first = yield* characterizedInput(input, workDir)
      expect(first.shots.every((s) => s.character !== undefined && s.character.si > 130)).toBe(true)
      const plan = yield* planRender(first, { segments: 1 })
      expect(plan.scenes.map((s) => s.contentClass)).toEqual(["text-graphics", "text-graphics"])
      const cached = yield* characterCacheFile(workDir, plan.scenes[0]!)
      expect(yield* Effect.promise(() => readdir(join(workDir, "siti")))).toContain(cached.split("/").at(-1))

      // What the cache says is what the next plan gets: nothing is decoded again.
      yield* Effect.promise(() => writeFile(cached, JSON.stringify({ si: 1, ti: 1 })))
      const second = yield* characterizedInput(input, workDir)
      expect(second.shots[0]!.character).toEqual({ si: 1, ti: 1 })

      // A file replaced under the same name (another modification time) has another key: it is measured again.
      yield* Effect.promise(() => utimes(automaton.file, new Date(), new Date(Date.now() - 3_600_000)))
      const third = yield* characterizedInput(input, workDir)
      expect(third.shots[0]!.character!.si).toBeGreaterThan(130)

      // Without content-aware encoding nothing is measured.
      expect(yield* characterizedInput(jobTimeline(undefined), workDir)).toEqual(jobTimeline(undefined))
    }))

  it.effect("leaves a shot it cannot measure unclassed, and the plan still renders the rest", () =>
    Effect.gen(function*() {
      const broken = file("broken.mp4")
      yield* Effect.promise(() => writeFile(broken, "not a video"))
      const input = jobTimeline(true)
      const withBroken: TimelineInput = { ...input, shots: [input.shots[0]!, { path: broken, kind: "video", media: automaton }] }
      const measured = yield* characterizedInput(withBroken, file("broken-work"))
      expect(measured.shots[0]!.character).toBeDefined()
      expect(measured.shots[1]!.character).toBeUndefined()
      const plan = yield* planRender(measured, { segments: 1 })
      expect(plan.scenes.map((s) => s.contentClass)).toEqual(["text-graphics", undefined])
    }))
})
