/**
 * The procedural sample library: clips drawn by ffmpeg's lavfi sources (Mandelbrot zooms, Conway's
 * Game of Life, elementary cellular automata, Sierpinski fractals, plasma, gradients …), each tagged
 * with what it shows, so the offline demo's footage is on-topic. A clip is either generated inside a
 * render (a timeline's "lavfi" shot names it: `sampleGraph`) or written to a file with a sidecar
 * `<file>.json` (`generateSampleLibrary`). Costly sources (mandelbrot, geq, noise, automata cells) are
 * drawn at a fraction of the size and scaled up. Every graph is deterministic: the sources that take
 * a seed have a fixed one.
 */
import { Effect, Option, Schema } from "effect"
import { join } from "node:path"
import { writeFileAtomic } from "../atomic-file.ts"
import { runFfmpeg } from "../ffmpeg.ts"
import { fileExists, mediaFileSystem } from "../file-system.ts"
import { FootageError } from "./footage-error.ts"

export interface SampleParams {
  readonly width: number
  readonly height: number
  readonly durationSec: number
  readonly fps: number
}

export interface SampleClipSpec {
  readonly name: string
  readonly description: string
  readonly tags: ReadonlyArray<string>
  /** the lavfi graph producing exactly width×height at fps, in yuv420p */
  readonly graph: (p: SampleParams) => string
}

export interface SampleLibraryOptions {
  /** default 1080 */
  readonly width?: number
  /** default 1920 */
  readonly height?: number
  /** default 4 */
  readonly durationSec?: number
  /** default 30 */
  readonly fps?: number
  /** concurrent ffmpeg processes, default 2 */
  readonly concurrency?: number
  /** generate only these clip names */
  readonly only?: ReadonlyArray<string>
}

export interface SampleClip {
  readonly name: string
  readonly file: string
  readonly tags: ReadonlyArray<string>
  readonly description: string
  /** false when the clip was already there from an earlier run */
  readonly generated: boolean
}

/** w×h divided by `factor`, rounded to even numbers (at least 2). */
const reduced = (p: SampleParams, factor: number) =>
  `${Math.max(2, 2 * Math.round(p.width / factor / 2))}x${Math.max(2, 2 * Math.round(p.height / factor / 2))}`
/**
 * Converted to YUV while still small, then scaled up, then subsampled to 4:2:0: no full-size frame is
 * converted from RGB. The same pixels as scaling up in RGB (the same within 56 dB PSNR for bicubic),
 * and 4 to 8 times less CPU for a 1080x1920 clip on its way into an encode.
 */
const upscale = (p: SampleParams, flags: "neighbor" | "bicubic") =>
  `format=yuv444p,scale=${p.width}:${p.height}:flags=${flags},format=yuv420p,setsar=1`
/** The size and rate of a source drawn at the full size (no upscale). */
const fullSize = (p: SampleParams) => `s=${p.width}x${p.height}:r=${p.fps}`
/** automata cells about 1/90 of the short side: big enough to read on a phone */
const cell = (p: SampleParams) => Math.max(1, Math.round(Math.min(p.width, p.height) / 90))

const mandelbrot = (x: number, y: number, startScale: number, endScale: number) => (p: SampleParams) =>
  `mandelbrot=s=${reduced(p, 3)}:r=${p.fps}:maxiter=250:start_x=${x}:start_y=${y}:start_scale=${startScale}:end_scale=${endScale}:end_pts=${
    Math.round(p.durationSec * p.fps)
  },${upscale(p, "bicubic")}`

const life = (rule: string, options: string) => (p: SampleParams) =>
  `life=s=${reduced(p, cell(p))}:r=${p.fps}:rule=${rule}:${options},${upscale(p, "neighbor")}`

const automaton = (rule: number, start: string) => (p: SampleParams) =>
  `cellauto=s=${reduced(p, cell(p))}:r=${p.fps}:rule=${rule}:${start}:full=1:scroll=1,lutrgb=r=val*0.25:g=val*0.8:b=val,${
    upscale(p, "neighbor")
  }`

