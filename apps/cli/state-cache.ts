/**
 * The state directory's bounded cache: what jobs keep there to be reused, measured, and pruned to a
 * cap (`--cache-max`, default 2 GB) least recently used first, never deleting what a pending job
 * needs (cache-eviction.ts decides; this file reads and deletes). The cache is these, and nothing
 * else of the state directory (its database, lock, server.json, jobs/, attempts/, served/, library/,
 * outputs/, the log, and every footage folder a user gave are never touched):
 *
 * - `work/narration-<key>.wav` + `.json`: a narration (media/tts/narration-file.ts)
 * - `work/render-<key>/`: a render's plan, captions, segments and done marker (agents/renderer)
 * - `samples/<clip>.mp4` + `.mp4.json`: drawn sample clips (media/footage/sample-library.ts)
 * - `footage-index/<hash>.json`: a footage folder's probe cache (media/footage/footage-index.ts)
 * - `analyses/<key>.*` and `analyses/<key>/`: an analysis and its files
 *
 * An artifact's last use is the later of its files' last change and the last use a job recorded
 * (agents/production/artifact-uses.ts: shared memory in the state's database). Pending jobs are the
 * files in `<state>/jobs/` that are not marked failed (a failed job runs again as a fresh attempt,
 * which redoes every stage). Eviction runs after every job (`evictAfterJob`) and on demand (`reelswarm
 * cache prune`); a deletion that fails is a warning, and the artifact stays.
 */
import { Clock, Effect, Option, Schema } from "effect"
import { type Dirent, realpathSync } from "node:fs"
import { lstat, readdir, rm } from "node:fs/promises"
import { isAbsolute, join, relative, resolve, sep } from "node:path"
import { ARTIFACT_USES_NAMESPACE, ArtifactUse, JobSpec } from "../../agents/index.ts"
import { readJsonFile } from "../../media/index.ts"
import { SharedMemory } from "../../memory/index.ts"
import {
  type Artifact,
  CACHE_KINDS,
  type CacheKind,
  type EvictionPlan,
  type PendingJob,
  type Pins,
  pinsFor,
  planEviction
} from "./cache-eviction.ts"
import { formatBytes } from "./cache-size.ts"
import { currentHolder } from "./state-lock.ts"

/** The cache's state directory (or one of its files) cannot be read. */
export class CacheReadError extends Schema.TaggedError<CacheReadError>()("CacheReadError", {
  file: Schema.String,
  message: Schema.String
}) {}

/** The folders of the state directory the cache lives in, and what each entry there is. */
const CACHE_FOLDERS: ReadonlyArray<{ readonly dir: string; readonly kindOf: (name: string, isDir: boolean) => CacheKind | undefined }> = [
  {
    dir: "work",
    kindOf: (
      name,
      isDir
    ) => (isDir ? (name.startsWith("render-") ? "render" : undefined) : name.startsWith("narration-") ? "narration" : undefined)
  },
  { dir: "samples", kindOf: () => "sample" },
  { dir: "footage-index", kindOf: (_, isDir) => (isDir ? undefined : "footage-index") },
  { dir: "analyses", kindOf: () => "analysis" }
]

/** An artifact as found on disk: its entries (absolute paths) and their relative paths, `/`-separated. */
export interface FoundArtifact extends Artifact {
  readonly entries: ReadonlyArray<string>
  readonly relativeEntries: ReadonlyArray<string>
}

/**
 * Which artifact an entry belongs to: itself for a folder, its name without the extension for a
 * file (`narration-<key>.wav` and `.json` together), and a sidecar `X.json` goes with `X`.
 */
const stemOf = (name: string, isDir: boolean, siblings: ReadonlySet<string>): string => {
  if (isDir) return name
  const main = name.endsWith(".json") && siblings.has(name.slice(0, -".json".length)) ? name.slice(0, -".json".length) : name
  const dot = main.lastIndexOf(".")
  return dot <= 0 ? main : main.slice(0, dot)
}

/** Hidden entries and `.tmp` files are writes in progress (media/atomic-file.ts), not artifacts. */
const inProgress = (name: string) => name.startsWith(".") || name.endsWith(".tmp")

