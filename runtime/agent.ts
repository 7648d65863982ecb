/**
 * Agents: `define` describes one (its protocol, how it starts, how it handles a message); a swarm
 * or a supervisor runs it. An `AgentRef` is how everyone else talks to it: `tell` (fire and
 * forget) and `ask` (request and typed reply, with a timeout). One message at a time per agent.
 */
import { Data, Duration, type Effect, type Schema, type Scope } from "effect"
import type { Envelope } from "./envelope.ts"
import type { MailboxOptions } from "./mailbox.ts"

/** When a supervisor restarts a child: always, only after a crash, or never (OTP restart types). */
export type RestartType = "permanent" | "transient" | "temporary"

/** Why a message was not handled; every dead letter carries one. */
export type DeadLetterReason =
  | "mailbox-full"
  | "evicted"
  | "crashed"
  | "interrupted"
  | "stopped"
  | "no-such-agent"

export class AskTimeoutError extends Data.TaggedError("AskTimeoutError")<{
  readonly agent: string
  readonly tag: string
  readonly timeoutMs: number
}> {
  override get message(): string {
    return `no reply from ${this.agent} to ${this.tag} within ${this.timeoutMs} ms`
  }
}

/** The agent crashed (or was stopped mid-message) while handling the request. */
export class AgentCrashedError extends Data.TaggedError("AgentCrashedError")<{
  readonly agent: string
  readonly tag: string
  readonly reason: "crashed" | "interrupted"
  readonly cause: string
}> {
  override get message(): string {
    return `${this.agent} ${this.reason} while handling ${this.tag}: ${this.cause}`
  }
}

/** The request never reached the agent: it became a dead letter. */
export class UndeliveredError extends Data.TaggedError("UndeliveredError")<{
  readonly agent: string
  readonly tag: string
  readonly reason: DeadLetterReason
}> {
  override get message(): string {
    return `${this.tag} to ${this.agent} was not delivered: ${this.reason}`
  }
}

export class AgentNotFoundError extends Data.TaggedError("AgentNotFoundError")<{
  readonly agent: string
}> {
  override get message(): string {
    return `no agent named ${this.agent}`
  }
}

/** What an `ask` can fail with besides the request's own failure type. */
export type AskError = AskTimeoutError | AgentCrashedError | UndeliveredError

export const DEFAULT_ASK_TIMEOUT: Duration.Duration = Duration.seconds(30)

export interface AskOptions {
  /** How long to wait for the reply; default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/** A protocol message that expects a reply: a `Schema.TaggedRequest` instance. */
export type Request = Schema.WithResult.All

export type Success<Req> = Schema.WithResult.Success<Req>
export type Failure<Req> = Schema.WithResult.Failure<Req>

/** How to reach an agent. Refs go by name, so a ref stays valid across the agent's restarts. */
export interface AgentRef<M> {
  readonly name: string
  /** Queues the message (waiting for room under back-pressure). Undeliverable messages become dead letters. */
  readonly tell: (message: M) => Effect.Effect<void>
  /** Sends a request and waits for its typed reply. */
  readonly ask: <Req extends M & Request>(
    request: Req,
    options?: AskOptions
  ) => Effect.Effect<Success<Req>, Failure<Req> | AskError>
  /** Stops the agent for good: its supervisor does not restart it; queued messages become dead letters. */
  readonly stop: Effect.Effect<void>
}

export interface SpawnOptions {
  /** Overrides the definition's name (several instances of one definition). */
  readonly name?: string | undefined
  readonly restart?: RestartType | undefined
  readonly mailbox?: MailboxOptions | undefined
  /** How long a stop waits for the agent's finalizers; default 5 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
}

/** What an agent's `init` and `receive` get besides the message and the state. */
export interface AgentContext<M> {
  readonly name: string
  readonly self: AgentRef<M>
  /** The envelope of the message being handled (sender, hops, timestamps); undefined in `init`. */
  readonly envelope: Envelope | undefined
  /** Replies to a request this agent received (now, or later: keep the request and reply when ready). */
  readonly reply: <Req extends M & Request>(request: Req, value: Success<Req>) => Effect.Effect<void>
  /** Replies with the request's typed failure; the agent itself does not crash. */
  readonly replyFailure: <Req extends M & Request>(request: Req, error: Failure<Req>) => Effect.Effect<void>
  /**
   * Starts a child agent supervised by this one (one-for-one): children stop, in reverse start
   * order, when this agent stops or restarts; a child supervisor's escalation crashes this agent.
   */
  readonly spawn: <D extends AgentDefinition.Any>(
    definition: D,
    options?: SpawnOptions
  ) => Effect.Effect<AgentRef<AgentDefinition.Message<D>>, never, AgentDefinition.Requirements<D>>
  /** A ref to any agent of the swarm, by name. */
  readonly lookup: <M2 = unknown>(name: string) => AgentRef<M2>
  /** Ends this agent normally once the current message is handled (a transient agent is not restarted). */
  readonly stop: Effect.Effect<void>
}

export interface AgentDefinition<M, S = unknown, R = never> {
  readonly _tag: "AgentDefinition"
  readonly name: string
  readonly protocol: Schema.Schema<M, any, never>
  /** Runs at every (re)start, in a scope that closes when this incarnation ends. */
  readonly init: (ctx: AgentContext<M>) => Effect.Effect<S, unknown, R | Scope.Scope>
  /** Handles one message and returns the next state. A failure or defect crashes the agent. */
  readonly receive: (message: M, state: S, ctx: AgentContext<M>) => Effect.Effect<S, unknown, R>
  readonly mailbox: MailboxOptions
  readonly restart: RestartType
  readonly shutdownTimeout: Duration.Duration
}

export declare namespace AgentDefinition {
  export type Any = AgentDefinition<any, any, any>
  export type Message<D> = D extends AgentDefinition<infer M, infer _S, infer _R> ? M : never
  export type Requirements<D> = D extends AgentDefinition<infer _M, infer _S, infer R> ? R : never
}

export const DEFAULT_SHUTDOWN_TIMEOUT: Duration.Duration = Duration.seconds(5)

/** `init` and `receive` may each need services; the definition needs both (a scope is provided per incarnation). */
export const define = <M, I, S, RInit = never, RReceive = never>(spec: {
  readonly name: string
  readonly protocol: Schema.Schema<M, I, never>
  readonly init: (ctx: AgentContext<M>) => Effect.Effect<S, unknown, RInit>
  readonly receive: (message: M, state: S, ctx: AgentContext<M>) => Effect.Effect<S, unknown, RReceive>
  readonly mailbox?: MailboxOptions | undefined
  /** Default `permanent`. */
  readonly restart?: RestartType | undefined
  readonly shutdownTimeout?: Duration.DurationInput | undefined
}): AgentDefinition<M, S, Exclude<RInit | RReceive, Scope.Scope>> => {
  type Definition = AgentDefinition<M, S, Exclude<RInit | RReceive, Scope.Scope>>
  return {
    _tag: "AgentDefinition",
    name: spec.name,
    protocol: spec.protocol,
    init: spec.init as Definition["init"],
    receive: spec.receive as Definition["receive"],
    mailbox: spec.mailbox ?? {},
    restart: spec.restart ?? "permanent",
    shutdownTimeout: spec.shutdownTimeout === undefined ? DEFAULT_SHUTDOWN_TIMEOUT : Duration.decode(spec.shutdownTimeout)
  }
}
