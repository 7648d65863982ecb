/**
 * What the footage index stores about a Matroska or WebM clip, read from its EBML headers in-process,
 * as mp4-header.ts does for MP4: the EBML header, then the Segment's top-level elements up to its
 * Info and Tracks (read whole; clusters are never read). The answer is what ffprobe would report, or
 * `Option.none()` for anything this reader does not fully understand (no Info or Tracks before the
 * first Cluster, a duration left unknown, encrypted or compressed tracks, a projection, a crop, an
 * unknown video codec); the caller then asks ffprobe. Every size is bounds-checked and counts capped.
 *
 * How each fact matches ffprobe's (libavformat's matroska demuxer):
 * - duration: Info's Duration × TimecodeScale, the format duration ffprobe prints;
 * - width, height: the first video track's PixelWidth × PixelHeight;
 * - fps: `avg_frame_rate`, which the demuxer sets from the track's DefaultDuration as the nearest
 *   fraction with terms up to 30,000 (a track without one is left to ffprobe);
 * - hasAudio: any audio track.
 */
import { Effect, Option } from "effect"
import { type HeaderFacts, readHeader, viewOf } from "./header-read.ts"

const ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  Duration: 0x4489,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackType: 0x83,
  CodecID: 0x86,
  DefaultDuration: 0x23e383,
  ContentEncodings: 0x6d80,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  PixelCropBottom: 0x54aa,
  PixelCropTop: 0x54bb,
  PixelCropLeft: 0x54cc,
  PixelCropRight: 0x54dd,
  Projection: 0x7670,
  Cluster: 0x1f43b675
} as const

/** Segment children a clip's header region holds before its clusters; anything else is left to ffprobe. */
const SEGMENT_CHILDREN: ReadonlySet<number> = new Set([
  ID.Info,
  ID.Tracks,
  0x114d9b74, // SeekHead
  0xec, // Void
  0xbf, // CRC-32
  0x1254c367, // Tags
  0x1043a770, // Chapters
  0x1941a469, // Attachments
  0x1c53bb6b // Cues
])
const DOC_TYPES: ReadonlySet<string> = new Set(["matroska", "webm"])
/** Video codecs whose stream ffprobe reports at the track's pixel size. */
const VIDEO_CODECS: ReadonlySet<string> = new Set(["V_MPEG4/ISO/AVC", "V_MPEGH/ISO/HEVC", "V_VP8", "V_VP9", "V_AV1"])
const TRACK_VIDEO = 1
const TRACK_AUDIO = 2
const MAX_MASTER_BYTES = 16 * 1024 * 1024
const MAX_SEGMENT_CHILDREN = 64
const MAX_ELEMENTS = 4096
const MAX_TRACKS = 32
/** libavformat's bound on the terms of the frame rate it derives from DefaultDuration */
const RATE_TERM_LIMIT = 30_000

interface Element {
  readonly id: number
  /** payload start and end, absolute; `end` is undefined for an unknown size */
  readonly start: number
  readonly end: number | undefined
}

/** An EBML variable-length integer at `at`: its value (marker kept for IDs) and length; undefined when malformed. */
const vint = (bytes: Uint8Array, at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } | undefined => {
  const first = bytes[at]
  if (first === undefined || first === 0) return undefined
  const length = Math.clz32(first) - 23
  if (length > 8 || at + length > bytes.length) return undefined
  let value = keepMarker ? first : first & (0xff >> length)
  let allOnes = value === 0xff >> length
  for (let i = 1; i < length; i++) {
    const byte = bytes[at + i]!
    value = value * 256 + byte
    allOnes &&= byte === 0xff
  }
  if (!keepMarker && !allOnes && value > Number.MAX_SAFE_INTEGER) return undefined
  return { value, length, unknown: !keepMarker && allOnes }
}

/** The element whose header starts at `at` in `bytes` (which start at file offset `base`); undefined when it does not fit `limit`. */
const elementAt = (bytes: Uint8Array, at: number, base: number, limit: number): Element | undefined => {
  const id = vint(bytes, at, true)
  if (id === undefined || id.length > 4) return undefined
  const size = vint(bytes, at + id.length, false)
  if (size === undefined) return undefined
  const start = base + at + id.length + size.length
  if (size.unknown) return { id: id.value, start, end: undefined }
  const end = start + size.value
  return end > limit ? undefined : { id: id.value, start, end }
}

/** A master element held in memory, walked with a budget so a hostile one cannot make the walk long. */
class Master {
  private elements = 0
  private readonly view: DataView
  constructor(private readonly bytes: Uint8Array, private readonly base: number) {
    this.view = viewOf(bytes)
  }

