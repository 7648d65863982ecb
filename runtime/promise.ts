/**
 * The swarm for programs that do not use Effect: every operation returns a Promise, failures
 * reject with the same typed errors the Effect API fails with (`AskTimeoutError`, ...).
 * Agent handlers may return plain values or Promises (`defineAsync`).
 */
import { Cause, Duration, Effect, Exit, Fiber, Layer, ManagedRuntime, type Schema, Stream } from "effect"
import {
  type AgentDefinition,
  type AgentRef,
  define,
  type Failure,
  type Request,
  type RestartType,
  type Shutdown,
  type SpawnOptions,
  type Success,
  type TimerSchedule
} from "./agent.ts"
import { layerInMemory as eventsInMemory, type SwarmEvent, type SwarmEvents } from "./events.ts"
import { CurrentAgent } from "./internal/kernel.ts"
import type { MailboxOptions } from "./mailbox.ts"
import type { ChildCounts, ChildInfo, SpawnError } from "./supervisor.ts"
import { type AgentInfo, layer, Swarm, type SwarmOptions, SwarmStoppedError } from "./swarm.ts"

export interface PromiseAskOptions {
  /** Default 30 000. */
  readonly timeoutMs?: number | undefined
}

export interface PromiseAgentRef<M> {
  readonly name: string
  readonly tell: (message: M) => Promise<void>
  readonly ask: <Req extends M & Request>(request: Req, options?: PromiseAskOptions) => Promise<Success<Req>>
  readonly stop: () => Promise<void>
}

export interface SwarmHandle {
  readonly topology: string
  readonly spawn: <D extends AgentDefinition<any, any, never>>(
    definition: D,
    options?: SpawnOptions
  ) => Promise<PromiseAgentRef<AgentDefinition.Message<D>>>
  readonly tell: (to: string, message: unknown) => Promise<void>
  readonly ask: <Req extends Request>(to: string, request: Req, options?: PromiseAskOptions) => Promise<Success<Req>>
  readonly agents: () => Promise<ReadonlyArray<AgentInfo>>
  /** The children of a supervisor (default the root), as `Swarm.whichChildren`. */
  readonly whichChildren: (supervisor?: string) => Promise<ReadonlyArray<ChildInfo>>
  readonly countChildren: (supervisor?: string) => Promise<ChildCounts>
  readonly terminateChild: (name: string) => Promise<void>
  readonly restartChild: (name: string) => Promise<void>
  readonly deleteChild: (name: string) => Promise<void>
  /** Calls `listener` for every event from now on; resolves once subscribed, to a function that unsubscribes. */
  readonly subscribe: (listener: (event: SwarmEvent) => void) => Promise<() => Promise<void>>
  /** Events recorded so far with an id above `afterId`. */
  readonly history: (afterId?: number) => Promise<ReadonlyArray<SwarmEvent>>
  /**
   * Stops every agent; asks still waiting reject with `UndeliveredError`. Every later call rejects
   * with `SwarmStoppedError`; calling it again does nothing.
   */
  readonly shutdown: () => Promise<void>
}

export interface CreateSwarmOptions extends SwarmOptions {
  /** Where events go; default an in-memory sink. */
  readonly events?: Layer.Layer<SwarmEvents> | undefined
}

/** Rejects with the error itself (not a wrapper) when the effect fails with one. */
const settle = async <A, E>(exit: Promise<Exit.Exit<A, E>>): Promise<A> => {
  const result = await exit
  if (Exit.isSuccess(result)) return result.value
  const failure = Cause.failureOption(result.cause)
  throw failure._tag === "Some" ? failure.value : Cause.squash(result.cause)
}

const askOptions = (options?: PromiseAskOptions) =>
  options?.timeoutMs === undefined ? undefined : { timeout: Duration.millis(options.timeoutMs) }

const promiseRef = <M>(ref: AgentRef<M>, run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>): PromiseAgentRef<M> => ({
  name: ref.name,
  tell: (message) => run(ref.tell(message)),
  ask: (request, options) => run(ref.ask(request, askOptions(options))),
  stop: () => run(ref.stop)
})

