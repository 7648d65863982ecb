/**
 * A loopback stand-in for the Anthropic Messages API: POST /v1/messages answers with the next
 * scripted reply (a message with the given text, or an API error), and every request is recorded.
 */
import { Effect } from "effect"
import type { IncomingHttpHeaders } from "node:http"
import { jsonReply, loopbackServer } from "../../fixtures/loopback-server.ts"

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

const parseBody = (body: string): any => JSON.parse(body || "null")

/** Serves `replies` in order (the last one repeats) until the scope closes. */
export const fakeMessagesApi = (replies: ReadonlyArray<FakeReply>) =>
  Effect.map(
    loopbackServer((request, { requests }) => {
      const reply = replies[Math.min(requests.length, replies.length) - 1]!
      if (request.method !== "POST" || request.url.pathname !== "/v1/messages") {
        return jsonReply(404, { type: "error", error: { type: "not_found_error", message: "no such route" } })
      }
      const requestId = { "request-id": `req_${requests.length}` }
      if ("status" in reply) {
        return jsonReply(reply.status, { type: "error", error: { type: reply.errorType, message: reply.message } }, requestId)
      }
      return jsonReply(
        200,
        {
          id: `msg_${requests.length}`,
          type: "message",
          role: "assistant",
          model: parseBody(request.body)?.model ?? "unknown",
          content: [{ type: "text", text: reply.text, citations: null }],
          stop_reason: reply.stopReason ?? "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 42, output_tokens: 99 }
        },
        requestId
      )
    }),
    (server): FakeMessagesApi => ({
      baseURL: server.url,
      get requests() {
        return server.requests.map((r) => ({
          method: r.method,
          url: r.url.pathname + r.url.search,
          headers: r.headers,
          body: parseBody(r.body)
        }))
      }
    })
  )
