/**
 * `reelswarm serve`'s HTTP API as a client sees it: a real server on 127.0.0.1 over the real job host
 * (temp state, SQLite, espeak-ng, ffmpeg). One tiny job (160x284, 10 fps, no captions) is made and
 * fetched whole and by range; uploads are checked by probing; bad bodies name their fields.
 */
import { Effect } from "effect"
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hostDirs } from "../../../apps/host/contract.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/index.ts"
import { LIBRARY, makeLibrary, SCRIPT } from "../agents/library-fixture.ts"
import { openApiProblems } from "./openapi-check.ts"
import { openServer, rawGet, type TestServer, until, upgrade } from "./server-fixture.ts"

const MAX_UPLOAD = 2 * 1024 * 1024

let dir: string
let state: string
let clips: string
let server: TestServer

const api = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init)
const post = (path: string, body: unknown) =>
  api(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } })
const upload = (path: string, bytes: Uint8Array) =>
  api(path, { method: "POST", body: new Uint8Array(bytes), headers: { "content-type": "application/octet-stream" } })

const tinyJob = {
  script: SCRIPT,
  size: "160x284",
  fps: 10,
  captions: "none",
  encoder: "libx264",
  voice: "en",
  seed: "api"
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reelswarm-api-"))
  state = join(dir, "state")
  clips = join(dir, "clips")
  await mkdir(clips, { recursive: true })
  await Effect.runPromise(makeLibrary(clips))
  await Effect.runPromise(
    runFfmpeg({ args: ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libmp3lame"], output: join(clips, "tone.mp3") })
  )
  server = await openServer(state, { maxUploadBytes: MAX_UPLOAD })
}, 120_000)

afterAll(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})

