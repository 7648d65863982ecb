/**
 * The procedural sample library, drawn lazily. Every clip's record (file, size, length, tags) is
 * known from media's SAMPLE_CLIPS and the output settings before any clip exists, so the shots are
 * matched against those records and only the picked clips are drawn afterwards (a 1080x1920 clip
 * costs several seconds of ffmpeg; the demo picks 7 of 22).
 */
import { Effect, Schema } from "effect"
import { basename, join } from "node:path"
import {
  type FootageWarning,
  generateSampleLibrary,
  mediaFileSystem,
  normalizeTags,
  probe,
  SAMPLE_CLIPS,
  tagsFromFileName
} from "../../media/index.ts"
import type { Clip } from "../shot-matcher/shot.ts"

export interface SampleSource {
  readonly dir: string
  readonly durationSec: number
  readonly only?: ReadonlyArray<string> | undefined
}

export interface SampleFrame {
  readonly width: number
  readonly height: number
  readonly fps: number
}

export class SampleLibraryError extends Schema.TaggedError<SampleLibraryError>()("SampleLibraryError", { message: Schema.String }) {}

/** media's file name for a sample clip: `<name>-<w>x<h>-<d>s-<fps>fps.mp4`. */
export const sampleFile = (source: SampleSource, frame: SampleFrame, name: string) =>
  join(source.dir, `${name}-${frame.width}x${frame.height}-${source.durationSec}s-${frame.fps}fps.mp4`)

const libraryOptions = (source: SampleSource, frame: SampleFrame, only: ReadonlyArray<string>) => ({
  width: frame.width,
  height: frame.height,
  fps: frame.fps,
  durationSec: source.durationSec,
  only
})

/**
 * The records of the library's clips (all, or `source.only`) as the footage index would give them
 * once drawn: the same path, tags (file-name words, then the clip's own), size and length, in the
 * index's order. Nothing is drawn; the options are checked as media checks them.
 */
export const sampleClips = Effect.fn("production.sampleClips")(function*(source: SampleSource, frame: SampleFrame) {
  const unknown = (source.only ?? []).filter((name) => !SAMPLE_CLIPS.some((s) => s.name === name))
  if (unknown.length > 0) return yield* new SampleLibraryError({ message: `unknown sample clip(s): ${unknown.join(", ")}` })
  // Nothing to draw: this only validates the size, length and rate and creates the folder.
  yield* generateSampleLibrary(source.dir, libraryOptions(source, frame, []))
  const specs = source.only === undefined ? SAMPLE_CLIPS : SAMPLE_CLIPS.filter((s) => source.only!.includes(s.name))
  return specs
    .map((spec): Clip => {
      const path = sampleFile(source, frame, spec.name)
      return {
        path,
        kind: "video",
        durationSec: source.durationSec,
        width: frame.width,
        height: frame.height,
        fps: frame.fps,
        tags: normalizeTags([...tagsFromFileName(basename(path)), ...spec.tags])
      }
    })
    .sort((a, b) => basename(a.path).localeCompare(basename(b.path)))
})

const nameOf = (source: SampleSource, frame: SampleFrame, path: string) =>
  SAMPLE_CLIPS.find((s) => sampleFile(source, frame, s.name) === path)?.name

/**
 * Draws the picked sample clips that are not on disk yet and checks each with ffprobe. A clip left
 * unreadable by an earlier run (a truncated file under the final name) is reported as a warning,
 * removed and drawn again.
 */
export const drawPickedSamples = Effect.fn("production.drawPickedSamples")(function*(
  source: SampleSource,
  frame: SampleFrame,
  paths: ReadonlyArray<string>
) {
  const names = [...new Set(paths)].map((path) => {
    const name = nameOf(source, frame, path)
    return name === undefined
      ? Effect.fail(new SampleLibraryError({ message: `${path} is not a clip of the sample library` }))
      : Effect.succeed(name)
  })
  const wanted = yield* Effect.all(names)
  const draw = (only: ReadonlyArray<string>) =>
    generateSampleLibrary(source.dir, { ...libraryOptions(source, frame, only), concurrency: 2 })
  const unreadable = (only: ReadonlyArray<string>) =>
    Effect.map(
      Effect.forEach(only, (name) => Effect.map(Effect.either(probe(sampleFile(source, frame, name))), (info) => ({ name, info })), {
        concurrency: 4
      }),
      (checked) => checked.flatMap(({ name, info }) => (info._tag === "Left" ? [{ name, message: info.left.message }] : []))
    )

  const drawn = yield* draw(wanted)
  // A clip drawn just now is sound (ffmpeg finished and it was renamed into place); one found on disk is checked.
  const bad = yield* unreadable(drawn.filter((c) => !c.generated).map((c) => c.name))
  const warnings: Array<FootageWarning> = bad.map(({ name, message }) => ({
    file: sampleFile(source, frame, name),
    reason: "corrupt",
    message: `${message}; drawing it again`
  }))
  if (bad.length > 0) {
    const fs = yield* mediaFileSystem
    const files = bad.flatMap(({ name }) => [sampleFile(source, frame, name), `${sampleFile(source, frame, name)}.json`])
    yield* Effect.forEach(files, (file) =>
      Effect.mapError(
        fs.remove(file, { force: true }),
        (error) => new SampleLibraryError({ message: `cannot remove the unreadable sample clip ${file}: ${error.message}` })
      ))
    yield* draw(bad.map((b) => b.name))
    const still = yield* unreadable(bad.map((b) => b.name))
    if (still.length > 0) {
      return yield* new SampleLibraryError({
        message: `sample clip ${still[0]!.name} is unreadable after drawing it: ${still[0]!.message}`
      })
    }
  }
  return { drawn: [...drawn.filter((c) => c.generated).map((c) => c.name), ...bad.map((b) => b.name)], warnings }
})
