/**
 * A job request with a recorded narration or images, as every face maps it (apps/host/job-spec.ts):
 * the recording's content is part of the job's identity, a recording without a script is a job
 * without captions, images replace the footage folder, and bad input is refused naming the field.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { jobId } from "../../../agents/index.ts"
import { JobRequest, toJobSpec } from "../../../apps/host/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { recordWithEspeak } from "../media/recording-fixture.ts"

const SCRIPT = "Cells live and die by simple rules."

const request = (fields: Record<string, unknown>) =>
  Schema.decodeUnknownSync(JobRequest)({ size: "180x320", fps: 10, encoder: "libx264", segments: 1, ...fields })

describe("a job request with a recorded narration", () => {
  it.scoped("the recording's content is part of the job's identity: the same file is the same job, a changed one a new job", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("narration-spec")
      const state = join(dir, "state")
      const out = join(dir, "out", "video.mp4")
      const voice = join(dir, "voice.wav")
      recordWithEspeak(voice, { text: SCRIPT, voice: "en", wpm: 150, pitch: 60 })
      const footage = join(dir, "footage")
      mkdirSync(footage)
      const asked = request({ script: SCRIPT, narration: voice, footage })
      const first = yield* toJobSpec(asked, { state, out })
      expect(first.narration).toMatchObject({ file: voice })
      expect(first.output.captions).toBe("karaoke")
      expect(jobId(yield* toJobSpec(asked, { state, out }))).toBe(jobId(first))
      recordWithEspeak(voice, { text: SCRIPT, voice: "en", wpm: 120, pitch: 60 })
      const changed = yield* toJobSpec(asked, { state, out })
      expect(changed.narration!.sha256).not.toBe(first.narration!.sha256)
      expect(jobId(changed)).not.toBe(jobId(first))
      // Without the recording it is another job again.
      const { narration: _narration, ...synthesized } = asked
      expect(jobId(yield* toJobSpec(synthesized, { state, out }))).not.toBe(jobId(first))
    }))

  it.scoped("a recording without a script is a job titled after it, without captions; images replace the footage folder", () =>
    Effect.gen(function*() {
      const dir = yield* scopedTempDir("narration-spec")
      const state = join(dir, "state")
      const out = join(dir, "out", "video.mp4")
      const voice = join(dir, "podcast.wav")
      recordWithEspeak(voice, { text: SCRIPT, voice: "en", wpm: 150, pitch: 60 })
      const image = join(dir, "cover.png")
      execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "mandelbrot=size=64x64", "-frames:v", "1", image])
      const spec = yield* toJobSpec(request({ narration: voice, images: [image] }), { state, out })
      expect(spec.script).toEqual({ _tag: "None", title: "podcast" })
      expect(spec.output.captions).toBe("none")
      expect(spec.footage).toEqual({ _tag: "Files", files: [image] })

      const refused = (fields: Record<string, unknown>) => Effect.flip(toJobSpec(request(fields), { state, out }))
      const footage = join(dir, "footage")
      mkdirSync(footage)
      expect(yield* refused({ images: [image], footage, script: SCRIPT })).toMatchObject({ field: "images" })
      const notImage = join(dir, "notes.txt")
      writeFileSync(notImage, "notes")
      expect(yield* refused({ images: [notImage], script: SCRIPT })).toMatchObject({ field: "images" })
      expect(yield* refused({ images: [join(dir, "gone.jpg")], script: SCRIPT })).toMatchObject({ field: "images" })
      const missing = yield* refused({ narration: join(dir, "gone.wav"), script: SCRIPT, footage })
      expect(missing).toMatchObject({ field: "narration" })
      expect(missing.message).toContain(join(dir, "gone.wav"))
      expect(yield* refused({ footage })).toMatchObject({ field: "script" })
    }))
})
