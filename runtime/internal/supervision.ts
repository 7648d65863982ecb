/**
 * The supervisor loop (see ../supervisor.ts for the semantics): one fiber per supervisor, serving
 * its command queue one command at a time (child exits, delayed restarts, calls from refs), and
 * the refs that talk to it. Internal: the public surface is ../supervisor.ts and ../swarm.ts.
 */
import {
  Cause,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  Option,
  Queue,
  ScheduleDecision,
  ScheduleIntervals,
  type Scope
} from "effect"
import { describeExitReason, type ExitReason, type RestartType, type ShutdownPolicy, shutdownPolicy, SpawnError } from "../agent.ts"
import { EscalatedEvent, RestartedEvent, RestartFailedEvent, SpawnedEvent, StoppedEvent, type SwarmEventInput } from "../events.ts"
import {
  type AgentChildSpec,
  child,
  ChildError,
  type ChildInfo,
  type ChildSpec,
  supervisor,
  SupervisorEscalation,
  type SupervisorRef,
  type SupervisorSpec
} from "../supervisor.ts"
import { type ChildStarter, runAgent } from "./agent-loop.ts"
import { type AgentCell, describeCause, type Kernel } from "./kernel.ts"

type RestartedData = Omit<Parameters<typeof RestartedEvent.make>[0], "supervisor">

/** What a supervisor can be asked to do; each runs in the supervisor's own fiber, one at a time. */
interface Operations {
  readonly start: (spec: ChildSpec, context: Context.Context<never>) => Effect.Effect<Slot, SpawnError>
  readonly terminate: (name: string, keep: boolean) => Effect.Effect<void, ChildError>
  readonly restartChild: (name: string) => Effect.Effect<void, ChildError | SpawnError>
  readonly deleteChild: (name: string) => Effect.Effect<void, ChildError>
  readonly whichChildren: Effect.Effect<ReadonlyArray<ChildInfo>>
}

type Command =
  | { readonly _tag: "Exited"; readonly slot: Slot; readonly generation: number; readonly exit: Exit.Exit<unknown, unknown> }
  | { readonly _tag: "RestartDue"; readonly slot: Slot; readonly generation: number; readonly group: ReadonlyArray<Slot> }
  | {
    readonly _tag: "Call"
    readonly run: (operations: Operations) => Effect.Effect<void>
    /** Answers the caller when the supervisor stopped before it got to this call. */
    readonly refuse: Effect.Effect<void>
  }

/** One running supervisor: its command queue and its children. */
export interface SupervisorHandle {
  readonly name: string
  readonly control: Queue.Queue<Command>
  stopped: boolean
  readonly slots: Array<Slot>
}

interface Slot {
  readonly name: string
  readonly spec: ChildSpec
  readonly restart: RestartType
  readonly shutdown: ShutdownPolicy
  readonly context: Context.Context<never>
  /** The current incarnation's number: an exit reported under another one is stale and ignored. */
  generation: number
  state: "running" | "restarting" | "terminated"
  incarnation: number
  restarts: number
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  /** Agents only: survives restarts (a new one after `terminateChild` + `restartChild`). */
  cell: AgentCell | undefined
  /** Supervisors only: the running instance. */
  handle: SupervisorHandle | undefined
}

export const makeHandle = (name: string): Effect.Effect<SupervisorHandle> =>
  Effect.map(Queue.unbounded<Command>(), (control) => ({ name, control, stopped: false, slots: [] }))

/** Runs `operation` in the supervisor's fiber and waits for its result; `ifStopped` when the supervisor has stopped. */
const call = <A, E>(
  handle: SupervisorHandle,
  operation: (operations: Operations) => Effect.Effect<A, E>,
  ifStopped: Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    if (handle.stopped) return ifStopped
    return Effect.flatMap(Deferred.make<A, E>(), (done) =>
      Effect.zipRight(
        Queue.offer(handle.control, {
          _tag: "Call",
          run: (operations) => Effect.asVoid(Deferred.complete(done, operation(operations))),
          refuse: Effect.asVoid(Deferred.complete(done, ifStopped))
        }),
        Deferred.await(done)
      ))
  })

