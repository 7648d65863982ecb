/** Minimal PCM WAV codec: 16-bit signed little-endian, mono. Enough for TTS output and concatenation. */

export interface Pcm16 {
  readonly sampleRate: number
  readonly samples: Int16Array
}

/** Parses a 16-bit mono PCM WAV; tolerates the 0xFFFFFFFF sizes streaming writers leave in the header. */
export const decodeWav = (bytes: Uint8Array): Pcm16 => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const tag = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!)
  if (bytes.byteLength < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new Error("not a RIFF/WAVE file")
  let offset = 12
  let sampleRate = 0
  while (offset + 8 <= bytes.byteLength) {
    const id = tag(offset)
    const size = view.getUint32(offset + 4, true)
    const body = offset + 8
    if (id === "fmt ") {
      const format = view.getUint16(body, true)
      const channels = view.getUint16(body + 2, true)
      const bits = view.getUint16(body + 14, true)
      if (format !== 1 || channels !== 1 || bits !== 16) {
        throw new Error(`unsupported WAV format ${format}, ${channels} channel(s), ${bits} bits (want PCM mono 16-bit)`)
      }
      sampleRate = view.getUint32(body + 4, true)
    } else if (id === "data") {
      if (sampleRate === 0) throw new Error("WAV data chunk before fmt chunk")
      const end = Math.min(bytes.byteLength, body + size)
      const count = Math.floor((end - body) / 2)
      const samples = new Int16Array(count)
      for (let i = 0; i < count; i++) samples[i] = view.getInt16(body + i * 2, true)
      return { sampleRate, samples }
    }
    offset = body + size + (size % 2)
  }
  throw new Error("WAV has no data chunk")
}

export const encodeWav = (pcm: Pcm16): Uint8Array => {
  const dataBytes = pcm.samples.length * 2
  const out = new Uint8Array(44 + dataBytes)
  const view = new DataView(out.buffer)
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i)
  }
  ascii(0, "RIFF")
  view.setUint32(4, 36 + dataBytes, true)
  ascii(8, "WAVE")
  ascii(12, "fmt ")
  view.setUint32(16, 16, true)
  view.setUint16(20, 1, true)
  view.setUint16(22, 1, true)
  view.setUint32(24, pcm.sampleRate, true)
  view.setUint32(28, pcm.sampleRate * 2, true)
  view.setUint16(32, 2, true)
  view.setUint16(34, 16, true)
  ascii(36, "data")
  view.setUint32(40, dataBytes, true)
  for (let i = 0; i < pcm.samples.length; i++) view.setInt16(44 + i * 2, pcm.samples[i]!, true)
  return out
}

/** Wraps raw s16le mono bytes (e.g. an HTTP provider's `pcm_24000` output) as PCM. */
export const pcmFromS16le = (bytes: Uint8Array, sampleRate: number): Pcm16 => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const samples = new Int16Array(Math.floor(bytes.byteLength / 2))
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true)
  return { sampleRate, samples }
}

export const concatPcm = (sampleRate: number, parts: ReadonlyArray<Int16Array>): Pcm16 => {
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    samples.set(part, at)
    at += part.length
  }
  return { sampleRate, samples }
}
