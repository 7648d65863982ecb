/**
 * An agent's life in its fiber: incarnations (`init`, then one message at a time), timers and
 * watches, and the restart a one-for-one supervisor lets the fiber run itself. Internal.
 */
import { type Cause, Deferred, Effect, Exit, Fiber, type Scope } from "effect"
import type { AgentContext, AgentDefinition, ExitReason, SpawnError, TimerSchedule } from "../agent.ts"
import { type Envelope, makeEnvelope, tagOf } from "../envelope.ts"
import { type AgentChildSpec, child, type SupervisorEscalation } from "../supervisor.ts"
import { type AgentCell, CurrentAgent, describeCause, type Incarnation, type Kernel, makeIncarnation, type TimerRun } from "./kernel.ts"

/** Starts a child of the agent's own children supervisor; gives its name. */
export type ChildStarter = <R>(spec: AgentChildSpec<R>) => Effect.Effect<string, SpawnError, R>

/** What the supervisor gives the agent's fiber. */
export interface AgentHooks {
  /** A child supervisor of the agent escalated: report the agent as crashed. */
  readonly crashed: (escalation: SupervisorEscalation) => Effect.Effect<unknown>
  /** Completed once the first `init` has succeeded. */
  readonly ready: Deferred.Deferred<void, Cause.Cause<unknown>>
  /**
   * Asked after a crash (or a failed restart's `init`): when the supervisor lets this fiber run the
   * next incarnation itself, what to do once its `init` has succeeded (announce the restart);
   * otherwise undefined.
   */
  readonly restartHere: (cause: Cause.Cause<unknown>, initFailed: boolean) => Effect.Effect<Effect.Effect<void> | undefined>
  /** Starts the supervisor of the agent's own children in the incarnation's scope. */
  readonly children: (
    name: string,
    scope: Scope.Scope,
    crashed: (escalation: SupervisorEscalation) => Effect.Effect<unknown>
  ) => Effect.Effect<ChildStarter>
}

/**
 * An agent for as long as its supervisor keeps it in this fiber: `init`, then one message at a
 * time until it stops itself (a normal exit, with its reason), crashes, or is interrupted by its
 * supervisor. The message in hand at a crash or an interruption becomes a dead letter (and its
 * asker gets `AgentCrashedError`).
 */
export const runAgent = (kernel: Kernel, cell: AgentCell, hooks: AgentHooks): Effect.Effect<ExitReason, unknown> =>
  Effect.gen(function*() {
    let run = makeIncarnation(cell)
    let exit = yield* Effect.exit(incarnation(kernel, run, hooks, Deferred.succeed(hooks.ready, undefined)))
    // The failed init of this fiber's first incarnation is the launch's failure (a spawn's or a
    // restart's), which the supervisor handles; later ones are failed restarts decided here.
    let first = true
    while (Exit.isFailure(exit) && !Exit.isInterrupted(exit) && !run.killed && (run.started || !first)) {
      first = false
      const started = yield* hooks.restartHere(exit.cause, !run.started)
      if (started === undefined) break
      run = makeIncarnation(cell)
      exit = yield* Effect.exit(incarnation(kernel, run, hooks, started))
    }
    return yield* exit
  }).pipe(Effect.locally(CurrentAgent, cell.name))

interface Timer {
  readonly run: TimerRun
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
}

