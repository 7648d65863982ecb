/**
 * The director agent: plans scripts (offline), has Claude write them for a topic, and replans
 * scenes once narration has been measured, cutting each into shots at its pace. Every answer is a
 * reply; a bad script or a missing key is a typed failure for the asker, never a crash.
 */
import { Effect } from "effect"
import { define } from "../../runtime/index.ts"
import { AGENT_NAMES } from "../agent-names.ts"
import { answer } from "../answer.ts"
import { startHeartbeat } from "../monitor/heartbeat.ts"
import { cutScenes } from "./cuts.ts"
import { DirectorProtocol } from "./protocol.ts"
import { planScenes, planScriptText, replanScenes, type ScenePlanOptions } from "./script.ts"
import { TopicWriter } from "./topic.ts"

export interface DirectorOptions {
  readonly name?: string
  readonly planning?: ScenePlanOptions
}

export const directorAgent = (options: DirectorOptions = {}) =>
  define({
    name: options.name ?? AGENT_NAMES.director,
    protocol: DirectorProtocol,
    init: (ctx) => startHeartbeat(ctx),
    receive: (message, state, ctx) => {
      switch (message._tag) {
        case "PlanScript":
          return Effect.as(answer(ctx, message, planScriptText(message.title, message.script, options.planning)), state)
        case "Replan": {
          const replan = replanScenes(message.sentences, message.durationsSec, options.planning)
          return Effect.as(
            answer(
              ctx,
              message,
              Effect.map(replan, (scenes) => cutScenes(scenes, message.words, { maxShotSeconds: message.maxShotSeconds }))
            ),
            state
          )
        }
        case "WriteScriptForTopic": {
          const write = Effect.flatMap(TopicWriter, (writer) => writer.write(message.topic)).pipe(
            Effect.map((written) => ({
              title: written.title,
              sentences: written.sentences,
              scenes: planScenes(written.sentences, undefined, options.planning)
            }))
          )
          return Effect.as(answer(ctx, message, write), state)
        }
      }
    }
  })
