/**
 * One job at a time per state directory. The workflow engine (@effect/cluster's SingleRunner) is
 * built for one runner per database: two processes on one `swarm.db` both claim every shard under
 * the same runner address and take each other's activity messages, and the job stalls. So a
 * process holds `<state>/lock` while it runs a job; another one waits for it, saying once whom it
 * waits for, and then runs (the same job is then answered from the finished execution).
 *
 * The lock file is created with O_EXCL and holds the holder's pid, host, start time and job. A
 * lock whose pid is dead on this host (a SIGKILL leaves it behind) is stale and taken over; the
 * check-and-remove of a stale lock is itself guarded by `<state>/lock.takeover`, so two waiters
 * never both take one over.
 */
import { Duration, Effect, Option, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"

export const LockHolder = Schema.Struct({
  pid: Schema.Int,
  host: Schema.String,
  startedAt: Schema.Number,
  /** Tells apart two holds by one process. */
  token: Schema.String,
  job: Schema.String,
  command: Schema.String
})
export type LockHolder = typeof LockHolder.Type

/** The lock file could not be created or read for another reason than being held: no permission, a full disk. */
export class StateLockError extends Schema.TaggedError<StateLockError>()("StateLockError", {
  file: Schema.String,
  message: Schema.String
}) {}

export const lockFile = (state: string) => join(state, "lock")
const takeoverFile = (state: string) => join(state, "lock.takeover")

/** A takeover guard older than this was left by a process that died within its few milliseconds. */
const TAKEOVER_STALE_MS = 10_000

/** Whether a process with this pid lives on this host. */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the pid is alive but someone else's.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readHolder = (file: string): LockHolder | undefined => {
  try {
    return Schema.decodeUnknownSync(Schema.parseJson(LockHolder))(readFileSync(file, "utf8"))
  } catch {
    return undefined
  }
}

/** The process holding the state directory, if one is alive (a stale or damaged lock counts as none). */
export const currentHolder = (state: string): LockHolder | undefined => {
  const holder = readHolder(lockFile(state))
  return holder !== undefined && !isStale(holder) ? holder : undefined
}

/** When this process started: a lock with its pid from before then is a previous life's (a container restarted with the same pid). */
const processStartedAt = Date.now() - process.uptime() * 1000

/**
 * Whether the holder is gone: its pid is dead on this host, or is this process's from before it
 * started. A holder on another host cannot be checked and is taken as alive; another fiber of this
 * very process (jobs run side by side) is waited for like any holder.
 */
const isStale = (holder: LockHolder): boolean =>
  holder.host === hostname() &&
  (holder.pid === process.pid ? holder.startedAt < processStartedAt : !isAlive(holder.pid))

const errnoOf = (error: unknown) => (error as NodeJS.ErrnoException).code

/** Creates `file` with `content` if it does not exist; false if it does. */
const createExclusive = (file: string, content: string): boolean => {
  let fd: number
  try {
    fd = openSync(file, "wx")
  } catch (error) {
    if (errnoOf(error) === "EEXIST") return false
    throw error
  }
  try {
    writeSync(fd, content)
  } finally {
    closeSync(fd)
  }
  return true
}

/** Removes the lock file if it is still the stale one seen, under the takeover guard. */
const takeOver = (state: string, stale: string) => {
  const guard = takeoverFile(state)
  if (!createExclusive(guard, String(process.pid))) {
    const age = Date.now() - (Option.getOrUndefined(Option.liftThrowable(() => statSync(guard).mtimeMs)()) ?? Date.now())
    if (age > TAKEOVER_STALE_MS) rmSync(guard, { force: true })
    return
  }
  try {
    if (Option.getOrUndefined(Option.liftThrowable(() => readFileSync(lockFile(state), "utf8"))()) === stale) {
      rmSync(lockFile(state), { force: true })
    }
  } finally {
    rmSync(guard, { force: true })
  }
}

type Attempt = { readonly _tag: "Acquired" } | { readonly _tag: "Held"; readonly holder: LockHolder | undefined }

const tryAcquire = (state: string, mine: LockHolder): Attempt => {
  const file = lockFile(state)
  if (createExclusive(file, JSON.stringify(mine))) return { _tag: "Acquired" }
  const content = Option.getOrUndefined(Option.liftThrowable(() => readFileSync(file, "utf8"))())
  // Gone since the create: try again at once.
  if (content === undefined) return { _tag: "Held", holder: undefined }
  const holder = readHolder(file)
  // Damaged (a crash between the create and the write leaves it empty) or stale: taken over.
  if (holder === undefined || isStale(holder)) {
    // An empty file may be a holder between its create and its write: only a damaged one older than a moment is taken over.
    const age = Date.now() - (Option.getOrUndefined(Option.liftThrowable(() => statSync(file).mtimeMs)()) ?? Date.now())
    if (holder !== undefined || age > 2_000) takeOver(state, content)
    return { _tag: "Held", holder: undefined }
  }
  return { _tag: "Held", holder }
}

export interface LockOptions {
  /** The job the holder runs, for the message a waiter prints. */
  readonly job: string
  readonly command: string
  /** Said once per holder while waiting. Default: a line on stderr. */
  readonly onWait?: (holder: LockHolder, state: string) => Effect.Effect<void>
}

const sayWaiting = (holder: LockHolder, state: string) =>
  Effect.sync(() =>
    process.stderr.write(
      `waiting for job ${holder.job} (pid ${holder.pid}${holder.host === hostname() ? "" : ` on ${holder.host}`}) to finish in ${state}…\n`
    )
  )

/**
 * Holds the state directory's lock for the scope: waits (polling, with backoff up to 2 s) while
 * another live process holds it, and removes it when the scope closes, on success, failure and
 * interruption alike.
 */
export const holdStateLock = (state: string, options: LockOptions) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const mine: LockHolder = {
        pid: process.pid,
        host: hostname(),
        startedAt: Date.now(),
        token: randomUUID(),
        job: options.job,
        command: options.command
      }
      const file = lockFile(state)
      const say = options.onWait ?? sayWaiting
      let told: string | undefined
      let delay = 50
      while (true) {
        const attempt = yield* Effect.try({
          try: () => tryAcquire(state, mine),
          catch: (error) =>
            new StateLockError({
              file,
              message: `cannot take the state directory's lock (${(error as Error).message.replace(/, \w+ '[^']*'$/, "")})`
            })
        })
        if (attempt._tag === "Acquired") return mine
        // No live holder: a stale lock was just taken over (or is being, by another waiter); try again soon.
        if (attempt.holder === undefined) {
          yield* Effect.sleep(Duration.millis(20))
          continue
        }
        const who = attempt.holder.token
        if (who !== told) yield* say(attempt.holder, state)
        told = who
        yield* Effect.sleep(Duration.millis(delay))
        delay = Math.min(2_000, Math.round(delay * 1.5))
      }
    }),
    (mine) =>
      Effect.sync(() => {
        const holder = readHolder(lockFile(state))
        if (holder?.token === mine.token) rmSync(lockFile(state), { force: true })
      })
  )
