/**
 * The hardware tier at each of its thresholds (cores, memory as the OS reports it, a proven hardware
 * encoder), its reasons, and its defaults: segments as `--segments auto` plans them, the best proven
 * encoder, the preview width of the tier.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  chooseSegmentLayout,
  ENCODER_CATALOGUE,
  type EncoderSpec,
  hardwareTier,
  PREVIEW_WIDTHS,
  ramThresholdBytes
} from "../../../media/index.ts"

const GiB = 1024 ** 3
const spec = (name: string): EncoderSpec => ENCODER_CATALOGUE.find((e) => e.name === name)!
const SOFTWARE = ["libx264", "libx265", "libsvtav1"].map(spec)
const NVENC = [spec("h264_nvenc"), spec("hevc_nvenc"), ...SOFTWARE]
const gb = (n: number) => ramThresholdBytes(n)
const tierOf = (cores: number, memoryBytes: number, proven: ReadonlyArray<EncoderSpec>) => hardwareTier({ cores, memoryBytes }, proven).tier

describe("hardware tier", () => {
  it("counts a machine as having N GB from 0.9 × N GiB, what an N GB machine reports", () => {
    expect(gb(8)).toBe(0.9 * 8 * GiB)
    // An 8 GB laptop's total as Linux reports it: 7.6 GiB.
    expect(tierOf(4, 7.6 * GiB, SOFTWARE)).toBe("medium")
  })

  it("medium from 4 cores and 8 GB; one core or one byte less is low", () => {
    expect(tierOf(4, gb(8), SOFTWARE)).toBe("medium")
    expect(tierOf(3, gb(8), SOFTWARE)).toBe("low")
    expect(tierOf(4, gb(8) - 1, SOFTWARE)).toBe("low")
    expect(tierOf(2, 64 * GiB, SOFTWARE)).toBe("low")
    expect(tierOf(1, 1 * GiB, [])).toBe("low")
  })

  it("high from 8 cores and 16 GB in software, or from 4 cores and 8 GB with a proven hardware encoder", () => {
    expect(tierOf(8, gb(16), SOFTWARE)).toBe("high")
    expect(tierOf(7, gb(16), SOFTWARE)).toBe("medium")
    expect(tierOf(8, gb(16) - 1, SOFTWARE)).toBe("medium")
    expect(tierOf(4, gb(8), NVENC)).toBe("high")
    expect(tierOf(3, gb(8), NVENC)).toBe("low")
    expect(tierOf(4, gb(8) - 1, NVENC)).toBe("low")
    // Software alone never passes high, however big the machine.
    expect(tierOf(128, 1024 * GiB, SOFTWARE)).toBe("high")
  })

  it("ultra from 16 cores and 32 GB with a proven hardware encoder", () => {
    expect(tierOf(16, gb(32), NVENC)).toBe("ultra")
    expect(tierOf(15, gb(32), NVENC)).toBe("high")
    expect(tierOf(16, gb(32) - 1, NVENC)).toBe("high")
    expect(tierOf(16, gb(32), SOFTWARE)).toBe("high")
    // Any hardware family counts: VAAPI alone, no NVIDIA.
    expect(tierOf(16, gb(32), [spec("h264_vaapi"), spec("libx264")])).toBe("ultra")
  })

  it("says what the machine has, what its tier asked, what the next one up needs, and a GPU whose encoders failed", () => {
    const low = hardwareTier({ cores: 2, memoryBytes: 8 * GiB, gpus: [{ vendor: "nvidia", model: "Tesla T4" }] }, SOFTWARE)
    expect(low.reasons).toEqual([
      "2 cores, 8 GiB RAM, no hardware encoder proven",
      "not medium: it needs 4+ cores, 8+ GB",
      "GPU Tesla T4 found, but none of its encoders passed a trial encode"
    ])
    const high = hardwareTier({ cores: 4, memoryBytes: 8 * GiB }, NVENC)
    expect(high.reasons).toEqual([
      "4 cores, 8 GiB RAM, hardware encoders h264_nvenc, hevc_nvenc",
      "high: 4+ cores, 8+ GB and a hardware encoder",
      "not ultra: it needs 16+ cores, 32+ GB and a hardware encoder"
    ])
    expect(hardwareTier({ cores: 32, memoryBytes: 128 * GiB }, NVENC).reasons).toHaveLength(2)
  })

  it("picks segments as the layout does, the best proven H.264 encoder, and the tier's preview width", () => {
    for (const [cores, memoryBytes] of [[1, 2 * GiB], [2, 4 * GiB], [2, 23 * GiB], [8, 16 * GiB], [24, 64 * GiB], [64, 256 * GiB]]) {
      const { defaults, tier } = hardwareTier({ cores: cores!, memoryBytes: memoryBytes! }, SOFTWARE)
      expect(defaults.segments).toBe(chooseSegmentLayout({ cores: cores!, memoryBytes: memoryBytes! }).segments)
      expect(defaults.previewSize).toBe(PREVIEW_WIDTHS[tier])
    }
    expect(hardwareTier({ cores: 2, memoryBytes: 4 * GiB }, SOFTWARE).defaults).toEqual({
      segments: 1,
      encoder: "libx264",
      previewSize: 270
    })
    expect(hardwareTier({ cores: 16, memoryBytes: 32 * GiB }, NVENC).defaults).toEqual({
      segments: 2,
      encoder: "h264_nvenc",
      previewSize: 720
    })
    // Only HEVC proven in hardware: the H.264 default stays software.
    expect(hardwareTier({ cores: 8, memoryBytes: 16 * GiB }, [spec("hevc_qsv"), ...SOFTWARE]).defaults.encoder).toBe("libx264")
    expect(hardwareTier({ cores: 8, memoryBytes: 16 * GiB }, []).defaults.encoder).toBeNull()
  })
})
