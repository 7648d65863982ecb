/**
 * An analyzer agent: a worker of the analysis pool. It handles one task at a time, each a plain
 * media/ function (a video pass over a range, the audio pass, OCR of some frames), and answers with
 * its result or its AnalysisError; a failed task never takes the worker down.
 */
import { Effect } from "effect"
import { analyzeAudio, analyzeVideoRange, readText } from "../../media/index.ts"
import { define } from "../../runtime/index.ts"
import { answer } from "../answer.ts"
import { AnalyzerProtocol } from "./protocol.ts"

/** The pool's name; its workers are `analyzers-1` … `analyzers-N`. */
export const ANALYZER_POOL = "analyzers"

export const analyzerAgent = (options: { readonly name?: string } = {}) =>
  define({
    name: options.name ?? ANALYZER_POOL,
    protocol: AnalyzerProtocol,
    init: () => Effect.void,
    receive: (message, state, ctx) =>
      Effect.as(
        (() => {
          switch (message._tag) {
            case "AnalyzeVideoRange":
              return answer(ctx, message, analyzeVideoRange(message.request))
            case "AnalyzeAudio":
              return answer(ctx, message, analyzeAudio(message.request))
            case "ReadText":
              return answer(ctx, message, readText(message.request))
          }
        })(),
        state
      )
  })
