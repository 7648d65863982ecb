import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { doneMarker, isFinished, readDone, readPlan } from "../../../agents/renderer/plan-file.ts"
import { planRender, type TimelineInput } from "../../../media/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("plan-file")

const input = (dir: string): TimelineInput => ({
  scenes: [
    { text: "one", narration: { start: 0, end: 1.9 } },
    { text: "two", narration: { start: 2, end: 3.9 } }
  ],
  shots: [
    { path: join(dir, "a.mp4"), kind: "video", inPoint: 0.5, media: { duration: 10, width: 1920, height: 1080, fps: 25 } },
    { path: join(dir, "b.png"), kind: "image", media: { duration: 0, width: 800, height: 600, fps: 0 }, motion: "pan-left" }
  ],
  output: {
    path: join(dir, "out.mp4"),
    width: 360,
    height: 640,
    fps: 30,
    encoder: "libx264",
    encoderSettings: { preset: "veryfast", crf: 23 },
    narration: { path: join(dir, "narration.wav"), duration: 4 },
    music: { path: join(dir, "music.mp3"), volume: 0.2 },
    transition: { kind: "fade", duration: 0.3 },
    workDir: dir
  }
})

const writePlan = (dir: string, content: unknown) =>
  Effect.promise(async () => {
    const planFile = join(dir, "render-x", "plan.json")
    await mkdir(join(dir, "render-x"), { recursive: true })
    await writeFile(planFile, typeof content === "string" ? content : JSON.stringify(content))
    return planFile
  })

describe("a render plan on disk", () => {
  it.scoped("reads back exactly as planned", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const plan = Either.getOrThrow(planRender(input(dir), { segments: 2 }))
      const planFile = yield* writePlan(dir, plan)
      expect(yield* readPlan(planFile)).toEqual(plan)
    }))

  it.scoped("with a wrong field is a JsonFileError naming the file and the field", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const plan = Either.getOrThrow(planRender(input(dir), { segments: 2 }))
      const cases = [
        { ...plan, totalFrames: "120" },
        { ...plan, files: { ...plan.files, segments: null } },
        { ...plan, scenes: plan.scenes.map((s) => ({ ...s, shot: { ...s.shot, kind: "audio" } })) }
      ]
      for (const [i, broken] of cases.entries()) {
        const planFile = yield* writePlan(dir, broken)
        const error = yield* Effect.flip(readPlan(planFile))
        expect(error._tag).toBe("JsonFileError")
        expect(error.reason).toBe("invalid")
        expect(error.file).toBe(planFile)
        expect(error.message).toContain(planFile)
        expect(error.message).toContain(["totalFrames", "files.segments", "scenes.0.shot.kind"][i]!)
      }
    }))

  it.scoped("half written, or not there, is a JsonFileError too", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const plan = Either.getOrThrow(planRender(input(dir)))
      const text = JSON.stringify(plan)
      const half = yield* writePlan(dir, text.slice(0, text.length / 2))
      expect(yield* Effect.flip(readPlan(half))).toMatchObject({ _tag: "JsonFileError", file: half, reason: "invalid" })
      const missing = join(dir, "render-none", "plan.json")
      const error = yield* Effect.flip(readPlan(missing))
      expect(error).toMatchObject({ _tag: "JsonFileError", file: missing, reason: "unreadable" })
      expect(error.message).toContain(missing)
    }))

  it.scoped("a damaged done marker is no finished render: the plan is rendered again", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const planFile = yield* writePlan(dir, Either.getOrThrow(planRender(input(dir))))
      const output = join(dir, "out.mp4")
      yield* Effect.promise(() => writeFile(output, "mp4"))
      const done = { output, parts: [], stages: { encode: 1, audio: 0, stitch: 0 }, cached: false }
      yield* Effect.promise(() => writeFile(doneMarker(planFile), JSON.stringify(done)))
      expect(yield* readDone(planFile)).toEqual(Option.some(done))
      yield* Effect.promise(() => writeFile(doneMarker(planFile), JSON.stringify({ ...done, parts: "all" })))
      expect(yield* readDone(planFile)).toEqual(Option.none())
      yield* Effect.promise(() => writeFile(doneMarker(planFile), "{\"output\":"))
      expect(yield* readDone(planFile)).toEqual(Option.none())
    }))

  it.scoped("a part that is missing is not finished; one that cannot be looked at is a failure naming it, not a guess", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const part = join(dir, "reel.part-0.ts")
      expect(yield* isFinished(part)).toBe(false)
      yield* Effect.promise(() => writeFile(part, ""))
      expect(yield* isFinished(part)).toBe(false)
      yield* Effect.promise(() => writeFile(part, "ts"))
      expect(yield* isFinished(part)).toBe(true)
      // A path through a file: stat fails with ENOTDIR, which says nothing about whether the part is done.
      const through = join(part, "reel.part-1.ts")
      const error = yield* Effect.flip(isFinished(through))
      expect(error._tag).toBe("SystemError")
      expect(error.message).toContain(through)
    }))
})
