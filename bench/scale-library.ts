/**
 * Footage library at scale: 10,000 small clips, indexed and matched through the APIs the production
 * workflow uses (`indexFolder` for its "footage" stage, `matchShots` for the shot-matcher's answer in
 * its "shots" stage).
 *
 *   index_10k_s          first index of the library with an empty cache folder: every file read (headers in-process where understood, else ffprobe)
 *   reindex_10k_s        the same folder again, nothing changed: walk + stat + cache (fastest of REINDEX_ROUNDS)
 *   match_100_scenes_ms  100 scenes (keywords, lengths, some cut into shots) against the 10,000 clips (fastest of MATCH_ROUNDS)
 *
 * Beside the wall times: this process's CPU time for each run (*_cpu_*: far less disturbed by other work
 * on a shared machine; for the first index it leaves out ffprobe's own), and the load average.
 *
 * The library is made once under .reelswarm/bench/scale/library/ and kept between runs: a handful of
 * tiny distinct lavfi clips and stills (portrait, landscape, square; 1 to 6 s), hard-linked under
 * 10,000 tag-bearing names in 20 folders, one in ten with a sidecar `<file>.json`. Hard links cost
 * no disk, and the index does not know them for the same file: each is probed as its own clip.
 * Prints one JSON object when run directly (`npx tsx bench/scale-library.ts`).
 */
import { Duration, Effect } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { link, mkdir, rm, writeFile } from "node:fs/promises"
import { availableParallelism, loadavg } from "node:os"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { clipOfFootage, type MatchOptions, matchShots } from "../agents/index.ts"
import { defaultIndexConcurrency, indexFolder, runFfmpeg } from "../media/index.ts"

const CLIPS = 10_000
const FOLDERS = 20
const SCENES = 100
const REINDEX_ROUNDS = Math.max(1, Number(process.env["BENCH_REINDEX_ROUNDS"] ?? 3))
const MATCH_ROUNDS = Math.max(1, Number(process.env["BENCH_MATCH_ROUNDS"] ?? 3))
/** Bumped when the library's recipe changes, so an older library is made again. */
const LIBRARY_VERSION = "1"

/** The few real media files every name links to: distinct sizes, lengths and sources. */
const SOURCES: ReadonlyArray<{ readonly name: string; readonly args: ReadonlyArray<string> }> = [
  { name: "mandelbrot-portrait.mp4", args: lavfi("mandelbrot=size=36x64:rate=10", 4) },
  { name: "life-landscape.mp4", args: lavfi("life=size=64x36:rate=10:mold=10:ratio=0.1", 6) },
  { name: "cellauto-square.mp4", args: lavfi("cellauto=size=48x48:rate=10:rule=110", 2) },
  { name: "testsrc-landscape.mp4", args: lavfi("testsrc2=size=64x36:rate=10", 1) },
  { name: "gradients-portrait.mp4", args: lavfi("gradients=size=36x64:rate=10:speed=0.05", 3) },
  { name: "sierpinski-portrait.mkv", args: lavfi("sierpinski=size=36x64:rate=10", 5) },
  { name: "smpte-square.webm", args: ["-f", "lavfi", "-i", "smptebars=size=48x48:rate=10", "-t", "2", "-c:v", "libvpx", "-b:v", "50k"] },
  { name: "noise-still.png", args: ["-f", "lavfi", "-i", "nullsrc=size=64x36,geq=random(1)*255:128:128", "-frames:v", "1"] },
  { name: "stars-still.jpg", args: ["-f", "lavfi", "-i", "testsrc=size=36x64", "-frames:v", "1"] }
]

