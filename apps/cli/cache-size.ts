/**
 * Sizes as users write them, for the state directory's cache cap (`--cache-max`, REELSWARM_CACHE_MAX,
 * the config file's `cacheMax`; job-options.ts's `cacheMax` reads them in that order): a whole
 * number of bytes, or a number with a unit. KB, MB, GB and TB are powers of 1000 (as disks are
 * sold), KiB, MiB, GiB and TiB powers of 1024; K, M, G and T alone are KB, MB, GB and TB. Case and
 * a space before the unit do not matter: `2GB`, `2 gb`, `500MB`, `1.5GiB`, `1048576`.
 */
import { Schema } from "effect"

/** The cap when none is set. */
export const DEFAULT_CACHE_MAX_TEXT = "2GB"
export const DEFAULT_CACHE_MAX = 2_000_000_000

/** What a size must look like, for error messages: `expected <this>, got "2 gigs"`. */
export const SIZE_WANTED = "a size: a number of bytes, or one with KB, MB, GB or TB (e.g. 500MB, 2GB)"

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4
}

/** Bytes, from a size as a user writes it (a number is bytes already); undefined when it is not one. */
export const parseByteSize = (value: string | number): number | undefined => {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(value)
  if (match === null) return undefined
  const unit = UNITS[match[2]!.toLowerCase()]
  if (unit === undefined) return undefined
  const bytes = Math.round(Number(match[1]) * unit)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** A size in a config file: a number of bytes or a size's text, decoded to bytes. */
export const ByteSize = Schema.transform(
  Schema.Union(Schema.Number, Schema.String).pipe(Schema.filter((v) => parseByteSize(v) !== undefined, { message: () => SIZE_WANTED })),
  Schema.Number,
  { strict: true, decode: (v) => parseByteSize(v)!, encode: (bytes) => bytes }
)

/** Bytes as a user reads them, in the units sizes are given in: `512 B`, `3.4 MB`, `2 GB`. */
export const formatBytes = (bytes: number): string => {
  const units = ["B", "KB", "MB", "GB", "TB"]
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  const digits = unit === 0 || Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2
  return `${Number(value.toFixed(digits))} ${units[unit]}`
}
