import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { BUNDLED_SCRIPT, BUNDLED_SCRIPT_TITLE } from "../../../agents/director/bundled-script.ts"
import { DirectorProtocol, PlanScript, Replan } from "../../../agents/director/protocol.ts"
import { planScriptText, replanScenes } from "../../../agents/director/script.ts"
import { rankShots } from "../../../agents/shot-matcher/match.ts"
import { MatchShots, ShotMatcherProtocol } from "../../../agents/shot-matcher/protocol.ts"

/** What crossing a process boundary does to a value: encode, JSON, decode. */
const roundTrip = <A, I>(schema: Schema.Schema<A, I>, value: A): A =>
  Schema.decodeUnknownSync(schema)(JSON.parse(JSON.stringify(Schema.encodeSync(schema)(value))))

describe("agent protocols", () => {
  it.effect("a director plan and its request survive serialization", () =>
    Effect.gen(function*() {
      const request = new PlanScript({ title: BUNDLED_SCRIPT_TITLE, script: BUNDLED_SCRIPT })
      const back = roundTrip(DirectorProtocol, request)
      expect(back).toBeInstanceOf(PlanScript)
      expect(back).toEqual(request)

      const plan = yield* planScriptText(request.title, request.script)
      const encoded = yield* Schema.serializeSuccess(request, plan)
      const decoded = yield* Schema.deserializeSuccess(request, JSON.parse(JSON.stringify(encoded)))
      expect(decoded).toEqual(plan)
    }))

  it.effect("shot picks with reasons survive serialization, scenes passed as queries lose nothing the matcher uses", () =>
    Effect.gen(function*() {
      const plan = yield* planScriptText("t", BUNDLED_SCRIPT)
      const clips = [{ path: "a/fractal.mp4", kind: "video" as const, durationSec: 5, width: 1920, height: 1080, tags: ["fractal"] }]
      const request = new MatchShots({ scenes: plan.scenes, clips, frame: { width: 1080, height: 1920 }, seed: "s" })
      const back = roundTrip(ShotMatcherProtocol, request)
      expect(back.scenes[1]).toEqual({ index: 1, keywords: plan.scenes[1]!.keywords, estimatedSec: plan.scenes[1]!.estimatedSec })
      const picks = rankShots(back.scenes, back.clips, { frame: back.frame, seed: back.seed })
      const encoded = yield* Schema.serializeSuccess(request, picks)
      expect(yield* Schema.deserializeSuccess(request, JSON.parse(JSON.stringify(encoded)))).toEqual(picks)
    }))

  it.effect("an empty script and mismatched durations are typed failures", () =>
    Effect.gen(function*() {
      const empty = yield* Effect.exit(planScriptText("t", " \n\n "))
      expect(Exit.isFailure(empty) && JSON.stringify(empty.cause)).toContain("no sentences to narrate")
      const plan = yield* planScriptText("t", "One. Two.")
      const mismatch = yield* Effect.flip(replanScenes(plan.sentences, [1]))
      expect(mismatch._tag).toBe("ScriptPlanError")
      const replan = new Replan({ sentences: plan.sentences, durationsSec: [3, 3] })
      const scenes = yield* replanScenes(replan.sentences, replan.durationsSec)
      expect(scenes.map((s) => s.estimatedSec)).toEqual([3, 3])
    }))
})
