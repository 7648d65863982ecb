/// <reference lib="dom" />
/**
 * The event stream: the last 20,000 events in a ring, shown in a virtualized list (only the rows
 * on screen are in the DOM), filtered by type, agent, job and text, and paused on demand (events
 * still arrive and are counted while paused; the view stays still until resumed).
 */
import { el, setText } from "./dom.ts"
import { familyOf } from "./event-kinds.ts"
import { clockTime, compactJson } from "./format.ts"
import { RingBuffer } from "./ring-buffer.ts"
import { type ListSource, VirtualList } from "./virtual-list.ts"
import type { WireEvent } from "./wire.ts"

const EVENT_CAPACITY = 20_000
const ROW_HEIGHT = 24

interface Filter {
  type: string
  agent: string
  job: string
  text: string
}

const ALL = ""

const matches = (filter: Filter, event: WireEvent): boolean =>
  (filter.type === ALL || event.type === filter.type) &&
  (filter.agent === ALL || event.agent === filter.agent) &&
  (filter.job === ALL || event.job === filter.job) &&
  (filter.text === "" || searchText(event).includes(filter.text))

const searchText = (event: WireEvent): string =>
  `${event.type} ${event.agent ?? ""} ${event.job ?? ""} ${event.data === undefined ? "" : compactJson(event.data, 2000)}`.toLowerCase()

const isFiltered = (filter: Filter) => filter.type !== ALL || filter.agent !== ALL || filter.job !== ALL || filter.text !== ""

/** A select whose options grow as new values are seen, kept sorted. */
class GrowingSelect {
  readonly element: HTMLSelectElement
  private readonly values = new Set<string>()

  constructor(label: string, testId: string, onChange: (value: string) => void) {
    this.element = el("select", { "data-testid": testId, "aria-label": label }, el("option", { value: ALL }, `All ${label}`))
    this.element.addEventListener("change", () => onChange(this.element.value))
  }

  see(value: string | undefined): void {
    if (value === undefined || value === "" || this.values.has(value)) return
    this.values.add(value)
    const option = el("option", { value }, value)
    const after = [...this.element.options].slice(1).find((o) => o.value.localeCompare(value) > 0)
    this.element.insertBefore(option, after ?? null)
  }

  set(value: string): void {
    this.see(value)
    this.element.value = value
    this.element.dispatchEvent(new Event("change"))
  }
}

export class EventStream {
  readonly element: HTMLElement
  private readonly all = new RingBuffer<WireEvent>(EVENT_CAPACITY)
  private filtered = new RingBuffer<WireEvent>(EVENT_CAPACITY)
  private readonly filter: Filter = { type: ALL, agent: ALL, job: ALL, text: "" }
  private readonly list: VirtualList<WireEvent>
  private paused: ReadonlyArray<WireEvent> | undefined
  private arrivedWhilePaused = 0
  private droppedByServer = 0
  private lastId = 0
  private readonly types: GrowingSelect
  private readonly agents: GrowingSelect
  private readonly jobs: GrowingSelect
  private readonly pauseButton: HTMLButtonElement
  private readonly count: HTMLElement
  private readonly latest: HTMLButtonElement
  private readonly detail: HTMLElement
  private countScheduled = false
  private selectedId: number | undefined

  constructor() {
    this.types = new GrowingSelect("types", "events-filter-type", (v) => this.setFilter({ type: v }))
    this.agents = new GrowingSelect("agents", "events-filter-agent", (v) => this.setFilter({ agent: v }))
    this.jobs = new GrowingSelect("jobs", "events-filter-job", (v) => this.setFilter({ job: v }))
    const search = el("input", { type: "search", placeholder: "Search data…", "data-testid": "events-filter-text", "aria-label": "Search" })
    let typing: ReturnType<typeof setTimeout> | undefined
    search.addEventListener("input", () => {
      clearTimeout(typing)
      typing = setTimeout(() => this.setFilter({ text: search.value.trim().toLowerCase() }), 150)
    })
    this.pauseButton = el("button", { class: "btn", "data-testid": "events-pause", "aria-pressed": "false" }, "Pause")
    this.pauseButton.addEventListener("click", () => this.setPaused(this.paused === undefined))
    this.latest = el("button", { class: "btn btn-ghost", "data-testid": "events-latest", hidden: true }, "↓ Latest")
    this.latest.addEventListener("click", () => this.list.scrollToEnd())
    this.count = el("span", { class: "muted count", "data-testid": "events-count", "aria-live": "polite" })
    this.list = new VirtualList<WireEvent>({
      rowHeight: ROW_HEIGHT,
      testId: "events-list",
      createRow: () =>
        el(
          "div",
          { class: "event-row", "data-testid": "event-row", role: "row" },
          el("span", { class: "ts" }),
          el("span", { class: "type" }),
          el("span", { class: "agent" }),
          el("span", { class: "job" }),
          el("span", { class: "data" })
        ),
      renderRow: (row, event) => {
        const [ts, type, agent, job, data] = row.children as unknown as [HTMLElement, HTMLElement, HTMLElement, HTMLElement, HTMLElement]
        row.className = `vlist-row event-row family-${familyOf(event)}${event.id === this.selectedId ? " selected" : ""}`
        row.dataset["type"] = event.type
        row.dataset["id"] = String(event.id)
        ts.textContent = clockTime(event.ts)
        type.textContent = event.type
        agent.textContent = event.agent ?? ""
        job.textContent = event.job ?? ""
        data.textContent = event.data === undefined ? "" : compactJson(event.data)
      }
    })
    this.list.element.addEventListener("click", (e) => {
      const row = (e.target as Element).closest<HTMLElement>(".event-row")
      const index = Number(row?.dataset["index"])
      const event = Number.isInteger(index) ? this.source().at(index) : undefined
      if (event !== undefined) this.showDetail(event)
    })
    this.list.element.addEventListener("scroll", () => this.scheduleCount(), { passive: true })
    this.detail = el("pre", { class: "event-detail", "data-testid": "event-detail" }, "Select an event to see all of it.")
    const head = el(
      "div",
      { class: "event-row event-head", role: "row" },
      el("span", { class: "ts" }, "Time"),
      el("span", { class: "type" }, "Type"),
      el("span", { class: "agent" }, "Agent"),
      el("span", { class: "job" }, "Job"),
      el("span", { class: "data" }, "Data")
    )
    this.element = el(
      "section",
      { class: "events", "data-testid": "events" },
      el(
        "div",
        { class: "toolbar" },
        this.types.element,
        this.agents.element,
        this.jobs.element,
        search,
        this.pauseButton,
        this.latest,
        el("span", { class: "spacer" }),
        this.count
      ),
      el("div", { class: "events-main" }, el("div", { class: "events-table", role: "table" }, head, this.list.element), this.detail)
    )
    this.list.setSource(this.all)
    this.scheduleCount()
  }

