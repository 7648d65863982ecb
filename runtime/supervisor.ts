/**
 * Supervisors with OTP semantics. A supervisor starts its children in order and watches them; when
 * one ends it applies the child's restart type (permanent: always restart, transient: only after a
 * crash, temporary: never) and its strategy (one-for-one, one-for-all, rest-for-one, and
 * simple-one-for-one for dynamic pools). More than `intensity` restarts within `period` make it
 * stop every child in reverse start order and escalate: it fails, and its own supervisor decides.
 * An agent's mailbox belongs to its slot here, so a restarted agent keeps its queued messages; the
 * message it crashed on becomes a dead letter.
 */
import {
  type Cause,
  Context,
  Data,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Queue,
  Schedule
} from "effect"
import {
  type AgentContext,
  type AgentDefinition,
  type AgentRef,
  DEFAULT_SHUTDOWN_TIMEOUT,
  type RestartType,
  type SpawnOptions
} from "./agent.ts"
import { type AgentCell, CurrentAgent, describeCause, type Kernel } from "./kernel.ts"

export type Strategy = "one-for-one" | "one-for-all" | "rest-for-one" | "simple-one-for-one"

/** A supervisor gave up: too many restarts in its period. Its parent sees this as the supervisor crashing. */
export class SupervisorEscalation extends Data.TaggedError("SupervisorEscalation")<{
  readonly supervisor: string
  readonly child: string
  readonly intensity: number
  readonly periodMs: number
  readonly cause: string
}> {
  override get message(): string {
    return `supervisor ${this.supervisor} escalated: more than ${this.intensity} restarts within ${this.periodMs} ms (last: ${this.child}: ${this.cause})`
  }
}

