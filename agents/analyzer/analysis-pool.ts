/**
 * The analysis pool: `size` analyzer agents under one simple-one-for-one supervisor of the swarm,
 * and a queue in front of them. Each worker takes the next task when it is free (so a long video
 * pass on one worker does not hold up the short tasks behind it), asks its agent, and hands the
 * answer back to whoever submitted the task, with how long it took on which worker. The pool stops,
 * its agents with it, when its scope closes.
 */
import { Clock, Deferred, Duration, Effect, Queue, type Scope } from "effect"
import { AnalysisError, AnalyzerTiming } from "../../media/index.ts"
import { type Failure, pool, type Success, Swarm } from "../../runtime/index.ts"
import { ANALYZER_POOL, analyzerAgent } from "./agent.ts"
import type { AnalyzeAudio, AnalyzeVideoRange, ReadText } from "./protocol.ts"

/** A task may run as long as the file needs (a long video's pass): the ask only guards against a lost reply. */
const TASK_TIMEOUT = Duration.hours(24)

type Task = AnalyzeVideoRange | AnalyzeAudio | ReadText

export interface AnalysisPool {
  readonly workers: ReadonlyArray<string>
  /**
   * Queues `task` for the next free worker (tasks start in the order they were queued); `label`
   * names it in the timings. The effect returned waits for its answer.
   */
  readonly enqueue: <T extends Task>(task: T, label: string, file: string) => Effect.Effect<Effect.Effect<TaskResult<T>, AnalysisError>>
  /** Queues `task` and waits for its answer. */
  readonly submit: <T extends Task>(task: T, label: string, file: string) => Effect.Effect<TaskResult<T>, AnalysisError>
}

export interface TaskResult<T extends Task> {
  readonly value: Success<T>
  readonly timing: AnalyzerTiming
}

interface Job {
  readonly run: (worker: string) => Effect.Effect<void>
}

/** Starts the pool in the swarm; it is stopped when the scope closes. */
export const makeAnalysisPool = (
  options: { readonly size: number; readonly name?: string | undefined }
): Effect.Effect<AnalysisPool, AnalysisError, Swarm | Scope.Scope> =>
  Effect.gen(function*() {
    const swarm = yield* Swarm
    const name = options.name ?? ANALYZER_POOL
    const size = Math.max(1, Math.floor(options.size))
    const supervisor = yield* Effect.acquireRelease(
      swarm.spawnSupervisor(pool({ name, agent: analyzerAgent(), size, worker: { restart: "permanent" } })),
      (ref) => ref.stop
    ).pipe(
      Effect.mapError((error) =>
        new AnalysisError({ file: "", analyzer: "pool", reason: "failed", message: `cannot start the analyzer pool: ${error.message}` })
      )
    )
    const workers = yield* supervisor.children
    const queue = yield* Effect.acquireRelease(Queue.unbounded<Job>(), Queue.shutdown)
    yield* Effect.forEach(workers, (worker) =>
      Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(queue), (job) => job.run(worker)))), {
      discard: true
    })
    const enqueue = <T extends Task>(task: T, label: string, file: string) =>
      Effect.gen(function*() {
        const done = yield* Deferred.make<TaskResult<T>, AnalysisError>()
        const run = (worker: string) =>
          Effect.gen(function*() {
            const started = yield* Clock.currentTimeMillis
            const value = yield* swarm.ask(worker, task, { timeout: TASK_TIMEOUT }) as Effect.Effect<
              Success<T>,
              Failure<T> | { readonly message: string }
            >
            const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
            return { value, timing: new AnalyzerTiming({ analyzer: label, worker, seconds: Math.round(seconds * 1000) / 1000 }) }
          }).pipe(
            Effect.mapError((error) =>
              error instanceof AnalysisError
                ? error
                : new AnalysisError({ file, analyzer: label, reason: "failed", message: `${label} on ${worker}: ${error.message}` })
            ),
            Effect.exit,
            Effect.flatMap((exit) =>
              Deferred.done(done, exit)
            ),
            Effect.asVoid
          )
        yield* Queue.offer(queue, { run })
        return Deferred.await(done)
      })
    return { workers, enqueue, submit: (task, label, file) => Effect.flatten(enqueue(task, label, file)) }
  })
