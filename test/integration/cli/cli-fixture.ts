/**
 * The `reelswarm` command as a user runs it, for the CLI's tests: a real node process on the test
 * run's bundle of apps/cli/main.ts (test/global-setup.ts), its exit code and what it printed.
 * Interrupting the effect kills the process, so a test's timeout never leaves one behind.
 */
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { CLI_BUNDLE, ROOT } from "../../fixtures/cli-bundle.ts"
import { makeLibrary } from "../agents/library-fixture.ts"

export { CLI_BUNDLE, ROOT }

export interface Outcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly stdin?: string
  readonly env?: NodeJS.ProcessEnv
}

/** `node ARGV` to its end, with what it printed; interrupting the effect kills it. */
export const runNode = (
  argv: ReadonlyArray<string>,
  options: { readonly cwd?: string; readonly env: NodeJS.ProcessEnv; readonly stdin?: string | undefined }
) =>
  Effect.async<Outcome>((resume) => {
    const child = spawn(process.execPath, argv, { cwd: options.cwd ?? ROOT, env: options.env, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    child.stdin.end(options.stdin ?? "")
    return Effect.sync(() => child.kill("SIGKILL"))
  })

export const reelswarm = (args: ReadonlyArray<string>, options: RunOptions = {}) =>
  runNode([CLI_BUNDLE, ...args], { env: { ...process.env, ...options.env }, stdin: options.stdin })

/** A process started by `startReelswarm`: its stderr so far, and its exit. */
export interface Started {
  readonly child: ChildProcess
  readonly stderr: () => string
  readonly exit: Effect.Effect<number | null>
}

/**
 * Starts the command in its own process group and returns once its stderr matches `ready` (a
 * stage's progress line, say). The group is killed when the scope closes, if still running.
 */
export const startReelswarm = (args: ReadonlyArray<string>, ready: RegExp, options: RunOptions = {}) =>
  Effect.acquireRelease(
    Effect.async<Started>((resume) => {
      const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
        cwd: ROOT,
        env: { ...process.env, ...options.env },
        stdio: ["pipe", "pipe", "pipe"],
        detached: true
      })
      let stderr = ""
      let done = false
      const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)))
      const started: Started = { child, stderr: () => stderr, exit: Effect.promise(() => exited) }
      child.stdout.resume()
      child.stderr.on("data", (d) => {
        stderr += d
        if (!done && ready.test(stderr)) {
          done = true
          resume(Effect.succeed(started))
        }
      })
      child.on("close", () => {
        if (!done) resume(Effect.die(new Error(`reelswarm exited before ${ready}: ${stderr}`)))
      })
      child.stdin.end(options.stdin ?? "")
    }),
    ({ child }) => Effect.sync(() => killGroup(child))
  )

/** SIGKILL to the process and its children (ffmpeg, espeak-ng): what a crash of the whole run looks like. */
export const killGroup = (child: ChildProcess) => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, "SIGKILL")
  } catch {
    // Already gone.
  }
}

/** `dir/footage` with the two-clip library of the agents' tests; returns its path. */
export const footageIn = (dir: string) =>
  Effect.gen(function*() {
    const footage = join(dir, "footage")
    yield* Effect.promise(() => mkdir(footage))
    yield* makeLibrary(footage)
    return footage
  })

/** The options of a tiny, fast job: 180x320 at 15 fps, libx264, no captions. */
export const TINY = ["--size", "180x320", "--fps", "15", "--captions", "none", "--encoder", "libx264"] as const
