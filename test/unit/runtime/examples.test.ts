import { Effect } from "effect"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { program } from "../../../examples/effect-api.ts"
import { swarmLayerInMemory } from "../../../runtime/index.ts"

const run = promisify(execFile)

describe("examples", () => {
  it("the Effect API example: a supervised counter survives a crash with its later messages", async () => {
    const result = await Effect.runPromise(program.pipe(Effect.provide(swarmLayerInMemory())))
    expect(result).toEqual({
      before: 40,
      after: 2,
      events: ["spawned counter", "spawned counters", "dead-letter counter", "restarted counter"]
    })
  })

  it("the runtime demo shows star relaying, a crash, a restart with the queue kept, and a clean shutdown", async () => {
    const { stdout } = await run("npx", ["tsx", "examples/runtime-demo.ts"], { timeout: 240_000 })
    const lines = stdout.trim().split("\n")
    expect(lines[0]).toBe("swarm      topology star(hub)")
    expect(stdout).toContain(`narrator   speaks "Fractals repeat themselves." (from writer, 2 hops)`)
    expect(stdout).toContain(`narrator   crashes on "Zoom in: more detail."`)
    expect(stdout).toContain("event      dead-letter narrator crashed")
    expect(stdout).toContain("event      restarted narrator crashed")
    // The line queued behind the crash is spoken by the restarted narrator.
    expect(stdout).toContain(`narrator   speaks "Zoom again: still more." (from writer, 2 hops)`)
    expect(stdout).toContain("narrator spoke 1 of 3 lines since its restart, captioner showed 3")
    expect(lines.slice(-3)).toEqual([
      "event      stopped writer shutdown",
      "event      stopped captioner shutdown",
      "event      stopped narrator shutdown"
    ])
  })
})
