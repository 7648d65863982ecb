/**
 * The shot-matcher agent: a pick for every shot of every scene from the footage it is given. Each
 * pick, with its score breakdown and reasons, is recorded as a `shot-picked` event before the answer
 * goes out.
 */
import { Effect } from "effect"
import { define, SwarmEvents } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { answer } from "../answer.ts"
import { startHeartbeat } from "../monitor/heartbeat.ts"
import { ShotPickedEvent } from "./events.ts"
import { type MatchOptions, matchShots } from "./match.ts"
import { ShotMatcherProtocol } from "./protocol.ts"

export interface ShotMatcherOptions {
  readonly name?: string
  /** Scoring weights; frame and seed come with each request. */
  readonly weights?: Omit<MatchOptions, "frame" | "seed">
}

export const shotMatcherAgent = (options: ShotMatcherOptions = {}) =>
  define({
    name: options.name ?? AGENT_NAMES.shotMatcher,
    protocol: ShotMatcherProtocol,
    init: (ctx) => startHeartbeat(ctx),
    receive: (message, state, ctx) =>
      Effect.gen(function*() {
        const events = yield* SwarmEvents
        const match = matchShots(message.scenes, message.clips, { ...options.weights, frame: message.frame, seed: message.seed }).pipe(
          Effect.tap((picks) =>
            events.publishAll(
              picks.map((pick) =>
                ShotPickedEvent.make(
                  {
                    scene: pick.scene,
                    shot: pick.shot,
                    clip: pick.clip.path,
                    score: pick.score,
                    round: pick.round,
                    reasons: pick.reasons,
                    ...(pick.looped ? { looped: true } : {})
                  },
                  { agent: ctx.name, job: message.job }
                )
              )
            )
          )
        )
        yield* answer(ctx, message, match)
        return state
      })
  })
