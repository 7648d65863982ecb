/**
 * `--topic TEXT`: Claude writes the narration script. The request asks for JSON in the shape of
 * `GeneratedScript` (structured output), the answer is validated with that Schema, and invalid
 * answers or transient API failures are retried on a Schedule; an invalid answer is shown back to
 * the model with what was wrong. Without ANTHROPIC_API_KEY the writer fails at once with a
 * MissingApiKeyError that says what to do instead.
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Config, Context, Duration, Effect, JSONSchema, Layer, Option, ParseResult, Redacted, Ref, Schedule, Schema } from "effect"
import type { ScriptSentence } from "./sentences.ts"

export const DEFAULT_CLAUDE_MODEL = "claude-sonnet-5-5"

const Sentence = Schema.compose(Schema.Trim, Schema.NonEmptyString)

/** What Claude must answer: a title and 3–12 scenes of 1–3 spoken sentences each. */
export const GeneratedScript = Schema.Struct({
  title: Schema.compose(Schema.Trim, Schema.NonEmptyString).pipe(Schema.maxLength(120)),
  scenes: Schema.Array(
    Schema.Struct({ sentences: Schema.Array(Sentence).pipe(Schema.minItems(1), Schema.maxItems(3)) })
  ).pipe(Schema.minItems(3), Schema.maxItems(12))
})
export type GeneratedScript = typeof GeneratedScript.Type

/** A script written for a topic: the director plans scenes from `sentences` (one paragraph per scene Claude proposed). */
export interface WrittenScript {
  readonly title: string
  readonly text: string
  readonly sentences: ReadonlyArray<ScriptSentence>
  readonly model: string
  readonly attempts: number
}

export class MissingApiKeyError extends Schema.TaggedError<MissingApiKeyError>()("MissingApiKeyError", {
  message: Schema.String
}) {}

export class ClaudeRequestError extends Schema.TaggedError<ClaudeRequestError>()("ClaudeRequestError", {
  message: Schema.String,
  /** HTTP status, absent when the API could not be reached. */
  status: Schema.optional(Schema.Number),
  retryable: Schema.Boolean,
  attempt: Schema.Number
}) {}

export class InvalidScriptOutputError extends Schema.TaggedError<InvalidScriptOutputError>()("InvalidScriptOutputError", {
  message: Schema.String,
  /** The start of what the model answered. */
  output: Schema.String,
  attempt: Schema.Number
}) {}

export const TopicError = Schema.Union(MissingApiKeyError, ClaudeRequestError, InvalidScriptOutputError)
export type TopicError = typeof TopicError.Type

export interface TopicWriterConfig {
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly model: string
  /** Messages API origin; the SDK's default (api.anthropic.com) when undefined. */
  readonly baseURL: string | undefined
  /** Attempts in all, first included. */
  readonly maxAttempts: number
  /** First delay between attempts; doubles each time. */
  readonly retryDelay: Duration.DurationInput
  readonly requestTimeout: Duration.DurationInput
  /** Narration length asked for. */
  readonly targetSec: number
}

export const defaultConfig: TopicWriterConfig = {
  apiKey: undefined,
  model: DEFAULT_CLAUDE_MODEL,
  baseURL: undefined,
  maxAttempts: 4,
  retryDelay: "1 second",
  requestTimeout: "60 seconds",
  targetSec: 40
}

export interface TopicWriterService {
  readonly write: (topic: string) => Effect.Effect<WrittenScript, TopicError>
}

export class TopicWriter extends Context.Tag("reelswarm/agents/director/TopicWriter")<TopicWriter, TopicWriterService>() {}

const NO_KEY_MESSAGE = "--topic asks Claude to write the script and needs an Anthropic API key: set ANTHROPIC_API_KEY " +
  "(and ANTHROPIC_BASE_URL for a proxy or gateway), or pass --script FILE with a script you wrote, which works offline"

