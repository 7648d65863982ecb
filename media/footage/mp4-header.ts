/**
 * What the footage index stores about an MP4/MOV/M4V clip, read from its ISO-BMFF headers in-process:
 * no ffprobe process (Debian's ffprobe spends ~100 ms of CPU loading its libraries before it reads a
 * byte). Only box headers and the `moov` box are read, with small positioned reads; `mdat` never is.
 *
 * The answer is what ffprobe would report (see probe.ts), or `Option.none()` whenever the file is
 * anything but a plain, complete, unfragmented movie this reader fully understands; the caller then
 * asks ffprobe. Every byte is treated as hostile: each read is bounds-checked, box and entry counts
 * are capped, and a size that does not fit its parent means "not understood".
 *
 * How each fact matches ffprobe's (libavformat's mov demuxer):
 * - duration: `mvhd` duration ÷ timescale, which is the format duration ffprobe prints;
 * - width, height: the video sample entry's size (the codec's size for files whose `tkhd` agrees, which
 *   is required), swapped for a ±90° `tkhd` matrix as probe.ts swaps for the display matrix;
 * - fps: `avg_frame_rate`, the sample count ÷ the `stts` total duration, in the `mdhd` timescale;
 * - hasAudio: any `soun` track.
 */
import { Effect, Option } from "effect"
import { type HeaderFacts, readHeader, viewOf } from "./header-read.ts"

/** Video sample entries whose stream ffprobe reports with the sample entry's size. */
const VIDEO_CODECS: ReadonlySet<string> = new Set(["avc1", "avc3", "hvc1", "hev1", "mp4v", "av01", "vp09"])
/** Top-level boxes a movie file may hold; anything else (a fragment, a stranger) is left to ffprobe. */
const TOP_LEVEL: ReadonlySet<string> = new Set(["ftyp", "moov", "mdat", "free", "skip", "wide", "uuid", "meta", "pnot"])
const MAX_MOOV_BYTES = 64 * 1024 * 1024
const MAX_TOP_LEVEL_BOXES = 64
/** boxes parsed inside one moov, all levels together */
const MAX_MOOV_BOXES = 4096
const MAX_TRAKS = 32

interface Box {
  readonly type: string
  /** payload start and end (absolute in the buffer or file) */
  readonly start: number
  readonly end: number
}

const fourcc = (bytes: Uint8Array, at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!)
const printable = (type: string) => /^[\x20-\x7e]{4}$/.test(type)

/**
 * The box whose header starts at `at` in `bytes` (which holds `bytes.length` bytes from offset `base`
 * of a region ending at `limit`); undefined when its header or its size does not fit. Size 0 ("to the
 * end of the file") is understood for top-level boxes only.
 */
const boxAt = (view: DataView, bytes: Uint8Array, at: number, base: number, limit: number, topLevel = false): Box | undefined => {
  if (at + 8 > bytes.length) return undefined
  const size32 = view.getUint32(at)
  const type = fourcc(bytes, at + 4)
  if (!printable(type)) return undefined
  let header = 8
  let size: number
  if (size32 === 1) {
    if (at + 16 > bytes.length) return undefined
    const large = view.getBigUint64(at + 8)
    if (large > BigInt(Number.MAX_SAFE_INTEGER)) return undefined
    size = Number(large)
    header = 16
  } else if (size32 === 0 && topLevel) {
    size = limit - (base + at)
  } else {
    size = size32
  }
  if (size < header || base + at + size > limit) return undefined
  return { type, start: base + at + header, end: base + at + size }
}

/** A moov held in memory, with a budget of boxes so a hostile one cannot make the walk long. */
class Moov {
  private boxes = 0
  readonly view: DataView
  constructor(readonly bytes: Uint8Array) {
    this.view = viewOf(bytes)
  }

