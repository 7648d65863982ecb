/** The shot-matcher agent: one pick per scene from the footage it is given, with reasons. */
import { Effect } from "effect"
import { define } from "../../runtime/index.ts"
import { answer } from "../answer.ts"
import { startHeartbeat } from "../monitor/heartbeat.ts"
import { matchShots, type MatchOptions } from "./match.ts"
import { ShotMatcherProtocol } from "./protocol.ts"

export interface ShotMatcherOptions {
  readonly name?: string
  /** Scoring weights; frame and seed come with each request. */
  readonly weights?: Omit<MatchOptions, "frame" | "seed">
}

export const shotMatcherAgent = (options: ShotMatcherOptions = {}) =>
  define({
    name: options.name ?? "shot-matcher",
    protocol: ShotMatcherProtocol,
    init: (ctx) => startHeartbeat(ctx),
    receive: (message, state, ctx) =>
      Effect.as(
        answer(ctx, message, matchShots(message.scenes, message.clips, { ...options.weights, frame: message.frame, seed: message.seed })),
        state
      )
  })
