/**
 * A loopback stand-in for the Anthropic Messages API: POST /v1/messages answers with the next
 * scripted reply (a message with the given text, or an API error), and every request is recorded.
 */
import { Effect } from "effect"
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"

export type FakeReply =
  | { readonly text: string; readonly stopReason?: string }
  | { readonly status: number; readonly errorType: string; readonly message: string }

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: any
}

export interface FakeMessagesApi {
  readonly baseURL: string
  readonly requests: ReadonlyArray<RecordedRequest>
}

/** Serves `replies` in order (the last one repeats) until the scope closes. */
export const fakeMessagesApi = (replies: ReadonlyArray<FakeReply>) =>
  Effect.acquireRelease(
    Effect.async<{ server: ReturnType<typeof createServer>; api: FakeMessagesApi }>((resume) => {
      const requests: Array<RecordedRequest> = []
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "null")
          requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
          const reply = replies[Math.min(requests.length, replies.length) - 1]!
          if (req.method !== "POST" || req.url !== "/v1/messages") {
            res.writeHead(404, { "content-type": "application/json" })
            res.end(JSON.stringify({ type: "error", error: { type: "not_found_error", message: "no such route" } }))
            return
          }
          if ("status" in reply) {
            res.writeHead(reply.status, { "content-type": "application/json", "request-id": `req_${requests.length}` })
            res.end(JSON.stringify({ type: "error", error: { type: reply.errorType, message: reply.message } }))
            return
          }
          res.writeHead(200, { "content-type": "application/json", "request-id": `req_${requests.length}` })
          res.end(
            JSON.stringify({
              id: `msg_${requests.length}`,
              type: "message",
              role: "assistant",
              model: body?.model ?? "unknown",
              content: [{ type: "text", text: reply.text, citations: null }],
              stop_reason: reply.stopReason ?? "end_turn",
              stop_sequence: null,
              usage: { input_tokens: 42, output_tokens: 99 }
            })
          )
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ server, api: { baseURL: `http://127.0.0.1:${port}`, requests } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ api }) => api))