  /** The children of a box's payload [start, end); undefined when one does not fit or the budget is spent. */
  children(start: number, end: number): ReadonlyArray<Box> | undefined {
    const found: Array<Box> = []
    let at = start
    while (at < end) {
      if (++this.boxes > MAX_MOOV_BOXES) return undefined
      const box = boxAt(this.view, this.bytes.subarray(0, end), at, 0, end)
      if (box === undefined) return undefined
      found.push(box)
      at = box.end
    }
    return found
  }

  /** The only child of that type; undefined when there is none or more than one. */
  only(boxes: ReadonlyArray<Box>, type: string): Box | undefined {
    const matching = boxes.filter((b) => b.type === type)
    return matching.length === 1 ? matching[0] : undefined
  }

  u8(at: number) {
    return this.view.getUint8(at)
  }
  u16(at: number) {
    return this.view.getUint16(at)
  }
  u32(at: number) {
    return this.view.getUint32(at)
  }
  i32(at: number) {
    return this.view.getInt32(at)
  }
  /** an unsigned 64-bit field, undefined beyond 2^53 */
  u64(at: number) {
    const value = this.view.getBigUint64(at)
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value)
  }
  i64(at: number) {
    const value = this.view.getBigInt64(at)
    return value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER) ? undefined : Number(value)
  }
}

/** Timescale and duration of an mvhd or mdhd (same layout up to there); undefined unless both are positive and known. */
const timing = (moov: Moov, box: Box): { timescale: number; duration: number } | undefined => {
  if (box.end - box.start < 4) return undefined
  const version = moov.u8(box.start)
  const need = version === 1 ? 4 + 16 + 4 + 8 : version === 0 ? 4 + 8 + 4 + 4 : -1
  if (need < 0 || box.end - box.start < need) return undefined
  const timescale = moov.u32(box.start + (version === 1 ? 20 : 12))
  const duration = version === 1 ? moov.u64(box.start + 24) : moov.u32(box.start + 16)
  // all ones: "unknown"
  if (duration === undefined || duration === 0 || (version === 0 && duration === 0xffffffff)) return undefined
  return timescale > 0 ? { timescale, duration } : undefined
}

interface Track {
  readonly handler: string
  readonly enabled: boolean
  /** from the sample entry; set for video tracks only */
  readonly codec?: string
  readonly width?: number
  readonly height?: number
  readonly sideways?: boolean
  readonly fps?: number
}

const FIXED_ONE = 0x10000
const FIXED_2_30_ONE = 0x40000000

/**
 * tkhd: enabled flag, size (16.16) and whether the matrix turns the picture by ±90°; undefined when
 * the matrix is anything but a rotation by a multiple of 90° (a flip, a scale) or the box is short.
 */
const trackHeader = (moov: Moov, box: Box) => {
  if (box.end - box.start < 4) return undefined
  const version = moov.u8(box.start)
  const matrixAt = box.start + (version === 1 ? 52 : version === 0 ? 40 : NaN)
  if (Number.isNaN(matrixAt) || matrixAt + 36 + 8 > box.end) return undefined
  const m = Array.from({ length: 9 }, (_, i) => moov.i32(matrixAt + 4 * i))
  const [a, b, u, c, d, v, , , w] = m as [number, number, number, number, number, number, number, number, number]
  if (u !== 0 || v !== 0 || w !== FIXED_2_30_ONE) return undefined
  const unit = (x: number) => x === FIXED_ONE || x === -FIXED_ONE
  const upright = unit(a) && unit(d) && b === 0 && c === 0 && a === d
  const sideways = a === 0 && d === 0 && unit(b) && unit(c) && b === -c
  if (!upright && !sideways) return undefined
  const flags = moov.u32(box.start) & 0xffffff
  return {
    enabled: (flags & 1) === 1,
    width: moov.u32(matrixAt + 36) / FIXED_ONE,
    height: moov.u32(matrixAt + 40) / FIXED_ONE,
    sideways
  }
}

/** The handler type in an hdlr (after version/flags and pre_defined). */
const handlerOf = (moov: Moov, box: Box) => (box.end - box.start >= 12 ? fourcc(moov.bytes, box.start + 8) : undefined)

