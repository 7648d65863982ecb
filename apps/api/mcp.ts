/**
 * The MCP server: the job host's tools (create_video, get_video_status, list_videos, list_footage,
 * cancel_video; see mcp-tools.ts) for Claude Desktop, Claude Code and any other MCP client, over
 * stdio (`reelswarm mcp`) or Streamable HTTP (`/mcp` on `reelswarm serve`).
 *
 * HTTP is served stateless, as the SDK recommends for a server many clients use at once: each POST
 * gets its own `Server` and transport, closed with the response, so nothing is kept between
 * requests (no session table to grow, no session to lose when the server restarts) and every
 * request stands alone. The tools need no server-initiated messages (a job's progress is polled
 * with get_video_status), so the GET stream and DELETE of stateful sessions are answered 405.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js"
import { Effect, Runtime } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Readable, Writable } from "node:stream"
import pkg from "../../package.json" with { type: "json" }
import type { JobHostService } from "../host/contract.ts"
import { type ToolOptions, TOOLS } from "./mcp-tools.ts"
import { originAllowed } from "./security.ts"

export interface McpOptions extends ToolOptions {
  /**
   * Where the tools' effects run: its logger is theirs (stdio needs one that keeps stdout for MCP
   * frames). Default Effect's default runtime.
   */
  readonly runtime?: Runtime.Runtime<never>
  /**
   * Browser origins allowed besides the server's own (`http://localhost:6274` for the MCP
   * Inspector's direct mode). Requests without an Origin (every non-browser client) always pass.
   */
  readonly allowedOrigins?: ReadonlyArray<string>
}

const INSTRUCTIONS = "reelswarm makes short narrated videos (MP4) from a script or a topic and footage. " +
  "Call create_video, then poll get_video_status with the returned id until its state is done, failed or cancelled; " +
  "a small video takes tens of seconds, a 1080x1920 one minutes. list_footage shows the clips a job can use."

const toolsByName = new Map(TOOLS.map((tool) => [tool.definition.name, tool]))

/** An MCP server over `host`, not yet connected to a transport. */
export const makeMcpServer = (host: JobHostService, options: McpOptions = {}): Server => {
  const runtime = options.runtime ?? Runtime.defaultRuntime
  const server = new Server(
    { name: "reelswarm", title: "reelswarm", version: pkg.version },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS }
  )
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS.map((tool) => ({ ...tool.definition })) }))
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = toolsByName.get(request.params.name)
    if (tool === undefined) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `no tool ${request.params.name}: the tools are ${TOOLS.map((t) => t.definition.name).join(", ")}`
      )
    }
    const result = await Runtime.runPromise(runtime)(tool.call(host, request.params.arguments, options), { signal: extra.signal })
    return { ...result, content: [...result.content] }
  })
  return server
}

export interface McpHttpHandler {
  /**
   * Answers one request to the MCP endpoint. The caller has checked the token; `parsedBody` is the
   * JSON body when the caller has read it already (else the transport reads it).
   */
  readonly handle: (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown) => Promise<void>
}

const rpcError = (res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}) => {
  if (res.headersSent) return void res.end()
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }))
}

/**
 * The address the client reached the server at, for download links when no `baseUrl` was given:
 * its Host header, and the scheme a TLS-terminating proxy says it used.
 */
const requestOrigin = (req: IncomingMessage): string | undefined => {
  const forwarded = req.headers["x-forwarded-proto"]
  const scheme = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim()
  return req.headers.host === undefined ? undefined : `${scheme === "https" ? "https" : "http"}://${req.headers.host}`
}

/**
 * The Streamable HTTP endpoint, stateless: a fresh server and transport per POST. Download links
 * start with `options.baseUrl`, else with the address the request was sent to.
 */
export const mcpHttpHandler = (host: JobHostService, options: McpOptions = {}): McpHttpHandler => ({
  handle: async (req, res, parsedBody) => {
    // The spec's guard against DNS rebinding: a browser page of another origin is refused.
    const origin = req.headers.origin
    if (!originAllowed(origin, req.headers.host) && !(origin !== undefined && options.allowedOrigins?.includes(origin) === true)) {
      return rpcError(res, 403, ErrorCode.InvalidRequest, `origin ${origin} may not use this MCP server`)
    }
    if (req.method !== "POST") {
      return rpcError(res, 405, ErrorCode.ConnectionClosed, "this MCP server is stateless: send requests with POST", { allow: "POST" })
    }
    const server = makeMcpServer(host, { ...options, baseUrl: options.baseUrl ?? requestOrigin(req) })
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true })
    res.on("close", () => {
      void transport.close()
      void server.close()
    })
    try {
      await server.connect(transport)
      await transport.handleRequest(req, res, parsedBody)
    } catch (error) {
      rpcError(res, 500, ErrorCode.InternalError, `MCP request failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
})

export interface StdioStreams {
  readonly stdin?: Readable
  readonly stdout?: Writable
}

/**
 * Serves MCP on stdin/stdout (the process's by default) until stdin ends, which is how a client
 * closes a stdio server; interrupting the effect closes the server too. Nothing else may write to
 * stdout meanwhile.
 */
export const runMcpStdio = (host: JobHostService, streams: StdioStreams & McpOptions = {}): Effect.Effect<void> =>
  Effect.scoped(
    Effect.gen(function*() {
      const runtime = streams.runtime ?? (yield* Effect.runtime<never>())
      const stdin = streams.stdin ?? process.stdin
      const server = makeMcpServer(host, { ...streams, runtime })
      const transport = new StdioServerTransport(stdin, streams.stdout ?? process.stdout)
      yield* Effect.acquireRelease(
        Effect.promise(() => server.connect(transport)),
        () => Effect.promise(() => server.close())
      )
      yield* Effect.async<void>((resume) => {
        const done = () => resume(Effect.void)
        stdin.once("end", done)
        stdin.once("close", done)
        transport.onclose = done
        return Effect.sync(() => {
          stdin.off("end", done)
          stdin.off("close", done)
        })
      })
    })
  ).pipe(Effect.withSpan("mcp.stdio"))