  /** The children of [start, end) (absolute offsets); undefined when one does not fit or has no size. */
  children(start: number, end: number): ReadonlyArray<Element> | undefined {
    const found: Array<Element> = []
    let at = start - this.base
    while (at < end - this.base) {
      if (++this.elements > MAX_ELEMENTS) return undefined
      const element = elementAt(this.bytes, at, this.base, end)
      if (element?.end === undefined) return undefined
      found.push(element)
      at = element.end - this.base
    }
    return found
  }

  uint(element: Element): number | undefined {
    const length = element.end! - element.start
    if (length > 7) return undefined
    let value = 0
    for (let i = 0; i < length; i++) value = value * 256 + this.bytes[element.start - this.base + i]!
    return value
  }

  float(element: Element): number | undefined {
    const length = element.end! - element.start
    const at = element.start - this.base
    return length === 4 ? this.view.getFloat32(at) : length === 8 ? this.view.getFloat64(at) : length === 0 ? 0 : undefined
  }

  text(element: Element): string {
    const raw = this.bytes.subarray(element.start - this.base, element.end! - this.base)
    const nul = raw.indexOf(0)
    return String.fromCharCode(...(nul < 0 ? raw : raw.subarray(0, nul)))
  }
}

const only = (elements: ReadonlyArray<Element>, id: number): Element | undefined | "many" => {
  const matching = elements.filter((e) => e.id === id)
  return matching.length > 1 ? "many" : matching[0]
}

/** The fraction nearest `value` with numerator and denominator at most `limit`, from its continued fraction. */
export const nearestFraction = (value: number, limit: number): number => {
  let [h0, h1, k0, k1] = [0, 1, 1, 0]
  let x = value
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(x)
    const [h2, k2] = [a * h1 + h0, a * k1 + k0]
    if (h2 > limit || k2 > limit) {
      // the best semiconvergent that still fits, when it is nearer than the last convergent
      const t = Math.min(Math.floor((limit - h0) / h1), k1 === 0 ? Infinity : Math.floor((limit - k0) / k1))
      const [hs, ks] = [t * h1 + h0, t * k1 + k0]
      return ks > 0 && Math.abs(hs / ks - value) < Math.abs(h1 / k1 - value) ? hs / ks : h1 / k1
    }
    ;[h0, h1, k0, k1] = [h1, h2, k1, k2]
    const rest = x - a
    if (rest < 1e-12) break
    x = 1 / rest
  }
  return h1 / k1
}

interface Track {
  readonly type: number
  readonly codec: string
  readonly width?: number
  readonly height?: number
  readonly defaultDuration?: number
}

const CROPS = [ID.PixelCropBottom, ID.PixelCropTop, ID.PixelCropLeft, ID.PixelCropRight]

/** One TrackEntry; undefined when it is one ffprobe might report differently (encoded content, a projection, a crop). */
const trackOf = (master: Master, entry: Element): Track | undefined => {
  const fields = master.children(entry.start, entry.end!)
  if (fields === undefined || fields.some((f) => f.id === ID.ContentEncodings)) return undefined
  const field = (id: number) => only(fields, id)
  const type = field(ID.TrackType)
  const codec = field(ID.CodecID)
  if (type === undefined || type === "many" || codec === undefined || codec === "many") return undefined
  const trackType = master.uint(type)
  if (trackType === undefined) return undefined
  const duration = field(ID.DefaultDuration)
  const defaultDuration = duration === undefined || duration === "many" ? undefined : master.uint(duration)
  const base = { type: trackType, codec: master.text(codec), ...(defaultDuration === undefined ? {} : { defaultDuration }) }
  if (trackType !== TRACK_VIDEO) return base
  const video = field(ID.Video)
  if (video === undefined || video === "many") return undefined
  const picture = master.children(video.start, video.end!)
  if (picture === undefined || picture.some((p) => p.id === ID.Projection || (CROPS as ReadonlyArray<number>).includes(p.id))) {
    return undefined
  }
  const width = only(picture, ID.PixelWidth)
  const height = only(picture, ID.PixelHeight)
  if (width === undefined || width === "many" || height === undefined || height === "many") return undefined
  const [w, h] = [master.uint(width), master.uint(height)]
  return w === undefined || h === undefined ? undefined : { ...base, width: w, height: h }
}

/** Seconds from an Info element's payload; undefined without a positive Duration. */
const durationOf = (master: Master, info: Element): number | undefined => {
  const fields = master.children(info.start, info.end!)
  if (fields === undefined) return undefined
  const scaleElement = only(fields, ID.TimecodeScale)
  const durationElement = only(fields, ID.Duration)
  if (scaleElement === "many" || durationElement === undefined || durationElement === "many") return undefined
  const scale = scaleElement === undefined ? 1_000_000 : master.uint(scaleElement)
  const duration = master.float(durationElement)
  if (scale === undefined || scale === 0 || duration === undefined || !(duration > 0) || !Number.isFinite(duration)) return undefined
  return (duration * scale) / 1e9
}