/**
 * An edit list ffprobe's figures do not depend on: at most an empty edit then one edit at normal speed.
 * The index's duration is mvhd's and its fps comes from stts, so such edits change neither; anything
 * richer (several cuts, a changed rate) is left to ffprobe.
 */
const plainEdits = (moov: Moov, edts: Box | undefined): boolean => {
  if (edts === undefined) return true
  const children = moov.children(edts.start, edts.end)
  if (children === undefined) return false
  const elst = moov.only(children, "elst")
  if (elst === undefined) return children.length === 0
  if (elst.end - elst.start < 8) return false
  const version = moov.u8(elst.start)
  if (version > 1) return false
  const count = moov.u32(elst.start + 4)
  const entrySize = version === 1 ? 20 : 12
  if (count > 2 || elst.start + 8 + count * entrySize > elst.end) return false
  for (let i = 0; i < count; i++) {
    const at = elst.start + 8 + i * entrySize
    const mediaTime = version === 1 ? moov.i64(at + 8) : moov.i32(at + 4)
    const rate = moov.i32(at + (version === 1 ? 16 : 8))
    if (mediaTime === undefined || rate !== FIXED_ONE) return false
    if (mediaTime === -1 ? i !== 0 || count === 1 : mediaTime < 0) return false
  }
  return true
}

/**
 * avg_frame_rate as libavformat computes it from stts: samples × timescale ÷ total duration; undefined
 * for an empty table, a zero duration, or the long-last-sample case libavformat rewrites.
 */
const frameRate = (moov: Moov, stts: Box, timescale: number): number | undefined => {
  if (stts.end - stts.start < 8) return undefined
  const count = moov.u32(stts.start + 4)
  if (count === 0 || stts.start + 8 + count * 8 > stts.end) return undefined
  let samples = 0
  let duration = 0
  for (let i = 0; i < count; i++) {
    const sampleCount = moov.u32(stts.start + 8 + i * 8)
    const sampleDelta = moov.u32(stts.start + 12 + i * 8)
    // libavformat shortens an outsized last single sample (and treats "negative" deltas its own way)
    if (sampleDelta > 0x7fffffff) return undefined
    if (i + 1 === count && i > 0 && sampleCount === 1 && samples > 100 && sampleDelta / 10 > duration / samples) return undefined
    samples += sampleCount
    duration += sampleCount * sampleDelta
  }
  return samples > 0 && duration > 0 && samples <= 0x7fffffff ? (samples * timescale) / duration : undefined
}

/** One trak's facts, or undefined when it is one this reader does not understand. */
const readTrak = (moov: Moov, trak: Box): Track | undefined => {
  const boxes = moov.children(trak.start, trak.end)
  if (boxes === undefined) return undefined
  const tkhdBox = moov.only(boxes, "tkhd")
  const mdia = moov.only(boxes, "mdia")
  if (tkhdBox === undefined || mdia === undefined) return undefined
  const mdiaBoxes = moov.children(mdia.start, mdia.end)
  if (mdiaBoxes === undefined) return undefined
  const hdlr = moov.only(mdiaBoxes, "hdlr")
  const handler = hdlr === undefined ? undefined : handlerOf(moov, hdlr)
  if (handler === undefined) return undefined
  if (handler !== "vide" && handler !== "soun") return { handler, enabled: true }
  const tkhd = trackHeader(moov, tkhdBox)
  const mdhd = moov.only(mdiaBoxes, "mdhd")
  const mediaTiming = mdhd === undefined ? undefined : timing(moov, mdhd)
  const minf = moov.only(mdiaBoxes, "minf")
  const minfBoxes = minf === undefined ? undefined : moov.children(minf.start, minf.end)
  const stbl = minfBoxes === undefined ? undefined : moov.only(minfBoxes, "stbl")
  const stblBoxes = stbl === undefined ? undefined : moov.children(stbl.start, stbl.end)
  const stts = stblBoxes === undefined ? undefined : moov.only(stblBoxes, "stts")
  const stsd = stblBoxes === undefined ? undefined : moov.only(stblBoxes, "stsd")
  if (tkhd === undefined || mediaTiming === undefined || stts === undefined || stsd === undefined) return undefined
  const fps = frameRate(moov, stts, mediaTiming.timescale)
  const edits = boxes.filter((b) => b.type === "edts")
  if (fps === undefined || edits.length > 1 || !plainEdits(moov, edits[0])) return undefined
  if (handler === "soun") return { handler, enabled: tkhd.enabled }
  // stsd: version/flags, one entry; a visual sample entry has its width and height 24 bytes into it.
  if (stsd.end - stsd.start < 8 || moov.u32(stsd.start + 4) !== 1) return undefined
  const entry = boxAt(moov.view, moov.bytes.subarray(0, stsd.end), stsd.start + 8, 0, stsd.end)
  if (entry === undefined || entry.end - entry.start < 28) return undefined
  const width = moov.u16(entry.start + 24)
  const height = moov.u16(entry.start + 26)
  // tkhd's size is the sample entry's unless pixels are not square or the muxer disagreed: ffprobe's call then.
  if (width === 0 || height === 0 || tkhd.width !== width || tkhd.height !== height) return undefined
  return { handler, enabled: tkhd.enabled, codec: entry.type, width, height, sideways: tkhd.sideways, fps }
}

