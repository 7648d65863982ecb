/**
 * `reelswarm analyze` as a user runs it: --json prints one array of reports that the Schema
 * decodes, --html writes one self-contained page with the file's name escaped, its thumbnails and
 * curves, a second run is served from the state's cache, and bad input (a missing file, a text
 * file named .mp4, a folder, an image) is refused with one line naming it, exit code 2.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { AnalysisReport, runFfmpeg } from "../../media/index.ts"
import { scopedTempDir } from "../fixtures/temp-dir.ts"
import { CLIP, makeAnalysisClip } from "./analyze-fixture.ts"
import { reelswarm } from "./cli/cli-fixture.ts"

/** A name with every character HTML must escape. */
const AWKWARD = `a&b <clip> "q" 'x'.mp4`

describe("reelswarm analyze", () => {
  it.scoped("--json prints the reports alone, --html writes one page, and a second run comes from the cache", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("analyze-cli")
      const clip = yield* makeAnalysisClip(dir, AWKWARD)
      const state = join(dir, "state")
      const page = join(dir, "pages", "run.html")
      const first = yield* reelswarm(["analyze", clip, "--json", "--html", page, "--state", state])
      expect(first.stderr).toBe("")
      expect(first.code).toBe(0)
      const reports = Schema.decodeUnknownSync(Schema.Array(AnalysisReport))(JSON.parse(first.stdout))
      expect(reports).toHaveLength(1)
      expect(reports[0]!.file).toBe(clip)
      expect(reports[0]!.cuts.map((c) => c.frame)).toEqual([...CLIP.cutFrames])
      expect(reports[0]!.cached).toBe(false)

      const html = readFileSync(page, "utf8")
      expect(html.includes("a&amp;b &lt;clip&gt; &quot;q&quot; &#39;x&#39;.mp4")).toBe(true)
      expect(html.includes("<clip>")).toBe(false)
      expect(html.match(/<svg /g)).toHaveLength(3)
      expect(html.match(/<img [^>]*src="data:image\/jpeg;base64,/g)).toHaveLength(reports[0]!.shots.length)
      expect(html.includes("HELLO WORLD")).toBe(true)
      // Self-contained: no script, and nothing to fetch (every src is inline data).
      expect(/<script|<link|(src|href)="(?!data:)/.test(html)).toBe(false)

      const again = yield* reelswarm(["analyze", clip, "--state", state])
      expect(again.code).toBe(0)
      expect(again.stdout).toContain("(cached)")
      expect(again.stdout).toContain("text: HELLO WORLD")
      const cached = readdirSync(join(state, "analyses"))
      expect(cached.filter((name) => name.endsWith(".json"))).toHaveLength(1)
    }))

  it.scoped("refuses a missing file, a text file named .mp4, a folder and an image before any work, in one line with exit code 2", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("analyze-cli-bad")
      const fake = join(dir, "notes.mp4")
      writeFileSync(fake, "not a video at all\n")
      const image = yield* runFfmpeg({
        args: ["-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1"],
        output: join(dir, "still.png")
      }).pipe(
        Effect.as(join(dir, "still.png"))
      )
      const state = join(dir, "state")
      const cases = [join(dir, "missing.mp4"), fake, dir, image]
      for (const bad of cases) {
        const outcome = yield* reelswarm(["analyze", bad, "--state", state])
        expect(outcome.code).toBe(2)
        const lines = outcome.stderr.trim().split("\n")
        expect(lines).toHaveLength(1)
        expect(lines[0]).toContain(bad)
        expect(outcome.stdout).toBe("")
      }
      expect(existsSync(join(state, "analyses"))).toBe(false)
    }))
})
