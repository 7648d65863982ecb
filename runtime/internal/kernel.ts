/**
 * The swarm's message plumbing, shared by agents, supervisors and the swarm API: the agent
 * registry, envelope delivery, asks and their timeouts, replies, dead letters, and strict mode.
 * Internal: the public surface is agent.ts, supervisor.ts and swarm.ts.
 */
import { Cause, type Clock, Duration, Effect, Either, Exit, FiberRef, Schema, type Scope } from "effect"
import {
  AgentCrashedError,
  type AgentDefinition,
  type AgentRef,
  type AskError,
  type AskOptions,
  AskTimeoutError,
  type DeadLetterReason,
  DEFAULT_ASK_TIMEOUT,
  type Failure,
  type Request,
  type Success,
  Terminated,
  UndeliveredError
} from "../agent.ts"
import { type Codec, makeCodec, type PayloadCodec, payloadCodec, roundTrip } from "../codec.ts"
import { type Envelope, isReply, makeEnvelope, makeIdGenerator, OUTSIDE, REPLY_FAILURE, REPLY_SUCCESS, tagOf } from "../envelope.ts"
import { DeadLetterEvent, type SwarmEventsService } from "../events.ts"
import { Mailbox, type MailboxOptions } from "../mailbox.ts"
import type { LinkTraffic, Router, Topology } from "../topology.ts"

/** The name `tell`/`ask` put in `from`: the agent whose fiber sends, or `$swarm` outside any agent. */
export const CurrentAgent: FiberRef.FiberRef<string> = FiberRef.unsafeMake(OUTSIDE)

/** One agent's place in the swarm: lives as long as the agent, across its restarts. */
export interface AgentCell {
  readonly name: string
  readonly definition: AgentDefinition.Any
  readonly mailbox: Mailbox<Envelope>
  /** The running incarnation, if any; a killed one is detached from its cell at once. */
  incarnation: Incarnation | undefined
  restarts: number
  /** Envelopes put in its mailbox since the swarm started, by message tag (across restarts). */
  readonly received: Map<string, Counter>
  /**
   * Ids of queued timer messages whose timer was cancelled or replaced, or whose incarnation ended:
   * the agent skips them when it takes them from the mailbox.
   */
  readonly cancelledTimers: Set<string>
  /** Stops the agent for good, through its supervisor. */
  terminate: Effect.Effect<void>
}

/**
 * One run of an agent, from `init` to its end. Whatever is per incarnation lives here, not in the
 * cell, so an old incarnation that is still finishing (killed after its shutdown timeout) cannot
 * touch the next one.
 */
export interface Incarnation {
  readonly cell: AgentCell
  /** The message being handled, if any: a crash or a kill sends it to dead letters. */
  current: Envelope | undefined
  /** Set when the supervisor gave up waiting for it: it must not take messages or report anything. */
  killed: boolean
  /** Set once `init` has succeeded. */
  started: boolean
  /**
   * Requests received and not answered yet, by request object, each with the envelope whose
   * correlation id the reply must carry (an array when one request object was asked more than once).
   */
  readonly owed: Map<object, Envelope | Array<Envelope>>
  /** This incarnation's timer messages still queued, by envelope id, with the timer that sent each. */
  readonly timerMessages: Map<string, TimerRun>
  /** The agents it watches. */
  readonly watching: Set<string>
  /** Why its supervisor is stopping it (e.g. an escalation), for the asks it still owes when it ends. */
  stopping: string | undefined
}

/** A count that is bumped in place: one Map lookup per increment. */
export interface Counter {
  n: number
}

/** One started timer; a cancelled or replaced one's queued messages are skipped. */
export interface TimerRun {
  cancelled: boolean
}

export const makeIncarnation = (cell: AgentCell): Incarnation => ({
  cell,
  current: undefined,
  killed: false,
  started: false,
  owed: new Map(),
  timerMessages: new Map(),
  watching: new Set(),
  stopping: undefined
})

interface PendingAsk {
  readonly to: string
  readonly tag: string
  readonly timeoutMs: number
  readonly deadline: number
  readonly request: Request
  exit: Exit.Exit<unknown, unknown> | undefined
  resume: ((exit: Exit.Exit<unknown, unknown>) => void) | undefined
}

