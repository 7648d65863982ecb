/**
 * `reelswarm cache stats|prune`: the state directory's bounded cache (state-cache.ts) as a user
 * sees it: how much each kind of artifact holds against the cap and what pending jobs need, and a
 * prune down to a size on demand (the same one every job runs when it finishes). Both work while a
 * job runs in another process: what it is using is needed, so it stays.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { CACHE_KINDS } from "./cache-eviction.ts"
import { formatBytes } from "./cache-size.ts"
import { described, printLine, table } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { StateDirError } from "./run-job.ts"
import { CacheReadError, cacheState, overCapText, pruneCache, type PruneOutcome, statsOf } from "./state-cache.ts"
import { hasDatabase, withStateMemory } from "./state-memory.ts"

/** Runs `effect` with the state's recorded uses when it has a database (none is created); a cache that cannot be read is exit 3. */
const onState = <A, E>(state: string, effect: Effect.Effect<A, E | CacheReadError>) =>
  (hasDatabase(state) ? withStateMemory(state)(effect) : effect).pipe(
    Effect.catchIf(
      (error): error is CacheReadError => error instanceof CacheReadError,
      (error) => Effect.fail(new StateDirError({ dir: state, message: `${error.message}; make it readable, or use --state elsewhere` }))
    )
  )

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

const stats = Command.make(
  "stats",
  { cacheMax: job.cacheMax, state: job.state, config: job.config, json: job.json, verbose },
  (o) =>
    Effect.gen(function*() {
      const summary = statsOf(yield* onState(o.state, cacheState(o.state, o.cacheMax)))
      if (o.json) {
        const kinds = Object.fromEntries(
          CACHE_KINDS.map((kind) => {
            const k = summary.kinds[kind]
            return [kind, { ...k, oldestUse: iso(k.oldestUse), newestUse: iso(k.newestUse) }]
          })
        )
        return printLine(JSON.stringify({ state: o.state, ...summary, overCap: summary.totalBytes > summary.maxBytes, kinds }, null, 2))
      }
      const rows = [
        ["kind", "count", "bytes", "pinned", "oldest use", "newest use"],
        ...CACHE_KINDS.map((kind) => {
          const k = summary.kinds[kind]
          return [kind, String(k.count), formatBytes(k.bytes), String(k.pinned), iso(k.oldestUse) ?? "-", iso(k.newestUse) ?? "-"]
        })
      ]
      const pinned = summary.pinned.count === 0
        ? "nothing needed by pending jobs"
        : `${summary.pinned.count} needed by pending jobs (${formatBytes(summary.pinned.bytes)}): ${summary.pinned.jobs.join(", ")}`
      printLine(
        `state    ${o.state}\ncache    ${formatBytes(summary.totalBytes)} of ${formatBytes(summary.maxBytes)} ` +
          `in ${summary.count} artifacts; ${pinned}\n\n${table(rows)}`
      )
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described(
      "The state directory's cache: its size against the cap, and per kind (narration, render, sample, footage-index, analysis) " +
        "how many, how big, how many pending jobs need, and the oldest and newest use.",
      ["reelswarm cache stats", "reelswarm cache stats --json --state /data/reelswarm"]
    )
  )
)

const describeOutcome = (outcome: PruneOutcome, state: string) => ({
  state,
  dryRun: outcome.dryRun,
  maxBytes: outcome.cache.plan.maxBytes,
  totalBytes: outcome.cache.plan.totalBytes,
  freedBytes: outcome.deleted.reduce((total, a) => total + a.bytes, 0),
  remainingBytes: outcome.remainingBytes,
  underCap: outcome.remainingBytes <= outcome.cache.plan.maxBytes,
  deleted: outcome.deleted.map((a) => ({ id: a.id, kind: a.kind, bytes: a.bytes, lastUsed: iso(a.lastUsed), paths: a.entries })),
  failed: outcome.failed.map(({ artifact, message }) => ({ id: artifact.id, kind: artifact.kind, bytes: artifact.bytes, message })),
  pinned: {
    count: outcome.cache.plan.pinned.length,
    bytes: outcome.cache.plan.pinnedBytes,
    jobs: [...new Set([...outcome.cache.pins.values()].flat())].sort()
  }
})

const prune = Command.make(
  "prune",
  {
    maxSize: job.pruneMaxSize,
    dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Say what would be deleted, and delete nothing.")),
    state: job.state,
    config: job.config,
    json: job.json,
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      const outcome = yield* onState(o.state, pruneCache(o.state, o.maxSize, { dryRun: o.dryRun }))
      const document = describeOutcome(outcome, o.state)
      for (const { artifact, message } of outcome.failed) yield* Console.error(`reelswarm: cannot delete ${artifact.id}: ${message}`)
      if (o.json) return printLine(JSON.stringify(document, null, 2))
      const verb = o.dryRun ? "would delete" : "deleted"
      for (const a of outcome.deleted) {
        printLine(`${verb} ${a.id}  (${a.kind}, ${formatBytes(a.bytes)}, last used ${iso(a.lastUsed)})`)
      }
      printLine(
        document.underCap
          ? `${o.dryRun ? "would free" : "freed"} ${formatBytes(document.freedBytes)}: the cache ${o.dryRun ? "would hold" : "holds"} ` +
            `${formatBytes(document.remainingBytes)} of ${formatBytes(document.maxBytes)}`
          : `${o.dryRun ? "would free" : "freed"} ${formatBytes(document.freedBytes)}; ${overCapText(outcome)}`
      )
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described(
      "Delete the least recently used artifacts of the cache that no pending job needs until it fits --max-size (default: the cache's cap); " +
        "each job does the same when it finishes.",
      ["reelswarm cache prune", "reelswarm cache prune --max-size 500MB --dry-run", "reelswarm cache prune --max-size 0 --json"]
    )
  )
)

export const cache = Command.make("cache").pipe(
  Command.withDescription(
    described(
      "The state directory's cache of narrations, render folders, drawn samples, footage probes and analyses: stats, prune.",
      ["reelswarm cache stats", "reelswarm cache prune --max-size 1GB"]
    )
  ),
  Command.withSubcommands([stats, prune])
)
