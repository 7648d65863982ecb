/**
 * The job options MoneyPrinterTurbo users set (speaking rate, longest clip, caption look, music
 * volume), end to end on real espeak-ng, libass and ffmpeg: the job runs with them, and the video
 * shows and sounds the difference.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdir, readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { planScenes } from "../../../agents/director/script.ts"
import { splitSentences } from "../../../agents/director/sentences.ts"
import { encoderAgent } from "../../../agents/encoder/agent.ts"
import { productionLayer } from "../../../agents/production/environment.ts"
import type { JobSpec } from "../../../agents/production/job.ts"
import { ProduceVideo } from "../../../agents/production/workflow.ts"
import { rendererAgent } from "../../../agents/renderer/agent.ts"
import { PlanRender, Render } from "../../../agents/renderer/protocol.ts"
import type { OutputSettings } from "../../../agents/renderer/render-data.ts"
import { rankShots } from "../../../agents/shot-matcher/match.ts"
import { safeArea } from "../../../media/captions.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import { espeakNg, layer as ttsLayer } from "../../../media/tts/index.ts"
import { Swarm, swarmLayerInMemory } from "../../../runtime/index.ts"
import { mesh } from "../../../topologies/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { makeLibrary, tinyJob } from "./library-fixture.ts"

const tempDir = scopedTempDir("job-options")

/** The workflow run once, in its own environment and database. */
const produce = (spec: JobSpec, database: string) =>
  Effect.scoped(
    ProduceVideo.execute(spec).pipe(Effect.provide(productionLayer({ database, topology: "mesh", pollInterval: "100 millis" })))
  )

/** The captions file of each render planned under `workDir`. */
const captionFiles = (workDir: string) =>
  Effect.promise(async () => {
    const renders = (await readdir(workDir)).filter((name) => name.startsWith("render-"))
    return Promise.all(renders.map((name) => readFile(join(workDir, name, "captions.ass"), "utf8")))
  })

/** Mean absolute luma difference of one band of a frame (`band`: "top" or "bottom" third) between two videos at `at` seconds. */
const bandDifference = (a: string, b: string, at: number, band: "top" | "bottom") => {
  const crop = band === "top" ? "crop=iw:ih/3:0:0" : "crop=iw:ih/3:0:ih*2/3"
  return Effect.map(
    runFfmpeg(
      {
        args: [
          ...["-ss", String(at), "-i", a, "-ss", String(at), "-i", b],
          "-filter_complex",
          `[0:v]${crop}[x];[1:v]${crop}[y];[x][y]blend=all_mode=difference,format=gray,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-`,
          ...["-frames:v", "1", "-f", "null", "-"]
        ]
      },
      { captureStdout: true }
    ),
    (r) => Number(/YAVG=([\d.]+)/.exec(String(r.stdout))?.[1] ?? "NaN")
  )
}

/** RMS level in dB of a file's audio around `hz` (a narrow band-pass), over the whole file, as astats measures it. */
const bandLevel = (file: string, hz: number) =>
  Effect.map(
    runFfmpeg(
      {
        args: [
          ...["-i", file, "-vn", "-af"],
          `bandpass=f=${hz}:width_type=h:w=100,astats=metadata=1:reset=0,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-`,
          ...["-f", "null", "-"]
        ]
      },
      { captureStdout: true }
    ),
    // Cumulative: the last frame's figure is the whole file's; silence reads -inf.
    (r) => Number([...String(r.stdout).matchAll(/RMS_level=(\S+)/g)].at(-1)?.[1]?.replace(/^-inf$/, "-200") ?? "NaN")
  )

