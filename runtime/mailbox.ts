/**
 * A bounded mailbox with an overflow policy. It lives on the supervisor's side of an agent, so a
 * restarted agent finds its queued messages where it left them. The consumer takes one message at
 * a time synchronously (`poll`) and only suspends when the mailbox is empty: no Effect per message.
 */
import { Effect } from "effect"

/**
 * - `backpressure`: a sender waits until there is room (the default).
 * - `dropping`: the incoming message is dropped when the mailbox is full.
 * - `sliding`: the oldest queued message is dropped to make room for the incoming one.
 * Dropped messages become dead letters.
 */
export type OverflowPolicy = "backpressure" | "dropping" | "sliding"

export interface MailboxOptions {
  /** Queued messages the mailbox holds, not counting the one being handled. Default 1024. */
  readonly capacity?: number | undefined
  readonly overflow?: OverflowPolicy | undefined
}

export const DEFAULT_MAILBOX_CAPACITY = 1024

export type DropReason = "mailbox-full" | "evicted" | "stopped"

interface WaitingSender<A> {
  readonly item: A
  readonly resume: (effect: Effect.Effect<void>) => void
}

export class Mailbox<A> {
  readonly capacity: number
  readonly overflow: OverflowPolicy
  private ring: Array<A | undefined>
  private head = 0
  private count = 0
  private closed = false
  private waitingConsumer: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  private readonly waitingSenders: Array<WaitingSender<A>> = []

  constructor(
    options: MailboxOptions | undefined,
    /** Called for every message the mailbox refuses or evicts. */
    private readonly onDrop: (item: A, reason: DropReason) => Effect.Effect<void>
  ) {
    const capacity = options?.capacity ?? DEFAULT_MAILBOX_CAPACITY
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`mailbox capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
    this.overflow = options?.overflow ?? "backpressure"
    this.ring = new Array<A | undefined>(Math.min(capacity, 16))
  }

  get size(): number {
    return this.count
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Enqueues when there is room; the fast path of `offer`. */
  tryOffer(item: A): boolean {
    if (this.closed || this.count >= this.capacity) return false
    this.push(item)
    return true
  }

  /** Enqueues, applying the overflow policy when full. Never fails: what cannot be queued is dropped via `onDrop`. */
  offer(item: A): Effect.Effect<void> {
    return this.tryOffer(item) ? Effect.void : Effect.suspend(() => this.offerWhenFull(item))
  }

  /** Takes the oldest message, or undefined when empty. */
  poll(): A | undefined {
    if (this.count === 0) return undefined
    const item = this.ring[this.head] as A
    this.ring[this.head] = undefined
    this.head = (this.head + 1) % this.ring.length
    this.count--
    const sender = this.waitingSenders.shift()
    if (sender !== undefined) {
      this.push(sender.item)
      sender.resume(Effect.void)
    }
    return item
  }

  /** Completes when a message is queued or the mailbox is closed. */
  readonly awaitMessage: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.count > 0 || this.closed) return resume(Effect.void)
    this.waitingConsumer = resume
    return Effect.sync(() => {
      if (this.waitingConsumer === resume) this.waitingConsumer = undefined
    })
  })

  /** Refuses further messages and returns those queued or waiting to be queued, oldest first. */
  close(): Array<A> {
    this.closed = true
    const left: Array<A> = []
    for (let item = this.poll(); item !== undefined; item = this.poll()) left.push(item)
    for (const sender of this.waitingSenders.splice(0)) {
      left.push(sender.item)
      sender.resume(Effect.void)
    }
    this.wakeConsumer()
    return left
  }

  private offerWhenFull(item: A): Effect.Effect<void> {
    if (this.tryOffer(item)) return Effect.void
    if (this.closed) return this.onDrop(item, "stopped")
    switch (this.overflow) {
      case "dropping":
        return this.onDrop(item, "mailbox-full")
      case "sliding": {
        const oldest = this.poll() as A
        this.push(item)
        return this.onDrop(oldest, "evicted")
      }
      case "backpressure":
        return Effect.async<void>((resume) => {
          const sender: WaitingSender<A> = { item, resume }
          this.waitingSenders.push(sender)
          return Effect.sync(() => {
            const at = this.waitingSenders.indexOf(sender)
            if (at >= 0) this.waitingSenders.splice(at, 1)
          })
        })
    }
  }

  private push(item: A): void {
    if (this.count === this.ring.length) this.grow()
    this.ring[(this.head + this.count) % this.ring.length] = item
    this.count++
    this.wakeConsumer()
  }

  private wakeConsumer(): void {
    const consumer = this.waitingConsumer
    if (consumer !== undefined) {
      this.waitingConsumer = undefined
      consumer(Effect.void)
    }
  }

  private grow(): void {
    const next = new Array<A | undefined>(Math.min(this.capacity, this.ring.length * 2))
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % this.ring.length]
    this.ring = next
    this.head = 0
  }
}
