/**
 * Content-aware encoding, pure parts: the SI/TI classifier and its thresholds, the catalogue's
 * characters, the per-class x264 zone options, and how a plan's scenes become zones in every
 * command of any segmentation (the zones of k segments are the single pass's, renumbered).
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, Option, Schema } from "effect"
import {
  classifyContent,
  CONTENT_THRESHOLDS,
  type ContentZone,
  SAMPLE_CLIP_CHARACTER,
  X264_CLASS_SETTINGS,
  X264_CONTENT_AWARE_REFS,
  X264_UNCLASSED,
  x264ZoneParams
} from "../../../media/content-class.ts"
import { ENCODER_CATALOGUE, encoderArgs } from "../../../media/encoders.ts"
import { SAMPLE_CLIPS, sampleClipRef } from "../../../media/footage/sample-library.ts"
import {
  CHARACTER_WINDOW_SECONDS,
  contentZones,
  cutCandidates,
  planRender,
  RenderPlan,
  segmentCommand,
  singlePassCommand,
  type TimelineInput,
  type TimelineShot,
  usedRange
} from "../../../media/timeline.ts"

const spec = (name: string) => ENCODER_CATALOGUE.find((e) => e.name === name)!
const libx264 = spec("libx264")
const media = { duration: 6, width: 1080, height: 1920, fps: 30 }
const sample = (name: string): TimelineShot => ({ path: Option.getOrThrow(sampleClipRef(name)), kind: "lavfi", media })

const input = (shots: ReadonlyArray<TimelineShot>, extra: Partial<TimelineInput["output"]> = {}): TimelineInput => ({
  scenes: shots.map((_, i) => ({ text: `scene ${i}`, narration: { start: i * 2, end: i * 2 + 1.9 } })),
  shots,
  output: {
    path: "/out/v.mp4",
    width: 1080,
    height: 1920,
    fps: 30,
    encoder: "libx264",
    narration: { path: "/out/n.wav", duration: shots.length * 2 },
    encoderSettings: { contentAware: true },
    ...extra
  }
})

const machine = { cores: 2, memoryBytes: 8 * 2 ** 30 }
const plan = (i: TimelineInput, segments = 1) => Either.getOrThrow(planRender(i, { segments, machine, decoderLimit: 64 }))
const valueOf = (args: ReadonlyArray<string>, flag: string) => {
  const i = args.indexOf(flag)
  return i < 0 ? undefined : args[i + 1]
}

describe("classifyContent", () => {
  it("puts high SI in text-graphics, then high TI in high-motion, the rest in calm, at the documented thresholds", () => {
    const { highMotionTi, textGraphicsSi } = CONTENT_THRESHOLDS
    expect(classifyContent({ si: textGraphicsSi, ti: 0 })).toBe("text-graphics")
    expect(classifyContent({ si: textGraphicsSi, ti: 200 })).toBe("text-graphics")
    expect(classifyContent({ si: textGraphicsSi - 0.1, ti: highMotionTi })).toBe("high-motion")
    expect(classifyContent({ si: 0, ti: highMotionTi - 0.1 })).toBe("calm")
    expect(classifyContent({ si: 26, ti: 6.2 })).toBe("calm")
  })

  it("knows every sample clip of the catalogue, and classes each family as measured", () => {
    expect(Object.keys(SAMPLE_CLIP_CHARACTER).sort()).toEqual(SAMPLE_CLIPS.map((c) => c.name).sort())
    const classOf = (name: string) => classifyContent(SAMPLE_CLIP_CHARACTER[name]!)
    for (const name of SAMPLE_CLIPS.map((c) => c.name)) {
      if (/^(rule-|life-|sierpinski-)/.test(name)) expect([name, classOf(name)]).toEqual([name, "text-graphics"])
    }
    for (const name of ["mandelbrot-zoom", "mandelbrot-spiral", "noise"]) expect([name, classOf(name)]).toEqual([name, "high-motion"])
    for (const name of ["gradients", "plasma", "ripples", "spiral", "spectrum", "color-bars", "test-pattern", "mandelbrot-overview"]) {
      expect([name, classOf(name)]).toEqual([name, "calm"])
    }
  })
})

describe("per-class x264 settings", () => {
  it("every class (and the unclassed zone) sets the same options, none with a colon, within the encode's references", () => {
    const all = [X264_UNCLASSED, ...Object.values(X264_CLASS_SETTINGS)]
    const keys = Object.keys(X264_UNCLASSED.options).sort()
    for (const s of all) {
      expect(Object.keys(s.options).sort()).toEqual(keys)
      for (const value of Object.values(s.options)) expect(value).not.toMatch(/[:,/]/)
      expect(Number(s.options.ref)).toBeLessThanOrEqual(X264_CONTENT_AWARE_REFS)
      expect(Math.abs(s.qpOffset)).toBeLessThanOrEqual(2)
    }
    expect(X264_CLASS_SETTINGS["text-graphics"].options).toMatchObject({ me: "umh", ref: "3", subme: "7" })
    expect(X264_CLASS_SETTINGS["high-motion"].options).toMatchObject({ me: "hex", ref: "1", subme: "7", deblock: "-1" })
  })

  it("x264ZoneParams writes the reference count, then one zone per entry with its QP and options", () => {
    const zones: ReadonlyArray<ContentZone> = [
      { start: 0, end: 59, contentClass: "high-motion" },
      { start: 60, end: 119, contentClass: "text-graphics" },
      { start: 120, end: 179 }
    ]
    expect(x264ZoneParams(28, zones)).toBe(
      "ref=3:zones=" + [
        "0,59,q=28,me=hex,subme=7,ref=1,mixed-refs=0,psy-rd=0,deblock=-1",
        "60,119,q=28,me=umh,subme=7,ref=3,mixed-refs=1,psy-rd=0,deblock=0",
        "120,179,q=28,me=hex,subme=2,ref=1,mixed-refs=0,psy-rd=1.0,deblock=0"
      ].join("/")
    )
  })

  it("encoderArgs adds the zones to libx264's cuttable encode only when content-aware, lossy, and given zones", () => {
    const zones: ReadonlyArray<ContentZone> = [{ start: 0, end: 9, contentClass: "calm" }]
    const aware = encoderArgs(libx264, { contentAware: true }, { keyframes: [5], zones }).outputArgs
    expect(valueOf(aware, "-qp")).toBe("28")
    expect(valueOf(aware, "-x264-params")).toBe(x264ZoneParams(28, zones))
    expect(encoderArgs(libx264, {}, { keyframes: [5], zones }).outputArgs).not.toContain("-x264-params")
    expect(encoderArgs(libx264, { contentAware: true, crf: 0 }, { keyframes: [5], zones }).outputArgs).not.toContain("-x264-params")
    expect(encoderArgs(libx264, { contentAware: true }, { keyframes: [5], zones: [] }).outputArgs).not.toContain("-x264-params")
    for (const other of ["h264_nvenc", "libx265", "libsvtav1"]) {
      expect(encoderArgs(spec(other), { contentAware: true }, { keyframes: [5], zones }).outputArgs).not.toContain("-x264-params")
    }
  })
})

describe("scene classes in the plan", () => {
  const shots = [sample("mandelbrot-zoom"), sample("rule-110"), sample("gradients"), { ...sample("noise"), character: { si: 20, ti: 1 } }]

  it("records each scene's class when content-aware encoding is asked for: the catalogue's, or the shot's own measurement", () => {
    const p = plan(input(shots))
    expect(p.scenes.map((s) => s.contentClass)).toEqual(["high-motion", "text-graphics", "calm", "calm"])
    expect(plan(input(shots, { encoderSettings: {} })).scenes.map((s) => s.contentClass)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined
    ])
    const file: TimelineShot = { path: "/f/a.mp4", kind: "video", media }
    expect(plan(input([file, { ...file, character: { si: 200, ti: 30 } }])).scenes.map((s) => s.contentClass)).toEqual([
      undefined,
      "text-graphics"
    ])
  })

  it("stays a valid plan file: classes survive a round trip, and a plan written before them still decodes", () => {
    const p = plan(input(shots))
    const back = Schema.decodeUnknownSync(RenderPlan)(JSON.parse(JSON.stringify(Schema.encodeSync(RenderPlan)(p))))
    expect(back.scenes.map((s) => s.contentClass)).toEqual(p.scenes.map((s) => s.contentClass))
    const old = JSON.parse(JSON.stringify(Schema.encodeSync(RenderPlan)(plan(input(shots, { encoderSettings: undefined })))))
    expect(Schema.decodeUnknownSync(RenderPlan)(old).scenes[0]!.contentClass).toBeUndefined()
  })

  it("measures a video over the first second of what its scene reads, within the file", () => {
    const p = plan(input([
      { path: "/f/a.mp4", kind: "video", media, inPoint: 1 },
      { path: "/f/b.mp4", kind: "video", media, inPoint: 5.5 },
      { path: "/f/c.mp4", kind: "video", media: { ...media, duration: 0.5 } }
    ]))
    expect(usedRange(p.scenes[0]!)).toEqual({ start: 1, end: 1 + CHARACTER_WINDOW_SECONDS })
    expect(usedRange(p.scenes[1]!)).toEqual({ start: 5.5, end: 6 })
    expect(usedRange(p.scenes[2]!)).toEqual({ start: 0, end: 0.5 })
    expect(usedRange({ ...p.scenes[0]!, shot: { path: "/f/s.png", kind: "image", media } })).toEqual({ start: 0 })
  })
})

describe("zones in the commands", () => {
  const shots = [sample("mandelbrot-zoom"), sample("rule-110"), sample("gradients"), sample("noise"), sample("life-conway")]

  for (const transition of [undefined, { kind: "fade", duration: 0.2 }]) {
    it(`cover every frame, start on closed GOPs, and are the single pass's renumbered in every segment (${transition === undefined ? "cuts" : "fades"})`, () => {
      const one = plan(input(shots, transition === undefined ? {} : { transition }))
      const whole = contentZones(one, one.segments[0]!)
      expect(whole[0]!.start).toBe(0)
      expect(whole.at(-1)!.end).toBe(one.totalFrames - 1)
      whole.slice(1).forEach((z, i) => expect(z.start).toBe(whole[i]!.end + 1))
      expect(whole.slice(1).map((z) => z.start)).toEqual([...cutCandidates(one)])
      expect(whole.map((z) => z.contentClass)).toEqual(["high-motion", "text-graphics", "calm", "high-motion", "text-graphics"])
      for (const k of [2, 3, 5]) {
        const cut = plan(input(shots, transition === undefined ? {} : { transition }), k)
        expect(cut.segments).toHaveLength(k)
        const renumbered = cut.segments.flatMap((s) =>
          contentZones(cut, s).map((z) => ({ ...z, start: z.start + s.startFrame, end: z.end + s.startFrame }))
        )
        expect(renumbered).toEqual(whole)
        cut.segments.forEach((s, i) => {
          const args = segmentCommand(cut, i, libx264).args
          expect(valueOf(args, "-x264-params")).toBe(x264ZoneParams(28, contentZones(cut, s)))
        })
      }
      expect(valueOf(singlePassCommand(one, libx264).args, "-x264-params")).toBe(x264ZoneParams(28, whole))
    })
  }

  it("leave a plan without content-aware encoding as it was", () => {
    const p = plan(input(shots, { encoderSettings: undefined }))
    expect(singlePassCommand(p, libx264).args).not.toContain("-x264-params")
  })
})