/**
 * The JSON schema sent as the structured-output format. Structured outputs accept a subset of JSON
 * Schema (no string lengths or patterns, minItems only 0 or 1): the full rules are checked on our side.
 */
export const structuredOutputSchema = (): Record<string, unknown> => {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip)
    if (node === null || typeof node !== "object") return node
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) {
      if (["$schema", "title", "minLength", "maxLength", "maxItems", "pattern"].includes(key)) continue
      if (key === "minItems" && typeof value === "number" && value > 1) out[key] = 1
      else out[key] = strip(value)
    }
    return out
  }
  return strip(JSONSchema.make(GeneratedScript)) as Record<string, unknown>
}

const systemPrompt = (targetSec: number) =>
  [
    "You write narration scripts for short vertical videos.",
    `The narration is read aloud in about ${targetSec} seconds (about ${Math.round(targetSec * 2.6)} words).`,
    "Split it into 5 to 8 scenes; each scene is one or two short spoken sentences, about 3 to 6 seconds,",
    "and shows one concrete, filmable subject. Plain spoken English: no stage directions, no markdown,",
    "no emoji, no lists. Answer with only a JSON object of the requested shape."
  ].join(" ")

/** Claude's text answer, without a Markdown fence if it put one around the JSON. */
const answerText = (message: Anthropic.Message): string =>
  message.content
    .flatMap((block) => (block.type === "text" ? [block.text] : []))
    .join("")
    .trim()
    .replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, "$1")

const decodeScript = Schema.decodeUnknownEither(GeneratedScript)

const isRetryableStatus = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500

/** The SDK is loaded on the first `--topic` request: most runs never need its few hundred modules. */
const loadSdk = () => import("@anthropic-ai/sdk").then((module) => module.default)

const requestError = (sdk: typeof Anthropic, cause: unknown, attempt: number): ClaudeRequestError => {
  if (cause instanceof sdk.APIConnectionError) {
    return new ClaudeRequestError({ message: `cannot reach the Messages API: ${cause.message}`, retryable: true, attempt })
  }
  if (cause instanceof sdk.APIError && typeof cause.status === "number") {
    return new ClaudeRequestError({
      message: `the Messages API answered ${cause.status}: ${cause.message}`,
      status: cause.status,
      retryable: isRetryableStatus(cause.status),
      attempt
    })
  }
  return new ClaudeRequestError({ message: `Messages API call failed: ${String(cause)}`, retryable: false, attempt })
}

