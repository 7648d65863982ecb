import { Duration, Option } from "effect"

/** A command's help: what it does, then the examples a user copies. */
export const described = (what: string, examples: ReadonlyArray<string>) =>
  `${what}\n\nExamples:\n${examples.map((e) => `  ${e}`).join("\n")}`

/** Prints one line (or document) on stdout. */
export const printLine = (text: string) => process.stdout.write(text + "\n")

/** A past time as people read it: `3 s ago`, `5 min ago`. */
export const ago = (ms: number, now = Date.now()) => {
  const seconds = Math.max(0, Math.round((now - ms) / 1000))
  if (seconds < 120) return `${seconds} s ago`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`
  return `${Math.round(seconds / 86400)} days ago`
}

/** Pads each column of a table to its widest cell. */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>) => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? []
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n")
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }

/** `90s`, `10m`, `2h`, `1d`, `500ms`, or Effect's `5 minutes`: milliseconds. */
export const parseDuration = (text: string): number | undefined => {
  const short = /^(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)$/.exec(text.trim())
  if (short !== null) return Number(short[1]) * UNITS[short[2]!]!
  const duration = Duration.decodeUnknown(text.trim())
  return Option.isSome(duration) && Duration.isFinite(duration.value) ? Duration.toMillis(duration.value) : undefined
}