const geq = (expressions: string) => (p: SampleParams) =>
  `nullsrc=s=${reduced(p, 6)}:r=${p.fps},format=rgb24,geq=${expressions},${upscale(p, "bicubic")}`

const AUTOMATON_TAGS = [
  "cellular automaton",
  "automaton",
  "automata",
  "cells",
  "grid",
  "rule",
  "pattern",
  "emergence",
  "computation",
  "wolfram",
  "simple rules",
  "complexity"
]
const LIFE_TAGS = [
  "game of life",
  "conway",
  "life",
  "cellular automaton",
  "automaton",
  "cells",
  "grid",
  "simulation",
  "emergence",
  "population",
  "birth",
  "death",
  "pattern",
  "simple rules",
  "complexity"
]
const FRACTAL_TAGS = ["fractal", "self-similar", "recursion", "infinite", "geometry", "mathematics", "pattern"]

export const SAMPLE_CLIPS: ReadonlyArray<SampleClipSpec> = [
  {
    name: "mandelbrot-zoom",
    description: "A deep zoom into the Mandelbrot set's seahorse valley",
    tags: [
      "mandelbrot",
      "mandelbrot set",
      "zoom",
      "seahorse valley",
      "spiral",
      "complex numbers",
      "complex plane",
      "boundary",
      "chaos",
      "iteration",
      ...FRACTAL_TAGS
    ],
    graph: mandelbrot(-0.743643887037151, 0.13182590420533, 3, 0.02)
  },
  {
    name: "mandelbrot-overview",
    description: "The whole Mandelbrot set, its cardioid and bulbs, slowly coming closer",
    tags: ["mandelbrot", "mandelbrot set", "cardioid", "bulbs", "overview", "complex plane", "iteration", "chaos", ...FRACTAL_TAGS],
    graph: mandelbrot(-0.65, 0, 3.2, 2.2)
  },
  {
    name: "mandelbrot-spiral",
    description: "A Mandelbrot zoom into a spiral near the top of the set",
    tags: ["mandelbrot", "mandelbrot set", "spiral", "zoom", "chaos", "complex numbers", "iteration", ...FRACTAL_TAGS],
    graph: mandelbrot(-0.10109636384562, 0.95628651080914, 0.5, 0.01)
  },
  {
    name: "life-conway",
    description: "Conway's Game of Life from a random soup: gliders, blinkers and still lifes emerge",
    tags: [...LIFE_TAGS, "gliders", "b3/s23", "random soup", "chaos"],
    graph: life("B3/S23", "ratio=0.3:seed=11:mold=0:life_color=0x7CFC00:death_color=0x081018")
  },
  {
    name: "life-mold",
    description: "The Game of Life leaving a fading trail of mold where cells died",
    tags: [...LIFE_TAGS, "mold", "decay", "trails", "growth", "organic"],
    graph: life("B3/S23", "ratio=0.25:seed=5:mold=12:life_color=0xFFFFFF:death_color=0x000000:mold_color=0x3050A0")
  },
  {
    name: "life-highlife",
    description: "HighLife (B36/S23), a Game of Life variant with self-replicating patterns",
    tags: [...LIFE_TAGS, "highlife", "replicator", "variant", "b36/s23"],
    graph: life("B36/S23", "ratio=0.35:seed=3:mold=4:life_color=0xFFB000:death_color=0x100800:mold_color=0x402000")
  },
  {
    name: "life-seeds",
    description: "Seeds (B2/S), a life-like rule where every cell dies at once and the pattern explodes",
    tags: [...LIFE_TAGS, "seeds", "explosion", "chaos", "b2/s", "growth"],
    graph: life("B2/S", "ratio=0.02:seed=9:mold=20:life_color=0xFF4060:death_color=0x000000:mold_color=0x300010")
  },
  {
    name: "rule-110",
    description: "Elementary cellular automaton rule 110, which is Turing complete, from a random row",
    tags: ["rule 110", "110", "turing complete", "universal computation", "gliders", ...AUTOMATON_TAGS],
    graph: automaton(110, "ratio=0.5:seed=110")
  },
  {
    name: "rule-30",
    description: "Elementary cellular automaton rule 30 from a single cell: chaos from a simple rule",
    tags: ["rule 30", "30", "chaos", "randomness", "random", "triangle", ...AUTOMATON_TAGS],
    graph: automaton(30, "pattern=1")
  },
  {
    name: "rule-90",
    description: "Elementary cellular automaton rule 90 from a single cell draws the Sierpinski triangle",
    tags: ["rule 90", "90", "sierpinski", "sierpinski triangle", "triangle", "xor", "fractal", "self-similar", ...AUTOMATON_TAGS],
    graph: automaton(90, "pattern=1")
  },
  {
    name: "rule-184",
    description: "Elementary cellular automaton rule 184, a model of traffic flow",
    tags: ["rule 184", "184", "traffic", "flow", "particles", ...AUTOMATON_TAGS],
    graph: automaton(184, "ratio=0.45:seed=184")
  },
  {
    name: "rule-150",
    description: "Elementary cellular automaton rule 150 from a single cell: nested triangles",
    tags: ["rule 150", "150", "triangle", "fractal", "xor", ...AUTOMATON_TAGS],
    graph: automaton(150, "pattern=1")
  },
  {
    name: "sierpinski-triangle",
    description: "The Sierpinski triangle, shifting",
    tags: ["sierpinski", "sierpinski triangle", "triangle", "triangles", "chaos game", ...FRACTAL_TAGS],
    graph: (p) => `sierpinski=s=${reduced(p, 2)}:r=${p.fps}:type=triangle:seed=7:jump=1,${upscale(p, "neighbor")}`
  },
  {
    name: "sierpinski-carpet",
    description: "The Sierpinski carpet, a square fractal of holes within holes",
    tags: ["sierpinski", "sierpinski carpet", "carpet", "squares", "holes", ...FRACTAL_TAGS],
    graph: (p) => `sierpinski=s=${reduced(p, 2)}:r=${p.fps}:type=carpet:seed=3:jump=1,${upscale(p, "neighbor")}`
  },
  {
    name: "plasma",
    description: "Flowing plasma of overlapping sine waves in saturated colour",
    tags: ["plasma", "waves", "abstract", "colors", "psychedelic", "flowing", "energy", "background"],
    graph: geq(
      "r='128+127*sin(X/11+T*1.7)*cos(Y/13-T)':g='128+127*sin((X+Y)/17+T*1.3)':b='128+127*cos(hypot(X-W/2,Y-H/2)/9-T*2)'"
    )
  },
  {
    name: "ripples",
    description: "Concentric ripples spreading from the centre, like waves on water",
    tags: ["ripples", "waves", "interference", "circles", "water", "rings", "physics", "oscillation"],
    graph: geq("r='40+40*sin(hypot(X-W/2,Y-H/2)/4-T*6)':g='110+100*sin(hypot(X-W/2,Y-H/2)/4-T*6)':b='200+55*sin(hypot(X-W/2,Y-H/2)/4-T*6)'")
  },
  {
    name: "spiral",
    description: "A rotating multi-armed spiral",
    tags: ["spiral", "vortex", "rotation", "hypnotic", "swirl", "abstract", "pattern"],
    graph: geq(
      "r='128+127*sin(6*atan2(Y-H/2,X-W/2)+hypot(X-W/2,Y-H/2)/6-T*4)':g='128+127*sin(6*atan2(Y-H/2,X-W/2)+hypot(X-W/2,Y-H/2)/6-T*4+2)':b='128+127*sin(6*atan2(Y-H/2,X-W/2)+hypot(X-W/2,Y-H/2)/6-T*4+4)'"
    )
  },
  {
    name: "gradients",
    description: "Soft colour gradients drifting slowly",
    tags: ["gradient", "gradients", "colors", "calm", "soft", "background", "abstract", "smooth"],
    // Every colour given: ffmpeg picks the ones left out at random on each run, whatever the seed.
    graph: (p) =>
      `gradients=s=${reduced(p, 4)}:r=${p.fps}:speed=0.02:seed=4:nb_colors=4:c0=0x2b5876:c1=0x88d8b0:c2=0xf7b267:c3=0x6a4c93,${
        upscale(p, "bicubic")
      }`
  },
  {
    name: "noise",
    description: "Television static: random noise",
    tags: ["noise", "static", "randomness", "random", "chaos", "entropy", "signal", "television"],
    graph: (p) => `color=c=gray:s=${reduced(p, 4)}:r=${p.fps},noise=alls=100:allf=t+u,${upscale(p, "neighbor")}`
  },
  {
    name: "test-pattern",
    description: "A moving television test pattern",
    tags: ["test pattern", "testsrc", "signal", "broadcast", "technology", "colors", "calibration"],
    graph: (p) => `testsrc2=${fullSize(p)},format=yuv420p`
  },
  {
    name: "color-bars",
    description: "SMPTE HD colour bars",
    tags: ["color bars", "smpte", "television", "calibration", "signal", "broadcast"],
    graph: (p) => `smptehdbars=${fullSize(p)},format=yuv420p`
  },
  {
    name: "spectrum",
    description: "A colour spectrum cycling through every hue",
    tags: ["spectrum", "rainbow", "colors", "hue", "light", "gradient"],
    graph: (p) => `colorspectrum=s=${reduced(p, 4)}:r=${p.fps}:type=all,hue=H=2*PI*t/${p.durationSec},${upscale(p, "bicubic")}`
  }
]

