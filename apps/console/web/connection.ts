/// <reference lib="dom" />
/**
 * The page's one WebSocket to the server: batches in, commands out. Each command gets a fresh rid
 * and resolves with its reply (and the `agent-detail` / `job-detail` item sent just before it).
 * A dropped connection is retried with backoff; the server's `hello` on the new connection is the
 * whole picture again, so the page rebuilds from it and misses nothing it still holds.
 */
import { type AgentDetail, type Batch, type Command, CONSOLE_WS_PATH, type JobDetail, type JobSummary, type ServerItem } from "./wire.ts"

export type ConnectionStatus = "connecting" | "open" | "closed"

export interface CommandResult {
  readonly ok: boolean
  readonly error?: { readonly tag: string; readonly message: string; readonly field?: string | undefined } | undefined
  readonly job?: JobSummary | undefined
  readonly agentDetail?: AgentDetail | undefined
  readonly jobDetail?: JobDetail | undefined
}

interface Pending {
  readonly resolve: (result: CommandResult) => void
  agentDetail?: AgentDetail
  jobDetail?: JobDetail
}

export interface ConnectionHandlers {
  readonly onItems: (items: ReadonlyArray<ServerItem>) => void
  readonly onStatus: (status: ConnectionStatus, detail: string) => void
}

/** The console socket's URL for a page at `location`: same host, ws or wss, the page's `?token=` passed on. */
export const socketUrl = (location: Location): string => {
  const url = new URL(CONSOLE_WS_PATH, location.href)
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:"
  const token = new URLSearchParams(location.search).get("token")
  url.search = token === null ? "" : `?token=${encodeURIComponent(token)}`
  return url.toString()
}

/** The frame's envelope; its items are the server's (protocol.ts), shown as text whatever they hold. */
const isBatch = (value: unknown): value is Batch =>
  typeof value === "object" && value !== null && Reflect.get(value, "t") === "batch" && Array.isArray(Reflect.get(value, "items"))

const RETRY_MS = [500, 1000, 2000, 5000, 10_000]

export class ConsoleConnection {
  private socket: WebSocket | undefined
  private readonly pending = new Map<string, Pending>()
  private nextRid = 1
  private failures = 0

  constructor(private readonly url: string, private readonly handlers: ConnectionHandlers) {}

  connect(): void {
    this.handlers.onStatus("connecting", this.url.replace(/token=[^&]*/, "token=…"))
    const socket = new WebSocket(this.url)
    this.socket = socket
    socket.addEventListener("open", () => {
      this.failures = 0
      this.handlers.onStatus("open", "live")
    })
    socket.addEventListener("message", (message) => {
      if (typeof message.data === "string") this.receive(message.data)
    })
    socket.addEventListener("close", (close) => {
      if (this.socket !== socket) return
      this.socket = undefined
      for (const [, pending] of this.pending) {
        pending.resolve({ ok: false, error: { tag: "Disconnected", message: "the connection to the server closed" } })
      }
      this.pending.clear()
      const wait = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!
      const why = close.code === 1008 ? "refused (token?)" : close.reason === "" ? `closed (${close.code})` : close.reason
      this.handlers.onStatus("closed", `${why}; retrying in ${wait / 1000} s`)
      setTimeout(() => this.connect(), wait)
    })
  }

  /** Sends a command; resolves with its reply, or with `Disconnected` when the socket is not open or closes first. */
  send(command: Command): Promise<CommandResult> {
    const socket = this.socket
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
      return Promise.resolve({ ok: false, error: { tag: "Disconnected", message: "not connected to the server" } })
    }
    const rid = `c${this.nextRid++}`
    return new Promise((resolve) => {
      this.pending.set(rid, { resolve })
      socket.send(JSON.stringify({ ...command, rid }))
    })
  }

  private receive(text: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return
    }
    if (!isBatch(parsed)) return
    const rest: Array<ServerItem> = []
    for (const item of parsed.items) {
      if (item.t === "agent-detail" || item.t === "job-detail") {
        const pending = this.pending.get(String(item.rid))
        if (pending !== undefined) {
          if (item.t === "agent-detail") pending.agentDetail = item.detail
          else pending.jobDetail = item.job
          continue
        }
      }
      if (item.t === "reply" && item.rid !== null) {
        const rid = String(item.rid)
        const pending = this.pending.get(rid)
        if (pending !== undefined) {
          this.pending.delete(rid)
          pending.resolve({
            ok: item.ok,
            error: item.error,
            job: item.job,
            agentDetail: pending.agentDetail,
            jobDetail: pending.jobDetail
          })
          continue
        }
      }
      rest.push(item)
    }
    if (rest.length > 0) this.handlers.onItems(rest)
  }
}
