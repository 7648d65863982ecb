/**
 * A real `reelswarm serve` for the console's end-to-end tests, on a state directory in a temp folder,
 * serving the console page built by scripts/bundle-console.mjs. A footage folder of two tiny
 * labelled clips lies beside the state.
 */
import { Effect, Exit, Scope } from "effect"
import { spawn } from "node:child_process"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { buildConsole } from "../../scripts/bundle-console.mjs"
import { CLI_BUNDLE, ROOT } from "../fixtures/cli-bundle.ts"
import { scopedTempDir } from "../fixtures/temp-dir.ts"
import { makeLibrary } from "../integration/agents/library-fixture.ts"

export interface ConsoleServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** A folder of two clips (mandelbrot, life) on the server's machine. */
  readonly footage: string
  readonly close: () => Promise<void>
}

/**
 * Builds the page into a temp folder and starts `reelswarm serve --port 0` on a fresh state as a
 * child process (its own process group, killed if it outlives the test); resolves once it prints
 * the URL it serves.
 */
export const startConsoleServer = async (): Promise<ConsoleServer> => {
  const scope = Effect.runSync(Scope.make())
  const start = Effect.gen(function*() {
    const dir = yield* scopedTempDir("console-e2e")
    const footage = join(dir, "footage")
    yield* Effect.promise(() => mkdir(footage))
    yield* makeLibrary(footage)
    const page = yield* Effect.promise(() => buildConsole(join(dir, "console")))
    const child = spawn(
      process.execPath,
      [CLI_BUNDLE, "serve", "--port", "0", "--state", join(dir, "state")],
      { cwd: ROOT, env: { ...process.env, REELSWARM_CONSOLE_DIR: page.outDir }, stdio: ["ignore", "pipe", "pipe"], detached: true }
    )
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.kill("SIGTERM")
        const hard = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL")
          } catch { /* gone already */ }
        }, 60_000)
        child.once("exit", () => clearTimeout(hard))
      })
    )
    const url = yield* Effect.async<string, Error>((resume) => {
      let stdout = ""
      let stderr = ""
      child.stderr.on("data", (d) => (stderr += d))
      child.stdout.on("data", (d) => {
        stdout += d
        const m = /reelswarm serving (http:\/\/\S+)/.exec(stdout)
        if (m !== null) resume(Effect.succeed(m[1]!))
      })
      child.once("exit", (code) => resume(Effect.fail(new Error(`serve exited (${code}) before serving:\n${stdout}\n${stderr}`))))
    })
    return { url, footage }
  })
  const { footage, url } = await Effect.runPromise(Scope.extend(start, scope))
  return { url, footage, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}