const terminate = (handle: SupervisorHandle, name: string): Effect.Effect<void> =>
  // The child may have stopped meanwhile (no such child): terminating it is then already done.
  call(handle, (operations) => Effect.catchTag(operations.terminate(name, false), "ChildError", () => Effect.void), Effect.void)

/** Starts a child through a running supervisor; `R` is captured here and provided to the child on every (re)start. */
const startChild = <R>(handle: SupervisorHandle, spec: ChildSpec<R>): Effect.Effect<Slot, SpawnError, R> =>
  Effect.flatMap(Effect.context<R>(), (context) =>
    call(
      handle,
      (operations) => operations.start(spec, context as Context.Context<never>),
      Effect.fail(new SpawnError({ name: childName(spec), reason: "supervisor-stopped" }))
    ))

const childName = (spec: ChildSpec): string => spec._tag === "AgentChild" ? spec.options.name ?? spec.definition.name : spec.name

/** The first name used twice in a spec's subtree (agents and supervisors share one namespace). */
const duplicateName = (spec: ChildSpec): string | undefined => {
  const seen = new Set<string>()
  const visit = (node: ChildSpec): string | undefined => {
    const name = childName(node)
    if (seen.has(name)) return name
    seen.add(name)
    if (node._tag === "SupervisorSpec") {
      for (const c of node.children) {
        const found = visit(c)
        if (found !== undefined) return found
      }
    }
    return undefined
  }
  return visit(spec)
}

/** Every name in a spec's subtree. */
const namesIn = (spec: ChildSpec): Array<string> =>
  spec._tag === "AgentChild" ? [childName(spec)] : [spec.name, ...spec.children.flatMap(namesIn)]

export const describeFailure = (cause: Cause.Cause<unknown>): { readonly cause: unknown; readonly detail: string } => ({
  cause: Cause.squash(cause),
  detail: describeCause(cause)
})

const childInfo = (slot: Slot): ChildInfo => ({
  name: slot.name,
  kind: slot.spec._tag === "AgentChild" ? "agent" : "supervisor",
  restart: slot.restart,
  state: slot.state,
  incarnation: slot.incarnation,
  restarts: slot.restarts,
  mailbox: slot.cell === undefined ? undefined : { queued: slot.cell.mailbox.size, capacity: slot.cell.mailbox.capacity }
})

/** A ref follows its supervisor across restarts: `current` gives the running instance. */
export const supervisorRef = (
  kernel: Kernel,
  name: string,
  current: () => SupervisorHandle,
  parent: (() => SupervisorHandle) | undefined
): SupervisorRef => {
  const stopped = Effect.fail(new ChildError({ supervisor: name, child: name, reason: "supervisor-stopped" }))
  const ask = <A, E>(operation: (operations: Operations) => Effect.Effect<A, E>, ifStopped: Effect.Effect<A, E>) =>
    Effect.suspend(() => call(current(), operation, ifStopped))
  return {
    name,
    spawn: (definition, options) =>
      Effect.suspend(() => Effect.map(startChild(current(), child(definition, options)), (slot) => kernel.ref(slot.name))),
    spawnSupervisor: (spec) =>
      Effect.suspend(() =>
        Effect.map(startChild(current(), spec), (slot) => supervisorRef(kernel, slot.name, () => slot.handle!, current))
      ),
    children: ask(
      (operations) => Effect.map(operations.whichChildren, (infos) => infos.filter((c) => c.state !== "terminated").map((c) => c.name)),
      Effect.succeed([])
    ),
    whichChildren: ask((operations) => operations.whichChildren, Effect.succeed([])),
    countChildren: ask(
      (operations) =>
        Effect.map(operations.whichChildren, (infos) => ({
          specs: infos.length,
          active: infos.filter((c) => c.state === "running").length,
          supervisors: infos.filter((c) => c.kind === "supervisor").length,
          workers: infos.filter((c) => c.kind === "agent").length
        })),
      Effect.succeed({ specs: 0, active: 0, supervisors: 0, workers: 0 })
    ),
    restartChild: (child) => ask((operations) => operations.restartChild(child), stopped),
    terminateChild: (child) => ask((operations) => operations.terminate(child, true), stopped),
    deleteChild: (child) => ask((operations) => operations.deleteChild(child), stopped),
    stop: parent === undefined ? Effect.void : Effect.suspend(() => terminate(parent(), name))
  }
}