  /**
   * Hello's events: those newer than any held are added. A server whose newest event is older than
   * ours has a new log (its ids started again): the ring starts afresh from its events.
   */
  reset(events: ReadonlyArray<WireEvent>): void {
    const newest = events.at(-1)?.id
    if (newest !== undefined && newest < this.lastId) {
      this.all.clear()
      this.filtered.clear()
      this.lastId = 0
      this.list.setSource(this.source())
    }
    this.pushAll(events)
  }

  pushAll(events: ReadonlyArray<WireEvent>): void {
    const filtering = isFiltered(this.filter)
    let evictedAll = 0
    let evictedFiltered = 0
    for (const event of events) {
      if (event.id <= this.lastId) continue
      this.lastId = event.id
      if (this.all.length === this.all.capacity) evictedAll++
      this.all.push(event)
      if (filtering && matches(this.filter, event)) {
        if (this.filtered.length === this.filtered.capacity) evictedFiltered++
        this.filtered.push(event)
      }
      this.types.see(event.type)
      this.agents.see(event.agent)
      this.jobs.see(event.job)
      if (this.paused !== undefined) this.arrivedWhilePaused++
    }
    if (this.paused === undefined) this.list.dropFromHead(filtering ? evictedFiltered : evictedAll)
    this.scheduleCount()
  }

  /** The server could not send this page `count` events (it fell behind); the count is shown. */
  noteDropped(count: number): void {
    this.droppedByServer += count
    this.scheduleCount()
  }

  /** Shows only this job's events (from the jobs view). */
  filterJob(job: string): void {
    this.jobs.set(job)
  }

  setPaused(paused: boolean): void {
    if (paused) {
      this.paused = Array.from(this.liveSource())
      this.arrivedWhilePaused = 0
    } else {
      this.paused = undefined
    }
    this.pauseButton.textContent = paused ? "Resume" : "Pause"
    this.pauseButton.setAttribute("aria-pressed", String(paused))
    this.pauseButton.classList.toggle("btn-active", paused)
    this.list.setSource(this.source())
    this.list.invalidate()
    this.scheduleCount()
  }

  /** After the panel was shown. */
  refresh(): void {
    this.list.schedule()
  }

  private setFilter(change: Partial<Filter>): void {
    Object.assign(this.filter, change)
    this.filtered = new RingBuffer<WireEvent>(EVENT_CAPACITY)
    if (isFiltered(this.filter)) { for (const event of this.all) if (matches(this.filter, event)) this.filtered.push(event) }
    if (this.paused !== undefined) this.paused = this.paused.filter((event) => matches(this.filter, event))
    this.list.setSource(this.source())
    this.list.invalidate()
    this.list.scrollToEnd()
    this.scheduleCount()
  }

  private liveSource(): RingBuffer<WireEvent> {
    return isFiltered(this.filter) ? this.filtered : this.all
  }

  private source(): ListSource<WireEvent> {
    const paused = this.paused
    return paused === undefined ? this.liveSource() : { length: paused.length, at: (i) => paused[i] }
  }

  private showDetail(event: WireEvent): void {
    this.selectedId = event.id
    this.detail.textContent = JSON.stringify(event, null, 2)
    this.list.invalidate()
  }

  private scheduleCount(): void {
    if (this.countScheduled) return
    this.countScheduled = true
    requestAnimationFrame(() => {
      this.countScheduled = false
      const shown = this.source().length
      const parts = [
        `${shown.toLocaleString()} shown`,
        `${this.all.length.toLocaleString()} held`,
        `${this.all.pushed.toLocaleString()} received`
      ]
      if (this.paused !== undefined) parts.push(`paused: ${this.arrivedWhilePaused.toLocaleString()} new`)
      if (this.droppedByServer > 0) parts.push(`${this.droppedByServer.toLocaleString()} dropped by the server`)
      setText(this.count, parts.join(" · "))
      this.count.dataset["shown"] = String(shown)
      this.count.dataset["received"] = String(this.all.pushed)
      this.count.dataset["held"] = String(this.all.length)
      this.latest.hidden = this.paused !== undefined || this.list.isFollowing
    })
  }
}