/** The facts from an Info and a Tracks payload (pure; exported for tests of hostile bytes). */
export const factsFromHeaders = (
  info: { readonly bytes: Uint8Array; readonly at: number; readonly element: Element },
  tracks: { readonly bytes: Uint8Array; readonly at: number; readonly element: Element }
): Option.Option<HeaderFacts> => {
  const durationSec = durationOf(new Master(info.bytes, info.at), info.element)
  const master = new Master(tracks.bytes, tracks.at)
  const entries = master.children(tracks.element.start, tracks.element.end!)
  if (durationSec === undefined || entries === undefined) return Option.none()
  const trackEntries = entries.filter((e) => e.id === ID.TrackEntry)
  if (trackEntries.length > MAX_TRACKS) return Option.none()
  const parsed = trackEntries.map((e) => trackOf(master, e))
  if (parsed.some((t) => t === undefined)) return Option.none()
  const all = parsed as ReadonlyArray<Track>
  const video = all.find((t) => t.type === TRACK_VIDEO)
  if (video === undefined || !VIDEO_CODECS.has(video.codec)) return Option.none()
  const { defaultDuration, height, width } = video
  if (width === undefined || height === undefined || width === 0 || height === 0 || !defaultDuration) return Option.none()
  return Option.some({
    durationSec,
    width,
    height,
    fps: nearestFraction(1e9 / defaultDuration, RATE_TERM_LIMIT),
    hasAudio: all.some((t) => t.type === TRACK_AUDIO),
    isImage: false
  })
}

/** The EBML header at the start of `bytes`: where the Segment starts, when the document is Matroska or WebM this reader can read. */
const segmentStart = (bytes: Uint8Array, fileSize: number): number | undefined => {
  const header = elementAt(bytes, 0, 0, fileSize)
  if (header?.id !== ID.EBML || header.end === undefined || header.end > bytes.length) return undefined
  const fields = new Master(bytes, 0).children(header.start, header.end)
  const docType = fields === undefined ? undefined : only(fields, ID.DocType)
  if (fields === undefined || docType === undefined || docType === "many") return undefined
  const master = new Master(bytes, 0)
  const readVersion = only(fields, ID.DocTypeReadVersion)
  const version = readVersion === undefined ? 1 : readVersion === "many" ? undefined : master.uint(readVersion)
  if (!DOC_TYPES.has(master.text(docType)) || version === undefined || version > 4) return undefined
  return header.end
}

/**
 * Reads `file`'s Matroska headers: the EBML header, then the Segment's children by their sizes up to
 * the first Cluster, with Info and Tracks read whole. None whenever the file cannot be read or is not understood.
 */
export const readMkvHeader = Effect.fn("footage.mkv-header")((file: string) =>
  readHeader(file, (readAt, fileSize) =>
    Effect.gen(function*() {
      const head = yield* readAt(0, 4096)
      const at = segmentStart(head, fileSize)
      if (at === undefined) return Option.none()
      const segmentHead = yield* readAt(at, 16)
      const segment = elementAt(segmentHead, 0, at, fileSize)
      if (segment?.id !== ID.Segment) return Option.none()
      const segmentEnd = Math.min(segment.end ?? fileSize, fileSize)
      const found = new Map<number, { bytes: Uint8Array; at: number; element: Element }>()
      let next = segment.start
      for (let count = 0; next < segmentEnd && found.size < 2; count++) {
        if (count >= MAX_SEGMENT_CHILDREN) return Option.none()
        const childHead = yield* readAt(next, 16)
        const child = elementAt(childHead, 0, next, segmentEnd)
        if (child === undefined || child.id === ID.Cluster || !SEGMENT_CHILDREN.has(child.id) || child.end === undefined) {
          return Option.none()
        }
        if (child.id === ID.Info || child.id === ID.Tracks) {
          if (found.has(child.id) || child.end - child.start > MAX_MASTER_BYTES) return Option.none()
          const bytes = yield* readAt(next, child.end - next)
          if (bytes.length !== child.end - next) return Option.none()
          found.set(child.id, { bytes, at: next, element: child })
        }
        next = child.end
      }
      const info = found.get(ID.Info)
      const tracks = found.get(ID.Tracks)
      return info === undefined || tracks === undefined ? Option.none() : factsFromHeaders(info, tracks)
    }))
)
