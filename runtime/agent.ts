/**
 * Agents: `define` describes one (its protocol, how it starts, how it handles a message); a swarm
 * or a supervisor runs it. An `AgentRef` is how everyone else talks to it: `tell` (fire and
 * forget) and `ask` (request and typed reply, with a timeout). One message at a time per agent.
 */
import { Duration, type Effect, Schema, type Scope } from "effect"
import type { Envelope } from "./envelope.ts"
import type { MailboxOptions } from "./mailbox.ts"

/** When a supervisor restarts a child: always, only after a crash, or never (OTP restart types). */
export type RestartType = "permanent" | "transient" | "temporary"

/**
 * Why a message was not handled; every dead letter carries one. `late-reply`: a reply that arrived
 * after its ask had timed out or was abandoned (Akka's dead letter for late replies).
 */
export const DeadLetterReason = Schema.Literal(
  "mailbox-full",
  "evicted",
  "crashed",
  "interrupted",
  "stopped",
  "no-such-agent",
  "late-reply"
)
export type DeadLetterReason = typeof DeadLetterReason.Type

// The runtime's errors are Schemas: they cross envelopes (and, across nodes, the wire) as data.

export class AskTimeoutError extends Schema.TaggedError<AskTimeoutError>()("AskTimeoutError", {
  agent: Schema.String,
  tag: Schema.String,
  timeoutMs: Schema.Number
}) {
  override get message(): string {
    return `no reply from ${this.agent} to ${this.tag} within ${this.timeoutMs} ms`
  }
}

/** The agent crashed (or was stopped mid-message) while handling the request. */
export class AgentCrashedError extends Schema.TaggedError<AgentCrashedError>()("AgentCrashedError", {
  agent: Schema.String,
  tag: Schema.String,
  reason: Schema.Literal("crashed", "interrupted"),
  cause: Schema.String
}) {
  override get message(): string {
    return `${this.agent} ${this.reason} while handling ${this.tag}: ${this.cause}`
  }
}

/** The request never reached the agent: it became a dead letter. */
export class UndeliveredError extends Schema.TaggedError<UndeliveredError>()("UndeliveredError", {
  agent: Schema.String,
  tag: Schema.String,
  reason: DeadLetterReason
}) {
  override get message(): string {
    return `${this.tag} to ${this.agent} was not delivered: ${this.reason}`
  }
}

/**
 * A child could not be started. Nothing of it runs, no restart is counted and no `spawned` event is
 * published; the supervisor and the child's siblings go on.
 * - `init-failed`: its `init` failed (for a supervisor: one of its children could not start); `cause`
 *   is what it failed with.
 * - `name-taken`: another agent or supervisor of the swarm has the name.
 * - `duplicate-name`: two children of one supervisor spec share the name.
 * - `supervisor-stopped`: the supervisor asked to start it has stopped.
 */
export class SpawnError extends Schema.TaggedError<SpawnError>()("SpawnError", {
  name: Schema.String,
  reason: Schema.Literal("init-failed", "name-taken", "duplicate-name", "supervisor-stopped"),
  /** init-failed: the failure (or defect) `init` ended with. */
  cause: Schema.optional(Schema.Unknown),
  /** A short account of what went wrong (for init-failed: the cause, described). */
  detail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    switch (this.reason) {
      case "init-failed":
        return `cannot spawn ${this.name}: its init failed: ${this.detail ?? "unknown cause"}`
      case "name-taken":
        return `cannot spawn ${this.name}: an agent or supervisor of that name already exists`
      case "duplicate-name":
        return `cannot spawn ${this.name}: two of its children are named ${this.detail ?? "alike"}`
      case "supervisor-stopped":
        return `cannot spawn ${this.name}: its supervisor has stopped`
    }
  }
}