export interface Kernel {
  readonly strict: boolean
  readonly events: SwarmEventsService
  readonly clock: Clock.Clock
  readonly nextId: () => string
  readonly cells: Map<string, AgentCell>
  /**
   * Every running child of every supervisor (agents and supervisors share one namespace), with the
   * supervisor that owns it (a handle supervisor.ts defines).
   */
  readonly names: Map<string, object>
  /** The swarm is shutting down: envelopes to agents already gone are dead letters `stopped` (not `no-such-agent`). */
  readonly beginShutdown: () => void
  /** Fails every pending ask with `UndeliveredError` (`stopped`) and refuses further envelopes. Idempotent. */
  readonly close: Effect.Effect<void>
  readonly newCell: (name: string, definition: AgentDefinition.Any, mailbox: MailboxOptions) => AgentCell
  readonly deliver: (envelope: Envelope) => Effect.Effect<void>
  /** Envelopes that travelled each link, per direction, since the swarm started. */
  readonly traffic: () => ReadonlyArray<LinkTraffic>
  /** Routes an envelope through the topology (strict mode: after a codec round trip). */
  readonly send: (envelope: Envelope) => Effect.Effect<void>
  readonly deadLetter: (envelope: Envelope, reason: DeadLetterReason, cause?: string) => Effect.Effect<void>
  /** Builds the envelope when called, so call it from inside a lazy effect (as `ref` does). */
  readonly tell: (from: string, to: string, message: unknown) => Effect.Effect<void>
  /** Registers the ask when called, so call it from inside a lazy effect (as `ref` does). */
  readonly ask: <Req extends Request>(
    from: string,
    to: string,
    request: Req,
    options?: AskOptions
  ) => Effect.Effect<Success<Req>, Failure<Req> | AskError>
  /**
   * Answers a request the incarnation received, with the correlation id of the very envelope that
   * brought it; a no-op when nothing is owed for it (it was told, or answered already).
   */
  readonly reply: (incarnation: Incarnation, request: unknown, success: boolean, value: unknown) => Effect.Effect<void>
  readonly ref: <M>(name: string) => AgentRef<M>
  /** Records a request envelope the incarnation takes from its mailbox, so `reply` finds where its answer goes. */
  readonly receiving: (incarnation: Incarnation, envelope: Envelope) => void
  /** `watcher` receives a `Terminated` when `watched` stops for good (at once when there is no such agent). */
  readonly watch: (watcher: string, watched: string) => Effect.Effect<void>
  readonly unwatch: (watcher: string, watched: string) => void
  /**
   * The incarnation has ended (or was killed): its queued timer messages will be skipped, its
   * watches end, its cell no longer points at it, and every request it received and did not answer
   * fails with `AgentCrashedError` (a new incarnation knows nothing of them, so no reply can come;
   * during the swarm's shutdown `close` fails them instead).
   */
  readonly retire: (incarnation: Incarnation) => void
  /** `name` stopped for good: tells its watchers why. */
  readonly terminated: (name: string, reason: string) => Effect.Effect<void>
}

/** A short account of a cause for events and errors (no stack: this runs on every crash). */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  const error = Cause.squash(cause)
  if (error instanceof Error) return `${error.name}: ${error.message}`
  if (typeof error === "object" && error !== null && "_tag" in error) return String(error._tag)
  return String(error)
}

