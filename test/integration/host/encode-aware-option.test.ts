/**
 * `encodeAware`, one job option for every face (the switch `--encode-aware`, REELSWARM_ENCODE_AWARE,
 * the config file, the API's JSON): true reaches the renderer's output settings; false or absent
 * leaves the job's spec as it was (same id, same caches); anything else is refused by its Schema.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { JobRequest } from "../../../apps/host/job-request.ts"
import { toJobSpec } from "../../../apps/host/job-spec.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, SCRIPT } from "../agents/library-fixture.ts"

const tempDir = scopedTempDir("encode-aware-option")

describe("the encodeAware job option", () => {
  it.scopedLive("true: the render is content-aware; false or absent: the spec is the default one", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const footage = join(dir, "footage")
      yield* Effect.promise(() => mkdir(footage))
      yield* makeLibrary(footage)
      const target = { state: join(dir, "state"), out: join(dir, "out", "v.mp4") }
      const request = (extra: object) =>
        Schema.decodeUnknownSync(JobRequest)({ script: SCRIPT, footage, encoder: "libx264", captions: "none", ...extra })
      const on = yield* toJobSpec(request({ encodeAware: true }), target)
      expect(on.output.encodeAware).toBe(true)
      const off = yield* toJobSpec(request({ encodeAware: false }), target)
      const absent = yield* toJobSpec(request({}), target)
      expect("encodeAware" in off.output).toBe(false)
      expect(off).toEqual(absent)
      expect(Either.isLeft(Schema.decodeUnknownEither(JobRequest)({ script: SCRIPT, encodeAware: "yes" }))).toBe(true)
    }))
})
