/**
 * Render plans on disk, under content-addressed directories: the same inputs give the same
 * directory, so a re-run finds the plan, finished segments and the done marker of an earlier run.
 * Files are written under a temporary name and renamed, so a reader never sees half a file.
 */
import type { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option } from "effect"
import { createHash } from "node:crypto"
import { dirname, join } from "node:path"
import { type JsonFileError, mediaFileSystem, readJsonFile, RenderPlan, writeFileAtomic } from "../../media/index.ts"
import { RenderResult } from "./render-data.ts"

export const contentKey = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16)

/** media's temp-name-then-rename write; a failure is the `PlatformError` naming the file. */
export const writeAtomically = (file: string, content: string): Effect.Effect<void, PlatformError> => writeFileAtomic(file, content)

/** `file`'s stat, none when it is not there; a failure to look (EACCES …) is a failure naming it. */
const statIfThere = (file: string): Effect.Effect<Option.Option<FileSystem.File.Info>, PlatformError> =>
  mediaFileSystem.pipe(
    Effect.flatMap((fs) => fs.stat(file)),
    Effect.asSome,
    Effect.catchIf((error) => error._tag === "SystemError" && error.reason === "NotFound", () => Effect.succeedNone)
  )

/**
 * A file that exists and is not empty (finished: files only appear by rename). One that cannot be
 * looked at (EACCES …) is a failure naming it, for the caller to handle: not a guess either way.
 */
export const isFinished = (file: string): Effect.Effect<boolean, PlatformError> =>
  Effect.map(statIfThere(file), (found) => Option.exists(found, (info) => info.type === "File" && info.size > 0))

/** Size and modification time (whole milliseconds, as Node rounds them), so a clip replaced under the same name changes the content key. Null when there is no such file. */
export const fileStamp = (file: string): Effect.Effect<{ size: number; mtimeMs: number } | null, PlatformError> =>
  Effect.map(statIfThere(file), (found) =>
    Option.getOrNull(
      Option.map(found, (info) => ({
        size: Number(info.size),
        mtimeMs: Option.getOrElse(Option.map(info.mtime, (d) => d.getTime()), () => 0)
      }))
    ))

/**
 * The plan a PlanRender wrote. It is the job's state, not a cache: a render cannot guess what a
 * damaged plan meant, so it fails, naming the file and what is wrong in it.
 */
export const readPlan = (planFile: string): Effect.Effect<RenderPlan, JsonFileError> => readJsonFile(RenderPlan, planFile)

export const doneMarker = (planFile: string) => join(dirname(planFile), "done.json")

/**
 * The result of an earlier run of this plan, when its marker and its output are both there (a damaged
 * marker: none); an output that cannot be looked at is a failure naming it.
 */
export const readDone = (planFile: string): Effect.Effect<Option.Option<RenderResult>, PlatformError> =>
  readJsonFile(RenderResult, doneMarker(planFile)).pipe(
    Effect.option,
    Effect.flatMap((result) =>
      Option.isSome(result)
        ? Effect.map(isFinished(result.value.output), (finished) => (finished ? result : Option.none()))
        : Effect.succeedNone
    )
  )
