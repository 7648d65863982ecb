/**
 * What the chaos tests share: a seeded random source whose seed is printed (so a failing run can be
 * replayed with REELSWARM_CHAOS_SEED), trial counts that an environment variable may raise but
 * never lower, and the checks every finished video gets (frame count promised by its render plan,
 * no partial file left beside it).
 */
import { Effect } from "effect"
import { readdir } from "node:fs/promises"
import { dirname, join } from "node:path"
import { readPlan } from "../../agents/index.ts"
import { probe } from "../../media/index.ts"

/** mulberry32: small, fast and good enough to pick delays and victims reproducibly. */
export const seededRandom = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    /** An integer in [min, max]. */
    between: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!
  }
}

/** REELSWARM_CHAOS_SEED when given, else a fresh one; printed either way so the run can be replayed. */
export const chaosSeed = (label: string): number => {
  const given = process.env["REELSWARM_CHAOS_SEED"]
  const seed = given !== undefined && given !== "" ? Number(given) : Math.floor(Math.random() * 2 ** 31)
  console.log(`[chaos] ${label}: seed ${seed} (replay with REELSWARM_CHAOS_SEED=${seed})`)
  return seed
}

/** `name` from the environment when it is larger than `minimum`: the counts are a floor. */
export const trialCount = (name: string, minimum: number): number => {
  const raised = Number(process.env[name] ?? "")
  return Number.isInteger(raised) && raised > minimum ? raised : minimum
}

/** ffmpeg's `.<stem>.partial-<pid>-<hex><ext>` and writeFileAtomic's `<file>.<uuid>.tmp`: names only an unfinished write has. */
const UNFINISHED = /\.partial-\d+-[0-9a-f]{8}|\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/

/** Files named like an unfinished write anywhere under `dir`. */
export const partialFiles = (dir: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.promise(async () => {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
    return entries.filter((e) => e.isFile() && UNFINISHED.test(e.name)).map((e) => join(e.parentPath, e.name))
  })

/** What a finished output is checked against: the frames its plan promised, and the frames ffprobe counts in it. */
export const framesOf = (planFile: string, output: string) =>
  Effect.gen(function*() {
    const plan = yield* Effect.orDie(readPlan(planFile))
    const info = yield* Effect.orDie(probe(output, { countFrames: true }))
    return { promised: plan.totalFrames, counted: info.frames, width: info.width, height: info.height, hasAudio: info.hasAudio }
  })

/** The partial files beside `output` and in `workDir`. */
export const leftovers = (output: string, workDir: string) =>
  Effect.map(Effect.all([partialFiles(dirname(output)), partialFiles(workDir)]), ([a, b]) => [...new Set([...a, ...b])])
