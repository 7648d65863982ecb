/**
 * The `reelswarm` command as it ships, with the machine's own REELSWARM_ settings left out: the test
 * run's bundle (test/global-setup.ts) run with `node <bundle>`.
 */
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { CLI_BUNDLE, killGroup, ROOT, runNode } from "./cli-fixture.ts"

export interface BundleRunOptions {
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  readonly stdin?: string
}

/** Environment of a run: this process's, without any REELSWARM_ setting of the machine's own, plus the test's. */
const envOf = (extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv => {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("REELSWARM_")))
  return { ...base, ...extra }
}

/** Runs the bundle to its end; interrupting the effect kills it. */
export const runBundle = (args: ReadonlyArray<string>, options: BundleRunOptions = {}) =>
  runNode([CLI_BUNDLE, ...args], { cwd: options.cwd ?? ROOT, env: envOf(options.env), stdin: options.stdin })

/** A bundle started by `startBundle`: what it printed so far, and its exit. */
export interface StartedBundle {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exit: Effect.Effect<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  /** Waits until `pattern` matches what it printed on `stream`. */
  readonly waitFor: (stream: "stdout" | "stderr", pattern: RegExp) => Effect.Effect<void>
}

/** Starts the bundle in its own process group, killed (SIGKILL) when the scope closes if still running. */
export const startBundle = (args: ReadonlyArray<string>, options: BundleRunOptions = {}) =>
  Effect.acquireRelease(
    Effect.sync((): StartedBundle => {
      const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
        cwd: options.cwd ?? ROOT,
        env: envOf(options.env),
        stdio: ["pipe", "pipe", "pipe"],
        detached: true
      })
      const out = { stdout: "", stderr: "" }
      const waiters = new Set<() => void>()
      const wake = () => waiters.forEach((w) => w())
      child.stdout.on("data", (d) => ((out.stdout += d), wake()))
      child.stderr.on("data", (d) => ((out.stderr += d), wake()))
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.on("close", (code, signal) => (r({ code, signal }), wake()))
      )
      child.stdin.end(options.stdin ?? "")
      const waitFor = (stream: "stdout" | "stderr", pattern: RegExp) =>
        Effect.async<void>((resume) => {
          const check = () => {
            if (pattern.test(out[stream])) {
              waiters.delete(check)
              resume(Effect.void)
            } else if (child.exitCode !== null || child.signalCode !== null) {
              waiters.delete(check)
              resume(Effect.die(new Error(`exited before ${pattern} on ${stream}: ${out.stderr}`)))
            }
          }
          waiters.add(check)
          check()
          return Effect.sync(() => waiters.delete(check))
        })
      return { child, stdout: () => out.stdout, stderr: () => out.stderr, exit: Effect.promise(() => exited), waitFor }
    }),
    ({ child }) => Effect.sync(() => killGroup(child))
  )
