/**
 * What the footage index stores about a PNG or JPEG still, read from its first bytes in-process, as
 * mp4-header.ts does for MP4. The format is told by the bytes, not the name (ffprobe does the same),
 * and the answer is ffprobe's: a still (duration 0, fps 0, no audio) at the size in PNG's IHDR or the
 * JPEG frame header. Anything else is `Option.none()`, left to ffprobe: an animated PNG (ffprobe calls
 * it apng, not a still), a chunk or segment that overruns the bytes read, a zero size.
 */
import { Effect, Option } from "effect"
import { type HeaderFacts, readHeader, viewOf } from "./header-read.ts"

/** Enough for the headers of any ordinary still; metadata past this is left to ffprobe. */
const HEAD_BYTES = 256 * 1024
const MAX_SEGMENTS = 256
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

const still = (width: number, height: number): Option.Option<HeaderFacts> =>
  width > 0 && height > 0
    ? Option.some({ durationSec: 0, width, height, fps: 0, hasAudio: false, isImage: true })
    : Option.none()

/** PNG: IHDR first, then chunks up to the first IDAT, none of them an animation control. */
const pngFacts = (bytes: Uint8Array): Option.Option<HeaderFacts> => {
  const view = viewOf(bytes)
  const chunkType = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!)
  if (bytes.length < 33 || view.getUint32(8) !== 13 || chunkType(12) !== "IHDR") return Option.none()
  let at = 33
  for (let count = 0; count < MAX_SEGMENTS && at + 8 <= bytes.length; count++) {
    const type = chunkType(at + 4)
    if (type === "IDAT") return still(view.getUint32(16), view.getUint32(20))
    if (type === "acTL") return Option.none()
    at += 12 + view.getUint32(at)
  }
  return Option.none()
}

/** JPEG start-of-frame markers (baseline, extended, progressive, lossless; Huffman or arithmetic). */
const SOF_MARKERS: ReadonlySet<number> = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf])

/** JPEG: the segments after SOI up to the first frame header, whose height and width it gives. */
const jpegFacts = (bytes: Uint8Array): Option.Option<HeaderFacts> => {
  const view = viewOf(bytes)
  let at = 2
  for (let count = 0; count < MAX_SEGMENTS && at + 4 <= bytes.length; count++) {
    if (bytes[at] !== 0xff) return Option.none()
    const marker = bytes[at + 1]!
    // fill bytes before a marker
    if (marker === 0xff) {
      at += 1
      continue
    }
    const length = view.getUint16(at + 2)
    if (length < 2) return Option.none()
    if (SOF_MARKERS.has(marker)) {
      return at + 9 <= bytes.length ? still(view.getUint16(at + 7), view.getUint16(at + 5)) : Option.none()
    }
    // scan data, a restart or an end before any frame header: not a still this reader understands
    if (marker === 0xda || marker === 0xd9 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) return Option.none()
    at += 2 + length
  }
  return Option.none()
}

/** The still's facts from the file's first bytes (pure; exported for tests of hostile bytes). */
export const factsFromImageHead = (bytes: Uint8Array): Option.Option<HeaderFacts> => {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return pngFacts(bytes)
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpegFacts(bytes)
  return Option.none()
}

/** Reads `file`'s PNG or JPEG headers; none whenever the file cannot be read or is not understood. */
export const readImageHeader = Effect.fn("footage.image-header")((file: string) =>
  readHeader(file, (readAt) => Effect.map(readAt(0, HEAD_BYTES), factsFromImageHead))
)