/**
 * Takes a slot out of its supervisor for good: its name is free again, its queued messages become
 * dead letters and its watchers hear why it ended. Safe to call twice.
 */
const removeSlot = (kernel: Kernel, handle: SupervisorHandle, slot: Slot, reason: string): Effect.Effect<void> =>
  Effect.suspend(() => {
    const at = handle.slots.indexOf(slot)
    if (at < 0) return Effect.void
    handle.slots.splice(at, 1)
    if (kernel.names.get(slot.name) === handle) kernel.names.delete(slot.name)
    return Effect.zipRight(closeCell(kernel, slot), kernel.terminated(slot.name, reason))
  })

/** The agent's cell leaves the swarm: messages to it become dead letters (`no-such-agent`), queued ones `stopped`. */
const closeCell = (kernel: Kernel, slot: Slot): Effect.Effect<void> =>
  Effect.suspend(() => {
    const cell = slot.cell
    if (cell === undefined) return Effect.void
    if (kernel.cells.get(slot.name) === cell) kernel.cells.delete(slot.name)
    return Effect.forEach(cell.mailbox.close(), (envelope) => kernel.deadLetter(envelope, "stopped"), { discard: true })
  })

/**
 * The supervisor gave up waiting for the child: whatever of it still runs is cut off from the
 * swarm. The message it was handling becomes a dead letter now; its later exit is ignored (the
 * caller has moved the slot's generation on); a killed supervisor's whole subtree is cut off too.
 */
const kill = (kernel: Kernel, slot: Slot): Effect.Effect<void> =>
  Effect.suspend(() => {
    const incarnation = slot.cell?.incarnation
    if (incarnation !== undefined) {
      incarnation.killed = true
      kernel.retire(incarnation)
      const current = incarnation.current
      incarnation.current = undefined
      if (current !== undefined) return kernel.deadLetter(current, "interrupted", "killed")
    }
    const handle = slot.handle
    if (handle === undefined) return Effect.void
    handle.stopped = true
    return Effect.forEach(
      handle.slots.slice().reverse(),
      (descendant) => {
        descendant.generation++
        descendant.fiber = undefined
        return Effect.zipRight(kill(kernel, descendant), removeSlot(kernel, handle, descendant, "killed"))
      },
      { discard: true }
    )
  })

/**
 * Runs a supervisor until it escalates (fails with `SupervisorEscalation`) or is interrupted (its
 * children are then stopped in reverse start order). It fails with `SpawnError` before `ready`
 * when one of its static children cannot start (those already started are stopped first).
 */
