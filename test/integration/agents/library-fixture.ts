/** A tiny labelled footage folder made by lavfi: landscape clips like stock footage, tags in sidecars. */
import { Effect } from "effect"
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { JobSpec } from "../../../agents/production/job.ts"
import type { OutputSettings } from "../../../agents/renderer/render-data.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"

export const LIBRARY = [
  { name: "mandelbrot.mp4", source: "mandelbrot", tags: ["mandelbrot", "fractal"] },
  { name: "life.mp4", source: "life", tags: ["game of life", "cells"] }
] as const

export const makeLibrary = (dir: string) =>
  Effect.forEach(
    LIBRARY,
    ({ name, source, tags }) =>
      runFfmpeg({
        args: [
          "-f",
          "lavfi",
          "-i",
          `${source}=size=320x180:rate=15`,
          "-t",
          "1.5",
          "-c:v",
          "libx264",
          "-preset",
          "ultrafast",
          "-pix_fmt",
          "yuv420p"
        ],
        output: join(dir, name)
      }).pipe(
        Effect.zipRight(Effect.promise(() => writeFile(join(dir, `${name}.json`), JSON.stringify({ tags })))),
        Effect.as({ path: join(dir, name), kind: "video" as const, durationSec: 1.5, width: 320, height: 180, tags })
      ),
    { concurrency: 2 }
  )

/** Two sentences in two paragraphs: two scenes, one per clip. */
export const SCRIPT =
  "Fractals repeat the same shapes forever, at every scale.\n\nCells on a grid live and die by counting their neighbours."

/** A tiny job over the library in `dir/footage`: SCRIPT, work files in `dir/work`, output overridable. */
export const tinyJob = (
  dir: string,
  options: { readonly script?: string; readonly output?: Partial<OutputSettings>; readonly segments?: number; readonly attempt?: number } =
    {}
): JobSpec => ({
  script: { _tag: "Text", title: "Patterns", text: options.script ?? SCRIPT },
  footage: { _tag: "Folder", dir: join(dir, "footage") },
  output: { path: join(dir, "out", "job.mp4"), width: 180, height: 320, fps: 15, encoder: "libx264", captions: "none", ...options.output },
  voice: "en",
  seed: "1",
  segments: options.segments ?? 1,
  workDir: join(dir, "work"),
  ...(options.attempt === undefined ? {} : { attempt: options.attempt })
})
