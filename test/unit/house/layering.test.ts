/** The layering of ../shared/DESIGN.md ("The house"), checked over the real tree: `make layers`. */
import { readdirSync, readFileSync } from "node:fs"
import { join, sep } from "node:path"
import { describe, expect, it } from "vitest"
import { checkHouse, formatViolation, type House, LAYERS } from "./layering.ts"

const root = join(import.meta.dirname, "..", "..", "..")

const typeScriptFiles = (dir: string): Array<string> =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join(dir, file).split(sep).join("/"))

const realHouse = (): House => {
  const paths = ["index.ts", ...[...LAYERS, "test", "bench", "examples"].flatMap(typeScriptFiles)]
  const files = Object.fromEntries(paths.map((path) => [path, readFileSync(join(root, path), "utf8")]))
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: unknown }
  return { files, exports: pkg.exports }
}

const report = (house: House): Array<string> => checkHouse(house).map(formatViolation)

const publishedExports = Object.fromEntries(
  ["runtime", "topologies", "memory", "media", "agents"].map((layer) => [`./${layer}`, `./dist/${layer}/index.js`])
)

const fake = (files: Record<string, string>, exports: unknown = publishedExports): Array<string> => report({ files, exports })

describe("the house", () => {
  it("imports point down the layers, through each layer's index, never into internal/ or a sibling agent", () => {
    const house = realHouse()
    expect(Object.keys(house.files).length).toBeGreaterThan(100)
    const violations = report(house)
    expect(violations, `layering violations:\n${violations.join("\n")}\n`).toEqual([])
  })

  describe("the checker reports", () => {
    it("an import up the layers", () => {
      expect(fake({ "runtime/agent.ts": `import { ProduceVideo } from "../agents/index.ts"` })).toEqual([
        "runtime/agent.ts → ../agents/index.ts (direction: runtime may import none of ours)"
      ])
      expect(
        fake({ "media/probe.ts": `import type { Envelope } from "../runtime/index.ts"\ntype Job = import("../agents/index.ts").JobSpec` })
      ).toEqual([
        "media/probe.ts → ../runtime/index.ts (direction: media may import none of ours)",
        "media/probe.ts → ../agents/index.ts (direction: media may import none of ours)"
      ])
      expect(fake({ "agents/director/agent.ts": `const cli = () => import("../../apps/cli/main.ts")` })).toEqual([
        "agents/director/agent.ts → ../../apps/cli/main.ts (direction: agents may import runtime, memory, media, topologies)"
      ])
    })

    it("a deep import past a layer's index, and a layer importing its own index", () => {
      expect(fake({
        "memory/event-log.ts": `import { SwarmEvents } from "../runtime/events.ts"`,
        "agents/renderer/agent.ts": `export type { Tts } from "../../media/tts/index.ts"`,
        "runtime/swarm.ts": `import { define } from "./index.ts"`
      })).toEqual([
        "agents/renderer/agent.ts → ../../media/tts/index.ts (through-index: import media/index.ts)",
        "memory/event-log.ts → ../runtime/events.ts (through-index: import runtime/index.ts)",
        "runtime/swarm.ts → ./index.ts (own-index: import the module itself, not runtime/index.ts (a cycle through the barrel))"
      ])
    })

    it("another layer, a benchmark or another layer's test reaching into internal/", () => {
      const kernel = `import { makeKernel } from "../runtime/internal/kernel.ts"`
      expect(fake({
        "topologies/star.ts": kernel,
        "bench/runtime.ts": kernel,
        "test/unit/memory/event-log.test.ts": `import { makeKernel } from "../../../runtime/internal/kernel.ts"`,
        "test/unit/runtime/kernel.test.ts": `import { makeKernel } from "../../../runtime/internal/kernel.ts"`,
        "runtime/swarm.ts": `import { makeKernel } from "./internal/kernel.ts"`
      })).toEqual([
        "bench/runtime.ts → ../runtime/internal/kernel.ts (internal: runtime/internal/ is private to runtime/)",
        "test/unit/memory/event-log.test.ts → ../../../runtime/internal/kernel.ts (internal: runtime/internal/ is private to runtime/)",
        "topologies/star.ts → ../runtime/internal/kernel.ts (internal: runtime/internal/ is private to runtime/)",
        "topologies/star.ts → ../runtime/internal/kernel.ts (through-index: import runtime/index.ts)"
      ])
    })

    it("an agent taking what agents/index.ts does not export from a sibling's file", () => {
      const files = {
        "agents/index.ts": `export { RenderError, RenderResult } from "./renderer/render-data.ts"\nexport * from "./monitor/protocol.ts"`,
        "agents/encoder/agent.ts": [
          `import { RenderError, type WorkItem } from "../renderer/render-data.ts"`,
          `import { Heartbeat } from "../monitor/protocol.ts"`,
          `import { answer } from "../answer.ts"`,
          `import { stem } from "../text/stem.ts"`,
          `import { helper } from "./helper.ts"`
        ].join("\n"),
        "agents/text/stem.ts": `import { Scene } from "../director/scene.ts"`,
        "agents/answer.ts": `import { define } from "../runtime/index.ts"`,
        "test/unit/agents/plan.test.ts": `import { readPlan } from "../../../agents/renderer/plan-file.ts"`
      }
      expect(fake(files)).toEqual([
        "agents/encoder/agent.ts → ../renderer/render-data.ts (agent-internals: WorkItem not exported from agents/index.ts)",
        "agents/text/stem.ts → ../director/scene.ts (shared-helper: shared helpers import no agent (director/))"
      ])
    })

    it("a source file importing tests, and package.json publishing internals or missing a layer", () => {
      expect(fake(
        {
          "apps/cli/main.ts":
            `import { tempDir } from "../../test/unit/memory/temp-database.ts"\nimport pkg from "../../package.json" with { type: "json" }`
        },
        {
          ".": "./dist/index.js",
          "./runtime": "./dist/runtime/index.js",
          "./internal": { import: "./dist/runtime/internal/kernel.js" },
          "./media/timeline": "./dist/media/timeline.js"
        }
      )).toEqual([
        "apps/cli/main.ts → ../../test/unit/memory/temp-database.ts (outside-house: test/unit/memory/temp-database.ts is not part of a layer)",
        `package.json exports["./internal"] → ./dist/runtime/internal/kernel.js (package-exports: internal/ is never published)`,
        `package.json exports["./media/timeline"] → ./dist/media/timeline.js (package-exports: only the root and the layers' indexes are published)`,
        "package.json exports → ./topologies (package-exports: topologies/ is not published)",
        "package.json exports → ./memory (package-exports: memory/ is not published)",
        "package.json exports → ./media (package-exports: media/ is not published)",
        "package.json exports → ./agents (package-exports: agents/ is not published)"
      ])
    })

    it("an agent or app publishing an event literal instead of a kind's constructor", () => {
      expect(fake({
        "agents/renderer/agent.ts":
          `const a = events.publish(RenderFinishedEvent.make({ output }, origin))\nconst b = events.publish({ type: "render-finished", data: {} })`,
        "runtime/internal/kernel.ts": `events.publish({ type: "dead-letter", data: {} })`,
        "test/unit/runtime/events.test.ts": `events.publish({ type: "custom", data: {} })`
      })).toEqual([
        "agents/renderer/agent.ts → line 2 (typed-events: publish an event kind's make(…), not a literal)"
      ])
    })
  })
})