export const runSupervisor = (
  kernel: Kernel,
  spec: SupervisorSpec,
  handle: SupervisorHandle,
  context: Context.Context<never>,
  /** Completed once the static children have started. */
  ready: Deferred.Deferred<void, Cause.Cause<unknown>>
): Effect.Effect<never, SupervisorEscalation | SpawnError> =>
  Effect.scoped(Effect.gen(function*() {
    const slots = handle.slots
    const scope = yield* Effect.scope
    const periodMs = Duration.toMillis(spec.period)
    // Restart times, oldest first; those before `firstRecent` have left the period.
    const restartTimes: Array<number> = []
    let firstRecent = 0
    let backoffState: unknown = spec.backoff?.initial

    /** Publishes one of the lifecycle kinds about `agent`, naming this supervisor. */
    const publish = <T extends string, D extends { readonly supervisor: string }>(
      kind: { readonly make: (data: D, origin: { readonly agent: string }) => SwarmEventInput & { readonly type: T } },
      agent: string,
      data: Omit<D, "supervisor">
    ) => kernel.events.publish(kind.make({ ...data, supervisor: spec.name } as D, { agent }))

    const reportExit = (slot: Slot, generation: number, exit: Exit.Exit<unknown, unknown>) =>
      Queue.offer(handle.control, { _tag: "Exited", slot, generation, exit })

    const newCell = (childSpec: AgentChildSpec, name: string): AgentCell => {
      const cell = kernel.newCell(name, childSpec.definition, { ...childSpec.definition.mailbox, ...childSpec.options.mailbox })
      cell.terminate = terminate(handle, name)
      kernel.cells.set(name, cell)
      return cell
    }

    const makeSlot = (childSpec: ChildSpec, childContext: Context.Context<never>): Slot => {
      const name = childName(childSpec)
      kernel.names.set(name, handle)
      return {
        name,
        spec: childSpec,
        restart: childSpec._tag === "AgentChild" ? childSpec.options.restart ?? childSpec.definition.restart : childSpec.restart,
        shutdown: childSpec._tag === "AgentChild"
          ? childSpec.options.shutdownTimeout === undefined
            ? childSpec.definition.shutdownTimeout
            : shutdownPolicy(childSpec.options.shutdownTimeout)
          : childSpec.shutdownTimeout,
        context: childContext,
        generation: 0,
        state: "restarting",
        incarnation: 0,
        restarts: 0,
        fiber: undefined,
        cell: childSpec._tag === "AgentChild" ? newCell(childSpec, name) : undefined,
        handle: undefined
      }
    }

    /**
     * Starts one incarnation and waits for its `init` (OTP's synchronous start). Fails with the
     * cause `init` failed with; nothing of that incarnation then runs or reports an exit.
     */
    const launch = (slot: Slot): Effect.Effect<void, Cause.Cause<unknown>> =>
      Effect.gen(function*() {
        const generation = ++slot.generation
        const ready = yield* Deferred.make<void, Cause.Cause<unknown>>()
        let body: Effect.Effect<unknown, unknown>
        if (slot.cell !== undefined) {
          // A child supervisor of the agent escalating counts as the agent crashing, even while it still runs.
          const crashed = (escalation: SupervisorEscalation) => reportExit(slot, generation, Exit.fail(escalation))
          body = runAgent(kernel, slot.cell, {
            crashed,
            ready,
            restartHere: (cause, initFailed) => restartHere(slot, generation, cause, initFailed),
            children: openChildren(kernel)
          })
        } else {
          const childHandle = yield* makeHandle(slot.name)
          slot.handle = childHandle
          body = runSupervisor(kernel, slot.spec as SupervisorSpec, childHandle, slot.context, ready)
        }
        slot.fiber = yield* body.pipe(
          Effect.onExit((exit) =>
            Effect.flatMap(Deferred.isDone(ready), (started) =>
              started
                ? reportExit(slot, generation, exit)
                : Deferred.fail(ready, Exit.isFailure(exit) ? exit.cause : Cause.die("ended before it started")))
          ),
          Effect.provide(slot.context),
          Effect.forkDaemon
        )
        const started = yield* Effect.either(Deferred.await(ready))
        if (Either.isLeft(started)) {
          if (slot.generation === generation) {
            slot.generation++
            slot.fiber = undefined
          }
          return yield* Effect.fail(started.left)
        }
        slot.incarnation++
        slot.state = "running"
      })

    /** Stops the running incarnation by the slot's shutdown policy; says whether it had to be killed. */
    const stopFiber = (slot: Slot, fiber: Fiber.RuntimeFiber<unknown, unknown>) =>
      Effect.gen(function*() {
        if (slot.shutdown === "infinity") {
          yield* Fiber.interrupt(fiber)
          return false
        }
        yield* Fiber.interruptFork(fiber)
        if (slot.shutdown !== "brutal_kill") {
          const done = yield* Effect.timeoutOption(fiber.await, slot.shutdown)
          if (Option.isSome(done)) return false
        }
        yield* kill(kernel, slot)
        return true
      })

    /** `why`: what the asks the agent still owes fail with (its cause), when not just `reason`. */
    const stopSlot = (slot: Slot, reason: string, why: string = `stopped by ${spec.name} (${reason})`) =>
      Effect.gen(function*() {
        const fiber = slot.fiber
        slot.generation++
        slot.fiber = undefined
        if (fiber === undefined) return
        const incarnation = slot.cell?.incarnation
        if (incarnation !== undefined) incarnation.stopping = why
        const killed = yield* stopFiber(slot, fiber)
        yield* publish(StoppedEvent, slot.name, {
          reason,
          ...(killed ? { killed: true, ...(slot.shutdown === "brutal_kill" ? {} : { shutdownTimedOut: true }) } : {})
        })
      })

    const remove = (slot: Slot, reason: string) => removeSlot(kernel, handle, slot, reason)

    const stopAll = (reason: string, why?: string) =>
      Effect.gen(function*() {
        for (const slot of slots.slice().reverse()) {
          yield* stopSlot(slot, reason, why)
          yield* remove(slot, reason)
        }
      })

    /** Records a restart; false when it would exceed the intensity. Returns how many restarts the period now holds. */
    const admitRestart = (): number | false => {
      const now = kernel.clock.unsafeCurrentTimeMillis()
      // OTP keeps the restarts R with R >= now - period: one exactly a period old still counts.
      while (firstRecent < restartTimes.length && now - restartTimes[firstRecent]! > periodMs) firstRecent++
      if (restartTimes.length - firstRecent >= spec.intensity) return false
      if (firstRecent > 64 && firstRecent * 2 > restartTimes.length) {
        restartTimes.splice(0, firstRecent)
        firstRecent = 0
      }
      restartTimes.push(now)
      return restartTimes.length - firstRecent
    }

    /** The backoff's next delay in milliseconds (0 without a backoff), or undefined once it is exhausted. */
    const nextDelay = (recentRestarts: number) =>
      Effect.gen(function*() {
        const backoff = spec.backoff
        if (backoff === undefined) return 0
        // The first restart of a quiet period starts the schedule over.
        if (recentRestarts === 1) backoffState = backoff.initial
        const now = kernel.clock.unsafeCurrentTimeMillis()
        const [state, , decision] = (yield* backoff.step(now, undefined, backoffState)) as readonly [
          unknown,
          unknown,
          ScheduleDecision.ScheduleDecision
        ]
        backoffState = state
        if (ScheduleDecision.isDone(decision)) return undefined
        return Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
      })

    /**
     * The common case, decided where the crash happened: a one-for-one (or pool) supervisor with no
     * backoff restarts a crashed agent within the intensity, so the agent's own fiber may run the
     * next incarnation at once (no hop through this loop, no new fiber). Everything else (another
     * strategy, a backoff, the intensity exceeded) goes through the loop as an exit.
     */
    const restartHere = (slot: Slot, generation: number, cause: Cause.Cause<unknown>, initFailed: boolean) =>
      Effect.suspend(() => {
        const failed = initFailed ? publish(RestartFailedEvent, slot.name, { cause: describeCause(cause) }) : Effect.void
        if (
          (spec.strategy !== "one-for-one" && spec.strategy !== "simple-one-for-one") ||
          spec.backoff !== undefined || slot.restart === "temporary" || handle.stopped || slot.generation !== generation ||
          !slots.includes(slot) || admitRestart() === false
        ) return Effect.as(failed, undefined)
        const data: RestartedData = { reason: "crashed", cause: describeCause(cause) }
        return Effect.as(
          failed,
          Effect.suspend(() => {
            slot.cell!.restarts++
            slot.restarts++
            slot.incarnation++
            return publish(RestartedEvent, slot.name, data)
          })
        )
      })

    const escalate = (slot: Slot, cause: string) =>
      Effect.gen(function*() {
        handle.stopped = true
        // The asks its agents still owe fail saying why, not only that they were stopped.
        yield* stopAll(
          "escalation",
          `${spec.name} gave up: ${slot.name} exceeded ${spec.intensity} restarts in ${Duration.format(spec.period)} (${cause})`
        )
        yield* publish(EscalatedEvent, spec.name, { child: slot.name, intensity: spec.intensity, periodMs, cause })
        return yield* new SupervisorEscalation({ supervisor: spec.name, child: slot.name, intensity: spec.intensity, periodMs, cause })
      })

    /** One restart attempt; a failed `init` is published and handled as the child exiting again. */
    const restartSlot = (slot: Slot, data: RestartedData) =>
      Effect.gen(function*() {
        const started = yield* Effect.either(launch(slot))
        if (Either.isLeft(started)) {
          slot.state = "restarting"
          yield* publish(RestartFailedEvent, slot.name, { cause: describeCause(started.left) })
          yield* reportExit(slot, ++slot.generation, Exit.failCause(started.left))
          return false
        }
        slot.restarts++
        if (slot.cell !== undefined) slot.cell.restarts++
        yield* publish(RestartedEvent, slot.name, data)
        return true
      })

    const restartGroup = (trigger: Slot, group: ReadonlyArray<Slot>, data: RestartedData) =>
      Effect.gen(function*() {
        for (const member of group) {
          if (!slots.includes(member) || member.state === "terminated" || member.fiber !== undefined) continue
          const ok = yield* restartSlot(member, member === trigger ? data : { reason: "sibling", sibling: trigger.name })
          // The failed member's exit restarts what its strategy says, the rest of this group included.
          if (!ok) return
        }
      })

    const onExited = (slot: Slot, generation: number, exit: Exit.Exit<unknown, unknown>) =>
      Effect.gen(function*() {
        if (slot.generation !== generation || !slots.includes(slot)) return
        const running = slot.fiber
        slot.fiber = undefined
        slot.generation++
        // Set when the exit was reported on the child's behalf (its own child supervisor escalated).
        if (running !== undefined && running.unsafePoll() === null) yield* stopFiber(slot, running)
        const normal = Exit.isSuccess(exit)
        const reason = normal ? describeExitReason((exit.value as ExitReason | undefined) ?? "normal") : "crashed"
        const cause = Exit.isFailure(exit) ? describeCause(exit.cause) : reason
        const restart = slot.restart === "permanent" || (slot.restart === "transient" && !normal)
        if (!restart) {
          yield* remove(slot, reason)
          return yield* publish(StoppedEvent, slot.name, { reason, cause })
        }
        const recentRestarts = admitRestart()
        if (recentRestarts === false) return yield* escalate(slot, cause)
        const delay = yield* nextDelay(recentRestarts)
        if (delay === undefined) return yield* escalate(slot, cause)
        const at = slots.indexOf(slot)
        const group = spec.strategy === "one-for-all"
          ? slots.slice()
          : spec.strategy === "rest-for-one"
          ? slots.slice(at)
          : [slot]
        for (const sibling of group.slice().reverse()) {
          if (sibling === slot) continue
          yield* stopSlot(sibling, "restarting")
          if (sibling.restart === "temporary") yield* remove(sibling, "restarting")
          else sibling.state = "restarting"
        }
        slot.state = "restarting"
        const data = { reason, cause }
        if (delay === 0) return yield* restartGroup(slot, group, data)
        // The restart waits on a timer, not in this loop: the supervisor keeps serving meanwhile.
        const due = slot.generation
        yield* Effect.sleep(Duration.millis(delay)).pipe(
          Effect.zipRight(Queue.offer(handle.control, { _tag: "RestartDue", slot, generation: due, group })),
          Effect.forkIn(scope)
        )
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
        const duplicate = duplicateName(childSpec)
        if (duplicate !== undefined) return yield* new SpawnError({ name, reason: "duplicate-name", detail: duplicate })
        if (namesIn(childSpec).some((n) => kernel.names.has(n))) {
          return yield* new SpawnError({ name, reason: "name-taken" })
        }
        const slot = makeSlot(childSpec, childContext)
        slots.push(slot)
        const started = yield* Effect.either(launch(slot))
        if (Either.isLeft(started)) {
          // It never ran: no `stopped`, no watchers to tell; messages sent to it meanwhile are dead letters.
          slots.splice(slots.indexOf(slot), 1)
          if (kernel.names.get(name) === handle) kernel.names.delete(name)
          yield* closeCell(kernel, slot)
          return yield* new SpawnError({ name, reason: "init-failed", ...describeFailure(started.left) })
        }
        yield* publish(SpawnedEvent, name, { kind: childSpec._tag === "AgentChild" ? "agent" : "supervisor" })
        return slot
      })

    const find = (name: string) => {
      const slot = slots.find((s) => s.name === name)
      return slot === undefined
        ? Effect.fail(new ChildError({ supervisor: spec.name, child: name, reason: "not-found" }))
        : Effect.succeed(slot)
    }

    const operations: Operations = {
      start,
      terminate: (name, keep) =>
        Effect.gen(function*() {
          const slot = yield* find(name)
          yield* stopSlot(slot, "terminated")
          // Pool workers and temporary children are not kept (OTP deletes their specs on termination).
          if (!keep || spec.strategy === "simple-one-for-one" || slot.restart === "temporary") return yield* remove(slot, "terminated")
          slot.state = "terminated"
          yield* closeCell(kernel, slot)
          yield* kernel.terminated(slot.name, "terminated")
        }),
      restartChild: (name) =>
        Effect.gen(function*() {
          const slot = yield* find(name)
          if (slot.state !== "terminated") return yield* new ChildError({ supervisor: spec.name, child: name, reason: slot.state })
          if (slot.spec._tag === "AgentChild") slot.cell = newCell(slot.spec, name)
          const started = yield* Effect.either(launch(slot))
          if (Either.isLeft(started)) {
            slot.state = "terminated"
            yield* closeCell(kernel, slot)
            return yield* new SpawnError({ name, reason: "init-failed", ...describeFailure(started.left) })
          }
          slot.restarts++
          if (slot.cell !== undefined) slot.cell.restarts = slot.restarts
          yield* publish(RestartedEvent, name, { reason: "requested" })
        }),
      deleteChild: (name) =>
        Effect.gen(function*() {
          const slot = yield* find(name)
          if (slot.state !== "terminated") return yield* new ChildError({ supervisor: spec.name, child: name, reason: slot.state })
          yield* remove(slot, "deleted")
        }),
      whichChildren: Effect.sync(() => slots.map(childInfo))
    }

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        handle.stopped = true
        yield* stopAll("shutdown")
        for (const pending of yield* Queue.takeAll(handle.control)) {
          if (pending._tag === "Call") yield* pending.refuse
        }
      })
    )

    for (const childSpec of spec.children) {
      const started = yield* Effect.either(start(childSpec, context))
      if (Either.isLeft(started)) {
        handle.stopped = true
        yield* stopAll("shutdown")
        return yield* Effect.fail(started.left)
      }
    }
    yield* Deferred.succeed(ready, undefined)

    while (true) {
      const next = yield* Queue.take(handle.control)
      switch (next._tag) {
        case "Exited":
          yield* onExited(next.slot, next.generation, next.exit)
          break
        case "RestartDue":
          if (next.slot.generation === next.generation && slots.includes(next.slot)) {
            yield* restartGroup(next.slot, next.group, { reason: "crashed", delayed: true })
          }
          break
        case "Call":
          yield* next.run(operations)
          break
      }
    }
  }))

/**
 * The supervisor of an agent's own children (one-for-one, in the incarnation's scope): started on
 * the first `ctx.spawn`; its escalation counts as the agent crashing.
 */
const openChildren = (kernel: Kernel) =>
(
  name: string,
  scope: Scope.Scope,
  crashed: (escalation: SupervisorEscalation) => Effect.Effect<unknown>
): Effect.Effect<ChildStarter> =>
  Effect.gen(function*() {
    const handle = yield* makeHandle(name)
    const ready = yield* Deferred.make<void, Cause.Cause<unknown>>()
    yield* runSupervisor(kernel, supervisor({ name }), handle, Context.empty(), ready).pipe(
      Effect.catchAll((error) => error._tag === "SupervisorEscalation" ? crashed(error) : Effect.void),
      // Interruptible whoever spawned first (a finalizer may), so the incarnation's end can stop it.
      Effect.interruptible,
      Effect.forkIn(scope)
    )
    return <R>(spec: AgentChildSpec<R>) => Effect.map(startChild(handle, spec), (slot) => slot.name)
  })
