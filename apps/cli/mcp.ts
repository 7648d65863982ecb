/**
 * `reelswarm mcp --state DIR`: a job host on the state directory, served to one MCP client over
 * stdio (Claude Desktop starts it as a child process). stdout carries only MCP frames: the engine's
 * logs go to stderr (the CLI's logging layer), and so does anything printed with `console`, so a
 * stray line cannot break the client's parser. The server runs until the client closes stdin;
 * jobs still running then are resumed by the next host on the same state directory.
 */
import { Command } from "@effect/cli"
import { Effect } from "effect"
import { JobHost } from "../host/contract.ts"
import { layer as jobHostLayer } from "../host/host.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { loadLazily } from "./run-job.ts"

/** `console`'s stdout methods pointed at stderr for the scope, restored after. */
const consoleToStderr = Effect.acquireRelease(
  Effect.sync(() => {
    const saved = { log: console.log, info: console.info, debug: console.debug }
    console.log = console.info = console.debug = console.error
    return saved
  }),
  (saved) => Effect.sync(() => Object.assign(console, saved))
)

export const mcp = Command.make(
  "mcp",
  {
    state: job.state,
    topology: job.topology,
    concurrency: job.concurrency,
    encoderSlots: job.encoderSlots,
    cacheMax: job.cacheMax,
    config: job.config,
    verbose
  },
  (o) =>
    Effect.scoped(
      Effect.gen(function*() {
        yield* consoleToStderr
        const host = yield* JobHost
        // The MCP SDK loads here, not at every start of the command.
        const { runMcpStdio } = yield* loadLazily(() => import("../api/mcp.ts"))
        yield* runMcpStdio(host)
      }).pipe(Effect.provide(jobHostLayer(o)))
    )
).pipe(
  handleVerbose,
  Command.withDescription(
    "Serve the swarm to an MCP client (Claude Desktop, Claude Code, …) over stdio: tools to create videos, follow them, " +
      "list them and the footage library, and cancel them. Logs go to stderr."
  )
)