const isNotFound = (error: unknown) => (error as NodeJS.ErrnoException)?.code === "ENOENT"

const readFailure = (file: string) => (error: unknown) =>
  new CacheReadError({ file, message: `cannot read ${file}: ${(error as Error)?.message ?? String(error)}` })

/** Bytes and newest change of a file or a whole folder; a file gone meanwhile counts as nothing. */
const measure = (path: string): Effect.Effect<{ bytes: number; changed: number }, CacheReadError> =>
  Effect.tryPromise({
    try: async () => {
      let bytes = 0
      let changed = 0
      const visit = async (at: string): Promise<void> => {
        let info
        try {
          info = await lstat(at)
        } catch (error) {
          if (isNotFound(error)) return
          throw error
        }
        changed = Math.max(changed, info.mtimeMs)
        if (!info.isDirectory()) {
          bytes += info.size
          return
        }
        let names: Array<string>
        try {
          names = await readdir(at)
        } catch (error) {
          if (isNotFound(error)) return
          throw error
        }
        for (const name of names) await visit(join(at, name))
      }
      await visit(path)
      return { bytes, changed: Math.floor(changed) }
    },
    catch: readFailure(path)
  })

const listFolder = (dir: string): Effect.Effect<ReadonlyArray<Dirent>, CacheReadError> =>
  Effect.tryPromise({
    try: async () => {
      try {
        return await readdir(dir, { withFileTypes: true })
      } catch (error) {
        if (isNotFound(error)) return []
        throw error
      }
    },
    catch: readFailure(dir)
  })

/** The state directory's real path (symbolic links resolved), or its absolute one if it is not there. */
const rootOf = (state: string) => {
  try {
    return realpathSync(state)
  } catch {
    return resolve(state)
  }
}

export interface CacheScan {
  readonly state: string
  readonly artifacts: ReadonlyArray<FoundArtifact>
  /** The artifact `path` (absolute, or from the working directory) is in or is, if any. */
  readonly artifactOf: (path: string) => string | undefined
  /** The artifacts inside `path`, or that `path` is inside: what a folder or file a job names holds of the cache. */
  readonly artifactsAt: (path: string) => ReadonlyArray<string>
}

/** Every artifact of the state directory's cache, measured; last use here is the files' last change. */
export const scanCache = Effect.fn("cache.scan")(function*(state: string) {
  const roots = [...new Set([rootOf(state), resolve(state)])]
  const artifacts: Array<FoundArtifact> = []
  for (const folder of CACHE_FOLDERS) {
    const dir = join(state, folder.dir)
    const entries = (yield* listFolder(dir)).filter((e) => !inProgress(e.name))
    const names = new Set(entries.map((e) => e.name))
    const groups = new Map<string, { kind: CacheKind; names: Array<string> }>()
    for (const entry of entries) {
      const isDir = entry.isDirectory()
      const kind = folder.kindOf(entry.name, isDir)
      if (kind === undefined) continue
      const stem = stemOf(entry.name, isDir, names)
      const group = groups.get(stem) ?? { kind, names: [] }
      group.names.push(entry.name)
      groups.set(stem, group)
    }
    for (const [stem, group] of groups) {
      let bytes = 0
      let changed = 0
      for (const name of group.names) {
        const measured = yield* measure(join(dir, name))
        bytes += measured.bytes
        changed = Math.max(changed, measured.changed)
      }
      artifacts.push({
        id: `${folder.dir}/${stem}`,
        kind: group.kind,
        bytes,
        lastUsed: changed,
        entries: group.names.sort().map((name) => join(dir, name)),
        relativeEntries: group.names.map((name) => `${folder.dir}/${name}`)
      })
    }
  }
  const byEntry = new Map(artifacts.flatMap((a) => a.relativeEntries.map((entry) => [entry, a.id] as const)))
  const relativeToState = (path: string): string | undefined => {
    const absolute = isAbsolute(path) ? path : resolve(path)
    for (const root of roots) {
      const rel = relative(root, absolute)
      if (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) return rel.split(sep).join("/")
    }
    return undefined
  }
  const artifactOf = (path: string) => {
    const rel = relativeToState(path)
    if (rel === undefined) return undefined
    const [dir, entry] = rel.split("/")
    return entry === undefined ? undefined : byEntry.get(`${dir}/${entry}`)
  }
  const artifactsAt = (path: string) => {
    const rel = relativeToState(path)
    if (rel === undefined) return []
    return artifacts
      .filter((a) => rel === "" || a.relativeEntries.some((e) => e === rel || e.startsWith(`${rel}/`) || rel.startsWith(`${e}/`)))
      .map((a) => a.id)
  }
  return { state, artifacts, artifactOf, artifactsAt } satisfies CacheScan
})