function lavfi(graph: string, seconds: number): ReadonlyArray<string> {
  return ["-f", "lavfi", "-i", graph, "-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
}

/** Words for names, sidecars and scenes: footage subjects, the sample library's, and a few no clip has. */
const SUBJECTS = [
  "ocean",
  "wave",
  "beach",
  "sunset",
  "sunrise",
  "forest",
  "tree",
  "mountain",
  "river",
  "lake",
  "desert",
  "snow",
  "city",
  "street",
  "skyline",
  "traffic",
  "night",
  "neon",
  "crowd",
  "market",
  "train",
  "bridge",
  "harbour",
  "airport",
  "mandelbrot",
  "fractal",
  "julia",
  "spiral",
  "sierpinski",
  "triangle",
  "life",
  "glider",
  "automaton",
  "grid",
  "gradient",
  "colour",
  "noise",
  "static",
  "galaxy",
  "nebula",
  "star",
  "planet",
  "moon",
  "cloud",
  "storm",
  "rain",
  "coffee",
  "kitchen",
  "office",
  "laptop",
  "code",
  "keyboard",
  "chalkboard",
  "equation",
  "robot",
  "factory",
  "garden",
  "flower"
]
const ABSENT = ["volcano", "penguin", "violin", "cathedral", "submarine", "tornado"]
const STYLES = ["aerial", "closeUp", "slowMotion", "timelapse", "handheld", "drone", "macro", "wide"]

/** mulberry32: a small seeded generator, so the library and the scenes are the same on every run. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = <A>(next: () => number, items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!

interface LibraryFile {
  readonly path: string
  readonly source: string
  readonly sidecar?: { readonly tags: ReadonlyArray<string>; readonly description: string }
}

const libraryFiles = (library: string): ReadonlyArray<LibraryFile> => {
  const next = random(13)
  return Array.from({ length: CLIPS }, (_, i) => {
    const source = pick(next, SOURCES).name
    const ext = source.slice(source.lastIndexOf("."))
    const words = [pick(next, SUBJECTS), pick(next, SUBJECTS), pick(next, STYLES)]
    const name = `${words[0]}-${words[1]}_${words[2]}-${String(i).padStart(5, "0")}${ext}`
    const path = join(library, `set-${String(i % FOLDERS).padStart(2, "0")}`, name)
    if (i % 10 !== 3) return { path, source }
    const tags = [pick(next, SUBJECTS), pick(next, SUBJECTS)]
    return { path, source, sidecar: { tags, description: `${tags.join(" and ")} footage, take ${i}` } }
  })
}

/** Makes the library unless the one on disk is complete and of this recipe. */
const ensureLibrary = (root: string) =>
  Effect.gen(function*() {
    const library = join(root, "library")
    const sources = join(root, "library-sources")
    const ready = join(root, "library.ready")
    const stamp = `${LIBRARY_VERSION} ${CLIPS}`
    const files = libraryFiles(library)
    if (existsSync(ready) && readFileSync(ready, "utf8") === stamp) return files
    yield* Effect.promise(() => rm(ready, { force: true }))
    yield* Effect.promise(() => rm(library, { recursive: true, force: true }))
    yield* Effect.promise(() => mkdir(sources, { recursive: true }))
    yield* Effect.forEach(
      SOURCES.filter((s) => !existsSync(join(sources, s.name))),
      (s) => runFfmpeg({ args: s.args, output: join(sources, s.name) }),
      { concurrency: 2, discard: true }
    )
    for (let f = 0; f < FOLDERS; f++) {
      yield* Effect.promise(() => mkdir(join(library, `set-${String(f).padStart(2, "0")}`), { recursive: true }))
    }
    yield* Effect.forEach(
      files,
      (file) =>
        Effect.promise(async () => {
          await link(join(sources, file.source), file.path)
          if (file.sidecar !== undefined) await writeFile(`${file.path}.json`, JSON.stringify(file.sidecar))
        }),
      { concurrency: 32, discard: true }
    )
    yield* Effect.promise(() => writeFile(ready, stamp))
    return files
  })

/** 100 scenes: two to four keywords each (now and then a word no clip has), 2 to 12 s, one in four cut into shots. */
const benchScenes = () => {
  const next = random(101)
  return Array.from({ length: SCENES }, (_, index) => {
    const keywords = Array.from({ length: 2 + Math.floor(next() * 3) }, () => (next() < 0.1 ? pick(next, ABSENT) : pick(next, SUBJECTS)))
    const estimatedSec = Math.round((2 + next() * 10) * 100) / 100
    if (index % 4 !== 1) return { index, keywords, estimatedSec }
    const cuts = 2 + Math.floor(next() * 2)
    const duration = Math.round((estimatedSec / cuts) * 1000) / 1000
    return { index, keywords, estimatedSec, shots: Array.from({ length: cuts }, (_, i) => ({ start: i * duration, duration })) }
  })
}

/** Wall seconds and this process's CPU seconds (user + system; ffprobe's own time is not in it) of an effect. */
const seconds = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const cpu = process.cpuUsage()
    return Effect.map(Effect.timed(effect), ([duration, value]) => {
      const used = process.cpuUsage(cpu)
      return [Duration.toSeconds(duration), value, (used.user + used.system) / 1e6] as const
    })
  })

