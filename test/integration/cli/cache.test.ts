/**
 * The state directory's bounded cache on real files: narrations, render folders, drawn samples,
 * footage probe caches and analyses are evicted least recently used first (by the uses jobs record
 * in the state's SQLite file, not only by file times), never one a pending job needs, and never
 * anything of the state directory that is not the cache. Through the function, through `reelswarm
 * cache stats|prune`, and around a real job killed mid-way, pruned, and resumed.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs"
import { mkdir, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { ARTIFACT_USES_NAMESPACE, demoSpec, jobId, type JobSpec, recordArtifactUse } from "../../../agents/index.ts"
import { markPending } from "../../../apps/cli/run-job.ts"
import { pruneCache } from "../../../apps/cli/state-cache.ts"
import { withStateMemory } from "../../../apps/cli/state-memory.ts"
import { probe } from "../../../media/probe.ts"
import { SharedMemory } from "../../../memory/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { SCRIPT } from "../agents/library-fixture.ts"
import { footageIn, killGroup, reelswarm, startReelswarm, TINY } from "./cli-fixture.ts"

const tempDir = scopedTempDir("cache")

const SECOND = 1000

/** Writes `bytes` bytes at `file` (its folders made) and dates it `at` (epoch ms). */
const put = (file: string, bytes: number, at: number) =>
  Effect.promise(async () => {
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, Buffer.alloc(bytes, 7))
    utimesSync(file, at / 1000, at / 1000)
  })

/** Dates a folder (after its files were written into it, which moved its time). */
const date = (dir: string, at: number) => Effect.sync(() => utimesSync(dir, at / 1000, at / 1000))

interface PruneDocument {
  readonly maxBytes: number
  readonly totalBytes: number
  readonly freedBytes: number
  readonly remainingBytes: number
  readonly underCap: boolean
  readonly dryRun: boolean
  readonly deleted: ReadonlyArray<{ readonly id: string; readonly kind: string; readonly bytes: number }>
  readonly failed: ReadonlyArray<unknown>
  readonly pinned: { readonly count: number; readonly bytes: number; readonly jobs: ReadonlyArray<string> }
}

interface StatsDocument {
  readonly maxBytes: number
  readonly totalBytes: number
  readonly count: number
  readonly overCap: boolean
  readonly kinds: Record<
    string,
    { readonly count: number; readonly bytes: number; readonly pinned: number; readonly oldestUse: string | null }
  >
  readonly pinned: { readonly count: number; readonly bytes: number; readonly jobs: ReadonlyArray<string> }
}

const cli = <A>(args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) =>
  Effect.map(reelswarm(args, { env }), (o) => {
    expect(o.code, o.stderr).toBe(0)
    return JSON.parse(o.stdout) as A
  })

/** Files under `dir`, relative, sorted. */
const filesUnder = (dir: string) =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile()).sort()

