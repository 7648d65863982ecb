/**
 * A bounded ring of the newest items: pushing costs the same however full it is, and the oldest
 * item goes when a new one arrives at capacity. The event stream keeps its last 20,000 events here.
 */
export class RingBuffer<A> {
  private readonly items: Array<A | undefined>
  private start = 0
  private count = 0
  /** Items pushed since the ring was made (those evicted included). */
  pushed = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`)
    this.items = new Array<A | undefined>(capacity)
  }

  get length(): number {
    return this.count
  }

  push(item: A): void {
    this.pushed++
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item
      this.count++
    } else {
      this.items[this.start] = item
      this.start = (this.start + 1) % this.capacity
    }
  }

  /** The `index`th item, oldest first. */
  at(index: number): A | undefined {
    return index < 0 || index >= this.count ? undefined : this.items[(this.start + index) % this.capacity]
  }

  clear(): void {
    this.items.fill(undefined)
    this.start = 0
    this.count = 0
  }

  *[Symbol.iterator](): IterableIterator<A> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.start + i) % this.capacity] as A
  }
}
