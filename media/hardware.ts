/**
 * What this machine has for video work: CPU and GPUs as systeminformation reports them, with each GPU
 * classified by vendor (the encoder families differ: NVENC, Quick Sync, VAAPI/AMF, VideoToolbox).
 * Detection is a layer: it runs once where `Hardware.layer` is built, and everything under it shares the answer.
 */
import { Context, Effect, Layer } from "effect"
import si from "systeminformation"

export type GpuVendor = "nvidia" | "intel" | "amd" | "apple" | "other"

export interface GpuInfo {
  readonly vendor: GpuVendor
  readonly model: string
  /** MiB, when reported. */
  readonly vramMb?: number | undefined
}

export interface CpuInfo {
  readonly brand: string
  readonly manufacturer: string
  readonly cores: number
  readonly physicalCores: number
}

export interface HardwareInfo {
  readonly cpu: CpuInfo
  readonly gpus: ReadonlyArray<GpuInfo>
  readonly platform: NodeJS.Platform
}

/** Vendor from the strings systeminformation gives (vendor, sub-vendor, model, PCI vendor id). */
export const classifyGpuVendor = (
  fields: { vendor?: string | undefined; model?: string | undefined; vendorId?: string | undefined }
): GpuVendor => {
  const text = `${fields.vendor ?? ""} ${fields.model ?? ""}`.toLowerCase()
  const id = (fields.vendorId ?? "").toLowerCase().replace(/^0x/, "")
  if (id === "10de" || /nvidia|geforce|quadro|tesla/.test(text)) return "nvidia"
  if (id === "8086" || /intel/.test(text)) return "intel"
  if (id === "1002" || id === "1022" || /\bamd\b|advanced micro devices|radeon|\bati\b/.test(text)) return "amd"
  if (id === "106b" || /apple/.test(text)) return "apple"
  return "other"
}

const detect: Effect.Effect<HardwareInfo> = Effect.gen(function*() {
  // systeminformation resolves with defaults rather than rejecting; a rejection would be a bug there.
  const [cpu, graphics] = yield* Effect.promise(() => Promise.all([si.cpu(), si.graphics().catch(() => ({ controllers: [] }))]))
  const gpus = graphics.controllers.map((c): GpuInfo => ({
    vendor: classifyGpuVendor(c),
    model: c.model,
    vramMb: c.vram ?? undefined
  }))
  return {
    cpu: { brand: cpu.brand, manufacturer: cpu.manufacturer, cores: cpu.cores, physicalCores: cpu.physicalCores },
    gpus,
    platform: process.platform
  }
}).pipe(Effect.withSpan("media.hardware.detect"))

/** The machine's CPU and GPUs, detected once by `Hardware.layer`. */
export class Hardware extends Context.Tag("reelswarm/media/Hardware")<Hardware, HardwareInfo>() {
  static readonly layer: Layer.Layer<Hardware> = Layer.effect(Hardware, detect)
}

/** The machine's CPU and GPUs, as `Hardware.layer` detected them. */
export const detectHardware: Effect.Effect<HardwareInfo, never, Hardware> = Hardware
