/**
 * `reelswarm serve`: the job host on the state directory, and one HTTP server in front of it (the API,
 * its OpenAPI document and docs, the MoneyPrinterTurbo routes, MCP at /mcp, the console's WebSocket).
 * It runs until interrupted; Ctrl-C or SIGTERM closes the server, then the host (running jobs stay
 * pending and resume on the next start, as they do after a crash).
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Option, Redacted } from "effect"
import { readFile } from "node:fs/promises"
import pkg from "../../package.json" with { type: "json" }
import { DEFAULT_MAX_UPLOAD_BYTES } from "../api/security.ts"
import { JobHost } from "../host/contract.ts"
import { layer as jobHostLayer } from "../host/host.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { CliError, loadLazily } from "./run-job.ts"

const token = Options.redacted("token").pipe(
  Options.optional,
  Options.withDescription(
    "A token every request must carry (Authorization: Bearer <token>, or ?token= for links and WebSockets). Environment: REELSWARM_TOKEN."
  )
)

const maxUploadMb = Options.integer("max-upload-mb").pipe(
  Options.withDefault(DEFAULT_MAX_UPLOAD_BYTES / (1024 * 1024)),
  Options.withDescription("The largest footage or music file an upload may be, in MiB.")
)

/** The token from --token, else --token-file (its first line), else REELSWARM_TOKEN; an empty one is refused. */
const resolveToken = (given: Option.Option<Redacted.Redacted<string>>, file: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isSome(given) && Option.isSome(file)) return yield* new CliError({ message: "give --token or --token-file, not both" })
    const value = Option.isSome(given)
      ? Redacted.value(given.value)
      : Option.isSome(file)
      ? (yield* Effect.tryPromise({
        try: () => readFile(file.value, "utf8"),
        catch: (e) => new CliError({ message: `cannot read --token-file ${file.value}: ${String(e)}` })
      })).split("\n")[0]!
      : process.env.REELSWARM_TOKEN
    if (value !== undefined && value.trim() === "") return yield* new CliError({ message: "the token is empty" })
    return value?.trim()
  })

export const serve = Command.make(
  "serve",
  {
    host: job.serveHost,
    port: job.servePort,
    token,
    tokenFile: job.serveTokenFile,
    state: job.state,
    topology: job.topology,
    concurrency: job.concurrency,
    encoderSlots: job.encoderSlots,
    cacheMax: job.cacheMax,
    maxUploadMb,
    config: job.config,
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      if (o.port < 0 || o.port > 65535) return yield* new CliError({ message: `--port ${o.port} is not a port (0 … 65535)` })
      if (o.concurrency < 1) return yield* new CliError({ message: "--concurrency must be at least 1" })
      if (o.encoderSlots < 1) return yield* new CliError({ message: "--encoder-slots must be at least 1" })
      if (o.maxUploadMb < 1) return yield* new CliError({ message: "--max-upload-mb must be at least 1" })
      const secret = yield* resolveToken(o.token, o.tokenFile)
      // The server, MCP and the console load here, not at every start of the command.
      const [{ checkBind, startServer }, { mcpHttpHandler }, { makeConsole }, { consolePage }] = yield* loadLazily(() =>
        Promise.all([import("../api/server.ts"), import("../api/mcp.ts"), import("../console/server.ts"), import("../console/static.ts")])
      )
      // Before the host takes the state directory: a refused bind should not cost a start-up.
      yield* checkBind(o.host, secret).pipe(Effect.mapError((e) => new CliError({ message: e.message })))
      const program = Effect.gen(function*() {
        const jobHost = yield* JobHost
        const consoleServer = yield* makeConsole(jobHost, { version: pkg.version })
        const running = yield* startServer({
          host: o.host,
          port: o.port,
          token: secret,
          maxUploadBytes: o.maxUploadMb * 1024 * 1024,
          console: { request: consolePage(), upgrade: consoleServer.handleUpgrade },
          // The tools' logs go through this command's logger (stderr and the state's log file), not Effect's default.
          mcp: mcpHttpHandler(jobHost, { runtime: yield* Effect.runtime<never>() })
        }).pipe(Effect.mapError((e) => new CliError({ message: e.message })))
        yield* Console.log(`reelswarm serving ${running.url}`)
        yield* Console.log(`  console  ${running.url}/`)
        yield* Console.log(`  API docs ${running.url}/docs   OpenAPI ${running.url}/openapi.json`)
        if (secret !== undefined) yield* Console.log("  token required: Authorization: Bearer <token>")
        return yield* Effect.never
      })
      yield* Effect.scoped(program).pipe(Effect.provide(jobHostLayer(o)))
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    "Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs), the MoneyPrinterTurbo routes (/api/v1), MCP (/mcp) and the console, until interrupted."
  )
)