/** The figures, with the library, its sources and the cache folder under `workDir` (bench/scale.ts runs it with none). */
export const libraryFigures = (workDir: string = resolve(".reelswarm/bench/scale")) =>
  Effect.gen(function*() {
    const files = yield* ensureLibrary(workDir)
    const library = join(workDir, "library")
    const cacheDir = join(workDir, "library-cache")
    // BENCH_REUSE_CACHE=1 keeps the last run's cache (for working on the reindex and the matcher): no first index then.
    const fresh = process.env["BENCH_REUSE_CACHE"] !== "1"
    if (fresh) yield* Effect.promise(() => rm(cacheDir, { recursive: true, force: true }))
    const loadBefore = loadavg()[0]!

    const [indexSec, first, indexCpu] = yield* seconds(indexFolder(library, { cacheDir }))
    const reindexRuns: Array<number> = []
    const reindexCpu: Array<number> = []
    let again = first
    for (let round = 0; round < REINDEX_ROUNDS; round++) {
      const [sec, index, cpu] = yield* seconds(indexFolder(library, { cacheDir }))
      reindexRuns.push(sec)
      reindexCpu.push(cpu)
      again = index
    }

    // What the production's "footage" stage hands the shot-matcher.
    const clips = first.clips.map(clipOfFootage)
    const scenes = benchScenes()
    const options: MatchOptions = { frame: { width: 1080, height: 1920 }, seed: "scale-bench" }
    const matchRuns: Array<number> = []
    const matchCpu: Array<number> = []
    let picks = 0
    for (let round = 0; round < MATCH_ROUNDS; round++) {
      const [sec, result, cpu] = yield* seconds(matchShots(scenes, clips, options))
      matchRuns.push(sec * 1000)
      matchCpu.push(cpu * 1000)
      picks = result.length
    }

    const round3 = (x: number) => Math.round(x * 1000) / 1000
    return {
      index_10k_s: fresh ? round3(indexSec) : null,
      reindex_10k_s: round3(Math.min(...reindexRuns)),
      match_100_scenes_ms: round3(Math.min(...matchRuns)),
      clips: first.clips.length,
      files: files.length,
      sidecars: files.filter((f) => f.sidecar !== undefined).length,
      probed: first.probed,
      /** of those, the files ffprobe read (the rest were read from their headers in-process) */
      ffprobed: first.ffprobed,
      warnings: first.warnings.length,
      reindex_cached: again.cached,
      reindex_probed: again.probed,
      index_node_cpu_s: fresh ? round3(indexCpu) : null,
      reindex_runs_s: reindexRuns.map(round3),
      reindex_cpu_s: reindexCpu.map(round3),
      match_runs_ms: matchRuns.map(round3),
      match_cpu_ms: matchCpu.map(round3),
      scenes: scenes.length,
      picks,
      index_clips_per_s: fresh ? Math.round(first.probed / indexSec) : null,
      ffprobe_concurrency: defaultIndexConcurrency,
      cores: availableParallelism(),
      load_1m_before: round3(loadBefore),
      load_1m_after: round3(loadavg()[0]!)
    }
  })

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  Effect.runPromise(libraryFigures()).then(
    (figures) => console.log(JSON.stringify(figures)),
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
