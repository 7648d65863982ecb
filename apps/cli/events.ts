/**
 * `reelswarm events`: the swarm's event log (memory's EventLog) of a state directory. Without
 * `--follow`: the last `--limit` events that match (or, with `--since`, the first `--limit` from
 * then), oldest first, and it exits. With `--follow`: the same, then every matching event as it is
 * appended, by this or another process (the log's tail polls the file), until Ctrl-C or SIGTERM
 * (exit code 130). One line per event, or one JSON document (JSON lines with `--follow`) with `--json`.
 */
import { Command, Options } from "@effect/cli"
import { Duration, Effect, Option, Schedule, Stream } from "effect"
import { EventLog } from "../../memory/index.ts"
import type { SwarmEvent } from "../../runtime/index.ts"
import { described, parseDuration, printLine } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { CliError } from "./run-job.ts"
import { hasDatabase, withStateMemory } from "./state-memory.ts"

/** `--since`: a duration back from now (`90s`, `10m`, `2h`, `1d`, `5 minutes`) or an ISO time; epoch ms. */
export const parseSince = (text: string, now = Date.now()): number | undefined => {
  const back = parseDuration(text)
  if (back !== undefined) return now - back
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const at = Date.parse(text)
    return Number.isNaN(at) ? undefined : at
  }
  return undefined
}

/** An event as `--json` prints it: as the log keeps it, plus its time in ISO. */
const eventJson = (e: SwarmEvent) => ({ ...e, time: new Date(e.ts).toISOString() })

const eventLine = (e: SwarmEvent) => {
  const who = [e.job === undefined ? "" : `job=${e.job}`, e.agent === undefined ? "" : `agent=${e.agent}`].filter((s) => s !== "")
  const data = e.data === undefined || Object.keys(e.data).length === 0 ? "" : `  ${JSON.stringify(e.data)}`
  return `${new Date(e.ts).toISOString()}  #${e.id}  ${e.type}${who.length === 0 ? "" : `  ${who.join(" ")}`}${data}`
}

/** How long `--follow` waits between looks for a state database not created yet. */
const WAIT_FOR_DATABASE = Duration.millis(250)

export const events = Command.make(
  "events",
  {
    follow: Options.boolean("follow").pipe(
      Options.withAlias("f"),
      Options.withDescription("After the recent events, print each new one as it is appended (by any process) until Ctrl-C.")
    ),
    type: Options.text("type").pipe(
      Options.repeated,
      Options.withDescription("Only events of this type (e.g. stage-started); repeat it for several types.")
    ),
    job: Options.text("job").pipe(Options.optional, Options.withDescription("Only the events of this job id.")),
    agent: Options.text("agent").pipe(Options.optional, Options.withDescription("Only the events of this agent (e.g. director).")),
    since: Options.text("since").pipe(
      Options.optional,
      Options.withDescription("Only events from then on: a duration back from now (90s, 10m, 2h, 1d) or an ISO time.")
    ),
    limit: Options.integer("limit").pipe(
      Options.withDefault(100),
      Options.withDescription("How many past events to print (at most 10000); --follow then goes on with new ones.")
    ),
    state: job.state,
    config: job.config,
    json: Options.boolean("json").pipe(
      Options.withDescription("One JSON document (an array of events) on stdout; with --follow, one JSON object per line.")
    ),
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      const from = Option.isNone(o.since) ? undefined : parseSince(o.since.value)
      if (Option.isSome(o.since) && from === undefined) {
        return yield* new CliError({ message: `--since must be a duration (90s, 10m, 2h, 1d) or an ISO time, got ${o.since.value}` })
      }
      if (o.limit < 1 || o.limit > 10_000) return yield* new CliError({ message: `--limit must be between 1 and 10000, got ${o.limit}` })
      const filter = {
        types: o.type.length === 0 ? undefined : o.type,
        job: Option.getOrUndefined(o.job),
        agent: Option.getOrUndefined(o.agent)
      }
      const matches = (e: SwarmEvent) =>
        (filter.types === undefined || filter.types.includes(e.type)) &&
        (filter.job === undefined || e.job === filter.job) &&
        (filter.agent === undefined || e.agent === filter.agent) &&
        (from === undefined || e.ts >= from)
      let shown = 0
      const show = (e: SwarmEvent) => {
        shown++
        printLine(o.json ? JSON.stringify(eventJson(e)) : eventLine(e))
      }

      if (!o.follow) {
        if (!hasDatabase(o.state)) return printLine(o.json ? "[]" : `no events in ${o.state} yet`)
        const page = yield* withStateMemory(o.state)(
          Effect.flatMap(EventLog, (log) =>
            log.query(
              from === undefined
                ? { ...filter, order: "desc", limit: o.limit }
                : { ...filter, from, order: "asc", limit: o.limit }
            ))
        )
        const list = from === undefined ? [...page.events].reverse() : page.events
        if (o.json) return printLine(JSON.stringify(list.map(eventJson), null, 2))
        return printLine(list.length === 0 ? "no events match" : list.map(eventLine).join("\n"))
      }

      // A job about to start creates the database: wait for it rather than race its migrations.
      while (!hasDatabase(o.state)) yield* Effect.sleep(WAIT_FOR_DATABASE)
      const following = withStateMemory(o.state)(Effect.gen(function*() {
        const log = yield* EventLog
        const latest = yield* log.latestId
        if (from === undefined) {
          const page = yield* log.query({ ...filter, before: latest + 1, order: "desc", limit: o.limit })
          for (const e of [...page.events].reverse()) show(e)
        }
        yield* log.tail({ after: from === undefined ? latest : 0 }).pipe(
          Stream.filter(matches),
          Stream.runForEach((e) => Effect.sync(() => show(e)))
        )
      }))
      // A database just created by a starting job may still be migrating: opening it is tried again a few
      // times, as long as nothing was printed (so no event is printed twice).
      yield* Effect.retry(following, { times: 8, schedule: Schedule.spaced(WAIT_FOR_DATABASE), while: () => shown === 0 })
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described(
      "The swarm's event log: stages, shot picks, encodes, agent restarts. --follow prints new events as any process appends them, until Ctrl-C (exit code 130).",
      [
        "reelswarm events --limit 20",
        "reelswarm events --follow",
        "reelswarm events --job 3f2a9c --type stage-started --type stage-finished",
        "reelswarm events --since 10m --agent director --json",
        "reelswarm events --follow --json | jq -r .type"
      ]
    )
  )
)
