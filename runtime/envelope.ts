/**
 * The envelope every message travels in, in process and on the wire. Payloads are the protocol's
 * values in process and their Schema-encoded form on the wire (see codec.ts).
 */

export interface Envelope<P = unknown> {
  readonly id: string
  readonly from: string
  readonly to: string
  /** The payload's `_tag`; replies carry `REPLY_SUCCESS` or `REPLY_FAILURE`. */
  readonly tag: string
  readonly payload: P
  /** Set on requests (ask) and on their replies. */
  readonly correlationId: string | undefined
  /** Where the reply to a request goes. */
  readonly replyTo: string | undefined
  /** Milliseconds since the epoch when the envelope was made. */
  readonly ts: number
  /** Links traversed so far; each delivery adds one (mesh: 1, star through the hub: 2). */
  hops: number
}

/** Tags of reply envelopes: the payload is the request's success value or its failure. */
export const REPLY_SUCCESS = "@reply"
export const REPLY_FAILURE = "@reply-failure"

/** A protocol message's tag (every message is a `Schema.TaggedClass` or `TaggedRequest`): what an envelope's `tag` says. */
export const tagOf = (message: unknown): string => (message as { readonly _tag: string })._tag

export const isReply = (envelope: Envelope): boolean => envelope.tag === REPLY_SUCCESS || envelope.tag === REPLY_FAILURE

/** Address used as `from`/`replyTo` by code outside any agent (the swarm's own API, the Promise facade). */
export const OUTSIDE = "$swarm"

/** Ids unique within a process (a random prefix per swarm, then a counter); cheap enough for the hot path. */
export const makeIdGenerator = (prefix: string = Math.random().toString(36).slice(2, 8)): () => string => {
  let next = 0
  return () => prefix + (next++).toString(36)
}

/** Keys in wire order; `makeEnvelope` always writes every key in this order so one record structure fits all. */
export const ENVELOPE_KEYS = ["id", "from", "to", "tag", "payload", "correlationId", "replyTo", "ts", "hops"] as const

export const makeEnvelope = <P>(
  id: string,
  from: string,
  to: string,
  tag: string,
  payload: P,
  correlationId: string | undefined,
  replyTo: string | undefined,
  ts: number = Date.now(),
  hops = 0
): Envelope<P> => ({ id, from, to, tag, payload, correlationId, replyTo, ts, hops })
