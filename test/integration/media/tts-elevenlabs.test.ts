import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { elevenLabs, makeTts } from "../../../media/tts/index.ts"
import { decodeWav } from "../../../media/tts/wav.ts"
import { jsonReply, loopbackServer } from "../../fixtures/loopback-server.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const SAMPLE_RATE = 24000
const CHAR_SEC = 0.05

interface Seen {
  readonly path: string
  readonly format: string | null
  readonly body: { text: string; model_id: string; previous_text?: string }
}

/**
 * A loopback stand-in for api.elevenlabs.io: every character lasts 50 ms, audio is a 220 Hz tone of that length.
 * The first `unavailable` requests are answered 503 (an overloaded service).
 */
const fakeElevenLabsWith = (options: { readonly unavailable?: number } = {}) =>
  Effect.map(
    loopbackServer(({ headers, body: text }, { requests }) => {
      if (requests.length <= (options.unavailable ?? 0)) return jsonReply(503, { detail: "busy" })
      if (headers["xi-api-key"] !== "test-key") return jsonReply(401, { detail: { status: "invalid_api_key" } })
      const body = JSON.parse(text) as Seen["body"]
      const characters = [...body.text]
      const samples = Math.round(characters.length * CHAR_SEC * SAMPLE_RATE)
      const pcm = Buffer.alloc(samples * 2)
      for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / SAMPLE_RATE)), i * 2)
      return jsonReply(200, {
        audio_base64: pcm.toString("base64"),
        alignment: {
          characters,
          character_start_times_seconds: characters.map((_, i) => i * CHAR_SEC),
          character_end_times_seconds: characters.map((_, i) => (i + 1) * CHAR_SEC)
        },
        normalized_alignment: null
      })
    }),
    (server) => ({
      url: server.url,
      get seen(): Array<Seen> {
        return server.requests.map((r) => ({
          path: r.url.pathname,
          format: r.url.searchParams.get("output_format"),
          body: JSON.parse(r.body) as Seen["body"]
        }))
      }
    })
  )

const fakeElevenLabs = fakeElevenLabsWith()

const tempDir = scopedTempDir("tts-11labs")

describe("ElevenLabs provider against a loopback fake", () => {
  it.scoped("character alignments become word timings, chunks are joined with exact offsets, results are cached", () =>
    Effect.gen(function*() {
      const fake = yield* fakeElevenLabs
      const dir = yield* tempDir
      const tts = makeTts([elevenLabs({ apiKey: "test-key", baseUrl: fake.url, maxChunkChars: 20 })])
      const text = "Hello brave world. Cells {live} here!"
      const narration = yield* tts.synthesize({ text, voice: "voice/1", rate: 1.1 }, dir)

      // Two chunks: "Hello brave world." (18 chars) then "Cells {live} here!" (18 chars)
      expect(fake.seen.map((s) => s.body.text)).toEqual(["Hello brave world.", "Cells {live} here!"])
      expect(fake.seen[0]!.path).toBe("/v1/text-to-speech/voice%2F1/with-timestamps")
      expect(fake.seen[0]!.format).toBe("pcm_24000")
      expect(fake.seen[1]!.body.previous_text).toBe("Hello brave world.")
      expect(narration.words).toEqual([
        { word: "Hello", start: 0, end: 0.25 },
        { word: "brave", start: 0.3, end: 0.55 },
        { word: "world.", start: 0.6, end: 0.9 },
        { word: "Cells", start: 0.9, end: 1.15 },
        { word: "{live}", start: 1.2, end: 1.5 },
        { word: "here!", start: 1.55, end: 1.8 }
      ])
      expect(narration.sentences.map((s) => [s.text, s.start, s.end])).toEqual([
        ["Hello brave world.", 0, 0.9],
        ["Cells {live} here!", 0.9, 1.8]
      ])
      const wav = decodeWav(readFileSync(narration.audioFile))
      expect(wav.sampleRate).toBe(SAMPLE_RATE)
      expect(wav.samples.length).toBe(Math.round(36 * CHAR_SEC * SAMPLE_RATE))
      expect(narration.durationSec).toBeCloseTo(1.8, 6)

      const again = yield* tts.synthesize({ text, voice: "voice/1", rate: 1.1 }, dir)
      expect(again.audioFile).toBe(narration.audioFile)
      expect(fake.seen).toHaveLength(2)
    }))

  it.scoped("a rejected API key is a typed Http error carrying the status, never the key", () =>
    Effect.gen(function*() {
      const fake = yield* fakeElevenLabs
      const dir = yield* tempDir
      const tts = makeTts([elevenLabs({ apiKey: "wrong-key", baseUrl: fake.url })])
      const error = yield* Effect.flip(tts.synthesize({ text: "Hello.", voice: "v" }, dir))
      expect(error._tag).toBe("TtsError")
      expect(error.reason).toBe("http")
      expect(error.message).toContain("401")
      expect(JSON.stringify(error)).not.toContain("wrong-key")
    }))

  it.live("a 503 is retried and the narration arrives; a refused key is asked once, not retried", () =>
    Effect.scoped(
      Effect.gen(function*() {
        const busy = yield* fakeElevenLabsWith({ unavailable: 1 })
        const dir = yield* tempDir
        const narration = yield* makeTts([elevenLabs({ apiKey: "test-key", baseUrl: busy.url })]).synthesize({
          text: "Hello world.",
          voice: "v"
        }, dir)
        expect(busy.seen.map((s) => s.body.text)).toEqual(["Hello world.", "Hello world."])
        expect(narration.words.map((w) => w.word)).toEqual(["Hello", "world."])

        const fake = yield* fakeElevenLabs
        const refused = yield* Effect.flip(
          makeTts([elevenLabs({ apiKey: "wrong-key", baseUrl: fake.url })]).synthesize({ text: "Hello.", voice: "v" }, dir)
        )
        expect(refused).toMatchObject({ _tag: "TtsError", reason: "http" })
        expect(refused.message).toContain("401")
        expect(fake.seen).toHaveLength(1)
      })
    ))
})
