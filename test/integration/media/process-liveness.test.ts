import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Schedule } from "effect"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { readdir, readFile, readlink } from "node:fs/promises"
import { join } from "node:path"
import { removeStalePartials } from "../../../media/atomic-file.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const child = join(import.meta.dirname, "liveness-child.ts")

const numbered = (names: ReadonlyArray<string>) => names.filter((name) => /^\d+$/.test(name))

/** Living processes (zombies are dead) whose command line contains `marker`, as "<name> <pid>". */
const processesWith = (marker: string) =>
  Effect.promise(async () => {
    const found: Array<string> = []
    for (const pid of numbered(await readdir("/proc"))) {
      const stat = /^\d+ \((.*)\) (\S)/.exec(await readFile(`/proc/${pid}/stat`, "utf8").catch(() => ""))
      if (stat === null || stat[2] === "Z") continue
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")
      if (cmdline.includes(marker)) found.push(`${stat[1]} ${pid}`)
    }
    return found
  })

const alive = (pid: number) =>
  Effect.promise(() => readFile(`/proc/${pid}/stat`, "utf8").then((stat) => !/^\d+ \(.*\) Z/.test(stat), () => false))

/** Processes holding a file under `dir` open (from /proc/<pid>/fd). */
const writersIn = (dir: string) =>
  Effect.promise(async () => {
    const found: Array<number> = []
    for (const pid of numbered(await readdir("/proc"))) {
      const fds = await readdir(`/proc/${pid}/fd`).catch((): Array<string> => [])
      const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => "")))
      if (targets.some((target) => target.startsWith(dir + "/"))) found.push(Number(pid))
    }
    return found
  })

/** Polls every 100 ms until `check` holds; fails after a minute (a hang guard, not a timing claim). */
const eventually = (check: Effect.Effect<boolean>, what: string) =>
  check.pipe(
    Effect.filterOrFail((ok) => ok, () => new Error(`${what} did not happen within a minute`)),
    Effect.retry({ schedule: Schedule.spaced(Duration.millis(100)), times: 600 })
  )

describe("process liveness", () => {
  it.scopedLive(
    "SIGKILL of the node pid alone during two encodes leaves no ffmpeg, no writer and no watcher; the next run clears the partials",
    () =>
      Effect.gen(function*() {
        const dir = yield* scopedTempDir("liveness")
        const marker = `reelswarm-liveness-${randomBytes(6).toString("hex")}`
        // Whatever happens below, nothing of this test outlives it.
        yield* Effect.addFinalizer(() =>
          Effect.flatMap(processesWith(marker), (pids) =>
            Effect.sync(() =>
              pids.forEach((found) => {
                try {
                  process.kill(Number(found.split(" ")[1]), "SIGKILL")
                } catch {
                  // gone already
                }
              })
            ))
        )
        const encoding = yield* Deferred.make<ReadonlyArray<number>>()
        let stderr = ""
        const node = spawn(process.execPath, ["--import", "tsx", child, dir, marker], { stdio: ["ignore", "pipe", "pipe"] })
        node.stdout.on("data", (chunk: Buffer) => {
          const watcher = /watcher ([\d ]*)\n/.exec(chunk.toString())
          if (watcher !== null) Deferred.unsafeDone(encoding, Effect.succeed(watcher[1]!.split(" ").filter((p) => p !== "").map(Number)))
        })
        node.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
        const exited = Effect.async<NodeJS.Signals | number | null>((resume) => {
          if (node.exitCode !== null || node.signalCode !== null) resume(Effect.succeed(node.signalCode ?? node.exitCode))
          else node.once("exit", (code, signal) => resume(Effect.succeed(signal ?? code)))
        })

        const watchers = yield* Deferred.await(encoding).pipe(
          Effect.timeoutFail({ duration: Duration.minutes(1), onTimeout: () => new Error(`the encodes did not start: ${stderr}`) })
        )
        expect(watchers).toHaveLength(1)
        // The node process's own arguments carry the marker too.
        expect((yield* processesWith(marker)).map((found) => found.split(" ")[0]).sort()).toEqual(["ffmpeg", "ffmpeg", "node"])
        const partials = (yield* Effect.promise(() => readdir(dir))).sort()
        expect(partials).toEqual([
          expect.stringMatching(new RegExp(`^\\.first\\.partial-${node.pid}-[0-9a-f]{8}\\.mp4$`)),
          expect.stringMatching(new RegExp(`^\\.second\\.partial-${node.pid}-[0-9a-f]{8}\\.mkv$`))
        ])

        process.kill(node.pid!, "SIGKILL")
        expect(yield* exited).toBe("SIGKILL")

        yield* eventually(Effect.map(processesWith(marker), (pids) => pids.length === 0), "every ffmpeg's death")
        yield* eventually(Effect.map(alive(watchers[0]!), (running) => !running), "the watcher's exit")
        expect(yield* writersIn(dir)).toEqual([])
        // The files stay where they were (nothing writes them now) until the next run clears them.
        expect((yield* Effect.promise(() => readdir(dir))).sort()).toEqual(partials)
        expect(yield* removeStalePartials(join(dir, "first.mp4"))).toEqual([join(dir, partials[0]!)])
        expect(yield* removeStalePartials(join(dir, "second.mkv"))).toEqual([join(dir, partials[1]!)])
        expect(yield* Effect.promise(() => readdir(dir))).toEqual([])
      }),
    120_000
  )
})
