/**
 * The MoneyPrinterTurbo routes (/api/v1) as one of its clients calls them: a VideoParams body of its
 * documented fields (its defaults, a local script and local materials), answered in its envelope;
 * the task's state, progress and video URLs, which download; fields we cannot honour refused by name.
 */
import { Effect } from "effect"
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { espeakVoiceFor } from "../../../apps/api/mpt.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/index.ts"
import { LIBRARY, makeLibrary, SCRIPT } from "../agents/library-fixture.ts"
import { openServer, type TestServer, until } from "./server-fixture.ts"

let dir: string
let clips: string
let server: TestServer

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } })

/** VideoParams as MoneyPrinterTurbo's schema.py defines them, with its defaults, a script and local materials. */
const videoParams = () => ({
  video_subject: "Patterns in mathematics",
  video_script: SCRIPT,
  video_terms: ["fractal", "cells"],
  video_aspect: "1:1",
  video_concat_mode: "random",
  video_transition_mode: null,
  video_clip_duration: 5,
  video_count: 1,
  video_source: "local",
  video_materials: LIBRARY.map((clip) => ({ provider: "local", url: join(clips, clip.name), duration: 0 })),
  video_language: "",
  voice_name: "en-US-JennyNeural-Female",
  voice_volume: 1.0,
  voice_rate: 1.0,
  bgm_type: "random",
  bgm_file: "",
  bgm_volume: 0.2,
  subtitle_enabled: false,
  subtitle_position: "bottom",
  custom_position: 70.0,
  font_name: "STHeitiMedium.ttc",
  text_fore_color: "#FFFFFF",
  text_background_color: true,
  font_size: 60,
  stroke_color: "#000000",
  stroke_width: 1.5,
  n_threads: 2,
  paragraph_number: 1
})

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reelswarm-mpt-"))
  clips = join(dir, "clips")
  await mkdir(clips, { recursive: true })
  await Effect.runPromise(makeLibrary(clips))
  await Effect.runPromise(
    runFfmpeg({ args: ["-f", "lavfi", "-i", "sine=frequency=330:duration=2", "-c:a", "libmp3lame"], output: join(clips, "song.mp3") })
  )
  server = await openServer(join(dir, "state"))
}, 120_000)

afterAll(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})

