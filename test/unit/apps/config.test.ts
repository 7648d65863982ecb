/**
 * Settings outside the flags: the config file is checked field by field with errors a user can act
 * on, names map to flags and variables one way, and durations read as docs/cli.md says (the hardware
 * tier's thresholds: test/unit/media/hardware-tier.test.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { configFlag, envName, flagName, loadSettings } from "../../../apps/cli/config.ts"
import { parseSince } from "../../../apps/cli/events.ts"
import { parseDuration } from "../../../apps/cli/examples.ts"
import { JOB_DEFAULTS } from "../../../apps/cli/job-options.ts"
import { JobOptions } from "../../../apps/host/job-request.ts"

const dir = mkdtempSync(join(tmpdir(), "reelswarm-config-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const load = (content: unknown) => {
  const file = join(dir, `c-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content))
  return { file, result: loadSettings(["node", "main", "status", "--config", file], {}) }
}

describe("config file", () => {
  it("accepts job options, state, serve and logLevel", () => {
    const { result } = load({ voice: "en-us", captionPosition: "top", fps: 24, state: "/s", serve: { port: 8080 }, logLevel: "debug" })
    expect(Either.getOrThrow(result).config).toEqual({
      voice: "en-us",
      captionPosition: "top",
      fps: 24,
      state: "/s",
      serve: { port: 8080 },
      logLevel: "debug"
    })
  })

  it("names the file and the field of each kind of mistake", () => {
    const cases: Array<[unknown, string]> = [
      [{ captions: "big" }, `captions: expected one of lines, words, karaoke, none, got "big"`],
      [{ fps: 500 }, "fps: expected a number between 1 and 120, got 500"],
      [{ fps: "fast" }, `fps: expected a number, got "fast"`],
      [{ segments: 1.5 }, "segments: expected a whole number from 1 to 64, or auto, got 1.5"],
      [{ segments: "many" }, `segments: expected a whole number from 1 to 64, or auto, got "many"`],
      [{ size: "big" }, `size: expected WIDTHxHEIGHT, e.g. 720x1280, got "big"`],
      [{ captionColor: "red" }, `captionColor: expected a colour as #RRGGBB, e.g. #FFFFFF, got "red"`],
      [{ colour: "red" }, "colour: not a setting reelswarm knows"],
      [{ serve: { port: 70000 } }, "serve.port: expected a number between 0 and 65535, got 70000"],
      [{ logLevel: "loud" }, `logLevel: expected one of trace, debug, info, warn, warning, error, fatal, all, none, got "loud"`]
    ]
    for (const [content, message] of cases) {
      const { file, result } = load(content)
      expect(Either.isLeft(result) && result.left).toBe(`${file}: ${message}`)
    }
    const { file, result } = load("{ not json")
    expect(Either.isLeft(result) && result.left).toMatch(new RegExp(`^${file}: not JSON`))
  })

  it("--config must name a file that exists; without it and without ./reelswarm.config.json there are no settings", () => {
    const missing = join(dir, "nope.json")
    const result = loadSettings(["node", "main", "--config=" + missing], {})
    expect(Either.isLeft(result) && result.left).toMatch(new RegExp(`^${missing}: cannot read the config file`))
    expect(configFlag(["status", "--", "--config", "x"])).toBeUndefined()
  })
})

describe("names", () => {
  it("a field's flag is kebab case and its variable upper snake case", () => {
    expect(flagName("captionStrokeWidth")).toBe("caption-stroke-width")
    expect(envName("captionStrokeWidth")).toBe("REELSWARM_CAPTION_STROKE_WIDTH")
    expect(envName("state")).toBe("REELSWARM_STATE")
  })

  it("defaults come from the one definition of the job options", () => {
    expect(JOB_DEFAULTS).toEqual({ ...Schema.decodeUnknownSync(JobOptions)({}), topology: "star", state: ".reelswarm" })
    expect(JOB_DEFAULTS).toMatchObject({ aspect: "9:16", captions: "karaoke", captionPosition: "bottom" })
    expect("size" in JOB_DEFAULTS).toBe(false)
  })
})

describe("durations", () => {
  it("reads short and long durations, and --since as a duration back or an ISO time", () => {
    expect(parseDuration("90s")).toBe(90_000)
    expect(parseDuration("10m")).toBe(600_000)
    expect(parseDuration("2h")).toBe(7_200_000)
    expect(parseDuration("1d")).toBe(86_400_000)
    expect(parseDuration("5 minutes")).toBe(300_000)
    expect(parseDuration("soon")).toBeUndefined()
    expect(parseSince("10m", 1_000_000)).toBe(400_000)
    expect(parseSince("2026-12-01T16:00:00Z")).toBe(Date.parse("2026-12-01T16:00:00Z"))
    expect(parseSince("yesterday")).toBeUndefined()
  })
})
