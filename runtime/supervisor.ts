/**
 * Supervisors with OTP semantics. A supervisor starts its children in order and watches them; when
 * one ends it applies the child's restart type (permanent: always restart, transient: only after a
 * crash, temporary: never) and its strategy (one-for-one, one-for-all, rest-for-one, and
 * simple-one-for-one for dynamic pools). More than `intensity` restarts within `period` make it
 * stop every child in reverse start order and escalate: it fails, and its own supervisor decides.
 * An agent's mailbox belongs to its slot here, so a restarted agent keeps its queued messages; the
 * message it crashed on becomes a dead letter.
 *
 * Starting is synchronous, as in OTP: `spawn` returns once the child's `init` has succeeded, and
 * fails with `SpawnError` (`init-failed`) when it does not: then nothing of the child runs, no
 * restart is counted, and the supervisor and the siblings go on. A restart delayed by a backoff is
 * a timer, so the supervisor keeps serving its other children meanwhile.
 */
import { Duration, type Effect, type Schedule, Schema } from "effect"
import {
  type AgentDefinition,
  type AgentRef,
  type RestartType,
  type Shutdown,
  type ShutdownPolicy,
  shutdownPolicy,
  SpawnError,
  type SpawnOptions
} from "./agent.ts"

export { SpawnError }

export type Strategy = "one-for-one" | "one-for-all" | "rest-for-one" | "simple-one-for-one"

/** A supervisor gave up: too many restarts in its period. Its parent sees this as the supervisor crashing. */
export class SupervisorEscalation extends Schema.TaggedError<SupervisorEscalation>()("SupervisorEscalation", {
  supervisor: Schema.String,
  child: Schema.String,
  intensity: Schema.Number,
  periodMs: Schema.Number,
  cause: Schema.String
}) {
  override get message(): string {
    return `supervisor ${this.supervisor} escalated: more than ${this.intensity} restarts within ${this.periodMs} ms (last: ${this.child}: ${this.cause})`
  }
}

/** A request about one child that its supervisor refused (OTP's `{error, not_found | running | restarting}`). */
export class ChildError extends Schema.TaggedError<ChildError>()("ChildError", {
  supervisor: Schema.String,
  child: Schema.String,
  reason: Schema.Literal("not-found", "running", "restarting", "supervisor-stopped")
}) {
  override get message(): string {
    switch (this.reason) {
      case "not-found":
        return `${this.supervisor} has no child named ${this.child}`
      case "running":
      case "restarting":
        return `${this.child} is ${this.reason}: terminate it first`
      case "supervisor-stopped":
        return `${this.supervisor} has stopped`
    }
  }
}

export interface AgentChildSpec<R = any> {
  readonly _tag: "AgentChild"
  readonly definition: AgentDefinition<any, any, R>
  readonly options: SpawnOptions
}

export interface SupervisorSpec<R = any> {
  readonly _tag: "SupervisorSpec"
  readonly name: string
  readonly strategy: Strategy
  /** Restarts allowed within `period`; one more escalates. OTP's MaxR. */
  readonly intensity: number
  readonly period: Duration.Duration
  /** Delays between consecutive restarts (reset once a period passes without restarts); none by default. */
  readonly backoff: Schedule.Schedule<unknown, unknown> | undefined
  /** How its parent stops it; `infinity` by default, as OTP recommends for supervisors. */
  readonly shutdownTimeout: ShutdownPolicy
  /** How this supervisor's own parent treats it. */
  readonly restart: RestartType
  readonly children: ReadonlyArray<ChildSpec<R>>
}

export type ChildSpec<R = any> = AgentChildSpec<R> | SupervisorSpec<R>

type ChildRequirements<C> = C extends ReadonlyArray<infer S> ? (S extends ChildSpec<infer R> ? R : never) : never

/** A supervised agent: the definition plus how this supervisor runs it. */
export const child = <D extends AgentDefinition.Any>(
  definition: D,
  options: SpawnOptions = {}
): AgentChildSpec<AgentDefinition.Requirements<D>> => ({ _tag: "AgentChild", definition, options })