export const makeKernel = (options: {
  readonly strict: boolean
  readonly events: SwarmEventsService
  readonly topology: Topology
}): Effect.Effect<Kernel, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { events, strict } = options
    const clock = yield* Effect.clock
    const nextId = makeIdGenerator()
    const cells = new Map<string, AgentCell>()
    const names = new Map<string, object>()
    let open = true
    let stopping = false
    const pending = new Map<string, PendingAsk>()
    /** Watched agent -> the agents watching it. */
    const watchers = new Map<string, Set<string>>()
    const codec: Codec = makeCodec()
    const protocolCodecs = new WeakMap<Schema.Schema.Any, PayloadCodec<unknown>>()

    const protocolCodec = (schema: Schema.Schema<any, any, never>): PayloadCodec<unknown> => {
      let found = protocolCodecs.get(schema)
      if (found === undefined) {
        found = payloadCodec(schema)
        protocolCodecs.set(schema, found)
      }
      return found
    }

    const settle = (correlationId: string, ask: PendingAsk, exit: Exit.Exit<unknown, unknown>) => {
      pending.delete(correlationId)
      ask.exit = exit
      const resume = ask.resume
      if (resume !== undefined) {
        ask.resume = undefined
        resume(exit)
      }
    }

    /**
     * Requests an incarnation owed when it ended in the middle of a message: they fail with the same
     * reason and cause as that message, when it is dead-lettered (by envelope id).
     */
    const orphans = new Map<string, Array<Envelope>>()

    const failOwed = (owed: ReadonlyArray<Envelope>, reason: "crashed" | "interrupted", cause: string) => {
      for (const envelope of owed) {
        const ask = envelope.correlationId === undefined ? undefined : pending.get(envelope.correlationId)
        if (ask === undefined) continue
        settle(
          envelope.correlationId!,
          ask,
          Exit.fail(new AgentCrashedError({ agent: envelope.to, tag: envelope.tag, reason, cause }))
        )
      }
    }

    const deadLetter = (envelope: Envelope, reason: DeadLetterReason, cause?: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const orphaned = orphans.get(envelope.id)
        if (orphaned !== undefined) {
          orphans.delete(envelope.id)
          failOwed(orphaned, reason === "crashed" ? "crashed" : "interrupted", cause ?? reason)
        }
        if (envelope.correlationId !== undefined) {
          const ask = pending.get(envelope.correlationId)
          if (ask !== undefined) {
            const error = reason === "crashed" || reason === "interrupted"
              ? new AgentCrashedError({ agent: envelope.to, tag: envelope.tag, reason, cause: cause ?? reason })
              : new UndeliveredError({ agent: envelope.to, tag: envelope.tag, reason })
            settle(envelope.correlationId, ask, Exit.fail(error))
          }
        }
        return events.publish(DeadLetterEvent.make({
          reason,
          id: envelope.id,
          from: envelope.from,
          tag: envelope.tag,
          ...(envelope.correlationId === undefined ? {} : { correlationId: envelope.correlationId }),
          ...(cause === undefined ? {} : { cause })
        }, { agent: envelope.to }))
      })

    /** Sender -> addressee -> envelopes. The last link counted is kept at hand: a stream of envelopes on one link does no lookup. */
    const links = new Map<string, Map<string, Counter>>()
    let lastFrom = ""
    let lastTo = ""
    let lastLink: Counter = { n: 0 }
    const hop = (envelope: Envelope, from: string, to: string) => {
      envelope.hops++
      if (from !== lastFrom || to !== lastTo) {
        let row = links.get(from)
        if (row === undefined) links.set(from, row = new Map<string, Counter>())
        let counter = row.get(to)
        if (counter === undefined) row.set(to, counter = { n: 0 })
        lastFrom = from
        lastTo = to
        lastLink = counter
      }
      lastLink.n++
    }
    const traffic = () =>
      Array.from(links, ([from, row]) => Array.from(row, ([to, counter]): LinkTraffic => ({ from, to, envelopes: counter.n }))).flat()

    const deliver = (envelope: Envelope, via: string = envelope.from): Effect.Effect<void> => {
      hop(envelope, via, envelope.to)
      return arrive(envelope)
    }

    /** The last step of every delivery, counted or not (system messages pass no link). */
    const arrive = (envelope: Envelope): Effect.Effect<void> => {
      if (isReply(envelope)) {
        const ask = pending.get(envelope.correlationId!)
        // Nobody waits for it any more (the ask timed out, or its asker gave up): Akka's late reply.
        if (ask === undefined) return deadLetter(envelope, "late-reply")
        settle(envelope.correlationId!, ask, envelope.tag === REPLY_SUCCESS ? Exit.succeed(envelope.payload) : Exit.fail(envelope.payload))
        return Effect.void
      }
      if (!open) return deadLetter(envelope, "stopped")
      const cell = cells.get(envelope.to)
      if (cell === undefined) return deadLetter(envelope, stopping ? "stopped" : "no-such-agent")
      const received = cell.received.get(envelope.tag)
      if (received === undefined) cell.received.set(envelope.tag, { n: 1 })
      else received.n++
      return cell.mailbox.offer(envelope)
    }

    const router: Router = yield* options.topology.make({ deliver, hop })

    /** Strict mode: the envelope as a remote receiver would get it; an unserializable payload is the sender's bug (a defect). */
    const strictly = (envelope: Envelope, payloads: PayloadCodec<unknown> | undefined): Effect.Effect<void> => {
      if (payloads === undefined) return router.send(envelope)
      const back = roundTrip(codec, payloads, envelope)
      return Either.isLeft(back) ? Effect.die(back.left) : router.send(back.right)
    }

    const send = (envelope: Envelope): Effect.Effect<void> => {
      if (!open) return deadLetter(envelope, "stopped")
      if (!strict) return router.send(envelope)
      const cell = cells.get(envelope.to)
      return strictly(envelope, cell === undefined ? undefined : protocolCodec(cell.definition.protocol))
    }

    const tell = (from: string, to: string, message: unknown): Effect.Effect<void> =>
      send(makeEnvelope(nextId(), from, to, tagOf(message), message, undefined, undefined))

    // Ask timeouts: one sweeper fiber for all asks, instead of a timer fiber per ask. It sleeps until
    // the earliest deadline and is woken early only when an ask with an earlier deadline arrives.
    const sweeper = {
      wakeAt: Number.POSITIVE_INFINITY,
      dirty: false,
      wake: undefined as ((effect: Effect.Effect<void>) => void) | undefined
    }
    const watchDeadline = (deadline: number) => {
      if (deadline >= sweeper.wakeAt) return
      sweeper.dirty = true
      const wake = sweeper.wake
      if (wake !== undefined) {
        sweeper.wake = undefined
        wake(Effect.void)
      }
    }
    const wakeSignal = Effect.async<void>((resume) => {
      if (sweeper.dirty) return resume(Effect.void)
      sweeper.wake = resume
      return Effect.sync(() => {
        if (sweeper.wake === resume) sweeper.wake = undefined
      })
    })
    const sweep = Effect.suspend(() => {
      sweeper.dirty = false
      const now = clock.unsafeCurrentTimeMillis()
      let next = Number.POSITIVE_INFINITY
      for (const [correlationId, ask] of pending) {
        if (ask.deadline <= now) {
          settle(correlationId, ask, Exit.fail(new AskTimeoutError({ agent: ask.to, tag: ask.tag, timeoutMs: ask.timeoutMs })))
        } else if (ask.deadline < next) {
          next = ask.deadline
        }
      }
      sweeper.wakeAt = next
      return next === Number.POSITIVE_INFINITY
        ? wakeSignal
        : Effect.raceFirst(clock.sleep(Duration.millis(next - now)), wakeSignal)
    })
    yield* Effect.forkScoped(Effect.forever(sweep))

    const ask = <Req extends Request>(
      from: string,
      to: string,
      request: Req,
      askOptions?: AskOptions
    ): Effect.Effect<Success<Req>, Failure<Req> | AskError> => {
      const timeoutMs = Duration.toMillis(askOptions?.timeout ?? DEFAULT_ASK_TIMEOUT)
      const tag = tagOf(request)
      // The request's own id correlates its reply.
      const correlationId = nextId()
      const envelope = makeEnvelope(correlationId, from, to, tag, request as unknown, correlationId, from)
      const waiting: PendingAsk = {
        to,
        tag,
        timeoutMs,
        deadline: clock.unsafeCurrentTimeMillis() + timeoutMs,
        request,
        exit: undefined,
        resume: undefined
      }
      pending.set(correlationId, waiting)
      watchDeadline(waiting.deadline)
      const reply = Effect.async<unknown, unknown>((resume) => {
        if (waiting.exit !== undefined) return resume(waiting.exit)
        waiting.resume = resume
        return Effect.sync(() => {
          pending.delete(correlationId)
        })
      })
      // The reply's payload is the request's success or failure value (its schemas say so in strict mode).
      return Effect.zipRight(send(envelope), reply as Effect.Effect<Success<Req>, Failure<Req> | AskError>)
    }

    const receiving = (incarnation: Incarnation, envelope: Envelope) => {
      const request = envelope.payload
      if (typeof request !== "object" || request === null) return
      const owed = incarnation.owed.get(request)
      if (owed === undefined) incarnation.owed.set(request, envelope)
      else if (Array.isArray(owed)) owed.push(envelope)
      else incarnation.owed.set(request, [owed, envelope])
    }

    /** The envelope a reply to `request` answers: the one being handled when it brought this request, else the oldest. */
    const takeOwed = (incarnation: Incarnation, request: object): Envelope | undefined => {
      const owed = incarnation.owed.get(request)
      if (owed === undefined) return undefined
      if (!Array.isArray(owed)) {
        incarnation.owed.delete(request)
        return owed
      }
      const at = Math.max(0, owed.indexOf(incarnation.current!))
      const [asked] = owed.splice(at, 1)
      if (owed.length === 1) incarnation.owed.set(request, owed[0]!)
      return asked
    }

    const reply = (incarnation: Incarnation, request: unknown, success: boolean, value: unknown): Effect.Effect<void> =>
      Effect.suspend(() => {
        // A killed incarnation is gone: whatever it still runs sends no replies.
        if (incarnation.killed) return Effect.void
        const asked = typeof request === "object" && request !== null ? takeOwed(incarnation, request) : undefined
        if (asked === undefined || asked.correlationId === undefined || asked.replyTo === undefined) return Effect.void
        const envelope = makeEnvelope(
          nextId(),
          incarnation.cell.name,
          asked.replyTo,
          success ? REPLY_SUCCESS : REPLY_FAILURE,
          value,
          asked.correlationId,
          undefined
        )
        if (!strict) return router.send(envelope)
        const withResult = request as Schema.WithResult<unknown, unknown, unknown, unknown, never>
        return strictly(envelope, payloadCodec(success ? Schema.successSchema(withResult) : Schema.failureSchema(withResult)))
      })

    const terminatedEnvelope = (name: string, watcher: string, reason: string) =>
      makeEnvelope(nextId(), name, watcher, "Terminated", new Terminated({ agent: name, reason }), undefined, undefined)

    // Terminated is a system message: delivered straight to the watcher's mailbox, past the topology.
    const systemMessage = (envelope: Envelope) => {
      envelope.hops++
      return arrive(envelope)
    }
    const watch = (watcher: string, watched: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (!names.has(watched)) return systemMessage(terminatedEnvelope(watched, watcher, "no-such-agent"))
        let set = watchers.get(watched)
        if (set === undefined) watchers.set(watched, set = new Set())
        set.add(watcher)
        return Effect.void
      })

    const unwatch = (watcher: string, watched: string) => {
      const set = watchers.get(watched)
      if (set === undefined) return
      set.delete(watcher)
      if (set.size === 0) watchers.delete(watched)
    }

    const terminated = (name: string, reason: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const set = watchers.get(name)
        if (set === undefined) return Effect.void
        watchers.delete(name)
        return Effect.forEach(set, (watcher) => systemMessage(terminatedEnvelope(name, watcher, reason)), { discard: true })
      })

    const retire = (incarnation: Incarnation) => {
      const cell = incarnation.cell
      for (const id of incarnation.timerMessages.keys()) cell.cancelledTimers.add(id)
      incarnation.timerMessages.clear()
      for (const watched of incarnation.watching) unwatch(cell.name, watched)
      incarnation.watching.clear()
      if (cell.incarnation === incarnation) cell.incarnation = undefined
      // At the swarm's shutdown they stay pending, for `close` to fail as undelivered (`stopped`).
      if (incarnation.owed.size === 0 || stopping) return
      const owed = Array.from(incarnation.owed.values()).flat().filter((envelope) => envelope !== incarnation.current)
      incarnation.owed.clear()
      const current = incarnation.current
      if (current !== undefined && incarnation.stopping === undefined) {
        // It ended in the middle of a message: the dead letter of that message says how (crash or interruption).
        orphans.set(current.id, owed)
        return
      }
      failOwed(owed, "interrupted", incarnation.stopping ?? "ended without replying")
    }

    const close = Effect.suspend(() => {
      if (!open) return Effect.void
      open = false
      stopping = true
      const stranded = Array.from(pending)
      for (const [correlationId, ask] of stranded) {
        settle(correlationId, ask, Exit.fail(new UndeliveredError({ agent: ask.to, tag: ask.tag, reason: "stopped" })))
      }
      return Effect.void
    })

    const ref = <M>(name: string): AgentRef<M> => ({
      name,
      tell: (message) => Effect.withFiberRuntime((fiber) => tell(fiber.getFiberRef(CurrentAgent), name, message)),
      ask: (request, askOptions) => Effect.withFiberRuntime((fiber) => ask(fiber.getFiberRef(CurrentAgent), name, request, askOptions)),
      stop: Effect.suspend(() => cells.get(name)?.terminate ?? Effect.void)
    })

    const newCell = (name: string, definition: AgentDefinition.Any, mailbox: MailboxOptions): AgentCell => ({
      name,
      definition,
      mailbox: new Mailbox<Envelope>(mailbox, (envelope, reason) => deadLetter(envelope, reason)),
      incarnation: undefined,
      restarts: 0,
      received: new Map(),
      cancelledTimers: new Set(),
      terminate: Effect.void
    })

    // Added after the router's own finalizers, so it runs before them: the router then finds the
    // kernel closed and turns whatever it still holds into dead letters.
    yield* Effect.addFinalizer(() => close)

    return {
      strict,
      events,
      clock,
      nextId,
      cells,
      names,
      beginShutdown: () => {
        stopping = true
      },
      close,
      newCell,
      deliver,
      traffic,
      send,
      deadLetter,
      tell,
      ask,
      reply,
      ref,
      receiving,
      watch,
      unwatch,
      retire,
      terminated
    } satisfies Kernel
  })