export const createSwarm = async (options: CreateSwarmOptions = {}): Promise<SwarmHandle> => {
  const runtime = ManagedRuntime.make(layer(options).pipe(Layer.provideMerge(options.events ?? eventsInMemory())))
  let disposed: Promise<void> | undefined
  const run = <A, E>(effect: Effect.Effect<A, E, Swarm | SwarmEvents>): Promise<A> =>
    disposed === undefined ? settle(runtime.runPromiseExit(effect)) : Promise.reject(new SwarmStoppedError({ reason: "shutdown" }))
  const swarm = await runtime.runPromise(Swarm)

  const wrap = <M>(ref: AgentRef<M>) => promiseRef(ref, run)

  return {
    topology: swarm.topology,
    spawn: <D extends AgentDefinition<any, any, never>>(definition: D, spawnOptions?: SpawnOptions) =>
      // D needs nothing (`never`), which TypeScript cannot see through the conditional type.
      run(
        Effect.map(
          swarm.spawn(definition, spawnOptions) as Effect.Effect<AgentRef<AgentDefinition.Message<D>>, SpawnError | SwarmStoppedError>,
          wrap
        )
      ),
    tell: (to, message) => run(swarm.tell(to, message)),
    ask: (to, request, options) => run(swarm.ask(to, request, askOptions(options))),
    agents: () => run(swarm.agents),
    whichChildren: (supervisor) => run(swarm.whichChildren(supervisor)),
    countChildren: (supervisor) => run(swarm.countChildren(supervisor)),
    terminateChild: (name) => run(swarm.terminateChild(name)),
    restartChild: (name) => run(swarm.restartChild(name)),
    deleteChild: (name) => run(swarm.deleteChild(name)),
    subscribe: async (listener) => {
      const fiber = await run(
        Effect.gen(function*() {
          const subscribed = yield* Effect.makeLatch(false)
          const fiber = yield* Effect.scoped(
            Effect.flatMap(
              swarm.events.subscribe,
              (events) => Effect.zipRight(subscribed.open, Stream.runForEach(events, (event) => Effect.sync(() => listener(event))))
            )
          ).pipe(Effect.forkDaemon)
          yield* subscribed.await
          return fiber
        })
      )
      return () => disposed === undefined ? runtime.runPromise(Fiber.interrupt(fiber)).then(() => undefined) : Promise.resolve()
    },
    history: (afterId = 0) => run(swarm.events.since(afterId)),
    shutdown: () => {
      disposed ??= runtime.runPromise(swarm.shutdown).then(() => runtime.dispose())
      return disposed
    }
  }
}

/** What an async agent's handlers get. */
export interface AsyncAgentContext<M> {
  readonly name: string
  readonly self: PromiseAgentRef<M>
  readonly reply: <Req extends M & Request>(request: Req, value: Success<Req>) => Promise<void>
  readonly replyFailure: <Req extends M & Request>(request: Req, error: Failure<Req>) => Promise<void>
  /** Any agent of the swarm, by name; messages sent through it come from this agent. */
  readonly lookup: <M2 = unknown>(name: string) => PromiseAgentRef<M2>
  /** Ends this agent normally after the current message. */
  readonly stop: () => void
  /** As `AgentContext.startTimer`: `message` arrives through the mailbox after the delay, or every interval. */
  readonly startTimer: (key: string, message: M, schedule: TimerSchedule) => Promise<void>
  readonly cancelTimer: (key: string) => Promise<void>
  /** As `AgentContext.watch`: a `Terminated` arrives when that agent stops for good. */
  readonly watch: (agent: string) => Promise<void>
  readonly unwatch: (agent: string) => Promise<void>
}

/** `define` for handlers that return values or Promises; a thrown error or rejection crashes the agent. */
export const defineAsync = <M, I, S>(spec: {
  readonly name: string
  readonly protocol: Schema.Schema<M, I, never>
  readonly init: (ctx: AsyncAgentContext<M>) => S | Promise<S>
  readonly receive: (message: M, state: S, ctx: AsyncAgentContext<M>) => S | Promise<S>
  readonly mailbox?: MailboxOptions | undefined
  readonly restart?: RestartType | undefined
  readonly shutdownTimeout?: Shutdown | undefined
}): AgentDefinition<M, S, never> => {
  const contexts = new WeakMap<object, AsyncAgentContext<M>>()
  const asyncContext = (ctx: Parameters<AgentDefinition<M, S, never>["init"]>[0]): AsyncAgentContext<M> => {
    let found = contexts.get(ctx)
    if (found !== undefined) return found
    // Effects started from the handler's promises run as this agent, so what it sends comes `from` it.
    const asAgent = <A, E>(effect: Effect.Effect<A, E>) => settle(Effect.runPromiseExit(Effect.locally(effect, CurrentAgent, ctx.name)))
    found = {
      name: ctx.name,
      self: promiseRef(ctx.self, asAgent),
      reply: (request, value) => asAgent(ctx.reply(request, value)),
      replyFailure: (request, error) => asAgent(ctx.replyFailure(request, error)),
      lookup: (name) => promiseRef(ctx.lookup(name), asAgent),
      stop: () => Effect.runSync(ctx.stop),
      startTimer: (key, message, schedule) => asAgent(ctx.startTimer(key, message, schedule)),
      cancelTimer: (key) => asAgent(ctx.cancelTimer(key)),
      watch: (agent) => asAgent(ctx.watch(agent)),
      unwatch: (agent) => asAgent(ctx.unwatch(agent))
    }
    contexts.set(ctx, found)
    return found
  }
  return define({
    ...spec,
    init: (ctx) => Effect.tryPromise(async () => spec.init(asyncContext(ctx))),
    receive: (message, state, ctx) => Effect.tryPromise(async () => spec.receive(message, state, asyncContext(ctx)))
  })
}
