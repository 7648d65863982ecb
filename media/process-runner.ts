/**
 * The one way media/ runs an external program (ffmpeg, ffprobe, espeak-ng): @effect/platform's
 * `Command` underneath, which starts every child in a process group of its own. On top of it:
 *
 * - interruption sends SIGTERM to the whole group, then SIGKILL after a grace period, and waits for the
 *   process to exit before the interruption completes (no orphan, no zombie, no helper left behind);
 * - stdout is captured only when asked (otherwise drained), stderr is split into lines for a callback
 *   and its tail kept for errors;
 * - every failure is a `ProcessError`: the program could not start (ENOENT, EACCES, E2BIG …), exited
 *   non-zero, or died of a signal, with the command, the exit code and the stderr tail.
 * - a child dies with this process, however this process dies (SIGKILL of its pid alone included): see
 *   `watchGroup` below.
 *
 * `ProcessRunner` is a `Context.Reference`: without a layer the real runner is used, and a test (or a
 * later fault-tolerance layer) replaces it with `ProcessRunner.layerFaulty` or anything of its shape.
 */
import { Command, CommandExecutor } from "@effect/platform"
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { PlatformError } from "@effect/platform/Error"
import { Context, Effect, Fiber, Layer, Schema, Stream } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import type { Socket } from "node:net"

export interface ProcessRequest {
  /** Program name (looked up on PATH) or path. */
  readonly command: string
  /** Arguments, each one argv entry: no shell ever sees them. */
  readonly args: ReadonlyArray<string>
  /** Variables added to this process's environment for the program (e.g. OMP_THREAD_LIMIT). */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Written to the program's stdin, which is then closed. */
  readonly stdin?: string | undefined
  /** Keep stdout (decoded as UTF-8); otherwise it is drained and dropped. */
  readonly captureStdout?: boolean | undefined
  /** Called for every stderr line (split at \n, \r\n and \r, so ffmpeg's stats lines arrive one by one). Must not throw. */
  readonly onStderrLine?: ((line: string) => void) | undefined
  /** Time between SIGTERM and SIGKILL when interrupted. Default 2000 ms. */
  readonly killGraceMs?: number | undefined
}

export interface ProcessOutput {
  /** stdout when `captureStdout` was asked, "" otherwise. */
  readonly stdout: string
  /** The last 64 KiB of stderr. */
  readonly stderr: string
}

export class ProcessError extends Schema.TaggedError<ProcessError>()("ProcessError", {
  /** "spawn": it never ran; "exit": it exited non-zero; "signal": a signal ended it. */
  reason: Schema.Literal("spawn", "exit", "signal"),
  command: Schema.String,
  args: Schema.Array(Schema.String),
  exitCode: Schema.optional(Schema.Number),
  /** The last 64 KiB of stderr ("" when it never ran). */
  stderr: Schema.String,
  message: Schema.String,
  /** The platform's error for spawn failures (its `reason` says NotFound, PermissionDenied …). */
  cause: Schema.optional(PlatformError)
}) {}

export interface ProcessRunnerService {
  /** Runs the program to completion; interrupting the effect stops the program's whole process group. */
  readonly run: (request: ProcessRequest) => Effect.Effect<ProcessOutput, ProcessError>
}

const STDERR_KEEP = 64 * 1024
const DEFAULT_KILL_GRACE_MS = 2000

const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is gone already (ESRCH): nothing left to stop.
  }
}

/**
 * The orphan watcher. A child runs in a process group of its own, which no signal to this process
 * (or to its group) reaches, and Linux's PR_SET_PDEATHSIG is out of Node's reach: so one watcher per
 * process, a POSIX shell in a session of its own, holds the list of live child groups. This process
 * writes `+<pgid>` down the watcher's stdin when a child starts and `-<pgid>` once it has exited.
 * Only this process holds the pipe's write end (libuv opens every pipe close-on-exec, so no child
 * inherits it), so when it dies, however it dies, the kernel closes the pipe: the watcher reads EOF
 * and SIGKILLs every group still listed. A spawn costs two short writes on a pipe; an exited
 * child's group is struck off so that a reused pid is never killed. The watcher does not keep this
 * process alive; if it dies (or cannot start), the next child starts a new one, told every live group.
 * What it cannot cover: a child started in the instant before its `+` line is written.
 */
const WATCHER_SCRIPT = `
live=" "
while IFS= read -r line; do
  case $line in
    +*) live="$live\${line#+} " ;;
    -*) g=\${line#-}; case $live in *" $g "*) live="\${live%% $g *} \${live#* $g }" ;; esac ;;
  esac
done
for g in $live; do kill -9 "-$g" 2>/dev/null; done
`

