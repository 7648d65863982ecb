/**
 * media/'s files go through @effect/platform's `FileSystem`, so a refused or full disk is a typed
 * `PlatformError` naming the path (EACCES, ENOSPC, ENOTDIR …), never a defect. The FileSystem in the
 * environment is used when there is one (an app's, a test's fault-injecting one), Node's otherwise,
 * so media/'s functions need nothing provided.
 */
import { FileSystem } from "@effect/platform"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option } from "effect"

let nodeFileSystem: FileSystem.FileSystem | undefined
const nodeDefault = () => (nodeFileSystem ??= Effect.runSync(Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer)))

/** The environment's FileSystem, or Node's. */
export const mediaFileSystem: Effect.Effect<FileSystem.FileSystem> = Effect.map(
  Effect.serviceOption(FileSystem.FileSystem),
  Option.getOrElse(nodeDefault)
)

/** True when `path` exists; a failure to look (EACCES on a parent …) is a failure, not a "no". */
export const fileExists = (path: string): Effect.Effect<boolean, PlatformError> => Effect.flatMap(mediaFileSystem, (fs) => fs.exists(path))

/** Removes `path` if it is there; used on cleanup paths, where a failure to remove must not hide the first error. */
export const removeQuietly = (path: string, options: { readonly recursive?: boolean } = {}): Effect.Effect<void> =>
  Effect.flatMap(mediaFileSystem, (fs) => fs.remove(path, { force: true, recursive: options.recursive === true })).pipe(
    Effect.catchAll((error) => Effect.logDebug(`could not remove ${path}`, error))
  )
