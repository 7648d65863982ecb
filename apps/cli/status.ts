/**
 * `reelswarm status`: what is going on in a state directory. Whether a process holds it and for
 * which job (state-lock.ts), whether a server (`reelswarm serve`, which writes `<state>/server.json`
 * with its url and pid) is up, how many jobs wait or failed, and the agents of the registry with
 * their last heartbeat. Read-only: it works while a job runs in another process.
 */
import { Command } from "@effect/cli"
import { Effect, Schema } from "effect"
import { readFileSync } from "node:fs"
import { serverFile, ServerInfo } from "../api/server-file.ts"
import { agentsTable, describeAgent, listAgents } from "./agents.ts"
import { ago, described, printLine } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { pendingJobs } from "./run-job.ts"
import { currentHolder, isAlive } from "./state-lock.ts"

const ServerFile = Schema.parseJson(ServerInfo)

/** The server `<state>/server.json` names, and whether its process is alive; none when there is no (readable) file. */
export const serverOf = (state: string) => {
  try {
    const server = Schema.decodeUnknownSync(ServerFile)(readFileSync(serverFile(state), "utf8"))
    return { url: server.url, pid: server.pid, running: isAlive(server.pid) }
  } catch {
    return undefined
  }
}

export const status = Command.make(
  "status",
  { state: job.state, config: job.config, json: job.json, verbose },
  (o) =>
    Effect.gen(function*() {
      const holder = currentHolder(o.state)
      const server = serverOf(o.state)
      const jobs = yield* pendingJobs(o.state)
      const agents = yield* listAgents(o.state)
      const running = holder?.job
      const count = (s: string) => jobs.filter((j) => j.status === s && j.id !== running).length
      const summary = { pending: count("pending"), failed: count("failed"), running: running === undefined ? 0 : 1 }
      if (o.json) {
        const document = {
          state: o.state,
          holder: holder === undefined
            ? null
            : {
              pid: holder.pid,
              host: holder.host,
              job: holder.job,
              command: holder.command,
              since: new Date(holder.startedAt).toISOString()
            },
          server: server ?? null,
          jobs: summary,
          agents: agents.map(describeAgent)
        }
        return printLine(JSON.stringify(document, null, 2))
      }
      const lines = [
        `state    ${o.state}`,
        `holder   ${
          holder === undefined
            ? "none (no job is running)"
            : `pid ${holder.pid} on ${holder.host}: ${holder.command} job ${holder.job}, since ${ago(holder.startedAt)}`
        }`,
        `server   ${
          server === undefined
            ? "none"
            : server.running
            ? `${server.url} (pid ${server.pid})`
            : `not running (server.json names pid ${server.pid}, which is gone)`
        }`,
        `jobs     ${summary.running} running, ${summary.pending} pending, ${summary.failed} failed`,
        `agents   ${agents.length === 0 ? "none recorded yet" : agents.length}`
      ]
      printLine(lines.join("\n") + (agents.length === 0 ? "" : `\n\n${agentsTable(agents)}`))
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described(
      "The state directory at a glance: the process holding it and its job, the server, pending and failed jobs, the agents and their last heartbeat.",
      ["reelswarm status", "reelswarm status --json --state /data/reelswarm", "watch -n1 reelswarm status"]
    )
  )
)
