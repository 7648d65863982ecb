import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Duration, Effect, Option, Stream } from "effect"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { EventLog, memoryLayer, SharedMemory } from "../../../memory/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const child = join(import.meta.dirname, "append-child.ts")

const tempDatabase = scopedTempDir("crash").pipe(Effect.map((dir) => join(dir, "swarm.db")))

/**
 * Starts the appending child in its own process group (so SIGKILL reaches the script, not a wrapper);
 * `acks` maps each acknowledged event id to "writer:seq"; the group is killed when the scope closes.
 */
const startAppender = (filename: string) =>
  Effect.gen(function*() {
    const acks = new Map<number, string>()
    const ready = yield* Deferred.make<void>()
    const exited = yield* Deferred.make<NodeJS.Signals | number | null>()
    const proc = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, ["--import", "tsx", child, filename], { detached: true, stdio: ["ignore", "pipe", "pipe"] })
      ),
      (p) => Effect.sync(() => p.exitCode === null && p.signalCode === null && process.kill(-p.pid!, "SIGKILL"))
    )
    let partial = ""
    let stderr = ""
    proc.stdout.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n")
      partial = lines.pop()!
      for (const line of lines) {
        if (line === "ready") Deferred.unsafeDone(ready, Effect.void)
        const [tag, id, what] = line.split(" ")
        if (tag === "ack") acks.set(Number(id), what!)
      }
    })
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    proc.on("exit", (code, signal) => Deferred.unsafeDone(exited, Effect.succeed(signal ?? code)))
    const waitForAcks = (n: number) =>
      Effect.gen(function*() {
        while (acks.size < n) yield* Effect.sleep(Duration.millis(20))
      })
    return { proc, acks, ready: Deferred.await(ready), exited: Deferred.await(exited), stderr: () => stderr, waitForAcks }
  })

describe("event log crash safety", () => {
  it.live(
    "every append that returned is in the file after the appending process is SIGKILLed mid-stream, and a second process shares the file meanwhile",
    () =>
      Effect.gen(function*() {
        const filename = yield* tempDatabase
        const appender = yield* startAppender(filename)
        yield* appender.ready.pipe(
          Effect.timeoutFail({ duration: Duration.seconds(30), onTimeout: () => new Error(`child did not start: ${appender.stderr()}`) })
        )

        // This process opens the same file while the child writes: memory and a live tail both work.
        yield* Effect.gen(function*() {
          const memory = yield* SharedMemory
          const log = yield* EventLog
          yield* memory.set("console", "viewer", { pid: process.pid })
          expect(Option.getOrNull(yield* memory.get("console", "viewer"))).toEqual({ pid: process.pid })
          const tailed = yield* log.tail().pipe(Stream.take(500), Stream.runCollect)
          expect(Chunk.toReadonlyArray(tailed).map((e) => e.id)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1))
        }).pipe(Effect.provide(memoryLayer({ filename, pollInterval: Duration.millis(20) })))

        yield* appender.waitForAcks(3_000).pipe(Effect.timeout(Duration.seconds(60)))
        process.kill(-appender.proc.pid!, "SIGKILL")
        expect(yield* appender.exited).toBe("SIGKILL")
        const acknowledged = new Map(appender.acks)
        expect(acknowledged.size).toBeGreaterThanOrEqual(3_000)

        const stored = yield* Effect.gen(function*() {
          const log = yield* EventLog
          const found = new Map<number, string>()
          let after = 0
          while (true) {
            const page = yield* log.query({ after, limit: 10_000 })
            for (const e of page.events) found.set(e.id, `${String(e.data!["writer"])}:${String(e.data!["seq"])}`)
            if (page.next === undefined) return found
            after = page.next
          }
        }).pipe(Effect.provide(memoryLayer({ filename })))

        const missing = [...acknowledged].filter(([id, what]) => stored.get(id) !== what)
        expect(missing).toEqual([])
        // Each writer's events are stored in its own order without holes, up to where it was killed.
        for (const writer of ["w1", "w2", "w3"]) {
          const seqs = [...stored.values()].filter((w) => w.startsWith(`${writer}:`)).map((w) => Number(w.split(":")[1]))
          expect(seqs).toEqual(seqs.map((_, i) => i))
        }
      }).pipe(Effect.scoped),
    120_000
  )
})
