/**
 * Render plans on disk, under content-addressed directories: the same inputs give the same
 * directory, so a re-run finds the plan, finished segments and the done marker of an earlier run.
 * Files are written under a temporary name and renamed, so a reader never sees half a file.
 */
import { createHash } from "node:crypto"
import { stat } from "node:fs/promises"
import { dirname, join } from "node:path"
import { Effect, Option } from "effect"
import { type JsonFileError, readJsonFile, RenderPlan, writeFileAtomically } from "../../media/index.ts"
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

/**
 * The plan a PlanRender wrote. It is the job's state, not a cache: a render cannot guess what a
 * damaged plan meant, so it fails, naming the file and what is wrong in it.
 */
export const readPlan = (planFile: string): Effect.Effect<RenderPlan, JsonFileError> => readJsonFile(RenderPlan, planFile)

export const doneMarker = (planFile: string) => join(dirname(planFile), "done.json")

/** The result of an earlier run of this plan, when its marker and its output are both there (a damaged marker: none). */
export const readDone = (planFile: string): Effect.Effect<Option.Option<RenderResult>> =>
  readJsonFile(RenderResult, doneMarker(planFile)).pipe(
    Effect.option,
    Effect.flatMap((result) =>
      Option.isSome(result) ? Effect.map(isFinished(result.value.output), (finished) => (finished ? result : Option.none())) : Effect.succeedNone
    )
  )