describe("the state directory's cache", () => {
  it.scoped(
    "evicts the least recently used artifact first, never one a pending job needs, and nothing that is not the cache",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const state = join(dir, "state")
        const now = Date.now()
        const ago = (seconds: number) => now - seconds * SECOND

        // A job left pending (its file written as `run` writes it), whose footage is not in the state directory.
        const spec: JobSpec = {
          ...demoSpec({ stateDir: state, outDir: join(dir, "out") }),
          footage: { _tag: "Folder", dir: join(dir, "clips") }
        }
        const pending = jobId(spec)
        yield* markPending(state, spec, "star")

        // One artifact of each kind (10.1 + 10.1 + 20.6 + 8.1 + 0.3 + 1.7 KB = 50,900 bytes).
        const work = join(state, "work")
        yield* put(join(work, "narration-aaa.wav"), 10_000, ago(4000))
        yield* put(join(work, "narration-aaa.json"), 100, ago(4000))
        // The oldest of all, and the pending job's.
        yield* put(join(work, "narration-bbb.wav"), 10_000, ago(5000))
        yield* put(join(work, "narration-bbb.json"), 100, ago(5000))
        // Old files, but a job used it a moment ago.
        const render = join(work, "render-ccc")
        yield* put(join(render, "plan.json"), 500, ago(4500))
        yield* put(join(render, "done.json"), 100, ago(4500))
        yield* put(join(render, "video.part-0.ts"), 20_000, ago(4500))
        yield* date(render, ago(4500))
        const sample = join(state, "samples", "mandelbrot-zoom-180x320-2.5s-15fps.mp4")
        yield* put(sample, 8_000, ago(3000))
        yield* put(`${sample}.json`, 100, ago(3000))
        yield* put(join(state, "footage-index", "0123abcd.json"), 300, ago(2000))
        yield* put(join(state, "analyses", "key1.json"), 700, ago(1000))
        yield* put(join(state, "analyses", "key1", "shot-0.jpg"), 1_000, ago(1000))
        yield* date(join(state, "analyses", "key1"), ago(1000))

        // What the state directory holds besides its cache: never the cache's to delete.
        const keep = [
          "server.json",
          "reelswarm.log",
          "encoder.json",
          "attempts/job-0123456789abcdef",
          "served/job-0123456789abcdef.json",
          "library/footage/beach.mp4",
          "outputs/k1/video.mp4",
          "work/notes.txt",
          "work/.narration-zzz.partial-1-ab.wav.tmp"
        ]
        for (const file of keep) yield* put(join(state, file), 50_000, ago(9000))

        // The uses jobs record (the workflow does this after each stage), at their times, in the state's database.
        yield* withStateMemory(state, { create: true })(
          Effect.gen(function*() {
            yield* TestClock.setTime(ago(5000))
            yield* recordArtifactUse([join(work, "narration-bbb.wav")], pending)
            yield* TestClock.setTime(ago(100))
            yield* recordArtifactUse([join(render, "plan.json")], "job-finished-long-ago")
            yield* recordArtifactUse([join(work, "narration-gone.wav")], "job-finished-long-ago")
            yield* TestClock.setTime(now)
          })
        )
        const cacheFiles = () => filesUnder(state).filter((f) => !keep.includes(f) && !f.startsWith("swarm.db") && !f.startsWith("jobs/"))
        expect(cacheFiles()).toEqual([
          "analyses/key1.json",
          "analyses/key1/shot-0.jpg",
          "footage-index/0123abcd.json",
          "samples/mandelbrot-zoom-180x320-2.5s-15fps.mp4",
          "samples/mandelbrot-zoom-180x320-2.5s-15fps.mp4.json",
          "work/narration-aaa.json",
          "work/narration-aaa.wav",
          "work/narration-bbb.json",
          "work/narration-bbb.wav",
          "work/render-ccc/done.json",
          "work/render-ccc/plan.json",
          "work/render-ccc/video.part-0.ts"
        ])

        // A dry run says what would go and deletes nothing: the least recently used unpinned artifact is enough.
        const dry = yield* withStateMemory(state)(pruneCache(state, 45_000, { dryRun: true }))
        expect(dry.cache.plan.totalBytes).toBe(50_900)
        expect(dry.deleted.map((a) => a.id)).toEqual(["work/narration-aaa"])
        expect(cacheFiles()).toHaveLength(12)

        // Oldest-unused first, stopping once under the cap: the pending job's (older) narration and the
        // render a job used a moment ago (its files older still) are passed over.
        const pruned = yield* withStateMemory(state)(pruneCache(state, 35_000))
        expect(pruned.deleted.map((a) => [a.id, a.kind, a.bytes])).toEqual([
          ["work/narration-aaa", "narration", 10_100],
          ["samples/mandelbrot-zoom-180x320-2.5s-15fps", "sample", 8_100]
        ])
        expect([pruned.remainingBytes, pruned.failed]).toEqual([32_700, []])
        expect([...pruned.cache.pins]).toEqual([["work/narration-bbb", [pending]]])
        expect(cacheFiles()).toEqual([
          "analyses/key1.json",
          "analyses/key1/shot-0.jpg",
          "footage-index/0123abcd.json",
          "work/narration-bbb.json",
          "work/narration-bbb.wav",
          "work/render-ccc/done.json",
          "work/render-ccc/plan.json",
          "work/render-ccc/video.part-0.ts"
        ])
        // The use of a file that is gone is forgotten; those of what is left stay.
        const uses = yield* withStateMemory(state)(
          Effect.flatMap(SharedMemory, (memory) => memory.list(ARTIFACT_USES_NAMESPACE))
        )
        expect(uses.map((u) => u.key.split(" ")[0]).sort()).toEqual(["job-finished-long-ago", pending].sort())

        // The command: stats as JSON, then a prune to nothing, which keeps what the pending job needs.
        const stats = yield* cli<StatsDocument>(["cache", "stats", "--json", "--state", state, "--cache-max", "30KB"])
        expect([stats.totalBytes, stats.maxBytes, stats.count, stats.overCap]).toEqual([32_700, 30_000, 4, true])
        expect(stats.kinds.narration).toMatchObject({ count: 1, bytes: 10_100, pinned: 1 })
        expect(stats.kinds.render).toMatchObject({ count: 1, bytes: 20_600, pinned: 0 })
        expect(stats.kinds.sample).toEqual({ count: 0, bytes: 0, pinned: 0, oldestUse: null, newestUse: null })
        expect(stats.kinds["footage-index"]!.count).toBe(1)
        expect(stats.kinds.analysis).toMatchObject({ count: 1, bytes: 1_700 })
        expect(stats.pinned).toEqual({ count: 1, bytes: 10_100, jobs: [pending] })
        // The default cap, from the config file's cacheMax.
        yield* Effect.promise(() => writeFile(join(dir, "config.json"), JSON.stringify({ cacheMax: "1.5MB" })))
        const configured = yield* cli<StatsDocument>(["cache", "stats", "--json", "--state", state, "--config", join(dir, "config.json")])
        expect(configured.maxBytes).toBe(1_500_000)

        const all = yield* cli<PruneDocument>(["cache", "prune", "--max-size", "0", "--json", "--state", state])
        expect(all.deleted.map((a) => a.id)).toEqual(["footage-index/0123abcd", "analyses/key1", "work/render-ccc"])
        expect([all.totalBytes, all.freedBytes, all.remainingBytes, all.underCap, all.dryRun]).toEqual([
          32_700,
          22_600,
          10_100,
          false,
          false
        ])
        expect(all.pinned).toEqual({ count: 1, bytes: 10_100, jobs: [pending] })
        expect(cacheFiles()).toEqual(["work/narration-bbb.json", "work/narration-bbb.wav"])
        for (const file of keep) expect(existsSync(join(state, file)), file).toBe(true)
        expect(existsSync(join(state, "swarm.db"))).toBe(true)
        expect(existsSync(join(state, "jobs", `${pending}.json`))).toBe(true)

        // Once the job is cancelled nothing needs the narration any more.
        const cancelled = yield* reelswarm(["jobs", "cancel", pending, "--state", state])
        expect(cancelled.code, cancelled.stderr).toBe(0)
        const last = yield* reelswarm(["cache", "prune", "--max-size", "0", "--state", state])
        expect(last.code, last.stderr).toBe(0)
        expect(last.stdout).toContain("deleted work/narration-bbb  (narration, 10.1 KB")
        expect(cacheFiles()).toEqual([])
        for (const file of keep) expect(existsSync(join(state, file)), file).toBe(true)
      })
  )

  it.scoped("a bad size is bad usage naming the value: exit 2, one line", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const flag = yield* reelswarm(["cache", "prune", "--max-size", "2 gigs", "--state", dir])
      expect(flag.code).toBe(2)
      expect(flag.stderr.trim()).toBe(
        `--max-size: expected a size: a number of bytes, or one with KB, MB, GB or TB (e.g. 500MB, 2GB), got "2 gigs"`
      )
      const env = yield* reelswarm(["cache", "stats", "--state", dir], { env: { REELSWARM_CACHE_MAX: "lots" } })
      expect(env.code).toBe(2)
      expect(env.stderr.trim()).toMatch(/^REELSWARM_CACHE_MAX: expected a size: .*, got "lots"$/)
      const run = yield* reelswarm(["run", "--footage", dir, "--out", join(dir, "x.mp4"), "--state", dir, "--cache-max", "12 parsecs"], {
        stdin: SCRIPT
      })
      expect(run.code).toBe(2)
      expect(run.stderr.trim()).toMatch(/^--cache-max: expected a size: .*, got "12 parsecs"$/)
    }))

  it.scoped(
    "a job killed mid-way keeps its narration and render through a prune to nothing, resumes, and then evicts the oldest",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const footage = yield* footageIn(dir)
        const state = join(dir, "state")
        const out = join(dir, "talk.mp4")
        const old = Date.now() - 7 * 86_400 * SECOND
        // Left by some earlier job a week ago.
        yield* put(join(state, "work", "narration-0ld.wav"), 40_000, old)
        yield* put(join(state, "work", "narration-0ld.json"), 100, old)

        const footageFiles = filesUnder(footage)
        const killed = yield* startReelswarm(["run", "--footage", footage, "--out", out, ...TINY, "--state", state], /plan: done/, {
          stdin: SCRIPT
        })
        killGroup(killed.child)
        yield* killed.exit
        const narrations = () => readdirSync(join(state, "work")).filter((n) => n.startsWith("narration-") && !n.includes("0ld"))
        const renders = () => readdirSync(join(state, "work")).filter((n) => n.startsWith("render-"))
        expect(narrations().sort()).toEqual([expect.stringMatching(/\.json$/), expect.stringMatching(/\.wav$/)])
        expect(renders()).toHaveLength(1)

        const pruned = yield* cli<PruneDocument>(["cache", "prune", "--max-size", "0", "--json", "--state", state])
        expect(pruned.deleted.map((a) => a.id)).toEqual(["work/narration-0ld"])
        expect(pruned.pinned.jobs).toHaveLength(1)
        expect(pruned.pinned.count).toBeGreaterThanOrEqual(2)
        expect(pruned.underCap).toBe(false)
        expect(narrations()).toHaveLength(2)
        expect(renders()).toHaveLength(1)

        // Another old artifact, then the resume with a cap just under what the cache holds: once the job is
        // done, the oldest unused artifact goes (the week-old sample), and the job's own stay.
        yield* put(join(state, "samples", "gradient-180x320-2s-15fps.mp4"), 4_000_000, old)
        const before = yield* cli<StatsDocument>(["cache", "stats", "--json", "--state", state])
        const resumed = yield* reelswarm(["resume", "--state", state, "--cache-max", String(before.totalBytes - 2_000_000)])
        expect(resumed.code, resumed.stderr).toBe(0)
        const media = yield* probe(out)
        expect([media.width, media.height]).toEqual([180, 320])
        expect(existsSync(join(state, "samples", "gradient-180x320-2s-15fps.mp4"))).toBe(false)
        expect(narrations()).toHaveLength(2)
        expect(renders()).toHaveLength(1)

        // The job is over: nothing is pinned, and a prune to nothing leaves the video, its report and the state's own files.
        const after = yield* cli<PruneDocument>(["cache", "prune", "--max-size", "0", "--json", "--state", state])
        expect(after.pinned.count).toBe(0)
        expect(after.underCap).toBe(true)
        expect(after.deleted.map((a) => a.kind).sort()).toEqual(["footage-index", "narration", "render"])
        expect([narrations(), renders()]).toEqual([[], []])
        expect(existsSync(out) && existsSync(join(dir, "talk.json"))).toBe(true)
        expect(existsSync(join(state, "swarm.db"))).toBe(true)
        expect(filesUnder(footage)).toEqual(footageFiles)
      })
  )
})
