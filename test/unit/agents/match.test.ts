import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { BUNDLED_SCRIPT } from "../../../agents/director/bundled-script.ts"
import { planScript } from "../../../agents/director/script.ts"
import { type Clip, matchShots, rankShots, type SceneQuery } from "../../../agents/shot-matcher/match.ts"

const video = (path: string, tags: ReadonlyArray<string>, size: [number, number] = [1920, 1080], durationSec = 8): Clip => ({
  path,
  kind: "video",
  durationSec,
  width: size[0],
  height: size[1],
  tags
})

/** A labelled library: each subject of the demo script has its clip, plus distractors. */
const library: ReadonlyArray<Clip> = [
  video("lib/gradient-dawn.mp4", ["gradient", "colour"]),
  video("lib/mandelbrot.mp4", ["mandelbrot", "fractal"]),
  video("lib/julia-zoom.mp4", ["fractal", "julia set", "zoom"]),
  video("lib/life-gliders.mp4", ["game of life", "gliders"]),
  video("lib/rule110.mp4", ["rule 110", "elementary cellular automaton"]),
  video("lib/sierpinski.mp4", ["sierpinski triangle"]),
  video("lib/static-noise.mp4", ["noise", "static"]),
  video("lib/chalkboard.mp4", ["mathematics", "equations", "chalkboard"])
]
const portrait = { width: 1080, height: 1920 }
const scene = (index: number, keywords: ReadonlyArray<string>, estimatedSec = 4): SceneQuery => ({ index, keywords, estimatedSec })

