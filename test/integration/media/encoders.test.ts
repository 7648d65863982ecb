import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { join } from "node:path"
import { chooseEncoder, detectEncoders, ENCODER_CATALOGUE, encoderArgs, Encoders, fallbackChain } from "../../../media/encoders.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import { ProcessRunner } from "../../../media/process-runner.ts"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"

const dir = suiteTempDir("encoders")

layer(Encoders.layer)("encoder detection", (it) => {
  it.effect("offers only encoders that passed a trial encode; listed but unusable ones are rejected with a reason", () =>
    Effect.gen(function*() {
      const detection = yield* detectEncoders
      const catalogueListed = ENCODER_CATALOGUE.filter((e) => detection.listed.includes(e.name)).map((e) => e.name)
      const offered = detection.available.map((e) => e.name)
      const rejected = detection.rejected.map((r) => r.name)
      // Every listed candidate was tried: it is either offered or rejected, never both.
      expect([...offered, ...rejected].sort()).toEqual([...catalogueListed].sort())
      expect(offered.filter((n) => rejected.includes(n))).toEqual([])
      expect(offered).toEqual(expect.arrayContaining(["libx264", "libx265", "libsvtav1"]))
      const hasNvidia = detection.hardware.gpus.some((g) => g.vendor === "nvidia")
      if (detection.listed.includes("h264_nvenc") && !hasNvidia) {
        // Debian's ffmpeg lists NVENC on machines without an NVIDIA GPU (this one): it must not be offered.
        expect(offered).not.toContain("h264_nvenc")
        expect(detection.rejected.find((r) => r.name === "h264_nvenc")!.reason).not.toBe("")
      }
      expect(detection.hardware.cpu.cores).toBeGreaterThan(0)
      // Detection runs once per layer.
      expect(yield* detectEncoders).toBe(detection)
      const best = yield* chooseEncoder("h264")
      expect(best).toEqual(fallbackChain(detection, "h264")[0])
      expect(fallbackChain(detection, "h264").at(-1)!.name).toBe("libx264")
    }))

  it.effect("every offered software encoder writes H.264, H.265 and AV1 that decode back", () =>
    Effect.gen(function*() {
      const detection = yield* detectEncoders
      const software = detection.available.filter((e) => e.family === "software")
      for (const spec of software) {
        const output = join(dir(), `${spec.name}.mkv`)
        const args = encoderArgs(spec, { preset: "ultrafast" })
        yield* runFfmpeg({
          args: ["-f", "lavfi", "-i", "testsrc=size=180x320:rate=25:duration=0.4", ...args.outputArgs],
          output
        })
        const info = yield* probe(output, { countFrames: true })
        expect({ codec: info.codec, frames: info.frames }).toEqual({ codec: spec.codec, frames: 10 })
      }
      expect(software.map((e) => e.codec).sort()).toEqual(["av1", "h264", "hevc"])
    }))
})

describe("encoder detection as a layer", () => {
  it.effect("runs once where the layer is built, whoever asks, through the runner in the environment", () =>
    Effect.gen(function*() {
      let listings = 0
      const counting = ProcessRunner.layerFaulty((request) => {
        if (request.args.includes("-encoders")) listings++
        return undefined
      })
      const twoAsks = Effect.all([detectEncoders, chooseEncoder("h264"), detectEncoders], { concurrency: 3 })
      const [first, best, second] = yield* Effect.provide(twoAsks, Encoders.layer.pipe(Layer.provide(counting)))
      expect(second).toBe(first)
      expect(best).toEqual(fallbackChain(first, "h264")[0])
      expect(listings).toBe(1)
    }))
})
