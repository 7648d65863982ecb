/**
 * The swarm: the embeddable entry. It owns the root supervisor (one-for-one) under which `spawn`
 * starts agents, routes every envelope through its topology, and publishes lifecycle events to the
 * `SwarmEvents` service. `Swarm` is the Effect API; promise.ts wraps it for code without Effect.
 */
import { type Cause, Context, Deferred, Effect, Fiber, Layer, Option, Schema, type Scope } from "effect"
import {
  type AgentDefinition,
  AgentNotFoundError,
  type AgentRef,
  type AskError,
  type AskOptions,
  type Failure,
  type Request,
  type SpawnError,
  type SpawnOptions,
  type Success
} from "./agent.ts"
import { strictFromEnv } from "./codec.ts"
import { layerInMemory as eventsInMemory, SwarmEvents, type SwarmEventsService } from "./events.ts"
import { CurrentAgent, makeKernel } from "./internal/kernel.ts"
import { makeHandle, runSupervisor, type SupervisorHandle, supervisorRef } from "./internal/supervision.ts"
import type { OverflowPolicy } from "./mailbox.ts"
import {
  type ChildCounts,
  ChildError,
  type ChildInfo,
  supervisor,
  type SupervisorOptions,
  type SupervisorRef,
  type SupervisorSpec
} from "./supervisor.ts"
import { direct, type Link, type LinkTraffic, type Topology } from "./topology.ts"

export interface SwarmOptions {
  /** How envelopes travel; default `direct` (what topologies' `mesh` is). */
  readonly topology?: Topology | undefined
  /** Round-trip every envelope through the codec; default: on when REELSWARM_STRICT_CODEC=1. */
  readonly strict?: boolean | undefined
  /** The root supervisor's limits (default 3 restarts within 5 seconds; escalation shuts the swarm's tree down). */
  readonly root?: Omit<SupervisorOptions<[]>, "name" | "strategy" | "children" | "restart"> | undefined
}

export interface AgentInfo {
  readonly name: string
  readonly queued: number
  readonly capacity: number
  readonly overflow: OverflowPolicy
  readonly restarts: number
}

/**
 * The swarm no longer runs: its root supervisor escalated (too many restarts of its children) or it
 * was shut down. Every call but `shutdown` and `events` fails with this from then on.
 */
export class SwarmStoppedError extends Schema.TaggedError<SwarmStoppedError>()("SwarmStoppedError", {
  reason: Schema.Literal("escalated", "shutdown"),
  /** escalated: what the root gave up on. */
  detail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return this.reason === "escalated"
      ? `the swarm has stopped: its root supervisor escalated (${this.detail ?? "too many restarts"})`
      : "the swarm has been shut down"
  }
}

/** Nothing of that name is a supervisor of this swarm. */
export class SupervisorNotFoundError extends Schema.TaggedError<SupervisorNotFoundError>()("SupervisorNotFoundError", {
  supervisor: Schema.String
}) {
  override get message(): string {
    return `no supervisor named ${this.supervisor}`
  }
}

/**
 * `spawn` and `spawnSupervisor` start children of the root supervisor (one-for-one); an agent's
 * requirements are captured at spawn and provided again on every restart.
 */