const liveGroups = new Set<number>()
let watcher: ChildProcess | undefined
/** Set when no shell could be started: children then die with their own group only, as before. */
let watcherUnavailable = process.platform === "win32"

const tellWatcher = (line: string) => {
  if (watcherUnavailable) return
  if (watcher === undefined) startWatcher()
  else watcher.stdin?.write(line)
}

const startWatcher = () => {
  let child: ChildProcess
  try {
    child = spawn("/bin/sh", ["-c", WATCHER_SCRIPT], { detached: true, stdio: ["pipe", "ignore", "ignore"] })
  } catch {
    watcherUnavailable = true
    return
  }
  const forget = () => {
    if (watcher === child) watcher = undefined
  }
  child.on("error", () => {
    forget()
    watcherUnavailable = true
  })
  child.on("exit", forget)
  // A watcher that died makes writes fail with EPIPE; the next child starts a new one.
  child.stdin?.on("error", forget)
  child.unref()
  ;(child.stdin as Socket | null)?.unref()
  watcher = child
  if (liveGroups.size > 0) child.stdin?.write([...liveGroups].map((g) => `+${g}\n`).join(""))
}

/** The watcher SIGKILLs group `pgid` if this process dies before `unwatchGroup(pgid)`. */
const watchGroup = (pgid: number) => {
  liveGroups.add(pgid)
  tellWatcher(`+${pgid}\n`)
}

const unwatchGroup = (pgid: number) => {
  if (liveGroups.delete(pgid)) tellWatcher(`-${pgid}\n`)
}

/** A runner over a `CommandExecutor` (Node's in `ProcessRunner.layer` and the default). */
export const makeProcessRunner: Effect.Effect<ProcessRunnerService, never, CommandExecutor.CommandExecutor> = Effect.gen(function*() {
  const executor = yield* CommandExecutor.CommandExecutor

  const run = (request: ProcessRequest): Effect.Effect<ProcessOutput, ProcessError> =>
    Effect.scoped(
      Effect.gen(function*() {
        const made = Command.make(request.command, ...request.args)
        const base = request.env === undefined ? made : Command.env(made, request.env)
        const command = request.stdin === undefined ? base : Command.feed(base, request.stdin)
        const failure = (fields: Omit<ConstructorParameters<typeof ProcessError>[0], "command" | "args">) =>
          new ProcessError({ command: request.command, args: request.args, ...fields })
        const proc = yield* executor.start(command).pipe(
          Effect.mapError((cause) =>
            failure({ reason: "spawn", stderr: "", message: `cannot run ${request.command}: ${cause.message}`, cause })
          ),
          // A synchronous throw from spawn (E2BIG on some kernels) is the same fact, not a defect.
          Effect.catchAllDefect((defect) =>
            Effect.fail(failure({ reason: "spawn", stderr: "", message: `cannot run ${request.command}: ${String(defect)}` }))
          )
        )
        // Released after the finalizer below has seen the program exit.
        yield* Effect.acquireRelease(Effect.sync(() => watchGroup(proc.pid)), () => Effect.sync(() => unwatchGroup(proc.pid)))
        // Registered after the executor's own release, so it runs first: SIGTERM to the group, SIGKILL
        // after the grace period, then wait for the program's exit (the executor's release then finds it
        // done). The rest of the group got the same signals.
        yield* Effect.addFinalizer(() =>
          Effect.gen(function*() {
            if (!(yield* Effect.orElseSucceed(proc.isRunning, () => false))) return
            const grace = request.killGraceMs ?? DEFAULT_KILL_GRACE_MS
            signalGroup(proc.pid, "SIGTERM")
            const escalate = yield* Effect.forkDaemon(
              Effect.interruptible(Effect.sleep(grace).pipe(Effect.andThen(() => signalGroup(proc.pid, "SIGKILL"))))
            )
            // Only that it ended matters here: its exit status belongs to the run that is being interrupted.
            yield* Effect.exit(proc.exitCode)
            yield* Fiber.interrupt(escalate)
          })
        )
        let stderr = ""
        let partial = ""
        const onLine = request.onStderrLine
        const decoder = new TextDecoder()
        const readStderr = Stream.runForEach(proc.stderr, (chunk) =>
          Effect.sync(() => {
            const text = decoder.decode(chunk, { stream: true })
            stderr = (stderr + text).slice(-STDERR_KEEP)
            if (onLine === undefined) return
            const lines = (partial + text).split(/\r\n|\r|\n/)
            partial = lines.pop() ?? ""
            for (const line of lines) if (line !== "") onLine(line)
          })).pipe(Effect.catchAll((error) => Effect.logDebug(`${request.command}: stderr unreadable`, error)))
        const readStdout = request.captureStdout === true
          ? Stream.decodeText(proc.stdout).pipe(Stream.mkString, Effect.orElseSucceed(() => ""))
          : Stream.runDrain(proc.stdout).pipe(
            Effect.catchAll((error) => Effect.logDebug(`${request.command}: stdout unreadable`, error)),
            Effect.as("")
          )
        const [stdout] = yield* Effect.all([readStdout, readStderr], { concurrency: 2 })
        if (onLine !== undefined && partial !== "") onLine(partial)
        const code = yield* Effect.either(proc.exitCode)
        if (code._tag === "Left") {
          return yield* failure({ reason: "signal", stderr, message: `${request.command} was killed (${code.left.message})` })
        }
        if (code.right !== 0) {
          return yield* failure({
            reason: "exit",
            exitCode: code.right,
            stderr,
            message: `${request.command} exited with code ${code.right}`
          })
        }
        return { stdout, stderr }
      })
    ).pipe(Effect.withSpan("media.process.run", { attributes: { command: request.command } }))

  return { run }
})

