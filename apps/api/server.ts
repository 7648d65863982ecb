/**
 * `reelswarm serve`'s one HTTP server: the Effect HttpApi (api.ts), the OpenAPI document and docs
 * page, MCP's endpoint, the console's page and WebSocket, and the job-progress WebSocket `/api/ws`,
 * all on one port. Every request and every upgrade passes the token check when a token is set;
 * upgrades also pass the Origin check; JSON bodies are capped. While it is up, `<state>/server.json`
 * says where it is, so the CLI's commands can find it.
 */
import { HttpApiBuilder, HttpApiSwagger, HttpIncomingMessage } from "@effect/platform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Data, Effect, Fiber, Layer, Option, Schema, Stream } from "effect"
import { unlink } from "node:fs/promises"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { Duplex } from "node:stream"
import { WebSocketServer } from "ws"
import { writeFileAtomic } from "../../media/index.ts"
import { JobHost, type JobHostService, JobSummary } from "../host/contract.ts"
import { ReelswarmApi } from "./api.ts"
import { decodeErrorsAsFields, handlersLayer } from "./handlers.ts"
import type { McpHttpHandler } from "./mcp.ts"
import {
  DEFAULT_MAX_UPLOAD_BYTES,
  isLoopback,
  MAX_JSON_BODY_BYTES,
  MAX_WS_FRAME_BYTES,
  originAllowed,
  presentedToken,
  tokenAccepted
} from "./security.ts"
import { serverFile, type ServerInfo } from "./server-file.ts"

export type NodeRequestHandler = (req: IncomingMessage, res: ServerResponse) => void
export type NodeUpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

export interface ServerOptions {
  /** The address to bind; anything but loopback needs a token. */
  readonly host: string
  /** 0: any free port. */
  readonly port: number
  readonly token?: string | undefined
  /** Cap of one uploaded file; default DEFAULT_MAX_UPLOAD_BYTES. */
  readonly maxUploadBytes?: number | undefined
  /** The console: its page (`/`, `/console…`) and its WebSocket (any upgrade but `/api/ws`). */
  readonly console?: { readonly request?: NodeRequestHandler | undefined; readonly upgrade?: NodeUpgradeHandler | undefined } | undefined
  /** MCP's Streamable HTTP endpoint, at `/mcp`. */
  readonly mcp?: McpHttpHandler | undefined
}

/** The server could not start: `reason` says why and what to do. */
export class ServerStartError extends Data.TaggedError("ServerStartError")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

export interface RunningServer {
  /** `http://host:port` as clients reach it. */
  readonly url: string
  readonly port: number
  readonly server: Server
}

const deny = (res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify({ error }))
}

/** Answers an upgrade we refuse with a plain HTTP response on the raw socket, then closes it. */
const refuseUpgrade = (socket: Duplex, status: number, reason: string) => {
  const body = JSON.stringify({ error: reason })
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : "Not Found"}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  )
}

const UPLOAD_ROUTES = new Set(["/api/footage", "/api/music", "/api/v1/musics"])
/** What a multipart envelope may add around the file itself. */
const MULTIPART_SLACK = 64 * 1024

const encodeSummary = Schema.encodeSync(JobSummary)

/** `/api/ws`: JSON frames of job summaries as they change (`?job=ID` for one job); clients' frames over the cap close it (1009). */
const progressSockets = (host: JobHostService) =>
  Effect.gen(function*() {
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_FRAME_BYTES })
    const runFork = Effect.runFork
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resume(Effect.void))
      })
    )
    return (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        const job = url.searchParams.get("job") ?? undefined
        const fiber = runFork(
          host.changes.pipe(
            Stream.filter((s) => job === undefined || s.id === job),
            Stream.runForEach((s) => Effect.sync(() => ws.send(JSON.stringify(encodeSummary(s)))))
          )
        )
        ws.on("close", () => runFork(Fiber.interrupt(fiber)))
        ws.on("error", () => ws.terminate())
        // The stream's first frame: the job as it is now.
        if (job !== undefined) {
          runFork(Effect.flatMap(Effect.either(host.get(job)), (d) =>
            Effect.sync(() => {
              if (d._tag === "Right") ws.send(JSON.stringify(encodeSummary(d.right)))
              else ws.close(4404, d.left.message)
            })))
        }
      })
  })

/** A bind that is not loopback needs a token: anyone who can reach the port could run jobs and read files. */
export const checkBind = (host: string, token: string | undefined): Effect.Effect<void, ServerStartError> =>
  !isLoopback(host) && (token === undefined || token === "")
    ? Effect.fail(
      new ServerStartError({
        reason: `refusing to bind ${host} without a token: anyone who can reach it could run jobs and read files. ` +
          `Bind 127.0.0.1, or give --token / --token-file.`
      })
    )
    : Effect.void

