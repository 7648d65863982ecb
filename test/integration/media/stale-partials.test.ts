import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import { readdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { partialSibling, removeStalePartials, writeFileAtomic } from "../../../media/atomic-file.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

/** The pid of a process that has exited (and been reaped): what a killed run's partial names. */
const deadPid = () => spawnSync("true").pid

const touch = (dir: string, names: ReadonlyArray<string>) =>
  Effect.promise(() => Promise.all(names.map((name) => writeFile(join(dir, name), "leftover"))))

const listing = (dir: string) => Effect.promise(() => readdir(dir).then((names) => names.sort()))

describe("stale partial files", () => {
  it.scoped("an encode to an output removes the partials dead runs left beside it, and nothing else", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("partials")
      const dead = deadPid()
      const stale = [`.out.partial-${dead}-0123abcd.mp4`, `.out.partial-${dead}-0123abcd.mp4.0.filtergraph`]
      const kept = [
        // a run in progress (this process) keeps its partial
        `.out.partial-${process.pid}-89abcdef.mp4`,
        // the same dead writer, but another output's partial or another extension
        `.other.partial-${dead}-0123abcd.mp4`,
        `.out.partial-${dead}-0123abcd.mkv`,
        // not a partial's name
        `.out.partial-${dead}-nothex00.mp4`,
        `out.partial-${dead}-0123abcd.mp4`,
        "notes.txt"
      ]
      yield* touch(dir, [...stale, ...kept])

      const output = join(dir, "out.mp4")
      yield* runFfmpeg({
        args: ["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=0.5", "-c:v", "libx264", "-preset", "ultrafast"],
        output
      })

      expect(yield* listing(dir)).toEqual([...kept, "out.mp4"].sort())
      expect((yield* probe(output)).width).toBe(64)
    }))

  it.scoped("removeStalePartials keeps a live writer's partial (another process's too) and says what it removed", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("partials")
      const output = join(dir, "clip [1] 100%.ts")
      const mine = partialSibling(output)
      expect(mine.startsWith(join(dir, `.clip [1] 100%.partial-${process.pid}-`))).toBe(true)
      expect(mine.endsWith(".ts")).toBe(true)
      const dead = `.clip [1] 100%.partial-${deadPid()}-ffff0000.ts`
      // PID 1 is alive (and, run as a user, not ours to signal: EPERM still means alive).
      const other = `.clip [1] 100%.partial-1-ffff0000.ts`
      yield* touch(dir, [dead, other])
      yield* touch(dir, [mine.slice(dir.length + 1)])

      expect(yield* removeStalePartials(output)).toEqual([join(dir, dead)])
      expect(yield* listing(dir)).toEqual([other, mine.slice(dir.length + 1)].sort())
      // A folder that is not there is nothing to clean.
      expect(yield* removeStalePartials(join(dir, "missing", "out.mp4"))).toEqual([])
    }))

  it.scoped("a file written whole or not at all removes the temporary sibling a killed writer left, and no reader takes one for the file", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("partials")
      const dead = deadPid()
      const stale = `.plan.partial-${dead}-0123abcd.json.tmp`
      const live = `.plan.partial-${process.pid}-89abcdef.json.tmp`
      yield* touch(dir, [stale, live])
      yield* writeFileAtomic(join(dir, "plan.json"), "{}")
      expect(yield* listing(dir)).toEqual([live, "plan.json"].sort())
      // Nothing but the finished file ends with its extension: a listing by `.json` finds only it.
      expect((yield* listing(dir)).filter((name) => name.endsWith(".json"))).toEqual(["plan.json"])
    }))
})
