/**
 * What ffmpeg's `metadata=mode=print` (and `ametadata`) writes: for every frame that carries
 * metadata a header line `frame:12   pts:6144    pts_time:0.48`, then one `key=value` line per
 * entry. Parsed leniently: blank lines, carriage returns and lines of neither shape are skipped,
 * and a value that is not a number stays out of `numbers` (`get` still has it).
 */

export interface FrameMetadata {
  /** The frame's number as the printing filter counted it (0 for its first frame). */
  readonly frame: number
  /** pts_time, seconds; NaN when ffmpeg printed NOPTS. */
  readonly time: number
  readonly values: ReadonlyMap<string, string>
}

const HEADER = /^frame:\s*(\d+)\s+pts:\s*(\S+)\s+pts_time:\s*(\S+)\s*$/

/** Every frame record of a metadata print, in order. */
export const parseFrameMetadata = (text: string): Array<FrameMetadata> => {
  const frames: Array<FrameMetadata> = []
  let values: Map<string, string> | undefined
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "")
    const header = HEADER.exec(line)
    if (header !== null) {
      values = new Map()
      frames.push({ frame: Number(header[1]), time: Number(header[3]), values })
      continue
    }
    const eq = line.indexOf("=")
    if (values === undefined || eq <= 0) continue
    values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim())
  }
  return frames
}

/** The entry as a finite number, or undefined (absent, "nan", "inf", garbage). */
export const numberAt = (frame: FrameMetadata, key: string): number | undefined => {
  const value = frame.values.get(key)
  if (value === undefined) return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}
