/**
 * The MCP server as a client sees it over Streamable HTTP: the SDK's own Client on a real node http
 * server on loopback, in front of a real job host (SQLite state, espeak-ng, ffmpeg). A video made
 * through the tools is a real MP4 of the asked size, listed and linked for download.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, ManagedRuntime } from "effect"
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { mcpHttpHandler } from "../../../apps/api/mcp.ts"
import { hostDirs, JobHost } from "../../../apps/host/contract.ts"
import { layer as jobHostLayer } from "../../../apps/host/host.ts"
import { probe } from "../../../media/index.ts"
import { LIBRARY, makeLibrary, SCRIPT } from "../agents/library-fixture.ts"

interface ToolAnswer {
  readonly isError?: boolean
  readonly content: ReadonlyArray<{ readonly type: string; readonly text?: string }>
  readonly structuredContent?: Record<string, unknown>
}

const textOf = (answer: ToolAnswer) => answer.content.map((c) => c.text ?? "").join("\n")

let dir: string
let runtime: ManagedRuntime.ManagedRuntime<JobHost, unknown>
let server: Server
let client: Client
let baseUrl: string

const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as ToolAnswer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reelswarm-mcp-http-"))
  const state = join(dir, "state")
  await mkdir(hostDirs(state).footage, { recursive: true })
  await Effect.runPromise(makeLibrary(hostDirs(state).footage))
  runtime = ManagedRuntime.make(jobHostLayer({ state, topology: "star", concurrency: 1, encoderSlots: 1 }))
  const host = await runtime.runPromise(JobHost)
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // No baseUrl, as `reelswarm serve` mounts it: download links start with the address the client used.
  const mcp = mcpHttpHandler(host)
  server.on("request", (req, res) => {
    if (new URL(req.url ?? "/", baseUrl).pathname === "/mcp") void mcp.handle(req, res)
    else res.writeHead(404).end()
  })
  client = new Client({ name: "mcp-http-test", version: "1.0.0" })
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", baseUrl)))
})

afterAll(async () => {
  await client?.close()
  if (server !== undefined) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  await runtime?.dispose()
  await rm(dir, { recursive: true, force: true })
})

describe("the MCP server over Streamable HTTP", () => {
  it("lists the five tools, each with the JSON Schema of its input", async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(["cancel_video", "create_video", "get_video_status", "list_footage", "list_videos"])
    const create = tools.find((t) => t.name === "create_video")!
    const properties = create.inputSchema.properties as Record<string, { type?: string; enum?: Array<string>; default?: unknown }>
    expect(properties.script?.type).toBe("string")
    expect(properties.voice?.type).toBe("string")
    expect(properties.captions?.enum).toEqual(["lines", "words", "karaoke", "none"])
    expect(properties.captions?.default).toBe("karaoke")
    // Effect's `$ref`s into `$defs` are inlined: `fps` is an integer schema a client can read without resolving anything.
    expect(JSON.stringify(create.inputSchema)).not.toContain("$ref")
    const status = tools.find((t) => t.name === "get_video_status")!
    expect(status.inputSchema.required).toEqual(["id"])
    expect(tools.find((t) => t.name === "list_videos")!.annotations?.readOnlyHint).toBe(true)
  })

  it("makes a video: create_video, get_video_status until done, list_videos, with download links", async () => {
    const footage = hostDirs(join(dir, "state")).footage
    const created = await call("create_video", { script: SCRIPT, size: "160x284", fps: 10, captions: "none", voice: "en", footage })
    expect(created.isError, textOf(created)).toBeUndefined()
    const id = created.structuredContent?.id as string
    expect(created.structuredContent).toMatchObject({ title: expect.any(String), state: expect.stringMatching(/queued|running/) })

    let status: ToolAnswer = await call("get_video_status", { id })
    while (!["done", "failed", "cancelled"].includes(status.structuredContent?.state as string)) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      status = await call("get_video_status", { id })
    }
    expect(status.structuredContent?.state, textOf(status)).toBe("done")
    expect(status.structuredContent?.progress).toBe(1)
    expect(status.structuredContent).not.toHaveProperty("report")
    expect((status.structuredContent?.request as Record<string, unknown>).size).toBe("160x284")
    const stages = status.structuredContent?.stages as Array<{ stage: string; state: string }>
    expect(stages.find((s) => s.stage === "render")?.state).toBe("done")

    const result = status.structuredContent?.result as {
      video: { path: string; url: string }
      report: { path: string; url: string }
      thumbnails: Array<{ path: string; url: string }>
      scenes: number
      durationSec: number
    }
    expect(result.video.url).toBe(`${baseUrl}/api/jobs/${id}/video`)
    expect(result.report.url).toBe(`${baseUrl}/api/jobs/${id}/report`)
    expect(result.scenes).toBe(2)
    expect(result.thumbnails.map((t) => t.url)).toEqual([0, 1].map((n) => `${baseUrl}/api/jobs/${id}/thumbnails/${n}`))
    const video = await Effect.runPromise(probe(result.video.path))
    expect({ width: video.width, height: video.height, fps: video.fps, hasAudio: video.hasAudio }).toEqual({
      width: 160,
      height: 284,
      fps: 10,
      hasAudio: true
    })
    expect(video.duration).toBeGreaterThan(2)
    expect(Math.abs(video.duration - result.durationSec)).toBeLessThan(1)
    expect((await stat(result.report.path)).size).toBeGreaterThan(0)

    const listed = await call("list_videos", {})
    expect(listed.structuredContent?.total).toBe(1)
    expect((listed.structuredContent?.jobs as Array<{ id: string; state: string }>).map((j) => [j.id, j.state])).toEqual([[id, "done"]])
    const done = await call("list_videos", { state: "done", limit: 5 })
    expect(done.structuredContent).toMatchObject({ total: 1, offset: 0, limit: 5 })
    const running = await call("list_videos", { state: "running" })
    expect(running.structuredContent).toMatchObject({ jobs: [], total: 0 })

    // A finished job cannot be cancelled: a tool error saying its state.
    const cancel = await call("cancel_video", { id })
    expect(cancel.isError).toBe(true)
    expect(textOf(cancel)).toContain("done")
  })

  it("lists the footage library with each clip's size and duration", async () => {
    const answer = await call("list_footage")
    const clips = answer.structuredContent?.clips as Array<
      { name: string; kind: string; sizeBytes: number; durationSec: number; width: number }
    >
    expect(clips.map((c) => c.name).sort()).toEqual(LIBRARY.map((l) => l.name).sort())
    for (const clip of clips) {
      expect(clip.kind).toBe("video")
      expect(clip.width).toBe(320)
      expect(clip.sizeBytes).toBe((await stat(join(hostDirs(join(dir, "state")).footage, clip.name))).size)
      expect(clip.durationSec).toBeCloseTo(1.5, 1)
    }
  })

  it("answers a bad argument with a tool error naming the field", async () => {
    const badCaptions = await call("create_video", { script: SCRIPT, captions: "sparkly" })
    expect(badCaptions.isError).toBe(true)
    expect(textOf(badCaptions)).toMatch(/captions: Expected "lines" \| "words" \| "karaoke" \| "none", actual "sparkly"/)

    const badSize = await call("create_video", { script: SCRIPT, size: "huge" })
    expect(badSize.isError).toBe(true)
    expect(textOf(badSize)).toContain("size: WIDTHxHEIGHT")

    // Checks only the host can make (the folder exists, the size is even) name their field too.
    const oddSize = await call("create_video", { script: SCRIPT, size: "161x284" })
    expect(oddSize.isError).toBe(true)
    expect(textOf(oddSize)).toMatch(/^size: 161x284: WIDTHxHEIGHT with even numbers/)
    const noFolder = await call("create_video", { script: SCRIPT, footage: join(dir, "no-such-folder") })
    expect(noFolder.isError).toBe(true)
    expect(textOf(noFolder)).toMatch(/^footage: .*no-such-folder is not a folder on the server/)
    const noScript = await call("create_video", { captions: "none" })
    expect(noScript.isError).toBe(true)
    expect(textOf(noScript)).toMatch(/^script: /)

    const unknownField = await call("list_videos", { colour: "red" })
    expect(unknownField.isError).toBe(true)
    expect(textOf(unknownField)).toContain("colour: is unexpected")

    const noId = await call("get_video_status", {})
    expect(noId.isError).toBe(true)
    expect(textOf(noId)).toContain("id:")
  })

  it("cancels a job it was asked for, which then lists as cancelled", async () => {
    const created = await call("create_video", {
      script: SCRIPT,
      size: "160x284",
      fps: 10,
      captions: "none",
      voice: "en",
      seed: "cancel me"
    })
    const id = created.structuredContent?.id as string
    const cancelled = await call("cancel_video", { id })
    expect(cancelled.isError, textOf(cancelled)).toBeUndefined()
    expect(cancelled.structuredContent).toMatchObject({ id, state: "cancelled" })
    const status = await call("get_video_status", { id })
    expect(status.structuredContent).toMatchObject({ id, state: "cancelled" })
    expect(status.structuredContent).not.toHaveProperty("result")
    const listed = await call("list_videos", { state: "cancelled" })
    expect((listed.structuredContent?.jobs as Array<{ id: string }>).map((j) => j.id)).toEqual([id])
  })

  it("answers a call about an unknown job with a tool error, and an unknown tool with a protocol error", async () => {
    const cancel = await call("cancel_video", { id: "job-0000000000000000" })
    expect(cancel.isError).toBe(true)
    expect(textOf(cancel)).toContain("no job job-0000000000000000")
    const status = await call("get_video_status", { id: "job-0000000000000000" })
    expect(status.isError).toBe(true)
    // A tool that does not exist is the protocol's error, not a tool's.
    await expect(call("make_coffee")).rejects.toThrow(/no tool make_coffee: the tools are create_video, get_video_status/)
  })

  it("refuses what a stateless server has no use for, and other sites' pages", async () => {
    const get = await fetch(new URL("/mcp", baseUrl), { headers: { accept: "text/event-stream" } })
    expect(get.status).toBe(405)
    expect(get.headers.get("allow")).toBe("POST")
    const foreign = await fetch(new URL("/mcp", baseUrl), {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })
    })
    expect(foreign.status).toBe(403)
  })
})
