import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { decodeVideoSwarmEvent, ProduceVideo, productionLayer } from "../../../agents/index.ts"
import { EventLog } from "../../../memory/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { tinyJob } from "./library-fixture.ts"

const tempDir = scopedTempDir("stage-failed")

describe("a stage that fails", () => {
  it.scopedLive("is recorded as stage-failed with the stage, the attempt and the message, after its stage-started", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      // The footage folder is empty: the job fails at the shot-matcher.
      yield* Effect.promise(() => mkdir(join(dir, "footage")))
      const events = yield* Effect.scoped(
        Effect.gen(function*() {
          yield* Effect.either(ProduceVideo.execute(tinyJob(dir)))
          return (yield* (yield* EventLog).query({ types: ["stage-started", "stage-failed"], limit: 1_000 })).events
        }).pipe(Effect.provide(productionLayer({ database: join(dir, "swarm.db"), pollInterval: "100 millis" })))
      )
      const stages = events.flatMap((e) => Option.toArray(decodeVideoSwarmEvent(e)))
      expect(stages).toHaveLength(events.length)
      const failed = stages.filter((e) => e.type === "stage-failed")
      expect(failed.map((e) => [e.data.stage, e.data.attempt])).toEqual([["shots", 1]])
      expect(failed[0]!.data.message.length).toBeGreaterThan(0)
      expect(stages.findIndex((e) => e.type === "stage-started" && e.data.stage === "shots"))
        .toBeLessThan(stages.findIndex((e) => e.type === "stage-failed"))
    }))
})