export interface SwarmService {
  readonly topology: string
  readonly strict: boolean
  readonly spawn: <D extends AgentDefinition.Any>(
    definition: D,
    options?: SpawnOptions
  ) => Effect.Effect<AgentRef<AgentDefinition.Message<D>>, SpawnError | SwarmStoppedError, AgentDefinition.Requirements<D>>
  readonly spawnSupervisor: <R>(spec: SupervisorSpec<R>) => Effect.Effect<SupervisorRef, SpawnError | SwarmStoppedError, R>
  readonly lookup: <M = unknown>(name: string) => Effect.Effect<Option.Option<AgentRef<M>>, SwarmStoppedError>
  readonly tell: (to: string, message: unknown) => Effect.Effect<void, AgentNotFoundError | SwarmStoppedError>
  readonly ask: <Req extends Request>(
    to: string,
    request: Req,
    options?: AskOptions
  ) => Effect.Effect<Success<Req>, Failure<Req> | AskError | AgentNotFoundError | SwarmStoppedError>
  /** The topology's links between the running agents (for drawing it). */
  readonly links: Effect.Effect<ReadonlyArray<Link>, SwarmStoppedError>
  /**
   * Envelopes that travelled each link of the topology, per direction, since the swarm started:
   * every hop is counted, so in a star A → B counts once on A → hub and once on hub → B. Envelopes
   * from outside any agent come from `$swarm`; a timer's message goes from its agent to itself.
   */
  readonly traffic: Effect.Effect<ReadonlyArray<LinkTraffic>, SwarmStoppedError>
  /** Envelopes put in an agent's mailbox since the swarm started, by message tag, most first (across its restarts). */
  readonly received: (
    agent: string
  ) => Effect.Effect<ReadonlyArray<{ readonly tag: string; readonly envelopes: number }>, AgentNotFoundError | SwarmStoppedError>
  /** Every running agent with its mailbox fill and restart count. */
  readonly agents: Effect.Effect<ReadonlyArray<AgentInfo>, SwarmStoppedError>
  /** The children of a supervisor (default the root, `swarm`), in start order (OTP `which_children`). */
  readonly whichChildren: (supervisor?: string) => Effect.Effect<ReadonlyArray<ChildInfo>, SupervisorNotFoundError | SwarmStoppedError>
  readonly countChildren: (supervisor?: string) => Effect.Effect<ChildCounts, SupervisorNotFoundError | SwarmStoppedError>
  /** Stops a child anywhere in the tree and keeps its spec (OTP `terminate_child`). */
  readonly terminateChild: (name: string) => Effect.Effect<void, ChildError | SwarmStoppedError>
  /** Starts a terminated child again from its spec (OTP `restart_child`). */
  readonly restartChild: (name: string) => Effect.Effect<void, ChildError | SpawnError | SwarmStoppedError>
  /** Forgets a terminated child (OTP `delete_child`). */
  readonly deleteChild: (name: string) => Effect.Effect<void, ChildError | SwarmStoppedError>
  readonly events: SwarmEventsService
  /**
   * Stops every agent (children before parents, in reverse start order); asks still waiting fail
   * with `UndeliveredError` (`stopped`). Also runs when the swarm's scope closes.
   */
  readonly shutdown: Effect.Effect<void>
}

export class Swarm extends Context.Tag("reelswarm/runtime/Swarm")<Swarm, SwarmService>() {}

/** The root supervisor's name, as it appears in events. */
export const ROOT = "swarm"