const nodeExecutor = NodeCommandExecutor.layer.pipe(Layer.provide(NodeFileSystem.layer))

/** The real runner on Node's child_process (through @effect/platform-node's CommandExecutor). */
const nodeRunner = (): ProcessRunnerService => Effect.runSync(Effect.provide(makeProcessRunner, nodeExecutor))

export class ProcessRunner extends Context.Reference<ProcessRunner>()("reelswarm/media/ProcessRunner", {
  defaultValue: nodeRunner
}) {
  /** The real runner, as a layer (what the runner is without one, made explicit). */
  static readonly layer: Layer.Layer<ProcessRunner> = Layer.effect(ProcessRunner, makeProcessRunner).pipe(Layer.provide(nodeExecutor))

  /** The real runner with `inject`'s faults (see `makeFaultyRunner`), as a layer. */
  static readonly layerFaulty = (inject: (request: ProcessRequest, call: number) => ProcessFault | undefined): Layer.Layer<ProcessRunner> =>
    Layer.effect(ProcessRunner, Effect.map(makeProcessRunner, (real) => makeFaultyRunner(real, inject))).pipe(Layer.provide(nodeExecutor))
}

/** What a faulty runner does instead of running the program. */
export type ProcessFault =
  /** The program cannot be started (default code ENOENT). */
  | { readonly _tag: "SpawnFailure"; readonly code?: string | undefined }
  /** The program "runs" and exits with this code and stderr. */
  | { readonly _tag: "Exit"; readonly exitCode: number; readonly stderr?: string | undefined }
  /** The program never finishes (until the caller interrupts it). */
  | { readonly _tag: "Hang" }

/**
 * A runner that asks `inject` before each run (`call` counts from 1 across all runs) and either
 * plays the fault it returns or, given undefined, runs the program on `inner`.
 */
export const makeFaultyRunner = (
  inner: ProcessRunnerService,
  inject: (request: ProcessRequest, call: number) => ProcessFault | undefined
): ProcessRunnerService => {
  let calls = 0
  return {
    run: (request) =>
      Effect.suspend(() => {
        const fault = inject(request, ++calls)
        if (fault === undefined) return inner.run(request)
        const base = { command: request.command, args: request.args }
        switch (fault._tag) {
          case "SpawnFailure": {
            const code = fault.code ?? "ENOENT"
            return Effect.fail(
              new ProcessError({
                ...base,
                reason: "spawn",
                stderr: "",
                message: `cannot run ${request.command}: spawn ${request.command} ${code} (injected)`
              })
            )
          }
          case "Exit": {
            const stderr = fault.stderr ?? "injected failure"
            for (const line of stderr.split("\n")) request.onStderrLine?.(line)
            return Effect.fail(
              new ProcessError({
                ...base,
                reason: "exit",
                exitCode: fault.exitCode,
                stderr,
                message: `${request.command} exited with code ${fault.exitCode}`
              })
            )
          }
          case "Hang":
            return Effect.never
        }
      })
  }
}

/** Runs `request` on the runner in the environment (the real one unless a layer replaced it). */
export const runProcess = (request: ProcessRequest): Effect.Effect<ProcessOutput, ProcessError> =>
  Effect.flatMap(ProcessRunner, (runner) => runner.run(request))
