/**
 * The swarm: the embeddable entry. It owns the root supervisor (one-for-one) under which `spawn`
 * starts agents, routes every envelope through its topology, and publishes lifecycle events to the
 * `SwarmEvents` service. `Swarm` is the Effect API; promise.ts wraps it for code without Effect.
 */
import { Context, Deferred, Effect, Fiber, Layer, Option, type Scope } from "effect"
import {
  AgentNotFoundError,
  type AgentRef,
  type AskError,
  type AskOptions,
  type Failure,
  type Request,
  type Success
} from "./agent.ts"
import { strictFromEnv } from "./codec.ts"
import { layerInMemory as eventsInMemory, SwarmEvents, type SwarmEventsService } from "./events.ts"
import { CurrentAgent, makeKernel } from "./kernel.ts"
import type { OverflowPolicy } from "./mailbox.ts"
import {
  makeHandle,
  runSupervisor,
  supervisor,
  type SupervisorOptions,
  type SupervisorRef,
  supervisorRef
} from "./supervisor.ts"
import { direct, type Link, type Topology } from "./topology.ts"

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
 * `spawn` and `spawnSupervisor` start children of the root supervisor (one-for-one); an agent's
 * requirements are captured at spawn and provided again on every restart.
 */
export interface SwarmService extends Pick<SupervisorRef, "spawn" | "spawnSupervisor"> {
  readonly topology: string
  readonly strict: boolean
  readonly lookup: <M = unknown>(name: string) => Effect.Effect<Option.Option<AgentRef<M>>>
  readonly tell: (to: string, message: unknown) => Effect.Effect<void, AgentNotFoundError>
  readonly ask: <Req extends Request>(
    to: string,
    request: Req,
    options?: AskOptions
  ) => Effect.Effect<Success<Req>, Failure<Req> | AskError | AgentNotFoundError>
  /** The topology's links between the running agents (for drawing it). */
  readonly links: Effect.Effect<ReadonlyArray<Link>>
  /** Every running agent with its mailbox fill and restart count. */
  readonly agents: Effect.Effect<ReadonlyArray<AgentInfo>>
  readonly events: SwarmEventsService
  /** Stops every agent (children before parents, in reverse start order). Also runs when the swarm's scope closes. */
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
    const rootReady = yield* Deferred.make<void>()
    const root = yield* runSupervisor(kernel, rootSpec, rootHandle, Context.empty() as Context.Context<never>, rootReady).pipe(
      // The root escalated: its tree is already stopped and the escalation published; nothing is left to run.
      Effect.ignore,
      Effect.forkScoped
    )
    const rootRef = supervisorRef(kernel, ROOT, () => rootHandle, undefined)

    const known = <A, E>(to: string, then: (from: string) => Effect.Effect<A, E>) =>
      Effect.withFiberRuntime<A, E | AgentNotFoundError>((fiber) =>
        kernel.cells.has(to) ? then(fiber.getFiberRef(CurrentAgent)) : Effect.fail(new AgentNotFoundError({ agent: to }))
      )

    return {
      topology: topology.name,
      strict,
      spawn: (definition, spawnOptions) =>
        Effect.withSpan(rootRef.spawn(definition, spawnOptions), "Swarm.spawn", {
          attributes: { agent: spawnOptions?.name ?? definition.name }
        }),
      spawnSupervisor: (spec) => Effect.withSpan(rootRef.spawnSupervisor(spec), "Swarm.spawnSupervisor", { attributes: { supervisor: spec.name } }),
      lookup: <M>(name: string) => Effect.sync(() => kernel.cells.has(name) ? Option.some(kernel.ref<M>(name)) : Option.none()),
      tell: (to, message) => known(to, (from) => kernel.tell(from, to, message)),
      ask: (to, request, askOptions) => known(to, (from) => kernel.ask(from, to, request, askOptions)),
      links: Effect.sync(() => topology.links(Array.from(kernel.cells.keys()))),
      agents: Effect.sync(() =>
        Array.from(kernel.cells.values(), (cell) => ({
          name: cell.name,
          queued: cell.mailbox.size,
          capacity: cell.mailbox.capacity,
          overflow: cell.mailbox.overflow,
          restarts: cell.restarts
        }))
      ),
      events,
      shutdown: Fiber.interrupt(root).pipe(Effect.asVoid, Effect.withSpan("Swarm.shutdown"))
    } satisfies SwarmService
  })

/** The swarm as a service; events go to whatever `SwarmEvents` layer is provided (memory/ has the SQLite one). */
export const layer = (options?: SwarmOptions): Layer.Layer<Swarm, never, SwarmEvents> => Layer.scoped(Swarm, make(options))

/** The swarm with the in-memory event sink: everything one process needs. */
export const layerInMemory = (options?: SwarmOptions & { readonly eventCapacity?: number }): Layer.Layer<Swarm | SwarmEvents> =>
  layer(options).pipe(Layer.provideMerge(eventsInMemory(options?.eventCapacity)))