/** What the cache reads of a job file: its spec and whether its last run failed (run-job.ts writes them). */
const JobRecord = Schema.Struct({
  spec: JobSpec,
  status: Schema.optionalWith(Schema.Literal("pending", "failed"), { default: () => "pending" as const })
})

/** The files and folders a job's spec names: its footage, music, recorded narration and output. */
const namedBy = (spec: JobSpec): ReadonlyArray<string> => [
  ...("files" in spec.footage ? spec.footage.files : [spec.footage.dir]),
  spec.output.path,
  ...(spec.output.music === undefined ? [] : [spec.output.music.path]),
  ...(spec.narration === undefined ? [] : [spec.narration.file])
]

/**
 * The jobs of `<state>/jobs/` that are not over: every file there but those marked failed. A file that
 * cannot be read or decoded counts as pending (it may be one), with nothing of its spec known.
 */
export const pendingJobsOf = Effect.fn("cache.pendingJobs")(function*(scan: CacheScan) {
  const dir = join(scan.state, "jobs")
  const holder = currentHolder(scan.state)
  const pending: Array<PendingJob> = []
  for (const entry of yield* listFolder(dir)) {
    if (!entry.isFile() || !entry.name.endsWith(".json") || inProgress(entry.name)) continue
    const file = join(dir, entry.name)
    const id = entry.name.slice(0, -".json".length)
    const info = yield* Effect.option(Effect.tryPromise(() => lstat(file)))
    // Finished (and removed) since it was listed.
    if (Option.isNone(info)) continue
    const since = Math.floor(info.value.mtimeMs)
    const record = Option.getOrUndefined(yield* Effect.option(readJsonFile(JobRecord, file)))
    if (record?.status === "failed") continue
    pending.push({
      id,
      since,
      live: holder !== undefined && (holder.job === id || since >= holder.startedAt),
      names: record === undefined ? [] : [...new Set(namedBy(record.spec).flatMap(scan.artifactsAt))]
    })
  }
  return pending
})

interface LedgerEntry {
  readonly key: string
  readonly use: ArtifactUse
  readonly artifact: string | undefined
}

/** The uses jobs recorded (agents/production/artifact-uses.ts), each with the artifact it is of; none without shared memory. */
const ledgerOf = (scan: CacheScan) =>
  Effect.flatMap(
    Effect.serviceOption(SharedMemory),
    (memory) =>
      Option.isNone(memory) ? Effect.succeed<ReadonlyArray<LedgerEntry>>([]) : Effect.gen(function*() {
        const decode = Schema.decodeUnknownOption(ArtifactUse)
        const entries: Array<LedgerEntry> = []
        let after: string | undefined
        while (true) {
          const page = yield* memory.value.list(ARTIFACT_USES_NAMESPACE, { after, limit: 1000 })
          for (const entry of page) {
            const use = decode(entry.value)
            if (Option.isSome(use)) entries.push({ key: entry.key, use: use.value, artifact: scan.artifactOf(use.value.path) })
          }
          if (page.length < 1000) return entries
          after = page[page.length - 1]!.key
        }
      })
  )

/** The cache as eviction sees it: artifacts with their last use, what pending jobs need, and the plan for a cap. */
export interface CacheState {
  readonly scan: CacheScan
  readonly artifacts: ReadonlyArray<FoundArtifact>
  readonly pending: ReadonlyArray<PendingJob>
  readonly pins: Pins
  readonly plan: EvictionPlan
  readonly ledger: ReadonlyArray<LedgerEntry>
  /** When the scan began: uses recorded from then on may be of artifacts it did not see yet. */
  readonly scannedAt: number
}

