/**
 * A real `reelswarm serve` server for tests: the real job host over a temp state directory (SQLite,
 * espeak-ng, ffmpeg), the HTTP server on 127.0.0.1 and a free port; plus small clients for raw HTTP
 * (paths fetch() would normalise) and WebSocket upgrades.
 */
import { Effect, Exit, Layer, ManagedRuntime, Schedule, Scope } from "effect"
import { request as httpRequest } from "node:http"
import WebSocket from "ws"
import { type RunningServer, type ServerOptions, startServer } from "../../../apps/api/server.ts"
import { JobHost } from "../../../apps/host/contract.ts"
import { layer as jobHostLayer } from "../../../apps/host/host.ts"

export interface TestServer {
  readonly url: string
  readonly port: number
  readonly running: RunningServer
  readonly close: () => Promise<void>
}

/** The host on `state` and a server over it; `close` stops both (server first). */
export const openServer = async (state: string, options: Partial<ServerOptions> = {}): Promise<TestServer> => {
  const runtime = ManagedRuntime.make(jobHostLayer({ state, topology: "star", concurrency: 1, encoderSlots: 1 }))
  const scope = Effect.runSync(Scope.make())
  try {
    const running = await runtime.runPromise(Scope.extend(startServer({ host: "127.0.0.1", port: 0, ...options }), scope))
    return {
      url: running.url,
      port: running.port,
      running,
      close: async () => {
        await Effect.runPromise(Scope.close(scope, Exit.void))
        await runtime.dispose()
      }
    }
  } catch (error) {
    await runtime.dispose()
    throw error
  }
}

/** Starting a server with these options, to its failure (or success) as an Exit; the host is closed after. */
export const tryStart = (state: string, options: ServerOptions) =>
  Effect.scoped(Effect.exit(startServer(options))).pipe(
    Effect.provide(jobHostLayer({ state, topology: "star", concurrency: 1, encoderSlots: 1 }) as Layer.Layer<JobHost, unknown>),
    Effect.runPromise
  )

export interface RawResponse {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: Buffer
}

/** One request with the path sent exactly as given (no `..` or `%2e` normalisation). */
export const rawGet = (port: number, path: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: "GET", headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on("error", reject)
    req.end()
  })

/** What an upgrade came to: open (with the socket), or refused with an HTTP status. */
export type UpgradeOutcome = { readonly _tag: "Open"; readonly ws: WebSocket } | { readonly _tag: "Refused"; readonly status: number }

export const upgrade = (url: string, headers: Record<string, string> = {}): Promise<UpgradeOutcome> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once("open", () => resolve({ _tag: "Open", ws }))
    ws.once("unexpected-response", (_req, res) => {
      resolve({ _tag: "Refused", status: res.statusCode ?? 0 })
      res.resume()
      ws.terminate()
    })
    ws.once("error", (e) => reject(e))
  })

/** Polls `read` every 200 ms until `ready` holds: the outcome does not depend on how long it takes. */
export const until = <A>(read: () => Promise<A>, ready: (a: A) => boolean): Promise<A> =>
  Effect.runPromise(
    Effect.promise(read).pipe(
      Effect.filterOrFail(ready, () => "not yet" as const),
      Effect.retry({ while: (e) => e === "not yet", schedule: Schedule.spaced("200 millis") })
    )
  )
