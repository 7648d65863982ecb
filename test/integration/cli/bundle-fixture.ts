/**
 * The `reelswarm` command as it ships: apps/cli/main.ts bundled by scripts/bundle-cli.mjs, run with
 * `node <bundle>`. Each test file builds it once (`bundledCli` in its suite's hooks) inside the
 * repository's node_modules/.cache, where the bundle's external packages resolve, and removes it after.
 */
import { Effect } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { killGroup, ROOT, runNode } from "./cli-fixture.ts"

/** Builds the bundle before the suite's first test; call the returned function for its path. */
export const bundledCli = (label: string): () => string => {
  const dir = join(ROOT, "node_modules", ".cache", "reelswarm-cli-tests")
  const file = join(dir, `${label}-${process.pid}.mjs`)
  let built = false
  beforeAll(() => {
    mkdirSync(dir, { recursive: true })
    execFileSync(process.execPath, [join(ROOT, "scripts/bundle-cli.mjs"), file], { cwd: ROOT, stdio: "pipe" })
    built = true
  }, 180_000)
  afterAll(() => {
    rmSync(file, { force: true })
    rmSync(`${file}.map`, { force: true })
  })
  return () => {
    if (!built) throw new Error("the bundle is built in beforeAll")
    return file
  }
}

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
export const runBundle = (bundle: string, args: ReadonlyArray<string>, options: BundleRunOptions = {}) =>
  runNode([bundle, ...args], { cwd: options.cwd ?? ROOT, env: envOf(options.env), stdin: options.stdin })

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
export const startBundle = (bundle: string, args: ReadonlyArray<string>, options: BundleRunOptions = {}) =>
  Effect.acquireRelease(
    Effect.sync((): StartedBundle => {
      const child = spawn(process.execPath, [bundle, ...args], {
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
