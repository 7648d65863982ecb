/**
 * Child process for the process-liveness test: starts two long ffmpeg encodes (real time, ten minutes)
 * through the ProcessRunner, their arguments carrying the marker given as argv[3] and their outputs in
 * the folder argv[2]; prints `encoding` once both report progress, then `watcher <pid>` for its orphan
 * watcher. The parent then SIGKILLs this process's pid alone.
 */
import { Effect } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"

const [dir, marker] = process.argv.slice(2)
if (dir === undefined || marker === undefined) throw new Error("usage: liveness-child.ts <folder> <marker>")

/** This process's children called `name`, from /proc. */
const childrenNamed = (name: string) =>
  readdirSync("/proc").filter((entry) => {
    if (!/^\d+$/.test(entry)) return false
    const stat = /^\d+ \((.*)\) \S (\d+)/.exec((() => {
      try {
        return readFileSync(`/proc/${entry}/stat`, "utf8")
      } catch {
        return ""
      }
    })())
    return stat !== null && stat[1] === name && Number(stat[2]) === process.pid
  })

const encoding = new Set<string>()
const encode = (name: string) =>
  runFfmpeg({
    args: ["-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=600", "-metadata", `comment=${marker}`, "-c:v", "libx264"],
    output: join(dir, name)
  }, {
    onProgress: () => {
      if (encoding.has(name) || encoding.add(name).size !== 2) return
      process.stdout.write("encoding\n")
      process.stdout.write(`watcher ${childrenNamed("sh").join(" ")}\n`)
    }
  })

void Effect.runPromise(Effect.all([encode("first.mp4"), encode("second.mkv")], { concurrency: 2 }))
