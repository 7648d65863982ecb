/** How the console writes times, sizes and durations: short, fixed-width where it matters. */

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** 14:03:07.251 in local time. */
export const clockTime = (ts: number): string => {
  const d = new Date(ts)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** 14:03:07 in local time. */
export const shortTime = (ts: number): string => {
  const d = new Date(ts)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** 850 ms, 4.2 s, 3 m 12 s, 1 h 4 m. */
export const duration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return "–"
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)} m ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`
}

/** How long ago `ts` was, relative to `now`: "3 s ago", "never" for null. */
export const ago = (ts: number | null | undefined, now: number): string =>
  ts === null || ts === undefined ? "never" : now - ts < 1000 ? "just now" : `${duration(now - ts)} ago`

/** 1.4 GiB, 512 MiB. */
export const bytes = (n: number): string => {
  if (!Number.isFinite(n)) return "–"
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`
}

/** 12.5/s, 1.2k/s. */
export const rate = (perSecond: number): string =>
  perSecond >= 1000 ? `${(perSecond / 1000).toFixed(1)}k/s` : perSecond >= 10 ? `${Math.round(perSecond)}/s` : `${perSecond.toFixed(1)}/s`

/** One line of JSON for an event's data, shortened for a list row. */
export const compactJson = (value: unknown, max = 400): string => {
  let text: string
  try {
    text = JSON.stringify(value) ?? ""
  } catch {
    text = String(value)
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
