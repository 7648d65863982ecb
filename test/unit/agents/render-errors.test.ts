import { SystemError } from "@effect/platform/Error"
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { Render, RendererProtocol, StepFailed, WorkFailed } from "../../../agents/renderer/protocol.ts"
import { EncodeFailedError, EncodeStalledError, RenderError } from "../../../agents/renderer/render-data.ts"
import { FfmpegError, JsonFileError, TtsError } from "../../../media/index.ts"
import { type Envelope, makeCodec, makeEnvelope, payloadCodec, REPLY_FAILURE, roundTrip } from "../../../runtime/index.ts"

const codec = makeCodec()

/** What an envelope goes through between processes: Schema-encoded, packed with msgpack, unpacked, decoded. */
const acrossProcesses = <A, I>(schema: Schema.Schema<A, I>, tag: string, payload: A): A => {
  const envelope: Envelope<A> = makeEnvelope("e1", "encoder-0", "renderer", tag, payload, undefined, undefined)
  return Either.getOrThrow(roundTrip(codec, payloadCodec(schema), envelope)).payload
}

const ffmpegFailed = new FfmpegError({
  reason: "exit",
  args: ["-c:v", "h264_nvenc", "/w/segment-1.ts"],
  exitCode: 1,
  stderrTail: "No NVENC capable devices found\nError while opening encoder for output stream #0:0",
  message: "ffmpeg exited with code 1"
})

describe("render and encode errors cross envelopes whole", () => {
  it("an encoder's WorkFailed keeps its FfmpegError: arguments, exit code, stderr tail", () => {
    const failed = new WorkFailed({
      planFile: "/w/plan.json",
      item: { planFile: "/w/plan.json", kind: "segment", index: 1 },
      agent: "encoder-0",
      encoder: "h264_nvenc",
      error: new EncodeFailedError({ cause: ffmpegFailed })
    })
    const back = acrossProcesses(RendererProtocol, "WorkFailed", failed)
    expect(back).toBeInstanceOf(WorkFailed)
    const error = (back as WorkFailed).error
    expect(error).toBeInstanceOf(EncodeFailedError)
    expect(error.cause).toBeInstanceOf(FfmpegError)
    expect(error.cause).toEqual(ffmpegFailed)
    expect([error.reason, error.message, error.detail]).toEqual(["ffmpeg", ffmpegFailed.message, ffmpegFailed.stderrTail])
  })

  it("every kind of encode cause survives, and says what kind it is", () => {
    const causes = [
      [ffmpegFailed, "ffmpeg"],
      [
        new JsonFileError({ file: "/w/plan.json", reason: "invalid", message: "/w/plan.json: totalFrames: Expected number" }),
        "unreadable-plan"
      ],
      [new SystemError({ reason: "PermissionDenied", module: "FileSystem", method: "stat", pathOrDescriptor: "/w/segment-0.ts" }), "io"],
      [new EncodeStalledError({ encoder: "h264_nvenc", seconds: 120, message: "segment 0 on h264_nvenc wrote no frame" }), "stalled"]
    ] as const
    for (const [cause, reason] of causes) {
      const back = acrossProcesses(EncodeFailedError, "EncodeFailedError", new EncodeFailedError({ cause }))
      expect(back.cause).toBeInstanceOf(cause.constructor)
      expect(back.cause).toEqual(cause)
      expect(back.reason).toBe(reason)
      expect(back.message).toBe(cause.message)
    }
  })

  it("a failed Render's RenderError keeps its stage and its FfmpegError, in the reply and in StepFailed", () => {
    const error = new RenderError({ stage: "encode", message: `segment 1: ${ffmpegFailed.message}`, cause: ffmpegFailed })
    const request = new Render({ planFile: "/w/plan.json" })
    const reply = acrossProcesses(Schema.failureSchema(request), REPLY_FAILURE, error)
    expect(reply).toBeInstanceOf(RenderError)
    expect(reply.stage).toBe("encode")
    expect(reply.message).toBe("segment 1: ffmpeg exited with code 1")
    expect(reply.cause).toBeInstanceOf(FfmpegError)
    expect(reply.cause).toEqual(ffmpegFailed)
    expect(reply.detail).toBe(ffmpegFailed.stderrTail)

    const step = acrossProcesses(RendererProtocol, "StepFailed", new StepFailed({ planFile: "/w/plan.json", error }))
    expect((step as StepFailed).error).toEqual(error)
  })

  it("a RenderError from a TTS engine keeps its detail; one from the renderer's own check has no cause", () => {
    const tts = new TtsError({ provider: "espeak-ng", reason: "process-failed", message: "espeak-ng failed", detail: "voice data missing" })
    const narration = acrossProcesses(RenderError, "RenderError", new RenderError({ stage: "narration", message: tts.message, cause: tts }))
    expect(narration.cause).toBeInstanceOf(TtsError)
    expect(narration.detail).toBe("voice data missing")
    const own = acrossProcesses(
      RenderError,
      "RenderError",
      new RenderError({ stage: "probe", message: "music file /m.mp3 has no audio stream" })
    )
    expect(own.cause).toBeUndefined()
    expect(own.detail).toBeUndefined()
    expect(own.message).toBe("music file /m.mp3 has no audio stream")
  })
})
