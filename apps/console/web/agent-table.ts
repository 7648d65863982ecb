/// <reference lib="dom" />
/**
 * The agents table, like observer's process list: one row per agent, updated in place every
 * second, sorted by whichever column header was clicked last (again: the other way). A row whose
 * agent just crashed is marked for a few seconds.
 */
import { el, setText } from "./dom.ts"
import { isCrash } from "./event-kinds.ts"
import { ago } from "./format.ts"
import type { AgentRow, WireEvent } from "./wire.ts"

type Column = "name" | "supervisor" | "state" | "queued" | "restarts" | "lastHeartbeat"

const COLUMNS: ReadonlyArray<{ readonly key: Column; readonly title: string; readonly numeric?: boolean }> = [
  { key: "name", title: "Agent" },
  { key: "supervisor", title: "Supervisor" },
  { key: "state", title: "State" },
  { key: "queued", title: "Mailbox", numeric: true },
  { key: "restarts", title: "Restarts", numeric: true },
  { key: "lastHeartbeat", title: "Last heartbeat", numeric: true }
]

interface RowView {
  readonly tr: HTMLTableRowElement
  readonly cells: Record<Column, HTMLTableCellElement>
  readonly fill: HTMLElement
  readonly queuedText: HTMLElement
  row: AgentRow
}

const compare = (a: AgentRow, b: AgentRow, key: Column): number => {
  const x = a[key]
  const y = b[key]
  if (typeof x === "number" || typeof y === "number" || x === null || y === null) return (Number(x ?? -1)) - (Number(y ?? -1))
  return String(x).localeCompare(String(y))
}

export class AgentTable {
  readonly element: HTMLTableElement
  private readonly body: HTMLTableSectionElement
  private readonly headers = new Map<Column, HTMLTableCellElement>()
  private readonly views = new Map<string, RowView>()
  private sortKey: Column = "name"
  private ascending = true
  private selected: string | undefined

  constructor(private readonly onSelect: (agent: string) => void) {
    const headRow = el("tr")
    for (const column of COLUMNS) {
      const th = el("th", {
        scope: "col",
        class: column.numeric === true ? "num sortable" : "sortable",
        "data-testid": `agents-sort-${column.key}`,
        "aria-sort": "none",
        tabindex: 0
      }, column.title)
      const sort = () => this.sortBy(column.key)
      th.addEventListener("click", sort)
      th.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") sort()
      })
      this.headers.set(column.key, th)
      headRow.appendChild(th)
    }
    this.body = el("tbody")
    this.element = el("table", { class: "grid agents", "data-testid": "agents-table" }, el("thead", {}, headRow), this.body)
    this.body.addEventListener("click", (e) => {
      const tr = (e.target as Element).closest("tr")
      const name = tr?.dataset["agent"]
      if (name !== undefined) this.onSelect(name)
    })
    this.markSort()
  }

  setRows(rows: ReadonlyArray<AgentRow>): void {
    const now = Date.now()
    const seen = new Set<string>()
    for (const row of rows) {
      seen.add(row.name)
      const view = this.views.get(row.name) ?? this.create(row)
      view.row = row
      this.fill(view, now)
    }
    for (const [name, view] of this.views) {
      if (!seen.has(name)) {
        view.tr.remove()
        this.views.delete(name)
      }
    }
    this.order()
  }

  /** Ages the heartbeat column between updates. */
  tick(): void {
    const now = Date.now()
    for (const view of this.views.values()) setText(view.cells.lastHeartbeat, ago(view.row.lastHeartbeat, now))
  }

  onEvent(event: WireEvent): void {
    if (event.agent === undefined || !isCrash(event)) return
    const view = this.views.get(event.agent)
    if (view === undefined) return
    view.tr.classList.remove("crashed")
    void view.tr.offsetWidth
    view.tr.classList.add("crashed")
    if (event.type === "restarted") {
      view.row = { ...view.row, restarts: view.row.restarts + 1 }
      this.fill(view, Date.now())
    }
  }

  select(name: string | undefined): void {
    this.selected = name
    for (const [agent, view] of this.views) view.tr.classList.toggle("selected", agent === name)
  }

  private create(row: AgentRow): RowView {
    const cells = {} as Record<Column, HTMLTableCellElement>
    const tr = el("tr", { "data-agent": row.name, "data-testid": "agent-row" })
    for (const column of COLUMNS) {
      const td = el("td", { class: column.numeric === true ? "num" : undefined, "data-col": column.key })
      cells[column.key] = td
      tr.appendChild(td)
    }
    const fill = el("span", { class: "meter-fill" })
    const queuedText = el("span", { class: "meter-text" })
    cells.queued.appendChild(el("span", { class: "meter" }, fill, queuedText))
    const view: RowView = { tr, cells, fill, queuedText, row }
    this.views.set(row.name, view)
    tr.classList.toggle("selected", row.name === this.selected)
    this.body.appendChild(tr)
    return view
  }

  private fill(view: RowView, now: number): void {
    const { row, cells } = view
    setText(cells.name, row.name)
    setText(cells.supervisor, row.supervisor)
    setText(cells.state, row.state)
    cells.state.className = `state state-${row.state}`
    setText(view.queuedText, `${row.queued} / ${row.capacity}`)
    const share = row.capacity > 0 ? Math.min(1, row.queued / row.capacity) : 0
    view.fill.style.width = `${Math.round(share * 100)}%`
    view.fill.classList.toggle("hot", share > 0.75)
    setText(cells.restarts, String(row.restarts))
    cells.restarts.classList.toggle("warn", row.restarts > 0)
    setText(cells.lastHeartbeat, ago(row.lastHeartbeat, now))
  }

  private sortBy(key: Column): void {
    this.ascending = this.sortKey === key ? !this.ascending : true
    this.sortKey = key
    this.markSort()
    this.order()
  }

  private markSort(): void {
    for (const [key, th] of this.headers) {
      th.setAttribute("aria-sort", key === this.sortKey ? (this.ascending ? "ascending" : "descending") : "none")
    }
  }

  /** Moves rows only when the order changed, so a steady table costs no DOM writes. */
  private order(): void {
    const sorted = [...this.views.values()].sort((a, b) => {
      const c = compare(a.row, b.row, this.sortKey) || a.row.name.localeCompare(b.row.name)
      return this.ascending ? c : -c
    })
    const current = this.body.children
    sorted.forEach((view, i) => {
      if (current[i] !== view.tr) this.body.insertBefore(view.tr, current[i] ?? null)
    })
  }
}
