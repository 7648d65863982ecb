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
  type AskOptions,
  AskTimeoutError,
  type DeadLetterReason,
  DEFAULT_ASK_TIMEOUT,
  type Request,
  UndeliveredError
} from "./agent.ts"
import { type Codec, makeCodec, type PayloadCodec, payloadCodec, roundTrip } from "./codec.ts"
import { type Envelope, isReply, makeEnvelope, makeIdGenerator, OUTSIDE, REPLY_FAILURE, REPLY_SUCCESS } from "./envelope.ts"
import type { SwarmEventsService } from "./events.ts"
import { Mailbox, type MailboxOptions } from "./mailbox.ts"
import type { Router, Topology } from "./topology.ts"

/** The name `tell`/`ask` put in `from`: the agent whose fiber sends, or `$swarm` outside any agent. */
export const CurrentAgent: FiberRef.FiberRef<string> = FiberRef.unsafeMake(OUTSIDE)

/** One agent's place in the swarm: lives as long as the agent, across its restarts. */
export interface AgentCell {
  readonly name: string
  readonly definition: AgentDefinition.Any
  readonly mailbox: Mailbox<Envelope>
  /** The message being handled, if any: a crash sends it to dead letters. */
  current: Envelope | undefined
  restarts: number
  /** Stops the agent for good, through its supervisor. */
  terminate: Effect.Effect<void>
}

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
  readonly newCell: (name: string, definition: AgentDefinition.Any, mailbox: MailboxOptions) => AgentCell
  readonly deliver: (envelope: Envelope) => Effect.Effect<void>
  readonly deadLetter: (envelope: Envelope, reason: DeadLetterReason, cause?: string) => Effect.Effect<void>
  /** Builds the envelope when called, so call it from inside a lazy effect (as `ref` does). */
  readonly tell: (from: string, to: string, message: unknown) => Effect.Effect<void>
  /** Registers the ask when called, so call it from inside a lazy effect (as `ref` does). */
  readonly ask: (from: string, to: string, request: Request, options?: AskOptions) => Effect.Effect<any, any>
  /** Answers a request handed to `receive`; a no-op when nobody waits for it (told, answered, timed out). */
  readonly reply: (from: string, request: unknown, success: boolean, value: unknown) => Effect.Effect<void>
  readonly ref: <M>(name: string) => AgentRef<M>
  /** Marks the request envelope being handled, so `reply` finds where its answer goes. */
  readonly receiving: (envelope: Envelope) => void
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
    const pending = new Map<string, PendingAsk>()
    /** Request payload -> its envelope, while a reply is owed. */
    const inbound = new WeakMap<object, Envelope>()
    const codec: Codec = makeCodec()
    const protocolCodecs = new WeakMap<Schema.Schema.Any, PayloadCodec<unknown>>()
    let router: Router | undefined

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

    const deadLetter = (envelope: Envelope, reason: DeadLetterReason, cause?: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (envelope.correlationId !== undefined) {
          const ask = pending.get(envelope.correlationId)
          if (ask !== undefined) {
            const error = reason === "crashed" || reason === "interrupted"
              ? new AgentCrashedError({ agent: envelope.to, tag: envelope.tag, reason, cause: cause ?? reason })
              : new UndeliveredError({ agent: envelope.to, tag: envelope.tag, reason })
            settle(envelope.correlationId, ask, Exit.fail(error))
          }
        }
        return events.publish({
          type: "dead-letter",
          agent: envelope.to,
          data: {
            reason,
            id: envelope.id,
            from: envelope.from,
            tag: envelope.tag,
            correlationId: envelope.correlationId,
            ...(cause === undefined ? {} : { cause })
          }
        })
      })

    const deliver = (envelope: Envelope): Effect.Effect<void> => {
      envelope.hops++
      if (isReply(envelope)) {
        const ask = pending.get(envelope.correlationId!)
        // A reply nobody waits for any more (the ask timed out) is dropped.
        if (ask !== undefined) {
          settle(envelope.correlationId!, ask, envelope.tag === REPLY_SUCCESS ? Exit.succeed(envelope.payload) : Exit.fail(envelope.payload))
        }
        return Effect.void
      }
      const cell = cells.get(envelope.to)
      return cell === undefined ? deadLetter(envelope, "no-such-agent") : cell.mailbox.offer(envelope)
    }

    /** Strict mode: the envelope as a remote receiver would get it; an unserializable payload is the sender's bug (a defect). */
    const strictly = (envelope: Envelope, payloads: PayloadCodec<unknown> | undefined): Effect.Effect<void> => {
      if (payloads === undefined) return router!.send(envelope)
      const back = roundTrip(codec, payloads, envelope)
      return Either.isLeft(back) ? Effect.die(back.left) : router!.send(back.right)
    }

    const send = (envelope: Envelope): Effect.Effect<void> => {
      if (!strict) return router!.send(envelope)
      const cell = cells.get(envelope.to)
      return strictly(envelope, cell === undefined ? undefined : protocolCodec(cell.definition.protocol))
    }

    const tell = (from: string, to: string, message: unknown): Effect.Effect<void> =>
      send(makeEnvelope(nextId(), from, to, (message as { readonly _tag: string })._tag, message, undefined, undefined))

    // Ask timeouts: one sweeper fiber for all asks, instead of a timer fiber per ask. It sleeps until
    // the earliest deadline and is woken early only when an ask with an earlier deadline arrives.
    const sweeper = {
      wakeAt: Number.POSITIVE_INFINITY,
      dirty: false,
      wake: undefined as ((effect: Effect.Effect<void>) => void) | undefined
    }
    const watch = (deadline: number) => {
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

    const ask = (from: string, to: string, request: Request, askOptions?: AskOptions): Effect.Effect<any, any> => {
      const timeoutMs = Duration.toMillis(askOptions?.timeout ?? DEFAULT_ASK_TIMEOUT)
      const tag = (request as unknown as { readonly _tag: string })._tag
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
      watch(waiting.deadline)
      const reply = Effect.async<unknown, unknown>((resume) => {
        if (waiting.exit !== undefined) return resume(waiting.exit)
        waiting.resume = resume
        return Effect.sync(() => {
          pending.delete(correlationId)
        })
      })
      return Effect.zipRight(send(envelope), reply)
    }

    const receiving = (envelope: Envelope) => {
      if (typeof envelope.payload === "object" && envelope.payload !== null) inbound.set(envelope.payload, envelope)
    }

    const reply = (from: string, request: unknown, success: boolean, value: unknown): Effect.Effect<void> =>
      Effect.suspend(() => {
        const asked = typeof request === "object" && request !== null ? inbound.get(request) : undefined
        if (asked === undefined || asked.correlationId === undefined || asked.replyTo === undefined) return Effect.void
        inbound.delete(request as object)
        const envelope = makeEnvelope(nextId(), from, asked.replyTo, success ? REPLY_SUCCESS : REPLY_FAILURE, value, asked.correlationId, undefined)
        if (!strict) return router!.send(envelope)
        const withResult = request as Schema.WithResult<unknown, unknown, unknown, unknown, never>
        return strictly(envelope, payloadCodec(success ? Schema.successSchema(withResult) : Schema.failureSchema(withResult)))
      })

    const ref = <M>(name: string): AgentRef<M> => ({
      name,
      tell: (message) => Effect.withFiberRuntime((fiber) => tell(fiber.getFiberRef(CurrentAgent), name, message)),
      ask: (request, askOptions) =>
        Effect.withFiberRuntime((fiber) => ask(fiber.getFiberRef(CurrentAgent), name, request, askOptions)),
      stop: Effect.suspend(() => cells.get(name)?.terminate ?? Effect.void)
    })

    const newCell = (name: string, definition: AgentDefinition.Any, mailbox: MailboxOptions): AgentCell => ({
      name,
      definition,
      mailbox: new Mailbox<Envelope>(mailbox, (envelope, reason) => deadLetter(envelope, reason)),
      current: undefined,
      restarts: 0,
      terminate: Effect.void
    })

    router = yield* options.topology.make({ deliver })

    return {
      strict,
      events,
      clock,
      nextId,
      cells,
      newCell,
      deliver,
      deadLetter,
      tell,
      ask,
      reply,
      ref,
      receiving
    } satisfies Kernel
  })