/** The facts from a whole moov payload, or none. Pure; exported for tests of hostile bytes. */
export const factsFromMoov = (bytes: Uint8Array): Option.Option<HeaderFacts> => {
  const moov = new Moov(bytes)
  const boxes = moov.children(0, bytes.length)
  if (boxes === undefined || boxes.some((b) => b.type === "mvex")) return Option.none()
  const mvhd = moov.only(boxes, "mvhd")
  const movieTiming = mvhd === undefined ? undefined : timing(moov, mvhd)
  const traks = boxes.filter((b) => b.type === "trak")
  if (movieTiming === undefined || traks.length === 0 || traks.length > MAX_TRAKS) return Option.none()
  const tracks: Array<Track> = []
  for (const trak of traks) {
    const track = readTrak(moov, trak)
    if (track === undefined) return Option.none()
    tracks.push(track)
  }
  const videos = tracks.filter((t) => t.handler === "vide")
  const video = videos[0]
  if (videos.length !== 1 || video === undefined || !video.enabled || !VIDEO_CODECS.has(video.codec ?? "")) return Option.none()
  const { fps, height, sideways, width } = video
  if (width === undefined || height === undefined || fps === undefined) return Option.none()
  return Option.some({
    durationSec: movieTiming.duration / movieTiming.timescale,
    width: sideways === true ? height : width,
    height: sideways === true ? width : height,
    fps,
    hasAudio: tracks.some((t) => t.handler === "soun"),
    isImage: false
  })
}

/**
 * Reads `file`'s movie header: the top-level boxes are walked by their sizes (to the end of the file:
 * one that overruns it means a truncated file), then the one `moov` is read whole. None whenever the
 * file cannot be read or is not understood; ffprobe decides those.
 */
export const readMp4Header = Effect.fn("footage.mp4-header")((file: string) =>
  readHeader(file, (readAt, fileSize) =>
    Effect.gen(function*() {
      let moovAt: Box | undefined
      let at = 0
      for (let count = 0; at < fileSize; count++) {
        if (count >= MAX_TOP_LEVEL_BOXES) return Option.none()
        const header = yield* readAt(at, 16)
        const box = boxAt(viewOf(header), header, 0, at, fileSize, true)
        if (box === undefined || !TOP_LEVEL.has(box.type)) return Option.none()
        if (box.type === "moov") {
          if (moovAt !== undefined) return Option.none()
          moovAt = box
        }
        at = box.end
      }
      if (moovAt === undefined || moovAt.end - moovAt.start > MAX_MOOV_BYTES) return Option.none()
      const bytes = yield* readAt(moovAt.start, moovAt.end - moovAt.start)
      if (bytes.length !== moovAt.end - moovAt.start) return Option.none()
      return factsFromMoov(bytes)
    }))
)
