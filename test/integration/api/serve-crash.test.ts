/**
 * `reelswarm serve` killed with SIGKILL mid-job (its whole process group: ffmpeg and espeak-ng too)
 * and started again on the same state directory: the job it had accepted over HTTP completes, and
 * `<state>/server.json` says where each run listens.
 */
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { serverFile } from "../../../apps/api/server-file.ts"
import { probe } from "../../../media/index.ts"
import { CLI_BUNDLE } from "../../fixtures/cli-bundle.ts"
import { makeLibrary, SCRIPT } from "../agents/library-fixture.ts"
import { until } from "./server-fixture.ts"

let dir: string
const children: Array<ChildProcess> = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reelswarm-serve-crash-"))
})

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL")
  }
  await rm(dir, { recursive: true, force: true })
})

/** `reelswarm serve` on `state` in its own process group; resolves with its URL once server.json names this process. */
const startServe = async (state: string) => {
  const child = spawn(process.execPath, [CLI_BUNDLE, "serve", "--state", state, "--port", "0"], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push(child)
  let output = ""
  child.stdout.on("data", (c) => (output += String(c)))
  child.stderr.on("data", (c) => (output += String(c)))
  const info = await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${output}`)
      return existsSync(serverFile(state))
        ? JSON.parse(await readFile(serverFile(state), "utf8")) as { url: string; pid: number }
        : undefined
    },
    (i) => i !== undefined && i.pid === child.pid
  )
  return { child, url: info!.url, output: () => output }
}

it("resumes a job accepted over HTTP after the server was SIGKILLed mid-job", async () => {
  const state = join(dir, "state")
  const footage = join(dir, "footage")
  await mkdir(footage, { recursive: true })
  await Effect.runPromise(makeLibrary(footage))

  const first = await startServe(state)
  const submitted = await fetch(`${first.url}/api/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      script: [SCRIPT, SCRIPT, SCRIPT].join("\n\n"),
      footage,
      size: "160x284",
      fps: 10,
      captions: "none",
      encoder: "libx264",
      voice: "en",
      seed: "crash"
    })
  })
  expect(submitted.status).toBe(201)
  const { id } = await submitted.json()
  const running = await until(() => fetch(`${first.url}/api/jobs/${id}`).then((r) => r.json()), (j) => j.state !== "queued")
  expect(running.state).toBe("running")

  const exited = new Promise((resolve) => first.child.once("exit", resolve))
  process.kill(-first.child.pid!, "SIGKILL")
  await exited

  const second = await startServe(state)
  const done = await until(
    () => fetch(`${second.url}/api/jobs/${id}`).then((r) => r.json()),
    (j) => j.state === "done" || j.state === "failed"
  )
  expect(done.state, second.output()).toBe("done")
  const video = Buffer.from(await (await fetch(`${second.url}/api/jobs/${id}/video`)).arrayBuffer())
  const saved = join(dir, "resumed.mp4")
  await writeFile(saved, video)
  const info = await Effect.runPromise(probe(saved))
  expect([info.width, info.height]).toEqual([160, 284])
  expect(info.duration).toBeGreaterThan(3)

  // SIGTERM: a graceful close, which removes server.json.
  const closed = new Promise<number | null>((resolve) => second.child.once("exit", (code) => resolve(code)))
  process.kill(second.child.pid!, "SIGTERM")
  await closed
  expect(existsSync(serverFile(state))).toBe(false)
}, 300_000)
