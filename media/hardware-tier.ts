/**
 * A machine's hardware tier: one word (low, medium, high, ultra) for what it can be expected to
 * render, from its cores, its memory and whether a hardware encoder passed a trial encode, with the
 * reasons in words and the defaults a job gets where its user gave none. The tier is a summary: each
 * default comes from the one function that decides it (segments from `chooseSegmentLayout`, the
 * encoder from the proven encoders' order of preference), never from a second table (docs/media.md).
 */
import { Schema } from "effect"
import { type EncoderSpec, fallbackChain } from "./encoders.ts"
import type { GpuInfo } from "./hardware.ts"
import { chooseSegmentLayout, type Machine } from "./timeline/plan.ts"

export const HardwareTierName = Schema.Literal("low", "medium", "high", "ultra")
export type HardwareTierName = typeof HardwareTierName.Type

/** What a tier above low asks of a machine: at least these cores and this much memory, and a proven hardware encoder if said. */
export interface TierRequirement {
  readonly cores: number
  /** Nominal gigabytes, as the machine is sold (8, 16, 32): see RAM_REPORTED_SHARE. */
  readonly ramGB: number
  readonly hardwareEncoder: boolean
}

/**
 * Each tier above low, best first, with the requirements of which a machine must meet one (docs/media.md
 * gives the reasoning): ultra 16 cores, 32 GB and a hardware encoder; high 8 cores and 16 GB, or 4
 * cores, 8 GB and a hardware encoder; medium 4 cores and 8 GB.
 */
export const TIER_REQUIREMENTS: ReadonlyArray<{ readonly tier: HardwareTierName; readonly any: ReadonlyArray<TierRequirement> }> = [
  { tier: "ultra", any: [{ cores: 16, ramGB: 32, hardwareEncoder: true }] },
  { tier: "high", any: [{ cores: 8, ramGB: 16, hardwareEncoder: false }, { cores: 4, ramGB: 8, hardwareEncoder: true }] },
  { tier: "medium", any: [{ cores: 4, ramGB: 8, hardwareEncoder: false }] }
]

/**
 * The share of a machine's nominal memory the operating system reports as its total: firmware, an
 * integrated GPU's carve-out and the kernel keep some (an 8 GB machine reports 7.6 to 7.8 GiB), so
 * a machine counts as having N GB from 0.9 × N GiB.
 */
export const RAM_REPORTED_SHARE = 0.9

const GiB = 1024 ** 3

/** The least memory, in bytes, that counts as `ramGB` nominal gigabytes. */
export const ramThresholdBytes = (ramGB: number) => RAM_REPORTED_SHARE * ramGB * GiB

/**
 * Width in pixels of a job's previews (the scene thumbnails the console and the API serve; the
 * height keeps the video's shape), by tier. 270 is 2.8 times the console's 96-pixel scene card,
 * sharp on a high-density screen; a bigger machine makes them sharper still (a larger JPEG to
 * scale and send, from the same one decoded frame).
 */
export const PREVIEW_WIDTHS: Record<HardwareTierName, number> = { low: 270, medium: 360, high: 540, ultra: 720 }

/** A machine as the tier reads it: cores and memory (the timeline's Machine), and the GPUs found, for the reasons. */
export interface TierMachine extends Machine {
  readonly gpus?: ReadonlyArray<GpuInfo> | undefined
}

export interface TierDefaults {
  /** Segments encoded at once: `chooseSegmentLayout`'s, what `--segments auto` gives. */
  readonly segments: number
  /** The best proven H.264 encoder (hardware first), what `--encoder auto` gives; null when none passed its trial. */
  readonly encoder: string | null
  /** Preview (thumbnail) width in pixels (PREVIEW_WIDTHS). */
  readonly previewSize: number
}

export interface HardwareTier {
  readonly tier: HardwareTierName
  /** Why this tier: what the machine has, what the tier asked of it, and what the next tier up lacks. */
  readonly reasons: ReadonlyArray<string>
  readonly defaults: TierDefaults
}

const round1 = (n: number) => Math.round(n * 10) / 10

const meets = (cores: number, memoryBytes: number, hardware: boolean, r: TierRequirement) =>
  cores >= r.cores && memoryBytes >= ramThresholdBytes(r.ramGB) && (hardware || !r.hardwareEncoder)

const requirementText = (r: TierRequirement) => `${r.cores}+ cores, ${r.ramGB}+ GB${r.hardwareEncoder ? " and a hardware encoder" : ""}`

/**
 * The machine's tier, its reasons and its defaults (pure). `proven` is the encoders that passed their
 * trial encode (detectEncoders' `available`); a hardware one is any but software.
 */
export const hardwareTier = (machine: TierMachine, proven: ReadonlyArray<EncoderSpec>): HardwareTier => {
  const cores = Math.max(1, Math.floor(machine.cores))
  const memoryBytes = machine.memoryBytes
  const hardwareEncoders = proven.filter((e) => e.family !== "software").map((e) => e.name)
  const hardware = hardwareEncoders.length > 0
  const index = TIER_REQUIREMENTS.findIndex((t) => t.any.some((r) => meets(cores, memoryBytes, hardware, r)))
  const tier = index < 0 ? "low" : TIER_REQUIREMENTS[index]!.tier
  const encoders = hardware ? `hardware encoders ${hardwareEncoders.join(", ")}` : "no hardware encoder proven"
  const reasons = [`${cores} cores, ${round1(memoryBytes / GiB)} GiB RAM, ${encoders}`]
  if (index >= 0) {
    const met = TIER_REQUIREMENTS[index]!.any.find((r) => meets(cores, memoryBytes, hardware, r))!
    reasons.push(`${tier}: ${requirementText(met)}`)
  }
  const next = TIER_REQUIREMENTS[(index < 0 ? TIER_REQUIREMENTS.length : index) - 1]
  if (next !== undefined) reasons.push(`not ${next.tier}: it needs ${next.any.map(requirementText).join(", or ")}`)
  const gpus = machine.gpus ?? []
  if (gpus.length > 0 && !hardware) {
    reasons.push(`GPU ${gpus.map((g) => g.model).join(", ")} found, but none of its encoders passed a trial encode`)
  }
  return {
    tier,
    reasons,
    defaults: {
      segments: chooseSegmentLayout({ cores, memoryBytes }).segments,
      encoder: fallbackChain({ available: proven }, "h264")[0]?.name ?? null,
      previewSize: PREVIEW_WIDTHS[tier]
    }
  }
}
