/**
 * Found by the agent-kill chaos test, where it hides: a renderer restarted while no encoder restarts
 * after it knows no encoder (its state starts empty, and encoders announce themselves only when they
 * start), so the next job's render queues its items, tells nobody, and waits for the 30-minute ask
 * timeout. In the chaos test an encoder is killed about every second, which announces it again;
 * on one swarm that runs many jobs (`reelswarm batch`, an embedding program), one renderer crash
 * stalls every later job.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { ProduceVideo, productionLayer } from "../../agents/index.ts"
import { probe } from "../../media/index.ts"
import { Swarm } from "../../runtime/index.ts"
import { scopedTempDir } from "../fixtures/temp-dir.ts"
import { makeLibrary, tinyJob } from "../integration/agents/library-fixture.ts"

const tempDir = scopedTempDir("chaos-renderer-restart")

/** Only against a hang: the same job takes about 10 s on a loaded 2-core machine. */
const HANG_GUARD = Duration.minutes(3)

describe("chaos: a restarted renderer", () => {
  it.scopedLive("renders the next job with the encoders that were running before it restarted", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => mkdir(join(dir, "footage")))
      yield* makeLibrary(join(dir, "footage"))
      const report = yield* Effect.gen(function*() {
        const swarm = yield* Swarm
        yield* swarm.terminateChild("renderer")
        yield* swarm.restartChild("renderer")
        return yield* ProduceVideo.execute(tinyJob(dir, { output: { width: 160, height: 284, fps: 10 }, segments: 2 })).pipe(
          Effect.timeoutFail({
            duration: HANG_GUARD,
            onTimeout: () => new Error(`the job after the renderer's restart did not finish in ${Duration.format(HANG_GUARD)}`)
          })
        )
      }).pipe(
        Effect.provide(productionLayer({ database: join(dir, "swarm.db"), encoders: [{}, {}], pollInterval: "200 millis" }))
      )
      const info = yield* probe(report.output, { countFrames: true })
      expect([info.width, info.height, info.hasAudio]).toEqual([160, 284, true])
    }), 10 * 60_000)
})
