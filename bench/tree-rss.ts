/**
 * Memory of a process tree, sampled from /proc (Linux): every `intervalMs` the root's descendants are
 * found (through /proc/<pid>/task/<pid>/children) and their resident sets summed. The tree's peak is
 * the largest such sum; each process's own peak is its VmHWM (the kernel's high-water mark, exact,
 * not sampled), last read while it was alive. A process that starts and ends between two samples is
 * missed by the sum, never counted twice, so the tree peak is a lower bound; at 50 ms it misses only
 * start-up blips (an ffmpeg that lives for seconds is seen).
 */
import { readFileSync } from "node:fs"

export interface TreeMemory {
  /** The largest sum of the tree's resident sets seen in one sample, MiB. */
  readonly treePeakMb: number
  /** Per command name (`ffmpeg`, `node`, `espeak-ng` …): the largest peak RSS of one such process, MiB. */
  readonly processPeakMb: Readonly<Record<string, number>>
  /** Per command name: how many such processes were seen. */
  readonly processes: Readonly<Record<string, number>>
  readonly samples: number
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

const childrenOf = (pid: number): ReadonlyArray<number> =>
  (read(`/proc/${pid}/task/${pid}/children`) ?? "").split(" ").filter((s) => s !== "").map(Number)

const treeOf = (root: number): ReadonlyArray<number> => {
  const all: Array<number> = []
  const visit = (pid: number) => {
    all.push(pid)
    for (const child of childrenOf(pid)) visit(child)
  }
  visit(root)
  return all
}

/** `VmRSS` and `VmHWM` in KiB and the command name, or undefined once the process is gone. */
const statusOf = (pid: number) => {
  const status = read(`/proc/${pid}/status`)
  if (status === undefined) return undefined
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0)
  const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? "?"
  return { name, rssKb: field("VmRSS"), hwmKb: field("VmHWM") }
}

/** Samples the tree under `root` until the returned `stop` is called; `stop` returns what was seen. */
export const sampleTree = (root: number, intervalMs = 50): { readonly stop: () => TreeMemory } => {
  let treePeakKb = 0
  let samples = 0
  const peakKb = new Map<number, { name: string; kb: number }>()
  const sample = () => {
    let sum = 0
    for (const pid of treeOf(root)) {
      const status = statusOf(pid)
      if (status === undefined) continue
      sum += status.rssKb
      const seen = peakKb.get(pid)
      if (seen === undefined || status.hwmKb > seen.kb) peakKb.set(pid, { name: status.name, kb: status.hwmKb })
    }
    samples++
    treePeakKb = Math.max(treePeakKb, sum)
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    stop: () => {
      clearInterval(timer)
      const processPeakMb: Record<string, number> = {}
      const processes: Record<string, number> = {}
      for (const { kb, name } of peakKb.values()) {
        processPeakMb[name] = Math.max(processPeakMb[name] ?? 0, Math.round(kb / 1024))
        processes[name] = (processes[name] ?? 0) + 1
      }
      return { treePeakMb: Math.round(treePeakKb / 1024), processPeakMb, processes, samples }
    }
  }
}
