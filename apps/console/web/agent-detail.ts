/// <reference lib="dom" />
/**
 * One agent in full (get-agent): its row's facts, the message tags it has handled, its dead
 * letters and its recent events, with the commands that act on it (restart, stop). Refreshed while
 * open, and at once after an event about it.
 */
import type { ConsoleConnection } from "./connection.ts"
import { el, replaceChildren } from "./dom.ts"
import { familyOf } from "./event-kinds.ts"
import { ago, clockTime, compactJson } from "./format.ts"
import type { Toasts } from "./toasts.ts"
import type { AgentDetail, WireEvent } from "./wire.ts"

const REFRESH_MS = 2000
/** After an event about the agent: soon, and once for a burst. */
const SOON_MS = 250

const eventLine = (event: WireEvent) =>
  el(
    "li",
    { class: `event-line family-${familyOf(event)}` },
    el("span", { class: "ts" }, clockTime(event.ts)),
    el("span", { class: "type" }, event.type),
    el("span", { class: "data" }, event.data === undefined ? "" : compactJson(event.data, 240))
  )

export class AgentDetailView {
  readonly element: HTMLElement
  private readonly title: HTMLElement
  private readonly body: HTMLElement
  private agent: string | undefined
  private timer: ReturnType<typeof setInterval> | undefined
  private refreshing = false
  private soon: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly connection: ConsoleConnection,
    private readonly toasts: Toasts,
    private readonly onClose: () => void
  ) {
    this.title = el("h2", { "data-testid": "agent-detail-name" })
    const restart = el("button", { class: "btn", "data-testid": "agent-restart", title: "Stop the agent and start it again" }, "Restart")
    const stop = el("button", { class: "btn btn-danger", "data-testid": "agent-stop", title: "Stop the agent, keeping its spec" }, "Stop")
    const close = el("button", { class: "btn btn-ghost", "aria-label": "Close", "data-testid": "agent-detail-close" }, "✕")
    restart.addEventListener("click", () => void this.command("restart-agent"))
    stop.addEventListener("click", () => void this.command("stop-agent"))
    close.addEventListener("click", () => this.close())
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.agent !== undefined && document.querySelector("dialog[open]") === null) this.close()
    })
    this.body = el("div", { class: "detail-body" })
    this.element = el(
      "aside",
      { class: "drawer", hidden: true, "data-testid": "agent-detail" },
      el("header", { class: "drawer-head" }, this.title, el("div", { class: "actions" }, restart, stop, close)),
      this.body
    )
  }

  get open(): string | undefined {
    return this.agent
  }

  show(agent: string): void {
    this.agent = agent
    this.title.textContent = agent
    this.element.hidden = false
    replaceChildren(this.body, el("p", { class: "muted" }, "Loading…"))
    clearInterval(this.timer)
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS)
    void this.refresh()
  }

  close(): void {
    this.agent = undefined
    this.element.hidden = true
    clearInterval(this.timer)
    this.onClose()
  }

  /** An event about the open agent: its detail is fetched again now. */
  onEvent(event: WireEvent): void {
    if (event.agent === undefined || event.agent !== this.agent || event.type === "heartbeat") return
    if (this.soon === undefined) {
      this.soon = setTimeout(() => {
        this.soon = undefined
        void this.refresh()
      }, SOON_MS)
    }
  }

  private async command(t: "restart-agent" | "stop-agent"): Promise<void> {
    const name = this.agent
    if (name === undefined) return
    const result = await this.connection.send({ t, name })
    this.toasts.result(
      t === "restart-agent" ? `Restart ${name}` : `Stop ${name}`,
      result,
      t === "restart-agent" ? `${name} restarted` : `${name} stopped`
    )
    void this.refresh()
  }

  private async refresh(): Promise<void> {
    const name = this.agent
    if (name === undefined || this.refreshing) return
    this.refreshing = true
    try {
      const result = await this.connection.send({ t: "get-agent", name })
      if (this.agent !== name) return
      if (!result.ok || result.agentDetail === undefined) {
        replaceChildren(this.body, el("p", { class: "error" }, `${result.error?.tag ?? "Error"}: ${result.error?.message ?? "no detail"}`))
        return
      }
      this.render(result.agentDetail)
    } finally {
      this.refreshing = false
    }
  }

  private render(detail: AgentDetail): void {
    const { row } = detail
    const now = Date.now()
    const facts = el(
      "dl",
      { class: "facts" },
      el("dt", {}, "Supervisor"),
      el("dd", {}, row.supervisor),
      el("dt", {}, "State"),
      el("dd", { class: `state state-${row.state}`, "data-testid": "agent-detail-state" }, row.state),
      el("dt", {}, "Mailbox"),
      el("dd", {}, `${row.queued} queued of ${row.capacity}`),
      el("dt", {}, "Restarts"),
      el("dd", { "data-testid": "agent-detail-restarts" }, String(row.restarts)),
      el("dt", {}, "Incarnation"),
      el("dd", {}, String(row.incarnation)),
      el("dt", {}, "Last heartbeat"),
      el("dd", {}, ago(row.lastHeartbeat, now))
    )
    const total = detail.handled.reduce((sum, t) => sum + t.count, 0)
    const handled = detail.handled.length === 0
      ? el("p", { class: "muted" }, "No messages delivered yet.")
      : el(
        "table",
        { class: "grid compact", "data-testid": "agent-handled" },
        el("thead", {}, el("tr", {}, el("th", {}, "Message"), el("th", { class: "num" }, "Count"), el("th", { class: "num" }, "Share"))),
        el(
          "tbody",
          {},
          ...detail.handled.map((t) =>
            el(
              "tr",
              {},
              el("td", { class: "mono" }, t.tag),
              el("td", { class: "num" }, String(t.count)),
              el("td", { class: "num" }, total === 0 ? "–" : `${Math.round((t.count / total) * 100)}%`)
            )
          )
        )
      )
    const deadLetters = detail.deadLetters.length === 0
      ? el("p", { class: "muted" }, "None.")
      : el("ol", { class: "event-lines", "data-testid": "agent-dead-letters" }, ...[...detail.deadLetters].reverse().map(eventLine))
    const events = detail.events.length === 0
      ? el("p", { class: "muted" }, "None yet.")
      : el("ol", { class: "event-lines", "data-testid": "agent-events" }, ...[...detail.events].reverse().map(eventLine))
    replaceChildren(
      this.body,
      facts,
      el("h3", {}, "Messages handled"),
      handled,
      el("h3", {}, `Dead letters (${detail.deadLetters.length})`),
      deadLetters,
      el("h3", {}, `Recent events (${detail.events.length})`),
      events
    )
  }
}
