import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import type { IncomingHttpHeaders } from "node:http"
import { planScenes } from "../../../agents/director/script.ts"
import { DEFAULT_CLAUDE_MODEL, layerConfig, make, structuredOutputSchema, TopicWriter } from "../../../agents/director/topic.ts"
import { fakeMessagesApi } from "./fake-messages-api.ts"

const validScript = {
  title: "Patterns that build themselves",
  scenes: [
    { sentences: ["The Mandelbrot set hides endless detail in one formula."] },
    { sentences: ["In the Game of Life, cells live or die.", "Gliders crawl."] },
    { sentences: ["Rule 110 is one row of cells and one rule."] },
    { sentences: ["The Sierpinski triangle repeats at every scale."] }
  ]
}

/** The key as the SDK sent it: `x-api-key`, or `authorization: Bearer` in newer SDK versions. */
const credential = (headers: IncomingHttpHeaders) => headers["x-api-key"] ?? headers.authorization?.replace(/^Bearer /, "")

const writer = (baseURL: string, maxAttempts = 4) =>
  make({ apiKey: Redacted.make("sk-test-key"), baseURL, maxAttempts, retryDelay: "5 millis", model: "claude-test-model" })

describe("director --topic (Claude through the real SDK, loopback fake Messages API)", () => {
  it.scopedLive("asks for the structured JSON script and turns the scenes into paragraphs", () =>
    Effect.gen(function*() {
      const api = yield* fakeMessagesApi([{ text: JSON.stringify(validScript) }])
      const written = yield* writer(api.baseURL).write("emergent patterns in mathematics")

      expect(written.title).toBe("Patterns that build themselves")
      expect(written.attempts).toBe(1)
      expect(written.sentences.map((s) => s.paragraph)).toEqual([0, 1, 1, 2, 3])
      expect(written.text.split("\n\n")).toHaveLength(4)

      expect(api.requests).toHaveLength(1)
      const [request] = api.requests
      expect(request!.url).toBe("/v1/messages")
      expect(credential(request!.headers)).toBe("sk-test-key")
      expect(request!.body.model).toBe("claude-test-model")
      expect(request!.body.messages[0].content).toContain("emergent patterns in mathematics")
      expect(request!.body.output_config.format.type).toBe("json_schema")
      expect(request!.body.output_config.format.schema.required).toEqual(["title", "scenes"])

      // Paragraphs are scene boundaries the planner keeps.
      const scenes = planScenes(written.sentences)
      expect(scenes.map((s) => s.sentences.length)).toEqual([1, 2, 1, 1])
      expect(scenes[1]!.keywords).toContain("life")
    }))

  it.scopedLive("retries an invalid answer and shows the model what was wrong", () =>
    Effect.gen(function*() {
      const api = yield* fakeMessagesApi([
        { text: "Sure! Here is a script about patterns." },
        { text: JSON.stringify({ title: "Too short", scenes: [{ sentences: [] }] }) },
        { text: "```json\n" + JSON.stringify(validScript) + "\n```" }
      ])
      const written = yield* writer(api.baseURL).write("patterns")

      expect(written.attempts).toBe(3)
      expect(written.sentences).toHaveLength(5)
      expect(api.requests).toHaveLength(3)
      const retry = api.requests[1]!.body.messages
      expect(retry).toHaveLength(3)
      expect(retry[1]).toEqual({ role: "assistant", content: "Sure! Here is a script about patterns." })
      expect(retry[2].content).toContain("not JSON")
      const third = api.requests[2]!.body.messages
      expect(third).toHaveLength(5)
      expect(third[4].content).toContain("does not match the schema")
    }))

  it.scopedLive("retries a transient API error (529 overloaded)", () =>
    Effect.gen(function*() {
      const api = yield* fakeMessagesApi([
        { status: 529, errorType: "overloaded_error", message: "Overloaded" },
        { text: JSON.stringify(validScript) }
      ])
      const written = yield* writer(api.baseURL).write("patterns")
      expect(written.attempts).toBe(2)
      expect(api.requests).toHaveLength(2)
    }))

  it.scopedLive("does not retry a rejected key (401)", () =>
    Effect.gen(function*() {
      const api = yield* fakeMessagesApi([{ status: 401, errorType: "authentication_error", message: "invalid x-api-key" }])
      const error = yield* Effect.flip(writer(api.baseURL).write("patterns"))
      expect(error._tag).toBe("ClaudeRequestError")
      expect(error._tag === "ClaudeRequestError" && error.status).toBe(401)
      expect(api.requests).toHaveLength(1)
    }))

  it.scopedLive("gives up after the configured attempts with the last invalid answer", () =>
    Effect.gen(function*() {
      const api = yield* fakeMessagesApi([{ text: "{}" }])
      const error = yield* Effect.flip(writer(api.baseURL, 3).write("patterns"))
      expect(error._tag).toBe("InvalidScriptOutputError")
      expect(error._tag === "InvalidScriptOutputError" && error.attempt).toBe(3)
      expect(api.requests).toHaveLength(3)
    }))

  it.scopedLive("reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL from the environment", () =>
    Effect.gen(function*() {
      const api = yield* fakeMessagesApi([{ text: JSON.stringify(validScript) }])
      const env = ConfigProvider.fromMap(new Map([["ANTHROPIC_API_KEY", "sk-env"], ["ANTHROPIC_BASE_URL", api.baseURL]]))
      const written = yield* Effect.flatMap(TopicWriter, (w) => w.write("patterns")).pipe(
        Effect.provide(layerConfig().pipe(Layer.provide(Layer.setConfigProvider(env))))
      )
      expect(written.model).toBe(DEFAULT_CLAUDE_MODEL)
      expect(credential(api.requests[0]!.headers)).toBe("sk-env")
    }))

  it.scopedLive("without a key says to set ANTHROPIC_API_KEY or pass --script, and sends nothing", () =>
    Effect.gen(function*() {
      const api = yield* fakeMessagesApi([{ text: JSON.stringify(validScript) }])
      const env = ConfigProvider.fromMap(new Map([["ANTHROPIC_BASE_URL", api.baseURL]]))
      const error = yield* Effect.flip(
        Effect.flatMap(TopicWriter, (w) => w.write("patterns")).pipe(
          Effect.provide(layerConfig().pipe(Layer.provide(Layer.setConfigProvider(env))))
        )
      )
      expect(error._tag).toBe("MissingApiKeyError")
      expect(error.message).toContain("ANTHROPIC_API_KEY")
      expect(error.message).toContain("--script FILE")
      expect(api.requests).toHaveLength(0)
    }))

  it("sends a schema within the structured-output subset", () => {
    const schema = JSON.stringify(structuredOutputSchema())
    expect(schema).not.toMatch(/"(minLength|maxLength|maxItems|pattern|\$schema)"/)
    expect(schema).toContain("\"additionalProperties\":false")
  })
})