export class SpawnError extends Data.TaggedError("SpawnError")<{
  readonly name: string
  readonly reason: "name-taken" | "supervisor-stopped"
}> {
  override get message(): string {
    return this.reason === "name-taken" ? `an agent named ${this.name} already exists` : `cannot spawn ${this.name}: its supervisor has stopped`
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
  readonly shutdownTimeout: Duration.Duration
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
  /** How long stopping one child may take (its finalizers); default 5 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
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
  shutdownTimeout: Duration.decode(options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT),
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
  supervisor({
    ...options,
    strategy: "simple-one-for-one",
    children: Array.from({ length: options.size }, (_, i) => child(options.agent, { ...options.worker, name: `${options.name}-${i + 1}` }))
  }) as SupervisorSpec<AgentDefinition.Requirements<D>>

export interface SupervisorRef {
  readonly name: string
  /** Starts one more child agent under this supervisor (in a pool, unnamed workers are numbered on). */
  readonly spawn: <D extends AgentDefinition.Any>(
    definition: D,
    options?: SpawnOptions
  ) => Effect.Effect<AgentRef<AgentDefinition.Message<D>>, SpawnError, AgentDefinition.Requirements<D>>
  /** Starts a child supervisor under this one. */
  readonly spawnSupervisor: <R>(spec: SupervisorSpec<R>) => Effect.Effect<SupervisorRef, SpawnError, R>
  /** Names of the running children, in start order. */
  readonly children: Effect.Effect<ReadonlyArray<string>>
  /** Stops this supervisor and its children for good. */
  readonly stop: Effect.Effect<void>
}

type Command =
  | { readonly _tag: "Exited"; readonly slot: Slot; readonly generation: number; readonly exit: Exit.Exit<unknown, unknown> }
  | {
    readonly _tag: "Start"
    readonly spec: ChildSpec
    readonly context: Context.Context<never>
    readonly done: Deferred.Deferred<Slot, SpawnError>
  }
  | { readonly _tag: "Terminate"; readonly name: string; readonly done: Deferred.Deferred<void> }
  | { readonly _tag: "Children"; readonly done: Deferred.Deferred<ReadonlyArray<string>> }

/** One running supervisor: its command queue. */
export interface SupervisorHandle {
  readonly name: string
  readonly control: Queue.Queue<Command>
  stopped: boolean
}

interface Slot {
  readonly name: string
  readonly spec: ChildSpec
  readonly restart: RestartType
  readonly shutdownTimeout: Duration.Duration
  readonly context: Context.Context<never>
  /** Bumped whenever the supervisor itself ends the child, so the exit it reports is ignored. */
  generation: number
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  /** Agents only: survives restarts. */
  readonly cell: AgentCell | undefined
  /** Supervisors only: the running instance. */
  handle: SupervisorHandle | undefined
}

export const makeHandle = (name: string): Effect.Effect<SupervisorHandle> =>
  Effect.map(Queue.unbounded<Command>(), (control) => ({ name, control, stopped: false }))

const command = <A, E>(handle: SupervisorHandle, make: (done: Deferred.Deferred<A, E>) => Command, ifStopped: Effect.Effect<A, E>) =>
  Effect.suspend(() =>
    handle.stopped
      ? ifStopped
      : Effect.flatMap(Deferred.make<A, E>(), (done) => Effect.zipRight(Queue.offer(handle.control, make(done)), Deferred.await(done)))
  )

const terminate = (handle: SupervisorHandle, name: string): Effect.Effect<void> =>
  command<void, never>(handle, (done) => ({ _tag: "Terminate", name, done }), Effect.void)

/** Starts a child through a running supervisor; `R` is captured here and provided to the child on every (re)start. */
const startChild = <R>(handle: SupervisorHandle, spec: ChildSpec<R>): Effect.Effect<Slot, SpawnError, R> =>
  Effect.flatMap(Effect.context<R>(), (context) =>
    command<Slot, SpawnError>(
      handle,
      (done) => ({ _tag: "Start", spec, context: context as Context.Context<never>, done }),
      Effect.fail(new SpawnError({ name: childName(spec), reason: "supervisor-stopped" }))
    ))

const childName = (spec: ChildSpec): string => spec._tag === "AgentChild" ? spec.options.name ?? spec.definition.name : spec.name

/** A ref follows its supervisor across restarts: `current` gives the running instance. */
export const supervisorRef = (
  kernel: Kernel,
  name: string,
  current: () => SupervisorHandle,
  parent: (() => SupervisorHandle) | undefined
): SupervisorRef => ({
  name,
  spawn: (definition, options) =>
    Effect.suspend(() => Effect.map(startChild(current(), child(definition, options)), (slot) => kernel.ref(slot.name))),
  spawnSupervisor: (spec) =>
    Effect.suspend(() =>
      Effect.map(startChild(current(), spec), (slot) => supervisorRef(kernel, slot.name, () => slot.handle!, current))
    ),
  children: Effect.suspend(() =>
    command<ReadonlyArray<string>, never>(current(), (done) => ({ _tag: "Children", done }), Effect.succeed([]))
  ),
  stop: parent === undefined ? Effect.void : Effect.suspend(() => terminate(parent(), name))
})

/**
 * Runs a supervisor until it escalates (fails with `SupervisorEscalation`) or is interrupted (its
 * children are then stopped in reverse start order).
 */
export const runSupervisor = (
  kernel: Kernel,
  spec: SupervisorSpec,
  handle: SupervisorHandle,
  context: Context.Context<never>,
  /** Completed once the static children have started. */
  ready: Deferred.Deferred<void>
): Effect.Effect<never, SupervisorEscalation> =>
  Effect.scoped(Effect.gen(function*() {
    const slots: Array<Slot> = []
    const periodMs = Duration.toMillis(spec.period)
    // Restart times, oldest first; those before `firstRecent` have left the period.
    const restartTimes: Array<number> = []
    let firstRecent = 0
    const backoff: Schedule.ScheduleDriver<unknown, unknown> | undefined = spec.backoff === undefined
      ? undefined
      : yield* Schedule.driver(spec.backoff)

    const publish = (type: string, agent: string, data: Record<string, unknown>) =>
      kernel.events.publish({ type, agent, data: { supervisor: spec.name, ...data } })

    const makeSlot = (childSpec: ChildSpec, childContext: Context.Context<never>): Slot => {
      const name = childName(childSpec)
      const cell = childSpec._tag === "AgentChild"
        ? kernel.newCell(name, childSpec.definition, { ...childSpec.definition.mailbox, ...childSpec.options.mailbox })
        : undefined
      if (cell !== undefined) {
        cell.terminate = terminate(handle, name)
        kernel.cells.set(name, cell)
      }
      return {
        name,
        spec: childSpec,
        restart: childSpec._tag === "AgentChild" ? childSpec.options.restart ?? childSpec.definition.restart : childSpec.restart,
        shutdownTimeout: childSpec._tag === "AgentChild"
          ? childSpec.options.shutdownTimeout === undefined
            ? childSpec.definition.shutdownTimeout
            : Duration.decode(childSpec.options.shutdownTimeout)
          : childSpec.shutdownTimeout,
        context: childContext,
        generation: 0,
        fiber: undefined,
        cell,
        handle: undefined
      }
    }

    const launch = (slot: Slot) =>
      Effect.gen(function*() {
        const generation = slot.generation
        // Like OTP's synchronous start: the supervisor goes on once the child has initialized (or ended).
        const ready = yield* Deferred.make<void>()
        let body: Effect.Effect<unknown, unknown>
        if (slot.cell !== undefined) {
          // A child supervisor of the agent escalating counts as the agent crashing, even while it still runs.
          const crashed = (escalation: SupervisorEscalation) =>
            Queue.offer(handle.control, { _tag: "Exited", slot, generation, exit: Exit.fail(escalation) })
          body = runAgent(kernel, slot.cell, crashed, ready, (cause) => restartHere(slot, generation, cause))
        } else {
          const childHandle = yield* makeHandle(slot.name)
          slot.handle = childHandle
          body = runSupervisor(kernel, slot.spec as SupervisorSpec, childHandle, slot.context, ready)
        }
        slot.fiber = yield* body.pipe(
          Effect.onExit((exit) =>
            Effect.zipRight(Deferred.succeed(ready, undefined), Queue.offer(handle.control, { _tag: "Exited", slot, generation, exit }))
          ),
          Effect.provide(slot.context),
          Effect.forkDaemon
        )
        yield* Deferred.await(ready)
      })

    const stopSlot = (slot: Slot, reason: string) =>
      Effect.gen(function*() {
        const fiber = slot.fiber
        slot.generation++
        slot.fiber = undefined
        if (fiber === undefined) return
        const stoppedInTime = yield* Effect.timeoutOption(Fiber.interrupt(fiber), slot.shutdownTimeout)
        yield* publish("stopped", slot.name, { reason, ...(stoppedInTime._tag === "None" ? { shutdownTimedOut: true } : {}) })
      })

    /** Takes the slot out for good: its name is free again and its queued messages become dead letters. */
    const remove = (slot: Slot) =>
      Effect.suspend(() => {
        const at = slots.indexOf(slot)
        if (at >= 0) slots.splice(at, 1)
        if (slot.cell === undefined) return Effect.void
        if (kernel.cells.get(slot.name) === slot.cell) kernel.cells.delete(slot.name)
        return Effect.forEach(slot.cell.mailbox.close(), (envelope) => kernel.deadLetter(envelope, "stopped"), { discard: true })
      })

    const stopAll = (reason: string) =>
      Effect.gen(function*() {
        for (const slot of slots.slice().reverse()) {
          yield* stopSlot(slot, reason)
          yield* remove(slot)
        }
      })

    const restartSlot = (slot: Slot, data: Record<string, unknown>) =>
      Effect.gen(function*() {
        if (slot.cell !== undefined) slot.cell.restarts++
        yield* launch(slot)
        yield* publish("restarted", slot.name, data)
      })

    /** Records a restart; false when it would exceed the intensity. Returns how many restarts the period now holds. */
    const admitRestart = (): number | false => {
      const now = kernel.clock.unsafeCurrentTimeMillis()
      while (firstRecent < restartTimes.length && now - restartTimes[firstRecent]! >= periodMs) firstRecent++
      if (restartTimes.length - firstRecent >= spec.intensity) return false
      if (firstRecent > 64 && firstRecent * 2 > restartTimes.length) {
        restartTimes.splice(0, firstRecent)
        firstRecent = 0
      }
      restartTimes.push(now)
      return restartTimes.length - firstRecent
    }

    /**
     * The common case, decided where the crash happened: a one-for-one (or pool) supervisor with no
     * backoff restarts a crashed agent within the intensity, so the agent's own fiber may run the
     * next incarnation at once (no hop through this loop, no new fiber). Everything else (another
     * strategy, a backoff, the intensity exceeded) goes through the loop as an exit.
     */
    const restartHere = (slot: Slot, generation: number, cause: Cause.Cause<unknown>) =>
      Effect.suspend(() => {
        if (
          (spec.strategy !== "one-for-one" && spec.strategy !== "simple-one-for-one") ||
          backoff !== undefined || slot.restart === "temporary" || handle.stopped || slot.generation !== generation ||
          !slots.includes(slot) || admitRestart() === false
        ) return Effect.succeed(undefined)
        slot.cell!.restarts++
        return Effect.succeed(publish("restarted", slot.name, { reason: "crashed", cause: describeCause(cause) }))
      })

    const escalate = (slot: Slot, cause: string) =>
      Effect.gen(function*() {
        handle.stopped = true
        yield* stopAll("escalation")
        yield* publish("escalated", spec.name, { child: slot.name, intensity: spec.intensity, periodMs, cause })
        return yield* new SupervisorEscalation({ supervisor: spec.name, child: slot.name, intensity: spec.intensity, periodMs, cause })
      })

    const onExited = (slot: Slot, generation: number, exit: Exit.Exit<unknown, unknown>) =>
      Effect.gen(function*() {
        if (slot.generation !== generation || !slots.includes(slot)) return
        const running = slot.fiber
        slot.fiber = undefined
        slot.generation++
        // Set when the exit was reported on the child's behalf (its own child supervisor escalated).
        if (running !== undefined && running.unsafePoll() === null) yield* Fiber.interrupt(running)
        const normal = Exit.isSuccess(exit)
        const cause = Exit.isFailure(exit) ? describeCause(exit.cause) : "normal"
        const restart = slot.restart === "permanent" || (slot.restart === "transient" && !normal)
        if (!restart) {
          yield* remove(slot)
          return yield* publish("stopped", slot.name, { reason: normal ? "normal" : "crashed", cause })
        }
        const recentRestarts = admitRestart()
        if (recentRestarts === false) return yield* escalate(slot, cause)
        if (backoff !== undefined) {
          if (recentRestarts === 1) yield* backoff.reset
          const exhausted = yield* Effect.isFailure(backoff.next(undefined))
          if (exhausted) return yield* escalate(slot, cause)
        }
        const at = slots.indexOf(slot)
        const group = spec.strategy === "one-for-all"
          ? slots.slice()
          : spec.strategy === "rest-for-one"
          ? slots.slice(at)
          : [slot]
        for (const sibling of group.slice().reverse()) {
          if (sibling !== slot) yield* stopSlot(sibling, "restarting")
        }
        for (const member of group) {
          if (member === slot) {
            yield* restartSlot(member, { reason: normal ? "normal" : "crashed", cause })
          } else if (member.restart === "temporary") {
            yield* remove(member)
          } else {
            yield* restartSlot(member, { reason: "sibling", sibling: slot.name })
          }
        }
      })

    let poolWorkers = spec.children.length
    /** In a pool, a worker spawned without a name is the next `pool-n`. */
    const named = (childSpec: ChildSpec): ChildSpec =>
      spec.strategy === "simple-one-for-one" && childSpec._tag === "AgentChild" && childSpec.options.name === undefined
        ? child(childSpec.definition, { ...childSpec.options, name: `${spec.name}-${++poolWorkers}` })
        : childSpec

    const start = (unnamed: ChildSpec, childContext: Context.Context<never>) =>
      Effect.gen(function*() {
        const childSpec = named(unnamed)
        const name = childName(childSpec)
        if (slots.some((s) => s.name === name) || (childSpec._tag === "AgentChild" && kernel.cells.has(name))) {
          return yield* new SpawnError({ name, reason: "name-taken" })
        }
        const slot = makeSlot(childSpec, childContext)
        slots.push(slot)
        yield* launch(slot)
        yield* publish("spawned", name, { kind: childSpec._tag === "AgentChild" ? "agent" : "supervisor" })
        return slot
      })

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        handle.stopped = true
        yield* stopAll("shutdown")
        for (const pending of yield* Queue.takeAll(handle.control)) {
          if (pending._tag === "Start") yield* Deferred.fail(pending.done, new SpawnError({ name: childName(pending.spec), reason: "supervisor-stopped" }))
          else if (pending._tag === "Terminate") yield* Deferred.succeed(pending.done, undefined)
          else if (pending._tag === "Children") yield* Deferred.succeed(pending.done, [])
        }
      })
    )

    for (const childSpec of spec.children) yield* Effect.orDie(start(childSpec, context))
    yield* Deferred.succeed(ready, undefined)

    while (true) {
      const next = yield* Queue.take(handle.control)
      switch (next._tag) {
        case "Exited":
          yield* onExited(next.slot, next.generation, next.exit)
          break
        case "Start":
          yield* Deferred.complete(next.done, start(next.spec, next.context))
          break
        case "Terminate": {
          const slot = slots.find((s) => s.name === next.name)
          if (slot !== undefined) {
            yield* stopSlot(slot, "terminated")
            yield* remove(slot)
          }
          yield* Deferred.succeed(next.done, undefined)
          break
        }
        case "Children":
          yield* Deferred.succeed(next.done, slots.map((s) => s.name))
          break
      }
    }
  }))

