import { describe, expect, it } from "@effect/vitest"
import { orientationOf } from "../../../media/footage/footage-index.ts"
import { SAMPLE_CLIPS } from "../../../media/footage/sample-library.ts"
import { normalizeTags, tagsFromFileName } from "../../../media/footage/tags.ts"

describe("footage tags", () => {
  it("come from file names split on separators, camelCase and letter-digit boundaries", () => {
    expect(tagsFromFileName("mandelbrot-zoom_deepSpiral 4K.mp4")).toEqual(["mandelbrot", "zoom", "deep", "spiral", "4k"])
    expect(tagsFromFileName("Rule110.webm")).toEqual(["rule", "110"])
    expect(tagsFromFileName("曼德博集合.png")).toEqual(["曼德博集合"])
  })

  it("are normalized: lower case, trimmed, unique", () => {
    expect(normalizeTags([" Game  of Life", "game of life", "", "Cells"])).toEqual(["game of life", "cells"])
  })

  it("orientation has a tolerance around square", () => {
    expect([orientationOf(1080, 1920), orientationOf(1920, 1080), orientationOf(1000, 1050)]).toEqual(["portrait", "landscape", "square"])
  })

  it("the sample library has 16+ uniquely named clips, each with a description and tags", () => {
    expect(SAMPLE_CLIPS.length).toBeGreaterThanOrEqual(16)
    expect(new Set(SAMPLE_CLIPS.map((c) => c.name)).size).toBe(SAMPLE_CLIPS.length)
    for (const clip of SAMPLE_CLIPS) {
      expect(clip.description.length).toBeGreaterThan(10)
      expect(clip.tags.length).toBeGreaterThan(3)
      expect(clip.graph({ width: 1080, height: 1920, durationSec: 4, fps: 30 })).toMatch(/(scale=1080:1920|s=1080x1920)/)
    }
  })
})
