/**
 * Tags a clip gets from its file name, split on separators, camelCase and letter→digit boundaries:
 * "mandelbrot-zoom_deepSpiral 4K.mp4" → mandelbrot, zoom, deep, spiral, 4k; "Rule110" → rule, 110.
 */
export const tagsFromFileName = (fileName: string): ReadonlyArray<string> => {
  const stem = fileName.replace(/\.[^.]+$/, "")
  const words = stem
    .replace(/(\p{Ll})(\p{Lu})/gu, "$1 $2")
    .replace(/(\p{L})(\p{N})/gu, "$1 $2")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
  return [...new Set(words)]
}

/** Lower-cased, trimmed, de-duplicated, order kept. */
export const normalizeTags = (tags: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...new Set(tags.map((t) => t.trim().toLowerCase().replace(/\s+/g, " ")).filter((t) => t.length > 0))
]
