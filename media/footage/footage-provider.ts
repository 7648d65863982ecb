import type { Effect } from "effect"
import type { FootageError } from "./footage-error.ts"
import type { FootageClip, Orientation } from "./footage-index.ts"

export interface FootageQuery {
  readonly query: string
  readonly orientation?: Orientation
  /** results per page, 1 … 80, default 15 */
  readonly perPage?: number
}

export interface FootageFile {
  readonly id: string
  readonly url: string
  readonly width: number
  readonly height: number
  readonly fps?: number
}

/** A remote clip a provider found; `download` turns it into a local `FootageClip`. */
export interface FootageCandidate {
  readonly provider: string
  readonly id: string
  readonly durationSec: number
  readonly width: number
  readonly height: number
  /** the page to credit */
  readonly pageUrl: string
  readonly author?: string
  readonly tags: ReadonlyArray<string>
  readonly files: ReadonlyArray<FootageFile>
}

/** Remote stock footage as a plugin (Pexels here; Pixabay and others fit the same shape). */
export interface FootageProvider {
  readonly name: string
  readonly search: (query: FootageQuery) => Effect.Effect<ReadonlyArray<FootageCandidate>, FootageError>
  /** downloads the file that best fits `target` (cached: a second call reuses the file) */
  readonly download: (
    candidate: FootageCandidate,
    target: { readonly width: number; readonly height: number }
  ) => Effect.Effect<FootageClip & { readonly cached: boolean }, FootageError>
}

/**
 * The file that covers `target` with the fewest pixels (it can be scaled down and cropped without
 * upscaling); when none is large enough, the largest.
 */
export const bestFittingFile = (
  files: ReadonlyArray<FootageFile>,
  target: { readonly width: number; readonly height: number }
): FootageFile | undefined => {
  const covers = (f: FootageFile) => Math.max(target.width / f.width, target.height / f.height) <= 1
  const area = (f: FootageFile) => f.width * f.height
  const large = files.filter(covers).sort((a, b) => area(a) - area(b))
  return large[0] ?? [...files].sort((a, b) => area(b) - area(a))[0]
}
