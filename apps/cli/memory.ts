/**
 * `reelswarm memory get|set|list|delete`: the swarm's shared memory (memory's SharedMemory, a
 * key-value store with TTLs in the state's database) by namespace and key. Values are JSON: `set`
 * parses VALUE as JSON, and stores it as a string when it is not JSON. Reading works while a job
 * runs in another process.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option, Schema } from "effect"
import { type MemoryEntry, SharedMemory } from "../../memory/index.ts"
import { described, parseDuration, printLine } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { CliError } from "./run-job.ts"
import { hasDatabase, withStateMemory } from "./state-memory.ts"

/** The key asked for is not there: exit code 1. */
export class MemoryKeyMissingError extends Schema.TaggedError<MemoryKeyMissingError>()("MemoryKeyMissingError", {
  message: Schema.String
}) {}

const namespace = Options.text("namespace").pipe(
  Options.withAlias("n"),
  Options.withDefault("default"),
  Options.withDescription("The namespace of the keys.")
)
const key = Args.text({ name: "KEY" }).pipe(Args.withDescription("The key."))
const common = { namespace, state: job.state, config: job.config, verbose }

/** VALUE as JSON when it is JSON, else the string itself. */
export const parseValue = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const entryJson = (ns: string, entry: MemoryEntry) => ({
  namespace: ns,
  key: entry.key,
  value: entry.value,
  expiresAt: entry.expiresAt === undefined ? null : new Date(entry.expiresAt).toISOString()
})

const get = Command.make("get", { key, json: job.json, ...common }, (o) =>
  Effect.gen(function*() {
    const missing = new MemoryKeyMissingError({ message: `no key ${o.key} in namespace ${o.namespace} of ${o.state}` })
    if (!hasDatabase(o.state)) return yield* missing
    const value = yield* withStateMemory(o.state)(Effect.flatMap(SharedMemory, (m) => m.get(o.namespace, o.key)))
    if (Option.isNone(value)) return yield* missing
    printLine(o.json ? JSON.stringify({ namespace: o.namespace, key: o.key, value: value.value }, null, 2) : JSON.stringify(value.value))
  })).pipe(
    handleVerbose,
    Command.withDescription(
      described("Print a key's value as JSON (exit code 1 when there is no such key).", [
        "reelswarm memory get greeting",
        "reelswarm memory get capacity/h264_nvenc --namespace capacity --json"
      ])
    )
  )

const set = Command.make(
  "set",
  {
    key,
    value: Args.text({ name: "VALUE" }).pipe(Args.withDescription("The value: JSON (42, true, {\"a\":1}), or else a string.")),
    ttl: Options.text("ttl").pipe(
      Options.optional,
      Options.withDescription("The entry disappears this long after it is written: 90s, 10m, 2h, 1d.")
    ),
    ...common
  },
  (o) =>
    Effect.gen(function*() {
      const ttl = Option.map(o.ttl, parseDuration)
      if (Option.isSome(ttl) && (ttl.value === undefined || ttl.value <= 0)) {
        return yield* new CliError({
          message: `--ttl must be a duration such as 90s, 10m, 2h or 1d, got ${Option.getOrElse(o.ttl, () => "")}`
        })
      }
      const ms = Option.getOrUndefined(ttl)
      yield* withStateMemory(o.state, { create: true })(
        Effect.flatMap(SharedMemory, (m) => m.set(o.namespace, o.key, parseValue(o.value), ms === undefined ? {} : { ttl: ms }))
      ).pipe(Effect.catchTag("EncodeError", (e) => new CliError({ message: `cannot store the value: ${e.message}` })))
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described("Store a value under a key (VALUE is parsed as JSON, else kept as a string).", [
      "reelswarm memory set greeting hello",
      "reelswarm memory set limits '{\"maxJobs\": 4}' --ttl 1h",
      "reelswarm memory set --namespace flags dark-mode true"
    ])
  )
)

const list = Command.make(
  "list",
  {
    pattern: Options.text("pattern").pipe(
      Options.withDefault("*"),
      Options.withDescription("Only keys matching this glob (*, ?, [abc]; case-sensitive).")
    ),
    limit: Options.integer("limit").pipe(Options.withDefault(1000), Options.withDescription("At most this many keys.")),
    json: job.json,
    ...common
  },
  (o) =>
    Effect.gen(function*() {
      const entries = hasDatabase(o.state)
        ? yield* withStateMemory(o.state)(
          Effect.flatMap(SharedMemory, (m) => m.list(o.namespace, { pattern: o.pattern, limit: o.limit }))
        )
        : []
      if (o.json) return printLine(JSON.stringify(entries.map((e) => entryJson(o.namespace, e)), null, 2))
      printLine(
        entries.length === 0
          ? `no keys in namespace ${o.namespace}`
          : entries.map((e) =>
            `${e.key}  ${JSON.stringify(e.value)}${e.expiresAt === undefined ? "" : `  (expires ${new Date(e.expiresAt).toISOString()})`}`
          ).join("\n")
      )
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described("List a namespace's keys and values.", [
      "reelswarm memory list",
      "reelswarm memory list --namespace capacity --json",
      "reelswarm memory list --pattern 'job-*'"
    ])
  )
)

const remove = Command.make("delete", { key, ...common }, (o) =>
  Effect.gen(function*() {
    const removed = hasDatabase(o.state)
      ? yield* withStateMemory(o.state)(Effect.flatMap(SharedMemory, (m) => m.delete(o.namespace, o.key)))
      : false
    if (!removed) return yield* new MemoryKeyMissingError({ message: `no key ${o.key} in namespace ${o.namespace} of ${o.state}` })
  })).pipe(
    handleVerbose,
    Command.withDescription(
      described("Delete a key (exit code 1 when there is no such key).", ["reelswarm memory delete greeting"])
    )
  )

export const memory = Command.make("memory").pipe(
  Command.withDescription(
    described("The swarm's shared memory: a key-value store (JSON values, optional TTL) in the state's database.", [
      "reelswarm memory set greeting '\"hello\"'",
      "reelswarm memory get greeting",
      "reelswarm memory list --json",
      "reelswarm memory delete greeting"
    ])
  ),
  Command.withSubcommands([get, set, list, remove])
)