const SAMPLE_REF_SCHEME = "sample://"
const nameOfRef = (path: string) => path.startsWith(SAMPLE_REF_SCHEME) ? path.slice(SAMPLE_REF_SCHEME.length) : undefined
const specOfRef = (path: string) => {
  const name = nameOfRef(path)
  return SAMPLE_CLIPS.find((s) => s.name === name)
}

/**
 * How a footage record or a timeline shot names a clip of the catalogue above that is generated where
 * it is used: `sample://<name>` (no indexed file has such a path: a folder's paths never hold "//").
 * Branded, so only a checked reference (decoded, or made by `sampleClipRef`) reaches `sampleGraph`:
 * a lavfi graph is always one of ours, never text from a plan file or a user.
 */
export const SampleClipRef = Schema.String.pipe(
  Schema.filter((path) => specOfRef(path) !== undefined || `"${path}" is not sample://<a clip of the sample library>`),
  Schema.brand("SampleClipRef")
)
export type SampleClipRef = typeof SampleClipRef.Type

/** The reference of sample clip `name` (`sample://<name>`), if the catalogue has it. */
export const sampleClipRef = (name: string): Option.Option<SampleClipRef> => asSampleClipRef(`${SAMPLE_REF_SCHEME}${name}`)

/** The catalogue name a reference names (`sample://plasma` → `plasma`). */
export const sampleClipName = (ref: SampleClipRef): string => ref.slice(SAMPLE_REF_SCHEME.length)