/**
 * One incarnation of an agent: `init`, then one message at a time until it stops itself (a normal
 * exit), crashes, or is interrupted by its supervisor. The message in hand at a crash or an
 * interruption becomes a dead letter (and its asker gets `AgentCrashedError`).
 */
const runAgent = (
  kernel: Kernel,
  cell: AgentCell,
  crashed: (escalation: SupervisorEscalation) => Effect.Effect<unknown>,
  /** Completed once the first `init` has succeeded. */
  ready: Deferred.Deferred<void>,
  /**
   * Asked after a crash: when the supervisor lets this fiber run the next incarnation itself, what
   * to do once its `init` has succeeded (announce the restart); otherwise undefined.
   */
  restartHere: (cause: Cause.Cause<unknown>) => Effect.Effect<Effect.Effect<void> | undefined>
): Effect.Effect<void, unknown> =>
  Effect.gen(function*() {
    let exit = yield* Effect.exit(incarnation(kernel, cell, crashed, Deferred.succeed(ready, undefined)))
    while (Exit.isFailure(exit) && !Exit.isInterrupted(exit)) {
      const started = yield* restartHere(exit.cause)
      if (started === undefined) break
      exit = yield* Effect.exit(incarnation(kernel, cell, crashed, started))
    }
    return yield* exit
  }).pipe(Effect.locally(CurrentAgent, cell.name))