export interface SupervisorOptions<Children extends ReadonlyArray<ChildSpec>> {
  readonly name: string
  /** Default one-for-one. */
  readonly strategy?: Strategy | undefined
  /** Default 3 restarts ... */
  readonly intensity?: number | undefined
  /** ... within 5 seconds. */
  readonly period?: Duration.DurationInput | undefined
  readonly backoff?: Schedule.Schedule<unknown, unknown> | undefined
  /** How its parent stops it (its children's own shutdowns included); default `infinity`. */
  readonly shutdownTimeout?: Shutdown | undefined
  readonly restart?: RestartType | undefined
  readonly children?: Children | undefined
}

export const supervisor = <const Children extends ReadonlyArray<ChildSpec> = []>(
  options: SupervisorOptions<Children>
): SupervisorSpec<ChildRequirements<Children>> => ({
  _tag: "SupervisorSpec",
  name: options.name,
  strategy: options.strategy ?? "one-for-one",
  intensity: options.intensity ?? 3,
  period: Duration.decode(options.period ?? Duration.seconds(5)),
  backoff: options.backoff,
  shutdownTimeout: shutdownPolicy(options.shutdownTimeout ?? "infinity"),
  restart: options.restart ?? "permanent",
  children: (options.children ?? []) as ReadonlyArray<ChildSpec<ChildRequirements<Children>>>
})

/** A dynamic pool (simple-one-for-one): `size` workers `name-1 … name-size` of one definition; more via `spawn`. */
export const pool = <D extends AgentDefinition.Any>(
  options: Omit<SupervisorOptions<[]>, "strategy" | "children"> & {
    readonly agent: D
    readonly size: number
    readonly worker?: Omit<SpawnOptions, "name"> | undefined
  }
): SupervisorSpec<AgentDefinition.Requirements<D>> =>
  supervisor<ReadonlyArray<AgentChildSpec<AgentDefinition.Requirements<D>>>>({
    ...options,
    strategy: "simple-one-for-one",
    children: Array.from({ length: options.size }, (_, i) => child(options.agent, { ...options.worker, name: `${options.name}-${i + 1}` }))
  })

/** One child as its supervisor sees it (OTP's `which_children`, with what a console shows). */
export interface ChildInfo {
  readonly name: string
  readonly kind: "agent" | "supervisor"
  readonly restart: RestartType
  /** `running`; `restarting` (waiting out a backoff, or between a failed restart and the next try); `terminated` (stopped, spec kept). */
  readonly state: "running" | "restarting" | "terminated"
  /** How many times it has been started (1 until its first restart). */
  readonly incarnation: number
  /** Restarts so far (by this supervisor or, for `restartChild`, on request). */
  readonly restarts: number
  /** Agents: messages waiting in the mailbox (not counting the one being handled) and its capacity. */
  readonly mailbox: { readonly queued: number; readonly capacity: number } | undefined
}

/** OTP's `count_children`. */
export interface ChildCounts {
  /** Children with a spec, running or not. */
  readonly specs: number
  /** Children running now. */
  readonly active: number
  readonly supervisors: number
  readonly workers: number
}

export interface SupervisorRef {
  readonly name: string
  /** Starts one more child agent under this supervisor (in a pool, unnamed workers are numbered on). */
  readonly spawn: <D extends AgentDefinition.Any>(
    definition: D,
    options?: SpawnOptions
  ) => Effect.Effect<AgentRef<AgentDefinition.Message<D>>, SpawnError, AgentDefinition.Requirements<D>>
  /** Starts a child supervisor under this one. */
  readonly spawnSupervisor: <R>(spec: SupervisorSpec<R>) => Effect.Effect<SupervisorRef, SpawnError, R>
  /** Names of the children that are running or about to restart, in start order. */
  readonly children: Effect.Effect<ReadonlyArray<string>>
  readonly whichChildren: Effect.Effect<ReadonlyArray<ChildInfo>>
  readonly countChildren: Effect.Effect<ChildCounts>
  /** Starts a terminated child again from its kept spec (OTP `restart_child`). */
  readonly restartChild: (name: string) => Effect.Effect<void, ChildError | SpawnError>
  /** Stops a child and keeps its spec, so `restartChild` can start it again (OTP `terminate_child`). */
  readonly terminateChild: (name: string) => Effect.Effect<void, ChildError>
  /** Forgets a terminated child's spec; its name is free again (OTP `delete_child`). */
  readonly deleteChild: (name: string) => Effect.Effect<void, ChildError>
  /** Stops this supervisor and its children for good. */
  readonly stop: Effect.Effect<void>
}