export class AgentNotFoundError extends Schema.TaggedError<AgentNotFoundError>()("AgentNotFoundError", {
  agent: Schema.String
}) {
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

/**
 * How a supervisor stops a child (OTP's shutdown): wait up to a timeout for its finalizers, then kill
 * it; kill it at once (`brutal_kill`); or wait as long as it takes (`infinity`). A killed child's
 * finalizers may still run in the background, but nothing of it reaches its next incarnation.
 */
export type Shutdown = Duration.DurationInput | "brutal_kill" | "infinity"

/** A `Shutdown` with its duration decoded. */
export type ShutdownPolicy = Duration.Duration | "brutal_kill" | "infinity"

export const shutdownPolicy = (shutdown: Shutdown): ShutdownPolicy =>
  shutdown === "brutal_kill" || shutdown === "infinity" ? shutdown : Duration.decode(shutdown)

/**
 * Why an agent stopped on its own (OTP's exit reasons): `normal`, `shutdown` or `shutdown(reason)`.
 * A transient agent is restarted for none of them; a permanent one for all. Any failure is a crash.
 */
export type ExitReason = "normal" | "shutdown" | { readonly shutdown: string }

export const describeExitReason = (reason: ExitReason): string => typeof reason === "string" ? reason : `shutdown(${reason.shutdown})`

export interface SpawnOptions {
  /** Overrides the definition's name (several instances of one definition). */
  readonly name?: string | undefined
  readonly restart?: RestartType | undefined
  readonly mailbox?: MailboxOptions | undefined
  /** How a stop treats the agent's finalizers; default 5 seconds, then it is killed. */
  readonly shutdownTimeout?: Shutdown | undefined
}

/**
 * What a watcher receives when the agent it watches stops for good (Akka's `Terminated`, OTP's
 * `DOWN`); a restart is not an end. Include it in the watcher's protocol.
 */
export class Terminated extends Schema.TaggedClass<Terminated>()("Terminated", {
  agent: Schema.String,
  /** `normal`, `shutdown`, `shutdown(...)`, `crashed`, `terminated`, `escalation`, `no-such-agent`, ... */
  reason: Schema.String
}) {}

/** When a timer fires: once after `delay`, or every `interval` (a fixed delay between deliveries). */
export type TimerSchedule =
  | { readonly delay: Duration.DurationInput }
  | { readonly interval: Duration.DurationInput; readonly initialDelay?: Duration.DurationInput | undefined }

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
  ) => Effect.Effect<AgentRef<AgentDefinition.Message<D>>, SpawnError, AgentDefinition.Requirements<D>>
  /** A ref to any agent of the swarm, by name. */
  readonly lookup: <M2 = unknown>(name: string) => AgentRef<M2>
  /** Ends this agent normally once the current message is handled (a transient agent is not restarted). */
  readonly stop: Effect.Effect<void>
  /** Ends this agent with `shutdown` (or `shutdown(reason)`) once the current message is handled. */
  readonly shutdown: (reason?: string) => Effect.Effect<void>
  /**
   * Sends `message` to this agent through its mailbox, once or repeatedly (Akka's timers). A timer
   * with the same key replaces the previous one; a cancelled or replaced timer's message is not
   * received even when already queued. Timers end with the incarnation: a restart cancels them.
   */
  readonly startTimer: (key: string, message: M, schedule: TimerSchedule) => Effect.Effect<void>
  readonly cancelTimer: (key: string) => Effect.Effect<void>
  readonly isTimerActive: (key: string) => Effect.Effect<boolean>
  /**
   * Watches another agent: when it stops for good this agent receives a `Terminated` (at once
   * when there is no such agent). Watches end with the incarnation, like timers.
   */
  readonly watch: (agent: string) => Effect.Effect<void>
  readonly unwatch: (agent: string) => Effect.Effect<void>
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
  readonly shutdownTimeout: ShutdownPolicy
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
  readonly shutdownTimeout?: Shutdown | undefined
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
    shutdownTimeout: shutdownPolicy(spec.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT)
  }
}
