/**
 * Answering an ask: run the work, reply with its value or, when it fails with the request's
 * typed failure, reply with that failure. The agent stays up either way; only defects crash it.
 */
import { Effect } from "effect"
import type { AgentContext, Failure, Request, Success } from "../runtime/index.ts"

export const answer = <M, Req extends M & Request, R>(
  ctx: AgentContext<M>,
  request: Req,
  work: Effect.Effect<Success<Req>, Failure<Req>, R>
): Effect.Effect<void, never, R> =>
  Effect.matchEffect(work, {
    onFailure: (error) => ctx.replyFailure(request, error),
    onSuccess: (value) => ctx.reply(request, value)
  })
