/**
 * The bounded cache's decisions, as pure functions over what a scan of the state directory found
 * (state-cache.ts does the reading and the deleting): which artifacts pending jobs need, and which
 * to delete, least recently used first, to bring the cache under its cap.
 */

/** What the cache holds: narrations, render folders (segments, plans, done markers), drawn samples, footage probe caches, analyses. */
export const CACHE_KINDS = ["narration", "render", "sample", "footage-index", "analysis"] as const
export type CacheKind = (typeof CACHE_KINDS)[number]

/** One thing the cache may delete, whole: a file, a folder, or files that belong together (a narration's WAV and timings). */
export interface Artifact {
  /** Its path from the state directory, `/`-separated: `work/render-3f2a…`, `work/narration-9c1d…` (both of its files). */
  readonly id: string
  readonly kind: CacheKind
  readonly bytes: number
  /** When it was last used, epoch ms: its files' last change, or the last recorded use, whichever is later. */
  readonly lastUsed: number
}

/** A job that is not over (pending, queued or running): its file is still in `<state>/jobs/`. */
export interface PendingJob {
  readonly id: string
  /** When its current run started (or it was submitted): its job file's last write. */
  readonly since: number
  /** Run right now by a live process (the state directory's lock holder started it). */
  readonly live: boolean
  /** The artifacts its spec names (a footage folder, music or output inside the cache): never the cache's to delete. */
  readonly names: ReadonlyArray<string>
}

/** A recorded use of an artifact, by a job or none. */
export interface RecordedUse {
  readonly artifact: string
  readonly job?: string | undefined
}

/** Artifact id → the pending jobs that need it. */
export type Pins = ReadonlyMap<string, ReadonlyArray<string>>

/**
 * Which artifacts pending jobs need: those a pending job recorded using (a resumed job replays its
 * finished stages, whose results name them), those its spec names, and, for a job running now,
 * everything used since its run started (what it is using may not be recorded yet: a narration
 * read from the cache before its stage's result is).
 */
export const pinsFor = (
  artifacts: ReadonlyArray<Artifact>,
  uses: ReadonlyArray<RecordedUse>,
  pending: ReadonlyArray<PendingJob>
): Pins => {
  const pins = new Map<string, Set<string>>()
  const pin = (artifact: string, job: string) => {
    const jobs = pins.get(artifact) ?? new Set()
    pins.set(artifact, jobs.add(job))
  }
  const ids = new Set(pending.map((job) => job.id))
  for (const use of uses) if (use.job !== undefined && ids.has(use.job)) pin(use.artifact, use.job)
  for (const job of pending) {
    for (const name of job.names) pin(name, job.id)
    if (!job.live) continue
    for (const artifact of artifacts) if (artifact.lastUsed >= job.since) pin(artifact.id, job.id)
  }
  const known = new Set(artifacts.map((a) => a.id))
  return new Map([...pins].filter(([id]) => known.has(id)).map(([id, jobs]) => [id, [...jobs].sort()]))
}

export interface EvictionPlan {
  readonly maxBytes: number
  /** What the cache holds now. */
  readonly totalBytes: number
  /** To delete, least recently used first. */
  readonly evict: ReadonlyArray<Artifact>
  /** What the cache holds once they are deleted. */
  readonly remainingBytes: number
  readonly pinned: ReadonlyArray<Artifact>
  readonly pinnedBytes: number
  /** False when the cap cannot be met: what pending jobs need is more than it (nothing they need is deleted). */
  readonly underCap: boolean
}

const sum = (artifacts: ReadonlyArray<Artifact>) => artifacts.reduce((total, a) => total + a.bytes, 0)

/** Least recently used first; ties by id, so the same cache gives the same plan. */
export const byLastUse = (a: Artifact, b: Artifact) => a.lastUsed - b.lastUsed || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * What to delete to bring the cache to at most `maxBytes`: unpinned artifacts, least recently used
 * first, stopping as soon as the rest fits. Pinned ones stay even when they alone exceed the cap.
 */
export const planEviction = (artifacts: ReadonlyArray<Artifact>, pins: Pins, maxBytes: number): EvictionPlan => {
  const totalBytes = sum(artifacts)
  const pinned = artifacts.filter((a) => pins.has(a.id)).sort(byLastUse)
  const evict: Array<Artifact> = []
  let remainingBytes = totalBytes
  for (const artifact of artifacts.filter((a) => !pins.has(a.id)).sort(byLastUse)) {
    if (remainingBytes <= maxBytes) break
    evict.push(artifact)
    remainingBytes -= artifact.bytes
  }
  return {
    maxBytes,
    totalBytes,
    evict,
    remainingBytes,
    pinned,
    pinnedBytes: sum(pinned),
    underCap: remainingBytes <= maxBytes
  }
}
