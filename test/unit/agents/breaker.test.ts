import { describe, expect, it } from "@effect/vitest"
import { makeDeviceBreakers } from "../../../agents/renderer/breaker.ts"

describe("device circuit breakers", () => {
  it("open after `threshold` consecutive failures, route to software for the cool-down, then try the device again", () => {
    const breakers = makeDeviceBreakers({ threshold: 2, coolDown: "1 minute" })
    expect(breakers.route("encoder-0", 0)).toEqual({ encoder: undefined, change: undefined })
    expect(breakers.failure("encoder-0", "h264_nvenc", "libx264", 1_000)).toBeUndefined()
    expect(breakers.failure("encoder-0", "h264_nvenc", "libx264", 2_000)).toEqual({
      _tag: "Opened",
      device: "h264_nvenc",
      fallback: "libx264",
      failures: 2,
      until: 62_000
    })
    // Another slot is not affected.
    expect(breakers.route("encoder-1", 3_000).encoder).toBeUndefined()
    expect(breakers.route("encoder-0", 3_000)).toEqual({ encoder: "libx264", change: undefined })
    expect(breakers.route("encoder-0", 61_999).encoder).toBe("libx264")
    // Cool-down over: one trial on the device; a failure opens the breaker again at once.
    expect(breakers.route("encoder-0", 62_000)).toEqual({ encoder: undefined, change: { _tag: "Trial", device: "h264_nvenc" } })
    expect(breakers.failure("encoder-0", "h264_nvenc", "libx264", 63_000)?._tag).toBe("Opened")
    expect(breakers.route("encoder-0", 64_000).encoder).toBe("libx264")
    // A successful trial closes it.
    expect(breakers.route("encoder-0", 200_000).change?._tag).toBe("Trial")
    expect(breakers.success("encoder-0", "h264_nvenc")).toEqual({ _tag: "Closed", device: "h264_nvenc" })
    expect(breakers.route("encoder-0", 200_001)).toEqual({ encoder: undefined, change: undefined })
  })

  it("a success between failures resets the count; software successes do not touch the device's count", () => {
    const breakers = makeDeviceBreakers({ threshold: 2 })
    expect(breakers.failure("e", "h264_qsv", "libx264", 0)).toBeUndefined()
    expect(breakers.success("e", "libx264")).toBeUndefined()
    expect(breakers.failure("e", "h264_qsv", "libx264", 1)?._tag).toBe("Opened")
    const fresh = makeDeviceBreakers({ threshold: 2 })
    fresh.failure("e", "h264_qsv", "libx264", 0)
    expect(fresh.success("e", "h264_qsv")).toBeUndefined()
    expect(fresh.failure("e", "h264_qsv", "libx264", 1)).toBeUndefined()
  })
})