describe("shot matching", () => {
  it("gives every scene of the demo script its labelled shot", () => {
    const scenes = planScript(BUNDLED_SCRIPT)
    const picks = rankShots(scenes, library, { frame: portrait, seed: 7 })
    const bySubject = (subject: string) => picks[scenes.findIndex((s) => s.text.includes(subject))]!.clip.path
    expect(bySubject("Mathematics is full")).toBe("lib/chalkboard.mp4")
    expect(bySubject("Mandelbrot set repeats")).toBe("lib/mandelbrot.mp4")
    expect(bySubject("Zoom into its edge")).toBe("lib/julia-zoom.mp4")
    expect(bySubject("Game of Life")).toBe("lib/life-gliders.mp4")
    expect(bySubject("Rule 110")).toBe("lib/rule110.mp4")
    expect(bySubject("Sierpinski")).toBe("lib/sierpinski.mp4")
    expect(picks.map((p) => p.scene)).toEqual(scenes.map((s) => s.index))
  })

  it("reaches a synonym when the scene's own word is not in the library, and says so", () => {
    const [pick] = rankShots([scene(0, ["Mandelbrot"])], [video("a/fractal.mp4", ["fractal"]), video("b/ocean.mp4", ["ocean"])], {
      frame: portrait,
      seed: 1
    })
    expect(pick!.clip.path).toBe("a/fractal.mp4")
    expect(pick!.matched).toEqual([expect.objectContaining({ term: "fractal", synonymOf: "mandelbrot", in: ["tag", "file name"] })])
    expect(pick!.reasons[0]).toContain("\"fractal\" in tag and file name (synonym of \"mandelbrot\")")
  })

  it("optimises the whole assignment: a generic scene does not take the only clip a specific scene has", () => {
    const clips = [video("x/fractal-mandelbrot.mp4", ["fractal", "mandelbrot"]), video("x/fractal-julia.mp4", ["fractal"])]
    const picks = rankShots([scene(0, ["fractal"]), scene(1, ["mandelbrot"])], clips, { frame: portrait, seed: 1 })
    expect(picks.map((p) => p.clip.path)).toEqual(["x/fractal-julia.mp4", "x/fractal-mandelbrot.mp4"])
  })

  it("never reuses a clip while an unused one exists, and spreads reuse evenly", () => {
    const clips = [video("c/one.mp4", ["fractal"]), video("c/two.mp4", ["ocean"]), video("c/three.mp4", ["city"])]
    const scenes = Array.from({ length: 7 }, (_, i) => scene(i, ["fractal"]))
    const picks = rankShots(scenes, clips, { frame: portrait, seed: 3 })
    const uses = new Map<string, number>()
    for (const p of picks) uses.set(p.clip.path, (uses.get(p.clip.path) ?? 0) + 1)
    expect([...uses.values()].sort()).toEqual([2, 2, 3])
    expect(picks.filter((p) => p.round === 1)).toHaveLength(3)
    expect(picks.filter((p) => p.round === 3)).toHaveLength(1)
    expect(picks.find((p) => p.round === 2)!.reasons.join(" ")).toContain("reused (round 2)")

    const fewer = rankShots(scenes.slice(0, 3), clips, { frame: portrait, seed: 3 })
    expect(new Set(fewer.map((p) => p.clip.path)).size).toBe(3)
  })

  it("prefers the clip whose orientation and length fit when the words tie", () => {
    const clips = [
      video("o/landscape.mp4", ["fractal"], [1920, 1080], 10),
      video("o/portrait-short.mp4", ["fractal"], [1080, 1920], 1),
      video("o/portrait.mp4", ["fractal"], [1080, 1920], 10)
    ]
    const [pick] = rankShots([scene(0, ["fractal"], 5)], clips, { frame: portrait, seed: 1 })
    expect(pick!.clip.path).toBe("o/portrait.mp4")
    expect(pick!.score.orientationFit).toBe(1)
    expect(pick!.score.durationFit).toBe(1)
    const [landscapeFrame] = rankShots([scene(0, ["fractal"], 5)], clips, { frame: { width: 1920, height: 1080 }, seed: 1 })
    expect(landscapeFrame!.clip.path).toBe("o/landscape.mp4")
    const short = rankShots([scene(0, ["fractal"], 5)], [clips[1]!], { frame: portrait, seed: 1 })[0]!
    expect(short.score.durationFit).toBeCloseTo(0.2)
    expect(short.reasons.join(" ")).toContain("shorter than the scene's 5.0 s")
  })

  it("is deterministic for a seed, and the seed decides exact ties", () => {
    const identical = Array.from({ length: 6 }, (_, i) => video(`t/abstract-${i}.mp4`, ["abstract"]))
    const scenes = Array.from({ length: 3 }, (_, i) => scene(i, ["abstract"]))
    const run = (seed: number) => rankShots(scenes, identical, { frame: portrait, seed }).map((p) => p.clip.path).join(",")
    expect(run(42)).toBe(run(42))
    const outcomes = new Set(Array.from({ length: 12 }, (_, seed) => run(seed)))
    expect(outcomes.size).toBeGreaterThan(1)
  })

  it("explains every pick: text, orientation, duration, use, total", () => {
    const [pick] = rankShots([scene(0, ["Sierpinski", "triangle"])], library, { frame: portrait, seed: 1 })
    expect(pick!.reasons).toHaveLength(5)
    expect(pick!.reasons[0]).toMatch(/^text \d+\.\d\d: "sierpinski" in tag and file name/)
    expect(pick!.reasons[1]).toContain("landscape 1920x1080 in a portrait 1080x1920 frame keeps 32%")
    expect(pick!.reasons[2]).toContain("covers the scene's 4.0 s")
    expect(pick!.reasons[3]).toBe("first use of this clip")
    expect(pick!.score.total).toBeCloseTo(pick!.score.text + pick!.score.orientationFit + 0.5 * pick!.score.durationFit)
  })

  it.effect("fails with NoFootageError when there is nothing to pick from", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(matchShots([scene(0, ["fractal"])], [], { frame: portrait, seed: 1 }))
      expect(error._tag).toBe("NoFootageError")
      expect(error.message).toContain("procedural sample library")
      const none = yield* matchShots([], library, { frame: portrait, seed: 1 })
      expect(none).toEqual([])
    }))

  it("picks from a library much larger than the video as it always has: ties, cuts and scenes no clip matches", () => {
    // 240 clips, many tied on words, size and length; 30 scenes, a third cut in three, some matching no clip.
    const words = ["fractal", "ocean", "city", "life", "noise", "grid", "forest", "spiral"]
    const big = Array.from({ length: 240 }, (_, i) => ({
      ...video(
        `big/${words[i % 8]}-${words[(i * 3) % 8]}-${i}.mp4`,
        i % 5 === 0 ? [words[(i * 7) % 8]!] : [],
        i % 3 === 0 ? [1080, 1920] : [1920, 1080],
        1 + (i % 4) * 2
      ),
      ...(i % 11 === 0 ? { kind: "image" as const, durationSec: 0 } : {})
    }))
    const scenes = Array.from({ length: 30 }, (_, index) => ({
      ...scene(index, index % 7 === 6 ? ["volcano"] : [words[index % 8]!, words[(index * 5) % 8]!], 3 + (index % 5)),
      ...(index % 3 === 1 ? { shots: [{ start: 0, duration: 1.5 }, { start: 1.5, duration: 1.5 }, { start: 3, duration: 1.5 }] } : {})
    }))
    const picks = rankShots(scenes, big, { frame: portrait, seed: "golden" })
    // What the matcher picked before it learned to scale (one matrix of every scene and clip): the same clips.
    expect(picks.map((p) => /-(\d+)\.mp4$/.exec(p.clip.path)![1]).join(" ")).toBe(
      "120 75 215 155 6 3 180 12 228 15 171 105 205 185 168 35 30 42 18 5 132 138 159 189 210 225 48 96 72 235 198 45 125 145 219 135 90 234 186 165 0 175 95 115 150 126 60 108 84 195"
    )
    expect(new Set(picks.map((p) => p.clip.path)).size).toBe(picks.length)
  })
})
