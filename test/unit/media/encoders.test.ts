import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ENCODER_CATALOGUE, encoderArgs, encoderSpec, parseEncoderList } from "../../../media/encoders.ts"
import { classifyGpuVendor } from "../../../media/hardware.ts"

const LISTING = `Encoders:
 V..... = Video
 A..... = Audio
 S..... = Subtitle
 .F.... = Frame-level multithreading
 ------
 V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)
 V....D h264_nvenc           NVIDIA NVENC H.264 encoder (codec h264)
 V..... libsvtav1            SVT-AV1(Scalable Video Technology for AV1) encoder (codec av1)
 A....D aac                  AAC (Advanced Audio Coding)
 S..... ass                  ASS (Advanced SubStation Alpha) subtitle
`

const spec = (name: string) => ENCODER_CATALOGUE.find((e) => e.name === name)!

describe("encoder listing and arguments", () => {
  it("parses ffmpeg -encoders into video, audio and subtitle encoders, skipping the legend", () => {
    const listed = parseEncoderList(LISTING)
    expect(listed.map((e) => `${e.kind}:${e.name}`)).toEqual([
      "video:libx264",
      "video:h264_nvenc",
      "video:libsvtav1",
      "audio:aac",
      "subtitle:ass"
    ])
    expect(listed[1]!.description).toBe("NVIDIA NVENC H.264 encoder (codec h264)")
  })

  it("orders every codec's chain hardware first and ends it in software", () => {
    for (const codec of ["h264", "hevc", "av1"] as const) {
      const chain = ENCODER_CATALOGUE.filter((e) => e.codec === codec).map((e) => e.family)
      expect(chain[chain.length - 1]).toBe("software")
      expect(chain[0]).toBe("nvenc")
      expect(chain.indexOf("qsv")).toBeLessThan(chain.indexOf("vaapi"))
    }
    expect(ENCODER_CATALOGUE.filter((e) => e.family === "software").map((e) => e.name)).toEqual(["libx264", "libx265", "libsvtav1"])
  })

  it("maps the x264 preset and CRF onto each encoder's own knobs", () => {
    expect(encoderArgs(spec("libx264"), { preset: "veryfast", crf: 20 }).outputArgs).toEqual([
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-crf",
      "20",
      "-pix_fmt",
      "yuv420p"
    ])
    const nvenc = encoderArgs(spec("h264_nvenc"), { preset: "veryfast", crf: 20 }).outputArgs
    expect(nvenc.slice(0, 4)).toEqual(["-c:v", "h264_nvenc", "-preset", "p3"])
    expect(nvenc).toContain("-cq")
    const vaapi = encoderArgs(spec("hevc_vaapi"))
    expect(vaapi.globalArgs).toEqual(["-vaapi_device", "/dev/dri/renderD128"])
    expect(vaapi.videoFilterSuffix).toBe("format=nv12,hwupload")
    expect(encoderArgs(spec("libx265")).mp4Args).toEqual(["-tag:v", "hvc1"])
    expect(encoderArgs(spec("libsvtav1"), { preset: "medium" }).outputArgs).toEqual([
      "-c:v",
      "libsvtav1",
      "-preset",
      "5",
      "-crf",
      "35",
      "-pix_fmt",
      "yuv420p"
    ])
    expect(encoderArgs(spec("libsvtav1"), { preset: "ultrafast" }).outputArgs[3]).toBe("12")
  })

  it.effect("rejects encoder names outside the catalogue with a typed error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(encoderSpec("h264_magic"))
      expect(error._tag).toBe("UnknownEncoderError")
      expect(error.name).toBe("h264_magic")
    }))

  it("classifies GPUs by vendor string or PCI id", () => {
    expect(classifyGpuVendor({ vendor: "NVIDIA Corporation", model: "GeForce RTX 4090" })).toBe("nvidia")
    expect(classifyGpuVendor({ vendor: "", model: "", vendorId: "0x8086" })).toBe("intel")
    expect(classifyGpuVendor({ vendor: "Advanced Micro Devices, Inc. [AMD/ATI]", model: "Navi 31" })).toBe("amd")
    expect(classifyGpuVendor({ vendor: "Apple", model: "Apple M2" })).toBe("apple")
    expect(classifyGpuVendor({ vendor: "Matrox", model: "G200" })).toBe("other")
  })
})
