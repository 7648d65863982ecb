/**
 * Render plans on disk, under content-addressed directories: the same inputs give the same
 * directory, so a re-run finds the plan, finished segments and the done marker of an earlier run.
 * Files are written under a temporary name and renamed, so a reader never sees half a file.
 */
import { createHash } from "node:crypto"
import { readFile, stat } from "node:fs/promises"
import { dirname, join } from "node:path"
import { Effect, Option, Schema } from "effect"
import { writeFileAtomically } from "../../media/atomic-file.ts"
import type { RenderPlan } from "../../media/timeline.ts"
import { RenderResult } from "./render-data.ts"

export const contentKey = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16)

/** The Effect form of media's temp-name-then-rename write. */
export const writeAtomically = (file: string, content: string): Effect.Effect<void, unknown> =>
  Effect.tryPromise(() => writeFileAtomically(file, content))

/** A file that exists and is not empty (finished: files only appear by rename). */
export const isFinished = (file: string): Effect.Effect<boolean> =>
  Effect.promise(() => stat(file).then((s) => s.isFile() && s.size > 0, () => false))

/** Size and modification time, so a clip replaced under the same name changes the content key. */
export const fileStamp = (file: string): Effect.Effect<{ size: number; mtimeMs: number } | null> =>
  Effect.promise(() => stat(file).then((s) => ({ size: s.size, mtimeMs: Math.round(s.mtimeMs) }), () => null))

export const readPlan = (planFile: string): Effect.Effect<RenderPlan, unknown> =>
  Effect.tryPromise(async () => {
    const plan = JSON.parse(await readFile(planFile, "utf8")) as RenderPlan
    if (!Array.isArray(plan?.segments) || !Array.isArray(plan?.files?.segments) || typeof plan?.files?.output !== "string") {
      throw new Error(`${planFile} is not a render plan`)
    }
    return plan
  })

export const doneMarker = (planFile: string) => join(dirname(planFile), "done.json")

const decodeResult = Schema.decodeUnknownOption(Schema.parseJson(RenderResult))

/** The result of an earlier run of this plan, when its marker and its output are both there. */
export const readDone = (planFile: string): Effect.Effect<Option.Option<RenderResult>> =>
  Effect.gen(function* () {
    const text = yield* Effect.promise(() => readFile(doneMarker(planFile), "utf8").catch(() => ""))
    const result = decodeResult(text)
    if (Option.isNone(result)) return result
    return (yield* isFinished(result.value.output)) ? result : Option.none()
  })