describe("a job's speaking rate, longest shot and caption look", () => {
  it.scopedLive("voiceRate 1.5 narrates faster, maxShotSeconds caps every shot, and the captions file has the look asked for", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => mkdir(join(dir, "footage")))
      yield* makeLibrary(join(dir, "footage"))

      const plain = tinyJob(dir, { output: { path: join(dir, "out", "plain.mp4"), captions: "lines" } })
      const styled: JobSpec = {
        ...tinyJob(dir, {
          output: {
            path: join(dir, "out", "styled.mp4"),
            captions: "lines",
            captionStyle: { position: "top", size: 20, color: "#00FF00", stroke: "#FF0000", strokeWidth: 3 }
          }
        }),
        workDir: join(dir, "work-styled"),
        voiceRate: 1.5,
        maxShotSeconds: 1.25
      }
      const before = yield* produce(plain, join(dir, "plain.db"))
      const after = yield* produce(styled, join(dir, "styled.db"))

      // The same text spoken 1.5x faster: clearly shorter, and the same words timed.
      expect(after.narration.durationSec).toBeLessThan(before.narration.durationSec * 0.85)
      expect(after.narration.words.map((w) => w.word)).toEqual(before.narration.words.map((w) => w.word))
      // The scenes are measured on the faster narration and cover it; the video is as long as it.
      const sceneSum = after.scenes.reduce((sum, s) => sum + s.estimatedSec, 0)
      expect(sceneSum).toBeCloseTo(after.narration.durationSec, 3)
      const info = yield* probe(after.output, { countFrames: true })
      expect(Math.abs(info.duration - after.narration.durationSec)).toBeLessThan(0.15)
      expect([info.width, info.height, info.hasAudio]).toEqual([180, 320, true])

      // No shot longer than 1.25 s: each scene is cut into at least the shots that takes, and picked shot by shot.
      for (const scene of after.scenes) {
        expect(scene.shots!.length).toBeGreaterThanOrEqual(Math.ceil(scene.estimatedSec / 1.25))
        for (const shot of scene.shots!) expect(shot.duration).toBeLessThanOrEqual(1.25)
      }
      for (const pick of after.shots) expect(pick.durationSec).toBeLessThanOrEqual(1.25)
      expect(after.shots.length).toBeGreaterThan(before.shots.length)

      // The captions the render burned in: 20 px, green text on a 3 px red outline, at the top of the safe area.
      const [ass, ...others] = yield* captionFiles(styled.workDir)
      expect(others).toEqual([])
      const area = safeArea(180, 320)
      expect(ass).toContain(
        `Style: Caption,Noto Sans,20,&H0000FF00,&H0000FF00,&H000000FF,&H80000000,-1,0,0,0,100,100,0,0,1,3,2,8,${area.marginL},${area.marginR},38,-1\n`
      )
      // Without a look the job's captions are as they always were: media's defaults, at the bottom.
      const [plainAss] = yield* captionFiles(plain.workDir)
      expect(plainAss).toContain(`,&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,-1,0,0,0,100,100,0,0,1,1,0,2,`)
    }))

  it.scopedLive("the captions are drawn at the top, not the bottom; music at volume 1 is heard where at volume 0 it is not", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const [clip] = yield* makeLibrary(dir)
      // A 200 Hz "voice" for 1 s then a pause, and a 2 kHz tune: what each track adds is told apart by frequency,
      // and the tune is ducked only while the voice speaks.
      const audioFile = join(dir, "narration.wav")
      yield* runFfmpeg({
        args: ["-f", "lavfi", "-i", "sine=frequency=200:duration=1", "-af", "apad=whole_dur=2", "-ac", "1"],
        output: audioFile
      })
      const musicFile = join(dir, "music.m4a")
      yield* runFfmpeg({ args: ["-f", "lavfi", "-i", "sine=frequency=2000:duration=3", "-c:a", "aac"], output: musicFile })
      const words = [{ word: "Fractals", start: 0.1, end: 0.9 }, { word: "repeat.", start: 1.0, end: 1.8 }]
      const narration = {
        provider: "test",
        audioFile,
        durationSec: 2,
        sampleRate: 44100,
        words,
        sentences: [{ text: "Fractals repeat.", start: 0, end: 2, words }]
      }
      const scenes = planScenes(splitSentences("Fractals repeat."), [2])
      const picks = rankShots(scenes, [clip], { frame: { width: 180, height: 320 }, seed: 1 })

      const swarm = yield* Swarm
      const renderer = yield* swarm.spawn(rendererAgent())
      yield* swarm.spawn(encoderAgent({ name: "encoder-0" }))
      const render = (name: string, output: Partial<OutputSettings>) =>
        Effect.gen(function*() {
          const settings: OutputSettings = {
            path: join(dir, "out", `${name}.mp4`),
            width: 180,
            height: 320,
            fps: 15,
            encoder: "libx264",
            captions: "none",
            ...output
          }
          const summary = yield* renderer.ask(new PlanRender({ scenes, picks, narration, output: settings, segments: 1, workDir: dir }))
          const result = yield* renderer.ask(new Render({ planFile: summary.planFile }), { timeout: "2 minutes" })
          const info = yield* probe(result.output, { countFrames: true })
          expect(info.frames).toBe(summary.totalFrames)
          return result.output
        })

      // A colour that is not #RRGGBB fails the plan, typed, before anything is encoded.
      const badColour = yield* Effect.flip(renderer.ask(
        new PlanRender({
          scenes,
          picks,
          narration,
          output: {
            path: join(dir, "out", "bad.mp4"),
            width: 180,
            height: 320,
            fps: 15,
            encoder: "libx264",
            captions: "lines",
            captionStyle: { position: "top", color: "green" }
          },
          segments: 1,
          workDir: dir
        })
      ))
      expect(badColour).toMatchObject({ _tag: "RenderError", stage: "captions", cause: { _tag: "CaptionError", reason: "invalid-color" } })

      const bare = yield* render("bare", {})
      const top = yield* render("top", { captions: "lines", captionStyle: { position: "top", color: "#FFFF00", strokeWidth: 2 } })
      const bottom = yield* render("bottom", { captions: "lines" })
      expect(yield* bandDifference(top, bare, 0.5, "top")).toBeGreaterThan(1)
      expect(yield* bandDifference(top, bare, 0.5, "bottom")).toBeLessThan(0.5)
      expect(yield* bandDifference(bottom, bare, 0.5, "bottom")).toBeGreaterThan(1)
      expect(yield* bandDifference(bottom, bare, 0.5, "top")).toBeLessThan(0.5)

      const silent = yield* render("music-0", { music: { path: musicFile, volume: 0 } })
      const loud = yield* render("music-1", { music: { path: musicFile, volume: 1 } })
      const [silentTune, loudTune] = [yield* bandLevel(silent, 2000), yield* bandLevel(loud, 2000)]
      expect(loudTune - silentTune, `2 kHz: ${silentTune} dB at volume 0, ${loudTune} dB at volume 1`).toBeGreaterThan(20)
      // The voice is there either way.
      const [silentVoice, loudVoice] = [yield* bandLevel(silent, 200), yield* bandLevel(loud, 200)]
      expect(Math.min(silentVoice, loudVoice), `200 Hz: ${silentVoice} dB, ${loudVoice} dB`).toBeGreaterThan(-40)
    }).pipe(Effect.provide(Layer.merge(swarmLayerInMemory({ topology: mesh, strict: true }), ttsLayer([espeakNg()])))))
})