const incarnation = (
  kernel: Kernel,
  cell: AgentCell,
  crashed: (escalation: SupervisorEscalation) => Effect.Effect<unknown>,
  /** Runs once `init` has succeeded. */
  started: Effect.Effect<unknown>
): Effect.Effect<void, unknown> =>
  Effect.scoped(Effect.gen(function*() {
    // Its requirements were provided by the supervisor that launched it.
    const definition = cell.definition as AgentDefinition<unknown, unknown, never>
    const scope = yield* Effect.scope
    let stopping = false
    let children: SupervisorHandle | undefined

    const childSupervisor = Effect.gen(function*() {
      if (children !== undefined) return children
      const handle = yield* makeHandle(`${cell.name}/children`)
      children = handle
      const spec = supervisor({ name: handle.name })
      yield* runSupervisor(kernel, spec, handle, Context.empty() as Context.Context<never>, yield* Deferred.make<void>()).pipe(
        Effect.catchAll(crashed),
        Effect.forkIn(scope)
      )
      return handle
    })

    const ctx: AgentContext<unknown> = {
      name: cell.name,
      self: kernel.ref(cell.name),
      get envelope() {
        return cell.current
      },
      reply: (request, value) => kernel.reply(cell.name, request, true, value),
      replyFailure: (request, error) => kernel.reply(cell.name, request, false, error),
      spawn: (childDefinition, options) =>
        Effect.gen(function*() {
          const handle = yield* childSupervisor
          const name = `${cell.name}/${options?.name ?? childDefinition.name}`
          const slot = yield* Effect.orDie(startChild(handle, child(childDefinition, { ...options, name })))
          return kernel.ref(slot.name)
        }),
      lookup: (name) => kernel.ref(name),
      stop: Effect.sync(() => {
        stopping = true
      })
    }

    const loop = Effect.gen(function*() {
      let state: unknown = yield* definition.init(ctx)
      yield* started
      const mailbox = cell.mailbox
      while (!stopping) {
        const envelope = mailbox.poll()
        if (envelope === undefined) {
          if (mailbox.isClosed) return
          yield* mailbox.awaitMessage
          continue
        }
        cell.current = envelope
        if (envelope.correlationId !== undefined) kernel.receiving(envelope)
        state = yield* definition.receive(envelope.payload, state, ctx)
        cell.current = undefined
      }
    })

    yield* loop.pipe(
      Effect.onExit((exit) => {
        const current = cell.current
        cell.current = undefined
        if (Exit.isSuccess(exit) || current === undefined) return Effect.void
        const interrupted = Exit.isInterrupted(exit)
        return kernel.deadLetter(current, interrupted ? "interrupted" : "crashed", describeCause(exit.cause))
      })
    )
  }))