describe("MoneyPrinterTurbo compatibility", () => {
  it("maps its voice names to espeak-ng languages", () => {
    expect(espeakVoiceFor("zh-CN-XiaoxiaoNeural-Female")).toBe("cmn")
    expect(espeakVoiceFor("zh-HK-HiuGaaiNeural-Female")).toBe("yue")
    expect(espeakVoiceFor("en-US-JennyNeural-Female")).toBe("en-us")
    expect(espeakVoiceFor("en-GB-RyanNeural-Male")).toBe("en-gb")
    expect(espeakVoiceFor("de-DE-KatjaNeural-Female")).toBe("de")
    expect(espeakVoiceFor("女生-晓晓")).toBe("auto")
    expect(espeakVoiceFor("")).toBe("auto")
  })

  it("makes a video from its VideoParams: a task id, state and progress, and video URLs that download", async () => {
    const submitted = await post("/api/v1/videos", videoParams())
    const envelope = await submitted.json()
    expect(submitted.status, JSON.stringify(envelope)).toBe(200)
    expect(envelope).toMatchObject({ status: 200, message: "success" })
    const taskId: string = envelope.data.task_id
    expect(envelope.data.jobs).toHaveLength(1)

    const job = await (await fetch(`${server.url}/api/jobs/${envelope.data.jobs[0]}`)).json()
    expect(job.request).toMatchObject({ aspect: "1:1", voice: "en-us", captions: "none", maxClipSeconds: 5, seed: `${taskId}-1` })

    const task = await until(
      () => fetch(`${server.url}/api/v1/tasks/${taskId}`).then((r) => r.json()),
      (t) => t.data.state !== 4
    )
    expect(task).toMatchObject({ status: 200, data: { task_id: taskId, state: 1, progress: 100, combined_videos: [] } })
    expect(task.data.videos).toHaveLength(1)

    const url: string = task.data.videos[0]
    expect(url.startsWith(`${server.url}/api/v1/download/`)).toBe(true)
    const download = await fetch(url)
    expect(download.status).toBe(200)
    expect(download.headers.get("content-type")).toBe("video/mp4")
    const bytes = Buffer.from(await download.arrayBuffer())
    await writeFile(join(dir, "task.mp4"), bytes)
    const info = await Effect.runPromise(probe(join(dir, "task.mp4")))
    expect([info.width, info.height]).toEqual([1080, 1080])

    const streamed = await fetch(url.replace("/download/", "/stream/"), { headers: { range: "bytes=0-99" } })
    expect(streamed.status).toBe(206)
    expect(Buffer.from(await streamed.arrayBuffer()).equals(bytes.subarray(0, 100))).toBe(true)

    const tasks = await (await fetch(`${server.url}/api/v1/tasks?page=1&page_size=10`)).json()
    expect(tasks.data).toMatchObject({ total: 1, page: 1, page_size: 10 })
    expect(tasks.data.tasks[0].task_id).toBe(taskId)

    // The task map survives in the state directory.
    const saved = JSON.parse(await readFile(join(dir, "state", "mpt-tasks.json"), "utf8"))
    expect(saved[0]).toMatchObject({ task_id: taskId, jobs: envelope.data.jobs })

    expect(await (await fetch(`${server.url}/api/v1/tasks/${taskId}`, { method: "DELETE" })).json()).toEqual({
      status: 200,
      message: "success"
    })
    const gone = await fetch(`${server.url}/api/v1/tasks/${taskId}`)
    expect(gone.status).toBe(404)
    expect(await gone.json()).toMatchObject({ status: 404 })
    expect((await fetch(`${server.url}/api/jobs/${envelope.data.jobs[0]}`)).status).toBe(404)
  }, 300_000)

  it("makes video_count jobs under one task, seeded -1 … -N", async () => {
    const submitted = await (await post("/api/v1/videos", { ...videoParams(), video_count: 2 })).json()
    const jobs: Array<string> = submitted.data.jobs
    expect(jobs).toHaveLength(2)
    const seeds = await Promise.all(jobs.map(async (id) => (await (await fetch(`${server.url}/api/jobs/${id}`)).json()).request.seed))
    expect(seeds).toEqual([`${submitted.data.task_id}-1`, `${submitted.data.task_id}-2`])
    expect((await fetch(`${server.url}/api/v1/tasks/${submitted.data.task_id}`, { method: "DELETE" })).status).toBe(200)
  })

  it("refuses, by name, fields it cannot honour and values out of range, in its envelope", async () => {
    const transition = await post("/api/v1/videos", { ...videoParams(), video_transition_mode: "FadeIn", n_threads: 8 })
    expect(transition.status).toBe(400)
    const body = await transition.json()
    expect(body.status).toBe(400)
    expect(body.message).toContain("video_transition_mode")
    expect(body.message).toContain("n_threads")
    expect(body.data.fields.sort()).toEqual(["n_threads", "video_transition_mode"])

    const pexels = await (await post("/api/v1/videos", { ...videoParams(), video_source: "pexels", video_materials: null })).json()
    expect(pexels).toMatchObject({ status: 400, data: { fields: ["video_source"] } })

    const custom = await (await post("/api/v1/videos", { ...videoParams(), subtitle_position: "custom" })).json()
    expect(custom).toMatchObject({ status: 400, data: { fields: ["subtitle_position"] } })

    const wrong = await (await post("/api/v1/videos", { ...videoParams(), video_aspect: "4:3", font_size: "big" })).json()
    expect(wrong.status).toBe(400)
    expect(wrong.data.fields.sort()).toEqual(["font_size", "video_aspect"])

    const noMaterial = await (await post("/api/v1/videos", { ...videoParams(), video_materials: [{ url: join(dir, "missing.mp4") }] }))
      .json()
    expect(noMaterial).toMatchObject({ status: 400, data: { fields: ["video_materials"] } })

    const noMusic = await (await post("/api/v1/videos", { ...videoParams(), bgm_file: "absent.mp3" })).json()
    expect(noMusic).toMatchObject({ status: 400, data: { fields: ["bgm_file"] } })
  })

  it("lists and takes background music, checked by probing", async () => {
    const form = new FormData()
    form.append("file", new Blob([await readFile(join(clips, "song.mp3"))]), "song.mp3")
    const uploaded = await (await fetch(`${server.url}/api/v1/musics`, { method: "POST", body: form })).json()
    expect(uploaded).toMatchObject({ status: 200, message: "success" })
    expect(uploaded.data.file).toMatch(/song\.mp3$/)

    const notAudio = new FormData()
    notAudio.append("file", new Blob(["plain text"]), "fake.mp3")
    const refused = await fetch(`${server.url}/api/v1/musics`, { method: "POST", body: notAudio })
    expect(refused.status).toBe(415)
    expect((await refused.json()).message).toContain("fake.mp3")

    const list = await (await fetch(`${server.url}/api/v1/musics`)).json()
    expect(list.data.files).toEqual([{
      name: "song.mp3",
      size: (await readFile(join(clips, "song.mp3"))).byteLength,
      file: uploaded.data.file
    }])
  })
})