export const cacheState = Effect.fn("cache.state")(function*(state: string, maxBytes: number) {
  const scannedAt = yield* Clock.currentTimeMillis
  const scan = yield* scanCache(state)
  const ledger = yield* ledgerOf(scan)
  const lastUse = new Map<string, number>()
  for (const { artifact, use } of ledger) {
    if (artifact !== undefined) lastUse.set(artifact, Math.max(lastUse.get(artifact) ?? 0, use.at))
  }
  const artifacts = scan.artifacts.map((a) => ({ ...a, lastUsed: Math.max(a.lastUsed, lastUse.get(a.id) ?? 0) }))
  const pending = yield* pendingJobsOf(scan)
  const uses = ledger.flatMap(({ artifact, use }) => (artifact === undefined ? [] : [{ artifact, job: use.job }]))
  const pins = pinsFor(artifacts, uses, pending)
  return { scan, artifacts, pending, pins, plan: planEviction(artifacts, pins, maxBytes), ledger, scannedAt } satisfies CacheState
})

export interface KindStats {
  readonly count: number
  readonly bytes: number
  readonly pinned: number
  /** Epoch ms; null when there is none of the kind. */
  readonly oldestUse: number | null
  readonly newestUse: number | null
}

/** Totals per kind, and over all, for `cache stats`. */
export const statsOf = (cache: CacheState) => {
  const kinds = Object.fromEntries(CACHE_KINDS.map((kind) => {
    const of = cache.artifacts.filter((a) => a.kind === kind)
    const uses = of.map((a) => a.lastUsed)
    const stats: KindStats = {
      count: of.length,
      bytes: of.reduce((total, a) => total + a.bytes, 0),
      pinned: of.filter((a) => cache.pins.has(a.id)).length,
      oldestUse: uses.length === 0 ? null : Math.min(...uses),
      newestUse: uses.length === 0 ? null : Math.max(...uses)
    }
    return [kind, stats]
  })) as Record<CacheKind, KindStats>
  return {
    maxBytes: cache.plan.maxBytes,
    totalBytes: cache.plan.totalBytes,
    count: cache.artifacts.length,
    kinds,
    pinned: {
      count: cache.plan.pinned.length,
      bytes: cache.plan.pinnedBytes,
      jobs: [...new Set([...cache.pins.values()].flat())].sort()
    }
  }
}

export interface PruneOutcome {
  readonly cache: CacheState
  /** Deleted (or, on a dry run, to delete), least recently used first. */
  readonly deleted: ReadonlyArray<FoundArtifact>
  readonly failed: ReadonlyArray<{ readonly artifact: FoundArtifact; readonly message: string }>
  /** What the cache holds after the deletions (or would, on a dry run). */
  readonly remainingBytes: number
  readonly dryRun: boolean
}

/**
 * Deletes one artifact: its completion marks first (a narration's timings, a sidecar, a render's
 * `done.json`), so one only half deleted reads as missing, never as finished. Stops at the first failure.
 */
const deleteArtifact = (artifact: FoundArtifact) =>
  Effect.tryPromise({
    try: async () => {
      if (artifact.kind === "render") { for (const dir of artifact.entries) await rm(join(dir, "done.json"), { force: true }) }
      const marksFirst = [...artifact.entries].sort((a, b) => Number(!a.endsWith(".json")) - Number(!b.endsWith(".json")))
      for (const entry of marksFirst) await rm(entry, { recursive: true, force: true })
    },
    catch: (error) => (error as Error)?.message ?? String(error)
  })

/**
 * Forgets recorded uses no longer worth keeping: those of artifacts deleted or gone, and, per
 * artifact, all but its latest use and those of pending jobs. Uses recorded since the scan began
 * stay (their artifact may be newer than the scan).
 */
