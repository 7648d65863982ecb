import { SystemError } from "@effect/platform/Error"
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { EncodeFailedError, NoFootageError, ProductionError, RenderError, TimingMismatchError, WorkFailed } from "../../../agents/index.ts"
import { FfmpegError, FootageError } from "../../../media/index.ts"
import { AskTimeoutError } from "../../../runtime/index.ts"

/** What the workflow's record (or a process boundary) does to a value: encode, JSON, decode. */
const roundTrip = <A, I>(schema: Schema.Schema<A, I>, value: A): A =>
  Schema.decodeUnknownSync(schema)(JSON.parse(JSON.stringify(Schema.encodeSync(schema)(value))))

describe("a failed job's error", () => {
  it("keeps the stage's typed cause through the workflow's record, and names the stage and what went wrong", () => {
    const causes = [
      new NoFootageError({ scenes: 2, message: "no footage to match 2 scenes" }),
      new RenderError({ stage: "probe", message: "music cannot probe /m/not-music.mp3" }),
      new TimingMismatchError({ expectedWords: 3, timedWords: 2, message: "narration has 2 timed words for 3 words in 1 sentences" }),
      new AskTimeoutError({ agent: "renderer", tag: "Render", timeoutMs: 1000 }),
      new FootageError({ reason: "io", message: "footage folder /f cannot be read", detail: "EACCES" }),
      new SystemError({ reason: "PermissionDenied", module: "FileSystem", method: "writeFile", pathOrDescriptor: "/out/x.json" })
    ]
    for (const cause of causes) {
      const error = new ProductionError({ stage: "shots", cause })
      const back = roundTrip(ProductionError, error)
      expect(back).toBeInstanceOf(ProductionError)
      expect(back.cause._tag).toBe(cause._tag)
      expect(back.cause).toBeInstanceOf(cause.constructor)
      expect(back.message).toBe(error.message)
      expect(back.message.startsWith(`shots failed: ${cause.message}`)).toBe(true)
    }
  })

  it("adds the tool's own account to the message: one line inline, several indented below", () => {
    const footage = new FootageError({ reason: "io", message: "footage folder /f cannot be read", detail: "EACCES" })
    expect(footage.reason).toBe("io")
    expect(new ProductionError({ stage: "footage", cause: footage }).message).toBe(
      "footage failed: footage folder /f cannot be read: EACCES"
    )
    const encode = new RenderError({
      stage: "encode",
      message: "segment 1: ffmpeg failed",
      cause: new FfmpegError({ reason: "exit", args: [], exitCode: 1, stderrTail: "line one\nline two", message: "ffmpeg failed" })
    })
    expect(new ProductionError({ stage: "render", cause: encode }).message).toBe(
      "render failed: segment 1: ffmpeg failed\n  line one\n  line two"
    )
  })

  it("an encoder's failure reaches the renderer as data", () => {
    const failed = new WorkFailed({
      planFile: "/w/plan.json",
      item: { planFile: "/w/plan.json", kind: "segment", index: 1 },
      agent: "encoder-0",
      encoder: "h264_nvenc",
      error: new EncodeFailedError({
        cause: new FfmpegError({
          reason: "exit",
          args: ["-c:v", "h264_nvenc"],
          exitCode: 1,
          stderrTail: "No NVENC capable devices found",
          message: "ffmpeg failed (exit 1)"
        })
      })
    })
    const back = roundTrip(WorkFailed, failed)
    expect(back.error).toBeInstanceOf(EncodeFailedError)
    expect(back.error.cause).toBeInstanceOf(FfmpegError)
    expect(back).toEqual(failed)
    expect([back.error.reason, back.error.message, back.error.detail]).toEqual([
      "ffmpeg",
      "ffmpeg failed (exit 1)",
      "No NVENC capable devices found"
    ])
  })
})
