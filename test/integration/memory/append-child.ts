/**
 * Child process for the crash-safety test: appends events from three concurrent writers to the file
 * given as argv[2], forever, and prints `ack <id> <writer>:<seq>` for each event once its append has
 * returned. The parent kills it with SIGKILL at a moment of its choosing.
 */
import { Effect } from "effect"
import { EventLog, memoryLayer } from "../../../memory/index.ts"

const filename = process.argv[2]
if (filename === undefined) throw new Error("usage: append-child.ts <database file>")

const writer = (name: string) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    let seq = 0
    while (true) {
      const size = 1 + (seq % 17)
      const events = Array.from({ length: size }, () => ({ type: "metric", agent: name, data: { writer: name, seq: seq++ } }))
      const stored = yield* log.append(events)
      // Pipes are written synchronously on Linux: a printed ack has left this process.
      process.stdout.write(stored.map((e) => `ack ${e.id} ${name}:${String(e.data!["seq"])}\n`).join(""))
    }
  })

void Effect.gen(function*() {
  process.stdout.write("ready\n")
  yield* Effect.all([writer("w1"), writer("w2"), writer("w3")], { concurrency: "unbounded" })
}).pipe(Effect.provide(memoryLayer({ filename })), Effect.runPromise)
