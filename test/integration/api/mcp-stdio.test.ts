/**
 * `reelswarm mcp` as Claude Desktop runs it: a child process spoken to over stdin/stdout by the
 * SDK's own Client. Every line on its stdout is an MCP frame (a stray log line would be a parse
 * error on the client's side); its tools answer from a real job host on the state directory.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { Effect } from "effect"
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hostDirs } from "../../../apps/host/contract.ts"
import { probe } from "../../../media/index.ts"
import { CLI_BUNDLE, ROOT } from "../../fixtures/cli-bundle.ts"
import { LIBRARY, makeLibrary, SCRIPT } from "../agents/library-fixture.ts"

interface Status {
  readonly state: string
  readonly failure?: unknown
  readonly result?: { readonly video: { readonly path: string; readonly url?: string } }
}

let dir: string
let client: Client
let transport: StdioClientTransport
const transportErrors: Array<Error> = []
let stderr = ""

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reelswarm-mcp-stdio-"))
  const state = join(dir, "state")
  await mkdir(hostDirs(state).footage, { recursive: true })
  await Effect.runPromise(makeLibrary(hostDirs(state).footage))
  transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_BUNDLE, "mcp", "--state", state],
    cwd: ROOT,
    env: { ...process.env } as Record<string, string>,
    stderr: "pipe"
  })
  transport.stderr?.on("data", (chunk) => (stderr += chunk))
  client = new Client({ name: "mcp-stdio-test", version: "1.0.0" })
  client.onerror = (error) => transportErrors.push(error)
  await client.connect(transport)
})

afterAll(async () => {
  await client?.close()
  await rm(dir, { recursive: true, force: true })
})

describe("reelswarm mcp over stdio", () => {
  it("lists the tools and answers them from the state directory's host, with nothing but MCP on stdout", async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(["cancel_video", "create_video", "get_video_status", "list_footage", "list_videos"])
    expect(client.getServerVersion()?.name).toBe("reelswarm")

    const footage = (await client.callTool({ name: "list_footage", arguments: {} })) as {
      structuredContent?: { clips: Array<{ name: string }> }
    }
    expect(footage.structuredContent?.clips.map((c) => c.name).sort()).toEqual(LIBRARY.map((l) => l.name).sort())
    const videos = await client.callTool({ name: "list_videos", arguments: {} })
    expect(videos.structuredContent).toMatchObject({ jobs: [], total: 0 })
    const unknown = await client.callTool({ name: "get_video_status", arguments: { id: "job-0000000000000000" } })
    expect(unknown.isError).toBe(true)

    expect(transportErrors, stderr).toEqual([])
  })

  it("makes a video, the engine's logs staying off stdout while it works", async () => {
    const created = await client.callTool({
      name: "create_video",
      arguments: { script: SCRIPT, size: "160x284", fps: 10, captions: "none", voice: "en" }
    })
    expect(created.isError, JSON.stringify(created.content)).toBeUndefined()
    const id = (created.structuredContent as { id: string }).id
    let status = (await client.callTool({ name: "get_video_status", arguments: { id } })).structuredContent as Status
    while (!["done", "failed", "cancelled"].includes(status.state)) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      status = (await client.callTool({ name: "get_video_status", arguments: { id } })).structuredContent as Status
    }
    expect(status.state, JSON.stringify(status.failure)).toBe("done")
    const video = await Effect.runPromise(probe(status.result!.video.path))
    expect([video.width, video.height]).toEqual([160, 284])
    // Without a server address there is nothing to link to: the paths on the server only.
    expect(status.result!.video).not.toHaveProperty("url")
    expect(transportErrors, stderr).toEqual([])
  })
})