/** `path` as a sample clip reference, if it is one. */
export const asSampleClipRef = (path: string): Option.Option<SampleClipRef> =>
  specOfRef(path) === undefined ? Option.none() : Option.some(SampleClipRef.make(path))

/** Why `p` cannot be drawn (size, length or rate out of range), or undefined when it can. */
export const sampleParamsProblem = (p: SampleParams): string | undefined => {
  const even = (n: number) => Number.isInteger(n) && n >= 16 && n <= 8192 && n % 2 === 0
  if (!even(p.width) || !even(p.height)) return `size ${p.width}x${p.height}: width and height must be even integers 16 … 8192`
  if (!(p.durationSec > 0 && p.durationSec <= 600)) return `duration ${p.durationSec} s is outside (0, 600]`
  if (!(Number.isInteger(p.fps) && p.fps >= 1 && p.fps <= 120)) return `fps ${p.fps} is not an integer 1 … 120`
  return undefined
}

/** The lavfi graph drawing the referenced clip with `params` (pure; check `params` with `sampleParamsProblem`). */
export const sampleGraph = (ref: SampleClipRef, params: SampleParams): string => specOfRef(ref)!.graph(params)

const validate = (p: SampleParams): Effect.Effect<SampleParams, FootageError> => {
  const problem = sampleParamsProblem(p)
  return problem === undefined ? Effect.succeed(p) : Effect.fail(new FootageError({ reason: "invalid-options", message: problem }))
}

