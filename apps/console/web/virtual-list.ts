/// <reference lib="dom" />
/**
 * A list that puts only its visible rows in the DOM: a spacer as tall as every row, and a small
 * pool of fixed-height row elements moved and refilled as the list scrolls. Rendering costs the
 * rows on screen, not the items held, so 20,000 events scroll as lightly as 20.
 *
 * It follows the tail like `tail -f` while scrolled to the bottom; scrolled up, the rows under the
 * reader stay put as items arrive (and as the oldest leave, `dropFromHead`).
 */
import { el } from "./dom.ts"

export interface ListSource<A> {
  readonly length: number
  at(index: number): A | undefined
}

export interface VirtualListOptions<A> {
  readonly rowHeight: number
  /** Makes an empty row element (once per pooled row). */
  readonly createRow: () => HTMLElement
  /** Fills a row for an item; called only when the row shows a different item than before. */
  readonly renderRow: (row: HTMLElement, item: A, index: number) => void
  /** Extra rows above and below the viewport, so fast scrolling shows no gaps. */
  readonly overscan?: number
  readonly testId?: string
}

/** The rows to render for a viewport: the first index and how many, overscan included. */
export const visibleRange = (
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  length: number,
  overscan: number
): { readonly first: number; readonly count: number } => {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const last = Math.min(length, Math.ceil((scrollTop + viewportHeight) / rowHeight) + overscan)
  return { first, count: Math.max(0, last - first) }
}

export class VirtualList<A> {
  readonly element: HTMLElement
  private readonly spacer: HTMLElement
  private readonly pool: Array<HTMLElement> = []
  /** Which item each pooled row shows now, so an unchanged row is not refilled. */
  private readonly shown = new Map<HTMLElement, A>()
  private source: ListSource<A> = { length: 0, at: () => undefined }
  private following = true
  private scheduled = false

  constructor(private readonly options: VirtualListOptions<A>) {
    this.spacer = el("div", { class: "vlist-spacer" })
    this.element = el("div", { class: "vlist", tabindex: 0, "data-testid": options.testId }, this.spacer)
    this.element.addEventListener("scroll", () => {
      const { scrollTop, scrollHeight, clientHeight } = this.element
      this.following = scrollTop + clientHeight >= scrollHeight - this.options.rowHeight
      this.schedule()
    }, { passive: true })
    new ResizeObserver(() => this.schedule()).observe(this.element)
  }

  /** Whether the list keeps the newest row in view. */
  get isFollowing(): boolean {
    return this.following
  }

  setSource(source: ListSource<A>): void {
    this.source = source
    this.schedule()
  }

  /** `count` items left the head of the source: keeps the rows a reader scrolled to under their eyes. */
  dropFromHead(count: number): void {
    if (!this.following && count > 0) this.element.scrollTop = Math.max(0, this.element.scrollTop - count * this.options.rowHeight)
    this.schedule()
  }

  scrollToEnd(): void {
    this.following = true
    this.schedule()
  }

  /** Re-renders at the next frame (many calls in one frame cost one render). */
  schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    requestAnimationFrame(() => {
      this.scheduled = false
      this.render()
    })
  }

  /** Refills every row, even those showing the same item (the row's look depends on more than the item). */
  invalidate(): void {
    this.shown.clear()
    this.schedule()
  }

  private render(): void {
    const { rowHeight, overscan = 8 } = this.options
    const length = this.source.length
    this.spacer.style.height = `${length * rowHeight}px`
    if (this.following) this.element.scrollTop = this.element.scrollHeight
    const { first, count } = visibleRange(this.element.scrollTop, this.element.clientHeight, rowHeight, length, overscan)
    while (this.pool.length < count) {
      const row = this.options.createRow()
      row.classList.add("vlist-row")
      row.style.height = `${rowHeight}px`
      this.pool.push(row)
      this.element.appendChild(row)
    }
    for (let i = 0; i < this.pool.length; i++) {
      const row = this.pool[i]!
      const index = first + i
      const item = i < count ? this.source.at(index) : undefined
      if (item === undefined) {
        row.hidden = true
        this.shown.delete(row)
        continue
      }
      row.hidden = false
      row.style.transform = `translateY(${index * rowHeight}px)`
      row.dataset["index"] = String(index)
      if (this.shown.get(row) !== item) {
        this.options.renderRow(row, item, index)
        this.shown.set(row, item)
      }
    }
  }
}