/**
 * Starts the server over the JobHost in the environment; closing the scope closes it (connections
 * too) and removes `<state>/server.json`.
 */
export const startServer = (
  options: ServerOptions
): Effect.Effect<RunningServer, ServerStartError, JobHost | import("effect").Scope.Scope> =>
  Effect.gen(function*() {
    yield* checkBind(options.host, options.token)
    const host = yield* JobHost
    const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES

    const appLayer = Layer.mergeAll(
      HttpApiSwagger.layer({ path: "/docs" }),
      HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" }),
      decodeErrorsAsFields
    ).pipe(
      Layer.provideMerge(HttpApiBuilder.api(ReelswarmApi).pipe(Layer.provide(handlersLayer(host, { maxUploadBytes })))),
      Layer.provideMerge(HttpApiBuilder.Router.Live),
      Layer.provideMerge(HttpApiBuilder.Middleware.layer),
      Layer.provideMerge(NodeHttpServer.layerContext)
    )
    const context = yield* Layer.build(appLayer)
    const app = yield* Effect.provide(HttpApiBuilder.httpApp, context)
    const handleApi = yield* NodeHttpServer.makeHandler(app).pipe(
      Effect.provide(context),
      HttpIncomingMessage.withMaxBodySize(Option.some(MAX_JSON_BODY_BYTES))
    )
    const progress = yield* progressSockets(host)

    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://localhost")
      // The console's static files hold no data (the page gets everything over its WebSocket, which
      // checks the token), and a browser cannot put a token on the <script> and <link> URLs.
      const page = url.pathname === "/" || url.pathname === "/console" || url.pathname.startsWith("/console/")
      if (page && options.console?.request !== undefined && (req.method === "GET" || req.method === "HEAD")) {
        return options.console.request(req, res)
      }
      if (!tokenAccepted(options.token, presentedToken(req.headers, url))) {
        return deny(res, 401, "a token is required: Authorization: Bearer <token>", { "www-authenticate": "Bearer" })
      }
      const length = Number(req.headers["content-length"] ?? 0)
      const upload = UPLOAD_ROUTES.has(url.pathname)
      const cap = upload ? maxUploadBytes + MULTIPART_SLACK : MAX_JSON_BODY_BYTES
      // A JSON body must say its length, so one over the cap gets its 413 before a byte is read
      // (counting a chunked one as it comes would have to cut the connection to stop it).
      if (
        !upload && url.pathname !== "/mcp" && req.headers["transfer-encoding"] !== undefined && req.headers["content-length"] === undefined
      ) {
        res.setHeader("connection", "close")
        return deny(res, 411, "send JSON bodies with a Content-Length")
      }
      if (length > cap) {
        res.setHeader("connection", "close")
        return deny(res, 413, `the body's ${length} bytes are over this route's cap of ${cap}`)
      }
      if (url.pathname === "/mcp" && options.mcp !== undefined) return void options.mcp.handle(req, res)
      handleApi(req, res)
    }

    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => socket.destroy())
      const url = new URL(req.url ?? "/", "http://localhost")
      if (!tokenAccepted(options.token, presentedToken(req.headers, url))) return refuseUpgrade(socket, 401, "a token is required")
      if (!originAllowed(req.headers.origin, req.headers.host)) {
        return refuseUpgrade(socket, 403, `origin ${req.headers.origin} may not open this socket`)
      }
      if (url.pathname === "/api/ws") return progress(req, socket, head, url)
      if (options.console?.upgrade !== undefined) return options.console.upgrade(req, socket, head)
      refuseUpgrade(socket, 404, `no WebSocket at ${url.pathname}`)
    }

    const server = createServer(onRequest)
    server.on("upgrade", onUpgrade)
    yield* Effect.acquireRelease(
      Effect.async<void, ServerStartError>((resume) => {
        server.once("error", (e) =>
          resume(Effect.fail(new ServerStartError({ reason: `cannot listen on ${options.host}:${options.port}: ${e.message}` }))))
        server.listen(options.port, options.host, () =>
          resume(Effect.void))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )
    const port = (server.address() as AddressInfo).port
    const hostPart = options.host.includes(":") ? `[${options.host}]` : options.host
    const url = `http://${hostPart}:${port}`
    const file = serverFile(host.state)
    yield* Effect.acquireRelease(
      writeFileAtomic(file, JSON.stringify({ url, pid: process.pid } satisfies ServerInfo) + "\n").pipe(
        Effect.mapError((e) => new ServerStartError({ reason: `cannot write ${file}: ${e.message}` }))
      ),
      () => Effect.promise(() => unlink(file).catch(() => undefined))
    )
    return { url, port, server }
  })
