import { describe, expect, it } from "@effect/vitest"
import { Either, Option, Schema } from "effect"
import { ENCODER_CATALOGUE } from "../../../media/encoders.ts"
import { asSampleClipRef, SampleClipRef, sampleClipRef, sampleGraph } from "../../../media/footage/sample-library.ts"
import { type LavfiShot, planRender, RenderPlan, singlePassCommand, type TimelineInput, TimelineShot } from "../../../media/timeline.ts"

const libx264 = ENCODER_CATALOGUE.find((e) => e.name === "libx264")!
const ref = (name: string) => Option.getOrThrow(sampleClipRef(name))
const media = { duration: 6, width: 1080, height: 1920, fps: 30 }

const input = (shots: ReadonlyArray<LavfiShot | TimelineShot>): TimelineInput => ({
  scenes: shots.map((_, i) => ({ text: `scene ${i}`, narration: { start: i * 2, end: i * 2 + 1.9 } })),
  shots,
  output: {
    path: "/out/demo.mp4",
    width: 1080,
    height: 1920,
    fps: 30,
    encoder: "libx264",
    narration: { path: "/out/narration.wav", duration: shots.length * 2 }
  }
})

/** The `-i` arguments of a command, with the options before each. */
const inputsOf = (args: ReadonlyArray<string>) => {
  const inputs: Array<ReadonlyArray<string>> = []
  let from = 0
  args.forEach((arg, i) => {
    if (arg === "-filter_complex") from = args.length
    if (arg === "-i" && i > from) {
      inputs.push(args.slice(from, i + 2))
      from = i + 2
    }
  })
  return inputs
}

describe("sample clip references", () => {
  it("name a clip of the catalogue, and nothing else", () => {
    expect(ref("rule-110")).toBe("sample://rule-110")
    expect(Option.isNone(sampleClipRef("no-such-clip"))).toBe(true)
    for (const path of ["/footage/rule-110.mp4", "rule-110", "sample://rule-110,drawtext=text=x", "sample://", "sample:///etc/passwd"]) {
      expect(Option.isNone(asSampleClipRef(path))).toBe(true)
      expect(Either.isLeft(Schema.decodeUnknownEither(SampleClipRef)(path))).toBe(true)
    }
    expect(Schema.decodeUnknownSync(SampleClipRef)("sample://mandelbrot-zoom")).toBe("sample://mandelbrot-zoom")
  })
})

describe("lavfi shots: commands", () => {
  it("feed each scene from its catalogue graph with -f lavfi, reading only the seconds it shows (plus the fps filter's margin)", () => {
    const plan = Either.getOrThrow(planRender(input([
      { path: ref("life-conway"), kind: "lavfi", media },
      { path: ref("mandelbrot-zoom"), kind: "lavfi", media, inPoint: 1.5 },
      { path: "/f/clip.mp4", kind: "video", media }
    ])))
    const [life, mandelbrot, file] = inputsOf(singlePassCommand(plan, libx264).args)
    const params = { width: 1080, height: 1920, fps: 30, durationSec: 6 }
    expect(life).toEqual(["-thread_queue_size", "2", "-f", "lavfi", "-t", "2.066667", "-i", sampleGraph(ref("life-conway"), params)])
    expect(mandelbrot).toEqual([
      "-thread_queue_size",
      "2",
      "-f",
      "lavfi",
      "-ss",
      "1.500000",
      "-t",
      "2.066667",
      "-i",
      sampleGraph(ref("mandelbrot-zoom"), params)
    ])
    expect(life![life!.length - 1]).toMatch(/^life=s=90x160:r=30:.*seed=11.*scale=1080:1920:flags=neighbor/)
    expect(file).toContain("/f/clip.mp4")
    // The generated frames go through the same retiming, fit and exact trim as a file's.
    expect(plan.scenes.map((s) => s.frames)).toEqual([60, 60, 60])
  })

  it("a lavfi shot shorter than its scene plays on instead of looping (a generated source has no end)", () => {
    const plan = Either.getOrThrow(
      planRender(input([{ path: ref("rule-30"), kind: "lavfi", media: { ...media, duration: 0.5 }, whenShort: "loop" }]))
    )
    const [only] = inputsOf(singlePassCommand(plan, libx264).args)
    expect(only).not.toContain("-stream_loop")
    expect(only).toEqual(expect.arrayContaining(["-t", "2.066667"]))
  })

  it("a plan read back from disk whose lavfi shot was tampered with is refused: its graph is never taken from the file", () => {
    const plan = Either.getOrThrow(planRender(input([{ path: ref("rule-110"), kind: "lavfi", media }])))
    const json = JSON.stringify(plan)
    const decode = Schema.decodeUnknownEither(Schema.parseJson(RenderPlan))
    expect(Either.isRight(decode(json))).toBe(true)
    const tampered = [
      // Another filter smuggled behind a catalogue name.
      json.replaceAll(`"sample://rule-110"`, `"sample://rule-110,movie=/etc/passwd"`),
      // A file path in a lavfi shot.
      json.replaceAll(`"sample://rule-110"`, `"/etc/passwd"`),
      // A graph parameter that is not a size ffmpeg would be asked for.
      json.replaceAll(`"width":1080`, `"width":1081`),
      json.replaceAll(`"fps":30`, `"fps":29.97`)
    ]
    for (const text of tampered) {
      expect(text).not.toBe(json)
      expect(Either.isLeft(decode(text))).toBe(true)
    }
    // A graph written into the shot is not a field of it: it is dropped on reading, the catalogue's is used.
    const withGraph = json.replaceAll(`"kind":"lavfi"`, `"kind":"lavfi","graph":"movie=/etc/passwd"`)
    const read = Either.getOrThrow(decode(withGraph))
    expect(inputsOf(singlePassCommand(read, libx264).args)[0]!.join(" ")).not.toContain("movie")
  })
})