const exists = (file: string) =>
  fileExists(file).pipe(
    Effect.mapError((error) => new FootageError({ reason: "io", message: `cannot look for ${file}`, detail: error.message }))
  )

const writeSidecar = (file: string, spec: SampleClipSpec, graph: string) =>
  writeFileAtomic(`${file}.json`, JSON.stringify({ tags: spec.tags, description: spec.description, source: { lavfi: graph } }, null, 1))
    .pipe(
      Effect.mapError((error) => new FootageError({ reason: "io", message: `cannot write ${file}.json`, detail: error.message }))
    )

/**
 * Writes the sample clips into `outDir` as `<name>-<w>x<h>-<d>s-<fps>fps.mp4` (H.264, no audio) plus
 * sidecars. A clip whose video and sidecar already exist is kept (the name carries every parameter).
 */
export const generateSampleLibrary = Effect.fn("footage.sample-library")(function*(outDir: string, options: SampleLibraryOptions = {}) {
  const params = yield* validate({
    width: options.width ?? 1080,
    height: options.height ?? 1920,
    durationSec: options.durationSec ?? 4,
    fps: options.fps ?? 30
  })
  const wanted = options.only === undefined ? SAMPLE_CLIPS : SAMPLE_CLIPS.filter((s) => options.only!.includes(s.name))
  const unknown = (options.only ?? []).filter((name) => !SAMPLE_CLIPS.some((s) => s.name === name))
  if (unknown.length > 0) {
    return yield* new FootageError({ reason: "invalid-options", message: `unknown sample clip(s): ${unknown.join(", ")}` })
  }
  yield* Effect.flatMap(mediaFileSystem, (fs) => fs.makeDirectory(outDir, { recursive: true })).pipe(
    Effect.mapError((error) => new FootageError({ reason: "io", message: `cannot create ${outDir}`, detail: error.message }))
  )
  const suffix = `${params.width}x${params.height}-${params.durationSec}s-${params.fps}fps`
  return yield* Effect.forEach(
    wanted,
    (spec) =>
      Effect.gen(function*() {
        const file = join(outDir, `${spec.name}-${suffix}.mp4`)
        const done = (yield* exists(file)) && (yield* exists(`${file}.json`))
        if (!done) {
          const graph = spec.graph(params)
          yield* runFfmpeg({
            args: [
              "-f",
              "lavfi",
              "-i",
              graph,
              "-t",
              String(params.durationSec),
              "-r",
              String(params.fps),
              "-pix_fmt",
              "yuv420p",
              // ultrafast: these are sources the renderer re-encodes; speed matters more than size here.
              "-c:v",
              "libx264",
              "-preset",
              "ultrafast",
              "-crf",
              "20",
              "-movflags",
              "+faststart",
              "-an"
            ],
            output: file
          }).pipe(
            Effect.mapError(
              (error) =>
                new FootageError({
                  reason: "generate",
                  message: `ffmpeg could not draw sample clip ${spec.name}`,
                  detail: error.stderrTail
                })
            )
          )
          yield* writeSidecar(file, spec, graph)
        }
        const clip: SampleClip = { name: spec.name, file, tags: spec.tags, description: spec.description, generated: !done }
        return clip
      }),
    { concurrency: options.concurrency ?? 2 }
  )
})