const incarnation = (
  kernel: Kernel,
  run: Incarnation,
  hooks: AgentHooks,
  /** Runs once `init` has succeeded. */
  started: Effect.Effect<unknown>
): Effect.Effect<ExitReason, unknown> =>
  Effect.scoped(Effect.gen(function*() {
    const cell = run.cell
    cell.incarnation = run
    // Its requirements were provided by the supervisor that launched it.
    const definition = cell.definition as AgentDefinition<unknown, unknown, never>
    const scope = yield* Effect.scope
    let exitReason: ExitReason | undefined
    let children: ChildStarter | undefined
    const timers = new Map<string, Timer>()

    const childSupervisor = Effect.suspend(() =>
      children === undefined
        ? Effect.tap(hooks.children(`${cell.name}/children`, scope, hooks.crashed), (start) => {
          children = start
        })
        : Effect.succeed(children)
    )

    const cancelTimer = (key: string) =>
      Effect.suspend(() => {
        const timer = timers.get(key)
        if (timer === undefined) return Effect.void
        timers.delete(key)
        timer.run.cancelled = true
        return Fiber.interruptFork(timer.fiber)
      })

    const startTimer = (key: string, message: unknown, schedule: TimerSchedule) =>
      Effect.gen(function*() {
        yield* cancelTimer(key)
        const timerRun: TimerRun = { cancelled: false }
        const tag = tagOf(message)
        const fire = Effect.suspend(() => {
          // An ended incarnation's timers send nothing (they stop when its scope closes, a little later).
          if (run.killed || timerRun.cancelled || cell.incarnation !== run) return Effect.interrupt
          const envelope: Envelope = makeEnvelope(kernel.nextId(), cell.name, cell.name, tag, message, undefined, undefined)
          run.timerMessages.set(envelope.id, timerRun)
          return kernel.send(envelope)
        })
        const once = "delay" in schedule
        const body = once
          ? Effect.zipRight(Effect.sleep(schedule.delay), fire)
          : Effect.zipRight(
            Effect.sleep(schedule.initialDelay ?? schedule.interval),
            Effect.forever(Effect.zipRight(fire, Effect.sleep(schedule.interval)))
          )
        const fiber = yield* body.pipe(
          Effect.ensuring(Effect.sync(() => {
            if (once && timers.get(key)?.run === timerRun) timers.delete(key)
          })),
          Effect.interruptible,
          Effect.forkIn(scope)
        )
        timers.set(key, { run: timerRun, fiber })
      })

    const ctx: AgentContext<unknown> = {
      name: cell.name,
      self: kernel.ref(cell.name),
      get envelope() {
        return run.current
      },
      reply: (request, value) => kernel.reply(run, request, true, value),
      replyFailure: (request, error) => kernel.reply(run, request, false, error),
      spawn: (childDefinition, options) =>
        Effect.gen(function*() {
          const start = yield* childSupervisor
          const name = `${cell.name}/${options?.name ?? childDefinition.name}`
          return kernel.ref(yield* start(child(childDefinition, { ...options, name })))
        }),
      lookup: (name) => kernel.ref(name),
      stop: Effect.sync(() => {
        exitReason = "normal"
      }),
      shutdown: (reason) =>
        Effect.sync(() => {
          exitReason = reason === undefined ? "shutdown" : { shutdown: reason }
        }),
      startTimer,
      cancelTimer,
      isTimerActive: (key) => Effect.sync(() => timers.has(key)),
      watch: (agent) =>
        Effect.suspend(() => {
          if (cell.incarnation !== run) return Effect.void
          run.watching.add(agent)
          return kernel.watch(cell.name, agent)
        }),
      unwatch: (agent) =>
        Effect.sync(() => {
          run.watching.delete(agent)
          kernel.unwatch(cell.name, agent)
        })
    }

    const loop = Effect.gen(function*() {
      let state: unknown = yield* definition.init(ctx)
      run.started = true
      yield* started
      const mailbox = cell.mailbox
      while (exitReason === undefined && !run.killed) {
        const envelope = mailbox.poll()
        if (envelope === undefined) {
          if (mailbox.isClosed) return "normal" as const
          yield* mailbox.awaitMessage
          continue
        }
        if (run.timerMessages.size > 0 || cell.cancelledTimers.size > 0) {
          const timer = run.timerMessages.get(envelope.id)
          run.timerMessages.delete(envelope.id)
          if (cell.cancelledTimers.delete(envelope.id) || timer?.cancelled === true) continue
        }
        run.current = envelope
        if (envelope.correlationId !== undefined) kernel.receiving(run, envelope)
        state = yield* definition.receive(envelope.payload, state, ctx)
        run.current = undefined
      }
      return exitReason ?? "normal"
    })

    return yield* loop.pipe(
      // Retired here rather than by a scope finalizer: the same moment for every exit, and a scope
      // without finalizers closes at a fraction of the cost (restart latency halves).
      Effect.onExit((exit) => {
        kernel.retire(run)
        const current = run.current
        run.current = undefined
        if (Exit.isSuccess(exit) || current === undefined || run.killed) return Effect.void
        const interrupted = Exit.isInterrupted(exit)
        return kernel.deadLetter(current, interrupted ? "interrupted" : "crashed", describeCause(exit.cause))
      })
    )
  }))