const compactLedger = (cache: CacheState, deleted: ReadonlySet<string>) =>
  Effect.flatMap(Effect.serviceOption(SharedMemory), (memory) => {
    if (Option.isNone(memory)) return Effect.void
    const pendingIds = new Set(cache.pending.map((job) => job.id))
    const latest = new Map<string, LedgerEntry>()
    for (const entry of cache.ledger) {
      if (entry.artifact === undefined) continue
      const best = latest.get(entry.artifact)
      if (best === undefined || entry.use.at > best.use.at) latest.set(entry.artifact, entry)
    }
    const stale = cache.ledger.filter((entry) =>
      entry.use.at < cache.scannedAt &&
      (entry.artifact === undefined || deleted.has(entry.artifact) ||
        (latest.get(entry.artifact) !== entry && !(entry.use.job !== undefined && pendingIds.has(entry.use.job))))
    )
    return Effect.forEach(stale, (entry) => memory.value.delete(ARTIFACT_USES_NAMESPACE, entry.key), { discard: true })
  })

/**
 * Brings the cache under `maxBytes`: deletes what `planEviction` picks (nothing on a dry run), each
 * failure kept with its reason while the rest go on, then forgets the uses of what is gone.
 */
export const pruneCache = Effect.fn("cache.prune")(function*(state: string, maxBytes: number, options: { readonly dryRun?: boolean } = {}) {
  const cache = yield* cacheState(state, maxBytes)
  const dryRun = options.dryRun === true
  const evict = cache.plan.evict as ReadonlyArray<FoundArtifact>
  const deleted: Array<FoundArtifact> = []
  const failed: Array<{ artifact: FoundArtifact; message: string }> = []
  for (const artifact of evict) {
    if (dryRun) {
      deleted.push(artifact)
      continue
    }
    const outcome = yield* Effect.either(deleteArtifact(artifact))
    if (outcome._tag === "Right") deleted.push(artifact)
    else failed.push({ artifact, message: outcome.left })
  }
  if (!dryRun) {
    yield* compactLedger(cache, new Set(deleted.map((a) => a.id))).pipe(
      Effect.catchAll((error) => Effect.logWarning(`cache: cannot forget the uses of deleted artifacts: ${error.message}`))
    )
  }
  const remainingBytes = cache.plan.remainingBytes + failed.reduce((total, f) => total + f.artifact.bytes, 0)
  return { cache, deleted, failed, remainingBytes, dryRun } satisfies PruneOutcome
})

/** One line about a pruned cache that could not get under its cap: how much pending jobs hold, and which. */
export const overCapText = (outcome: PruneOutcome) => {
  const { plan } = outcome.cache
  const jobs = [...new Set([...outcome.cache.pins.values()].flat())].sort()
  const held = outcome.failed.length > 0 ? `; ${outcome.failed.length} artifact(s) could not be deleted` : ""
  return `the cache holds ${formatBytes(outcome.remainingBytes)}, over its cap of ${formatBytes(plan.maxBytes)}: ` +
    `${formatBytes(plan.pinnedBytes)} of it is needed by pending job(s) ${jobs.join(", ") || "none"}${held} ` +
    "(resume or cancel them, or raise --cache-max)"
}

/**
 * After a job: prunes the cache to `maxBytes` when it holds more. Nothing here fails the job: a
 * deletion that fails, or a cache that cannot be read, is a warning.
 */
export const evictAfterJob = (state: string, maxBytes: number): Effect.Effect<void> =>
  pruneCache(state, maxBytes).pipe(
    Effect.flatMap((outcome) =>
      Effect.gen(function*() {
        for (const artifact of outcome.deleted) {
          yield* Effect.logInfo(
            `cache: deleted ${artifact.id} (${artifact.kind}, ${formatBytes(artifact.bytes)}, last used ${
              new Date(artifact.lastUsed).toISOString()
            })`
          )
        }
        for (const { artifact, message } of outcome.failed) yield* Effect.logWarning(`cache: cannot delete ${artifact.id}: ${message}`)
        if (outcome.remainingBytes > maxBytes) yield* Effect.logWarning(`cache: ${overCapText(outcome)}`)
      })
    ),
    Effect.catchAllCause((cause) => Effect.logWarning("cache: cannot prune the state directory's cache", cause))
  )