describe("the HTTP API", () => {
  it("serves an OpenAPI 3 document whose every path has operations and responses and every $ref resolves, and an offline docs page", async () => {
    const doc = await (await api("/openapi.json")).json()
    expect(openApiProblems(doc)).toEqual([])
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      "/api/jobs",
      "/api/jobs/{id}",
      "/api/jobs/{id}/video",
      "/api/footage",
      "/api/music",
      "/api/health",
      "/api/metrics",
      "/api/v1/videos",
      "/api/v1/tasks/{task_id}"
    ]))
    const docs = await api("/docs")
    expect(docs.status).toBe(200)
    const html = await docs.text()
    expect(html).toContain("swagger")
    // Nothing is loaded from elsewhere: no external scripts or stylesheets.
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/i)
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/i)
  })

  it("answers a bad job request with 400 naming each bad field, a non-JSON body with 400, and an oversized one with 413", async () => {
    const bad = await post("/api/jobs", { script: "x", fps: "fast", aspect: "4:3", bogus: 1 })
    expect(bad.status).toBe(400)
    const body = await bad.json()
    expect(body.fields.map((f: { path: string }) => f.path).sort()).toEqual(["aspect", "bogus", "fps"])
    expect(body.fields.every((f: { message: string }) => f.message.length > 0)).toBe(true)

    const notJson = await api("/api/jobs", { method: "POST", body: "{nope", headers: { "content-type": "application/json" } })
    expect(notJson.status).toBe(400)

    const huge = await api("/api/jobs", {
      method: "POST",
      body: "x".repeat(2 * 1024 * 1024),
      headers: { "content-type": "application/json" }
    })
    expect(huge.status).toBe(413)
    // A JSON body without Content-Length (chunked) is asked for its length.
    const chunk = new TextEncoder().encode(`"${"x".repeat(1024)}`)
    const chunked = await api("/api/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start: (controller) => {
          controller.enqueue(chunk)
          controller.close()
        }
      }),
      duplex: "half"
    } as RequestInit)
    expect(chunked.status).toBe(411)

    const badQuery = await api("/api/jobs?limit=lots")
    expect(badQuery.status).toBe(400)
    expect((await badQuery.json()).fields.map((f: { path: string }) => f.path)).toEqual(["limit"])

    const missing = await api("/api/jobs/no-such-job")
    expect(missing.status).toBe(404)
    expect((await missing.json()).error).toContain("no-such-job")
  })

  it("takes footage and music uploads only when ffprobe finds the right media, never overwrites, and refuses unsafe names", async () => {
    const clip = await readFile(join(clips, LIBRARY[0].name))
    const first = await upload(`/api/footage?name=${LIBRARY[0].name}`, clip)
    expect(first.status).toBe(201)
    expect(await first.json()).toMatchObject({ name: LIBRARY[0].name, size: clip.byteLength, kind: "video" })
    expect((await readFile(join(hostDirs(state).footage, LIBRARY[0].name))).equals(clip)).toBe(true)

    expect((await upload(`/api/footage?name=${LIBRARY[0].name}`, clip)).status).toBe(409)

    // Multipart, the second clip under its own file name.
    const form = new FormData()
    form.append("file", new Blob([await readFile(join(clips, LIBRARY[1].name))]), LIBRARY[1].name)
    const multipart = await api("/api/footage", { method: "POST", body: form })
    expect(multipart.status).toBe(201)

    const fake = await upload("/api/footage?name=fake.mp4", new TextEncoder().encode("this is not a video, whatever its name says\n"))
    expect(fake.status).toBe(415)
    expect((await fake.json()).error).toContain("fake.mp4")

    for (const name of ["../escape.mp4", "a%2Fb.mp4", "a%5Cb.mp4", ".hidden.mp4", "nul%00.mp4"]) {
      const refused = await upload(`/api/footage?name=${name}`, clip)
      expect(refused.status, name).toBe(400)
    }

    const tone = await readFile(join(clips, "tone.mp3"))
    expect((await upload("/api/music?name=tone.mp3", tone)).status).toBe(201)
    // A video without sound is not music.
    expect((await upload("/api/music?name=silent.mp3", clip)).status).toBe(415)

    const tooBig = await upload("/api/footage?name=big.mp4", new Uint8Array(MAX_UPLOAD + 128 * 1024))
    expect(tooBig.status).toBe(413)

    const footage = await (await api("/api/footage")).json()
    expect(footage.files.map((f: { name: string }) => f.name)).toEqual([LIBRARY[1].name, LIBRARY[0].name].sort())
    const music = await (await api("/api/music")).json()
    expect(music.files).toEqual([{ name: "tone.mp3", size: tone.byteLength, kind: "music" }])

    expect((await upload("/api/footage?name=spare.mp4", clip)).status).toBe(201)
    expect((await api("/api/footage/spare.mp4", { method: "DELETE" })).status).toBe(204)
    expect((await upload("/api/music?name=spare.mp3", tone)).status).toBe(201)
    expect((await api("/api/music/spare.mp3", { method: "DELETE" })).status).toBe(204)
    expect((await api("/api/music/spare.mp3", { method: "DELETE" })).status).toBe(404)
    expect((await api("/api/music/..", { method: "DELETE" })).status).not.toBe(204)
  })

  it("runs a job submitted over HTTP to a video served whole and by range, with its report, thumbnails and events", async () => {
    const submitted = await post("/api/jobs", tinyJob)
    expect(submitted.status).toBe(201)
    const { id } = await submitted.json()

    const sse = await api(`/api/jobs/${id}/events`)
    expect(sse.headers.get("content-type")).toContain("text/event-stream")

    const done = await until(() => api(`/api/jobs/${id}`).then((r) => r.json()), (job) => ["done", "failed"].includes(job.state))
    expect(done.state).toBe("done")
    expect(done.stages.length).toBeGreaterThan(0)

    // The event stream ends once the job has: it carried the job's summaries and its swarm events.
    const events = await sse.text()
    expect(events).toContain("event: job")
    expect(events).toContain("event: swarm")
    expect(events).toMatch(/"state":"done"/)

    const whole = await api(`/api/jobs/${id}/video`)
    expect(whole.status).toBe(200)
    expect(whole.headers.get("accept-ranges")).toBe("bytes")
    const bytes = Buffer.from(await whole.arrayBuffer())
    expect(Number(whole.headers.get("content-length"))).toBe(bytes.byteLength)
    const saved = join(dir, "downloaded.mp4")
    await writeFile(saved, bytes)
    const info = await Effect.runPromise(probe(saved))
    expect([info.width, info.height]).toEqual([160, 284])

    const part = await api(`/api/jobs/${id}/video`, { headers: { range: "bytes=100-1123" } })
    expect(part.status).toBe(206)
    expect(part.headers.get("content-range")).toBe(`bytes 100-1123/${bytes.byteLength}`)
    expect(part.headers.get("content-length")).toBe("1024")
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 1124))).toBe(true)

    const tail = await api(`/api/jobs/${id}/video`, { headers: { range: "bytes=-10" } })
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.byteLength - 10))).toBe(true)

    const outside = await api(`/api/jobs/${id}/video`, { headers: { range: `bytes=${bytes.byteLength}-` } })
    expect(outside.status).toBe(416)
    expect(outside.headers.get("content-range")).toBe(`bytes */${bytes.byteLength}`)

    const report = await (await api(`/api/jobs/${id}/report`)).json()
    expect(report.job).toBe(id)

    const thumb = await api(`/api/jobs/${id}/thumbnails/0`)
    expect(thumb.status).toBe(200)
    expect(thumb.headers.get("content-type")).toBe("image/jpeg")
    expect(Buffer.from(await thumb.arrayBuffer()).subarray(0, 2).toString("hex")).toBe("ffd8")
    expect((await api(`/api/jobs/${id}/thumbnails/99`)).status).toBe(404)

    const list = await (await api("/api/jobs?offset=0&limit=10&state=done")).json()
    expect(list.jobs.map((j: { id: string }) => j.id)).toContain(id)
    expect((await (await api("/api/jobs?state=queued")).json()).total).toBe(0)

    expect((await api(`/api/jobs/${id}/cancel`, { method: "POST" })).status).toBe(409)

    const health = await (await api("/api/health")).json()
    expect(health).toMatchObject({ ok: true, queue: 0 })
    expect(health.agents.running).toBe(health.agents.total)
    const metrics = await (await api("/api/metrics")).json()
    expect(metrics.agents.map((a: { name: string }) => a.name)).toContain("director")
    expect(metrics.cpu.cores).toBeGreaterThan(0)
    expect(metrics.memory.totalBytes).toBeGreaterThan(0)

    expect((await api(`/api/jobs/${id}`, { method: "DELETE" })).status).toBe(204)
    expect((await api(`/api/jobs/${id}`)).status).toBe(404)
  }, 240_000)

  it("cancels a queued or running job, which stays listed as cancelled", async () => {
    const { id } = await (await post("/api/jobs", { ...tinyJob, seed: "cancel-me" })).json()
    const cancelled = await api(`/api/jobs/${id}/cancel`, { method: "POST" })
    expect(cancelled.status).toBe(200)
    expect((await cancelled.json()).state).toBe("cancelled")
    expect((await (await api(`/api/jobs/${id}`)).json()).state).toBe("cancelled")
    expect((await api(`/api/jobs/${id}/video`)).status).toBe(409)
    expect((await api(`/api/jobs/${id}`, { method: "DELETE" })).status).toBe(204)
  }, 60_000)

  it("sends job summaries over /api/ws, and closes a socket whose frame is over the cap", async () => {
    const opened = await upgrade(`${server.url.replace("http", "ws")}/api/ws`)
    expect(opened._tag).toBe("Open")
    if (opened._tag !== "Open") return
    const ws = opened.ws
    const frames: Array<{ id: string; state: string }> = []
    ws.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString("utf8"))))
    const submitted = await (await post("/api/jobs", { ...tinyJob, seed: "ws" })).json()
    await until(async () => frames, (f) => f.some((s) => s.id === submitted.id && s.state === "done"))
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)))
    ws.send("x".repeat(65 * 1024))
    expect(await closed).toBe(1009)
  }, 240_000)

  it("serves only files under the outputs folder on /api/v1/download and /api/v1/stream: no .., encoded dots, absolute paths or symlinks out", async () => {
    const secret = join(state, "secret.txt")
    await writeFile(secret, "do not serve me")
    const outputs = hostDirs(state).outputs
    await mkdir(join(outputs, "evil"), { recursive: true })
    await symlink(secret, join(outputs, "evil", "link.mp4")).catch(() => undefined)
    await writeFile(join(outputs, "evil", "fine.mp4"), "twelve bytes")
    for (
      const path of [
        "/api/v1/download/../secret.txt",
        "/api/v1/download/%2e%2e/secret.txt",
        "/api/v1/download/%2E%2E%2Fsecret.txt",
        "/api/v1/download/evil/..%2F..%2Fsecret.txt",
        `/api/v1/download/${encodeURIComponent(secret)}`,
        "/api/v1/download//etc/passwd",
        "/api/v1/download/evil/link.mp4",
        "/api/v1/stream/evil/link.mp4",
        "/api/v1/stream/%2e%2e/secret.txt"
      ]
    ) {
      const res = await rawGet(server.port, path)
      expect(res.status, path).toBe(403)
      expect(res.body.toString(), path).not.toContain("do not serve me")
    }
    const fine = await rawGet(server.port, "/api/v1/download/evil/fine.mp4")
    expect(fine.status).toBe(200)
    expect(fine.body.toString()).toBe("twelve bytes")
    expect(fine.headers["content-disposition"]).toContain("fine.mp4")
    const ranged = await rawGet(server.port, "/api/v1/stream/evil/fine.mp4", { range: "bytes=0-5" })
    expect(ranged.status).toBe(206)
    expect(ranged.body.toString()).toBe("twelve")
  })
})