export const make = (options: Partial<TopicWriterConfig> = {}): TopicWriterService => {
  const config: TopicWriterConfig = { ...defaultConfig, ...options }
  let client: { readonly sdk: typeof Anthropic; readonly anthropic: Anthropic } | undefined
  const clientFor = async (apiKey: Redacted.Redacted<string>) => {
    if (client !== undefined) return client
    const sdk = await loadSdk()
    const anthropic = new sdk({
      apiKey: Redacted.value(apiKey),
      ...(config.baseURL === undefined ? {} : { baseURL: config.baseURL }),
      // Retries are ours (Schedule), so that invalid answers and API failures share one policy.
      maxRetries: 0,
      timeout: Duration.toMillis(config.requestTimeout)
    })
    client = { sdk, anthropic }
    return client
  }

  const write = Effect.fn("director.writeScriptForTopic")(function*(topic: string) {
    yield* Effect.annotateCurrentSpan({ model: config.model })
    if (config.apiKey === undefined || Redacted.value(config.apiKey).trim() === "") {
      return yield* new MissingApiKeyError({ message: NO_KEY_MESSAGE })
    }
    const apiKey = config.apiKey
    // The SDK loads on the first request; a broken install is the request's failure, not a crash.
    const { sdk, anthropic } = yield* Effect.tryPromise({
      try: () => clientFor(apiKey),
      catch: (cause) => new ClaudeRequestError({ message: `cannot load the Anthropic SDK: ${String(cause)}`, retryable: false, attempt: 0 })
    })
    const format = structuredOutputSchema()
    const attempts = yield* Ref.make(0)
    // Earlier invalid answers and what was wrong with them, replayed so the model can correct itself.
    const corrections = yield* Ref.make<ReadonlyArray<Anthropic.MessageParam>>([])

    const attempt = Effect.gen(function*() {
      const n = yield* Ref.updateAndGet(attempts, (k) => k + 1)
      const history = yield* Ref.get(corrections)
      const message = yield* Effect.tryPromise({
        try: (signal) =>
          anthropic.messages.create(
            {
              model: config.model,
              max_tokens: 2048,
              system: systemPrompt(config.targetSec),
              messages: [{ role: "user", content: `Topic: ${topic}` }, ...history],
              output_config: { format: { type: "json_schema", schema: format } }
            },
            { signal }
          ),
        catch: (cause) => requestError(sdk, cause, n)
      })
      if (message.stop_reason === "refusal") {
        return yield* new ClaudeRequestError({ message: "Claude declined to write a script for this topic", retryable: false, attempt: n })
      }
      const text = answerText(message)
      const invalid = (reason: string) =>
        Effect.zipRight(
          Ref.update(corrections, (previous): ReadonlyArray<Anthropic.MessageParam> => [
            ...previous,
            { role: "assistant", content: text.length > 0 ? text : "(empty)" },
            { role: "user", content: `That answer is not usable: ${reason}. Answer again with only the JSON object.` }
          ]),
          Effect.fail(new InvalidScriptOutputError({ message: reason, output: text.slice(0, 500), attempt: n }))
        )
      if (message.stop_reason === "max_tokens") return yield* invalid("the answer was cut off at the token limit")
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (error) {
        return yield* invalid(`it is not JSON (${(error as Error).message})`)
      }
      const decoded = decodeScript(json)
      if (decoded._tag === "Left") {
        return yield* invalid(`it does not match the schema: ${ParseResult.TreeFormatter.formatErrorSync(decoded.left)}`)
      }
      return { script: decoded.right, attempts: n }
    })

    const { attempts: used, script } = yield* Effect.retry(attempt, {
      schedule: Schedule.exponential(config.retryDelay).pipe(Schedule.intersect(Schedule.recurs(config.maxAttempts - 1))),
      while: (error) => error._tag === "InvalidScriptOutputError" || error.retryable
    })
    const sentences = script.scenes.flatMap((scene, paragraph) => scene.sentences.map((text) => ({ text, paragraph })))
    return {
      title: script.title,
      text: script.scenes.map((scene) => scene.sentences.join(" ")).join("\n\n"),
      sentences,
      model: config.model,
      attempts: used
    } satisfies WrittenScript
  })

  return { write }
}

export const layer = (options: Partial<TopicWriterConfig> = {}): Layer.Layer<TopicWriter> => Layer.succeed(TopicWriter, make(options))

/** Configuration from the environment: ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, REELSWARM_CLAUDE_MODEL. */
export const configFromEnv: Config.Config<Partial<TopicWriterConfig>> = Config.all({
  apiKey: Config.option(Config.redacted("ANTHROPIC_API_KEY")),
  baseURL: Config.option(Config.string("ANTHROPIC_BASE_URL")),
  model: Config.string("REELSWARM_CLAUDE_MODEL").pipe(Config.withDefault(DEFAULT_CLAUDE_MODEL))
}).pipe(
  Config.map(({ apiKey, baseURL, model }) => ({
    apiKey: Option.getOrUndefined(apiKey),
    baseURL: Option.getOrUndefined(baseURL),
    model
  }))
)

/** The writer configured from the environment; `overrides` (e.g. --model from the CLI) win. */
export const layerConfig = (overrides: Partial<TopicWriterConfig> = {}) =>
  Layer.effect(TopicWriter, Effect.map(configFromEnv, (env) => make({ ...env, ...overrides })))