export const make = (options: SwarmOptions = {}): Effect.Effect<SwarmService, never, SwarmEvents | Scope.Scope> =>
  Effect.gen(function*() {
    const events = yield* SwarmEvents
    const topology = options.topology ?? direct
    const strict = options.strict ?? strictFromEnv()
    const kernel = yield* makeKernel({ strict, events, topology })
    const rootHandle = yield* makeHandle(ROOT)
    const rootSpec = supervisor({ ...options.root, name: ROOT })
    const rootReady = yield* Deferred.make<void, Cause.Cause<unknown>>()
    let stopped: SwarmStoppedError | undefined
    const root = yield* runSupervisor(kernel, rootSpec, rootHandle, Context.empty(), rootReady).pipe(
      // The root escalated: its tree is already stopped and the escalation published. The swarm says
      // so from now on, and asks still waiting fail.
      Effect.catchAll((error) =>
        Effect.zipRight(
          Effect.sync(() => {
            stopped = new SwarmStoppedError({ reason: "escalated", detail: error.message })
          }),
          kernel.close
        )
      ),
      Effect.forkScoped
    )
    // Runs before the root is interrupted when the swarm's scope closes.
    yield* Effect.addFinalizer(() => Effect.sync(kernel.beginShutdown))
    yield* Deferred.await(rootReady).pipe(Effect.orDie)
    const rootRef = supervisorRef(kernel, ROOT, () => rootHandle, undefined)

    const running = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SwarmStoppedError, R> =>
      Effect.suspend((): Effect.Effect<A, E | SwarmStoppedError, R> => (stopped === undefined ? effect : Effect.fail(stopped)))

    const known = <A, E>(to: string, then: (from: string) => Effect.Effect<A, E>) =>
      running(Effect.withFiberRuntime<A, E | AgentNotFoundError>((fiber) =>
        kernel.cells.has(to) ? then(fiber.getFiberRef(CurrentAgent)) : Effect.fail(new AgentNotFoundError({ agent: to }))
      ))

    /** The running instance of the supervisor called `name`. */
    const handleOf = (name: string): SupervisorHandle | undefined => {
      if (name === ROOT) {
        return rootHandle
      }
      const parent = kernel.names.get(name) as SupervisorHandle | undefined
      return parent?.slots.find((slot) =>
        slot.name === name
      )?.handle
    }
    const supervisorNamed = (name: string = ROOT) =>
      running(Effect.suspend(() => {
        const handle = handleOf(name)
        return handle === undefined
          ? Effect.fail(new SupervisorNotFoundError({ supervisor: name }))
          : Effect.succeed(supervisorRef(kernel, name, () => handle, undefined))
      }))
    /** The supervisor that owns the child called `name`. */
    const ownerOf = (name: string) =>
      running(Effect.suspend(() => {
        const parent = kernel.names.get(name) as SupervisorHandle | undefined
        return parent === undefined
          ? Effect.fail(new ChildError({ supervisor: ROOT, child: name, reason: "not-found" }))
          : Effect.succeed(supervisorRef(kernel, parent.name, () => parent, undefined))
      }))

    const shutdown = Effect.suspend(() => {
      stopped ??= new SwarmStoppedError({ reason: "shutdown" })
      kernel.beginShutdown()
      return Effect.zipRight(Fiber.interrupt(root), kernel.close)
    })

    return {
      topology: topology.name,
      strict,
      spawn: (definition, spawnOptions) =>
        Effect.withSpan(running(rootRef.spawn(definition, spawnOptions)), "Swarm.spawn", {
          attributes: { agent: spawnOptions?.name ?? definition.name }
        }),
      spawnSupervisor: (spec) =>
        Effect.withSpan(running(rootRef.spawnSupervisor(spec)), "Swarm.spawnSupervisor", { attributes: { supervisor: spec.name } }),
      lookup: <M>(name: string) => running(Effect.sync(() => kernel.cells.has(name) ? Option.some(kernel.ref<M>(name)) : Option.none())),
      tell: (to, message) => known(to, (from) => kernel.tell(from, to, message)),
      ask: (to, request, askOptions) => known(to, (from) => kernel.ask(from, to, request, askOptions)),
      links: running(Effect.sync(() => topology.links(Array.from(kernel.cells.keys())))),
      traffic: running(Effect.sync(kernel.traffic)),
      received: (agent) =>
        running(Effect.suspend(() => {
          const cell = kernel.cells.get(agent)
          return cell === undefined
            ? Effect.fail(new AgentNotFoundError({ agent }))
            : Effect.succeed(
              Array.from(cell.received, ([tag, counter]) => ({ tag, envelopes: counter.n })).sort((a, b) => b.envelopes - a.envelopes)
            )
        })),
      agents: running(Effect.sync(() =>
        Array.from(kernel.cells.values(), (cell) => ({
          name: cell.name,
          queued: cell.mailbox.size,
          capacity: cell.mailbox.capacity,
          overflow: cell.mailbox.overflow,
          restarts: cell.restarts
        }))
      )),
      whichChildren: (name) => Effect.flatMap(supervisorNamed(name), (ref) => ref.whichChildren),
      countChildren: (name) => Effect.flatMap(supervisorNamed(name), (ref) => ref.countChildren),
      terminateChild: (name) => Effect.flatMap(ownerOf(name), (ref) => ref.terminateChild(name)),
      restartChild: (name) => Effect.flatMap(ownerOf(name), (ref) => ref.restartChild(name)),
      deleteChild: (name) => Effect.flatMap(ownerOf(name), (ref) => ref.deleteChild(name)),
      events,
      shutdown: Effect.withSpan(shutdown, "Swarm.shutdown")
    } satisfies SwarmService
  })

/** The swarm as a service; events go to whatever `SwarmEvents` layer is provided (memory/ has the SQLite one). */
export const layer = (options?: SwarmOptions): Layer.Layer<Swarm, never, SwarmEvents> => Layer.scoped(Swarm, make(options))

/** The swarm with the in-memory event sink: everything one process needs. */
export const layerInMemory = (options?: SwarmOptions & { readonly eventCapacity?: number }): Layer.Layer<Swarm | SwarmEvents> =>
  layer(options).pipe(Layer.provideMerge(eventsInMemory(options?.eventCapacity)))
