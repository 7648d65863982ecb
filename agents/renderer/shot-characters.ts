/**
 * Content-aware encoding's measurement, cached: SI/TI of the frames a scene reads from its file
 * (media's `measureShotCharacter`), kept as `<workDir>/siti/<key>.json` under a content key of the
 * file (path, size, modification time), the range read and the analysis settings, so a re-run, a
 * replanned job or another job over the same footage does not decode those frames again. A shot
 * that cannot be measured is left unclassed (it encodes as without content-aware encoding), with a
 * warning: the measurement refines the encode, it never fails a render.
 */
import { Effect, Option } from "effect"
import { join } from "node:path"
import {
  ANALYZER_VERSION,
  CHARACTER_ANALYSIS_WIDTH,
  measureShotCharacter,
  readJsonFile,
  type ScenePlan,
  ShotCharacter,
  type TimelineInput,
  usedRange,
  withShotCharacters
} from "../../media/index.ts"
import { contentKey, fileStamp, writeAtomically } from "./plan-file.ts"

/** Bump when what is measured changes for the same frames: cached characters are then measured again. */
export const CHARACTER_CACHE_VERSION = "1"

/** Where the character of `scene`'s frames is cached under `workDir`, keyed by the file's stamp and the range. */
export const characterCacheFile = Effect.fn("renderer.characterCacheFile")(function*(workDir: string, scene: ScenePlan) {
  const stamp = yield* fileStamp(scene.shot.path)
  const key = contentKey({
    version: CHARACTER_CACHE_VERSION,
    analyzer: ANALYZER_VERSION,
    width: CHARACTER_ANALYSIS_WIDTH,
    path: scene.shot.path,
    stamp,
    range: usedRange(scene)
  })
  return join(workDir, "siti", `${key}.json`)
})

/** The character of the frames `scene` reads: cached, or measured and cached; none when it cannot be had. */
export const cachedShotCharacter = (workDir: string) => (scene: ScenePlan): Effect.Effect<ShotCharacter | undefined> =>
  Effect.gen(function*() {
    const file = yield* characterCacheFile(workDir, scene)
    const cached = yield* Effect.option(readJsonFile(ShotCharacter, file))
    if (Option.isSome(cached)) return cached.value
    const measured = yield* measureShotCharacter(scene)
    if (measured !== undefined) yield* writeAtomically(file, JSON.stringify(measured))
    return measured
  }).pipe(
    Effect.catchAll((error) =>
      Effect.as(
        Effect.logWarning(`content-aware encoding: scene ${scene.index} (${scene.shot.path}) left unclassed: ${error.message}`),
        undefined
      )
    )
  )

/** `input` with its file shots' characters, from the cache under `workDir` or measured (content-aware encoding only). */
export const characterizedInput = (input: TimelineInput, workDir: string) => withShotCharacters(input, cachedShotCharacter(workDir))
