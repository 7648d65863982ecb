/**
 * `reelswarm agents`: the agent registry of the state's database (memory's AgentRegistry), as a
 * table or, with `--json`, one JSON document. The registry is kept by the swarm of whichever process
 * runs jobs on this state; this command only reads it, and works while a job runs.
 */
import { Command } from "@effect/cli"
import { Effect } from "effect"
import { type AgentRecord, AgentRegistry } from "../../memory/index.ts"
import { ago, described, printLine, table } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { hasDatabase, withStateMemory } from "./state-memory.ts"

/** An agent as `--json` prints it. */
export const describeAgent = (a: AgentRecord) => ({
  name: a.name,
  ...(a.node === undefined ? {} : { node: a.node }),
  state: a.state,
  restarts: a.restarts,
  deadLetters: a.deadLetters,
  lastHeartbeat: a.lastHeartbeat === undefined ? null : new Date(a.lastHeartbeat).toISOString(),
  updatedAt: new Date(a.updatedAt).toISOString()
})

/** The registry's agents, by name; none when the state has no database yet. */
export const listAgents = (state: string) =>
  hasDatabase(state)
    ? withStateMemory(state)(Effect.flatMap(AgentRegistry, (registry) => registry.list()))
    : Effect.succeed([] as ReadonlyArray<AgentRecord>)

export const agentsTable = (agents: ReadonlyArray<AgentRecord>) =>
  table([
    ["NAME", "STATE", "RESTARTS", "DEAD LETTERS", "LAST HEARTBEAT"],
    ...agents.map((a) => [
      a.name,
      a.state,
      String(a.restarts),
      String(a.deadLetters),
      a.lastHeartbeat === undefined ? "-" : ago(a.lastHeartbeat)
    ])
  ])

export const agents = Command.make(
  "agents",
  { state: job.state, config: job.config, json: job.json, verbose },
  (o) =>
    Effect.gen(function*() {
      const list = yield* listAgents(o.state)
      if (o.json) return printLine(JSON.stringify({ state: o.state, agents: list.map(describeAgent) }, null, 2))
      printLine(list.length === 0 ? `no agents recorded in ${o.state} yet (a job's swarm registers them)` : agentsTable(list))
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described("The swarm's agents as the state's registry knows them: state, restarts, dead letters and last heartbeat.", [
      "reelswarm agents",
      "reelswarm agents --json --state /data/reelswarm"
    ])
  )
)
