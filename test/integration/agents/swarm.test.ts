import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { directorAgent } from "../../../agents/director/agent.ts"
import { BUNDLED_SCRIPT, BUNDLED_SCRIPT_TITLE } from "../../../agents/director/bundled-script.ts"
import { PlanScript, Replan, WriteScriptForTopic } from "../../../agents/director/protocol.ts"
import { layer as topicLayer } from "../../../agents/director/topic.ts"
import { monitorAgent } from "../../../agents/monitor/agent.ts"
import { GetHealth } from "../../../agents/monitor/protocol.ts"
import { layer as samplerLayer } from "../../../agents/monitor/sample.ts"
import { shotMatcherAgent } from "../../../agents/shot-matcher/agent.ts"
import { MatchShots } from "../../../agents/shot-matcher/protocol.ts"
import type { Clip } from "../../../agents/shot-matcher/shot.ts"
import { Swarm, swarmLayerInMemory, type Topology } from "../../../runtime/index.ts"
import { mesh, star } from "../../../topologies/index.ts"

const video = (path: string, tags: ReadonlyArray<string>): Clip => ({
  path,
  kind: "video",
  durationSec: 8,
  width: 1920,
  height: 1080,
  tags
})
const library: ReadonlyArray<Clip> = [
  video("lib/gradient.mp4", ["gradient", "colour"]),
  video("lib/mandelbrot.mp4", ["mandelbrot", "fractal"]),
  video("lib/julia-zoom.mp4", ["fractal", "julia set", "zoom"]),
  video("lib/life.mp4", ["game of life", "gliders"]),
  video("lib/rule110.mp4", ["rule 110", "cellular automaton"]),
  video("lib/sierpinski.mp4", ["sierpinski triangle"]),
  video("lib/chalkboard.mp4", ["mathematics", "equations"])
]

const env = (topology: Topology) => Layer.mergeAll(swarmLayerInMemory({ topology, strict: true }), topicLayer(), samplerLayer)

/** Plans the bundled script and matches shots through the director and the shot-matcher agents. */
const planAndMatch = Effect.gen(function*() {
  const swarm = yield* Swarm
  yield* swarm.spawn(monitorAgent())
  const director = yield* swarm.spawn(directorAgent())
  const matcher = yield* swarm.spawn(shotMatcherAgent())
  const plan = yield* director.ask(new PlanScript({ title: BUNDLED_SCRIPT_TITLE, script: BUNDLED_SCRIPT }))
  const picks = yield* matcher.ask(new MatchShots({ scenes: plan.scenes, clips: library, frame: { width: 1080, height: 1920 }, seed: 5 }))
  return { plan, picks }
})

describe("the video swarm's director, shot-matcher and monitor agents", () => {
  it.scoped("plan and match through the agents; star and mesh give the same result", () =>
    Effect.gen(function*() {
      const viaStar = yield* Effect.provide(planAndMatch, env(star({ hub: "director" })))
      const viaMesh = yield* Effect.provide(planAndMatch, env(mesh))
      expect(viaStar).toEqual(viaMesh)
      expect(viaStar.plan.scenes).toHaveLength(7)
      const pickFor = (subject: string) => viaStar.picks[viaStar.plan.scenes.findIndex((s) => s.text.includes(subject))]!.clip.path
      expect(pickFor("Mandelbrot set repeats")).toBe("lib/mandelbrot.mp4")
      expect(pickFor("Game of Life")).toBe("lib/life.mp4")
      expect(pickFor("Rule 110")).toBe("lib/rule110.mp4")
      expect(pickFor("Sierpinski")).toBe("lib/sierpinski.mp4")
      expect(viaStar.picks.every((p) => p.reasons.length === 5)).toBe(true)
    }))

  it.scoped("typed failures reach the asker and the director keeps serving", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const director = yield* swarm.spawn(directorAgent())
      const noKey = yield* Effect.flip(director.ask(new WriteScriptForTopic({ topic: "fractals" })))
      expect(noKey._tag).toBe("MissingApiKeyError")
      const empty = yield* Effect.flip(director.ask(new PlanScript({ title: "t", script: "   " })))
      expect(empty._tag).toBe("ScriptPlanError")
      const plan = yield* director.ask(new PlanScript({ title: "t", script: "Cells live. Cells die." }))
      const scenes = yield* director.ask(new Replan({ sentences: plan.sentences, durationsSec: [3.5, 3.5] }))
      expect(scenes.map((s) => s.sentences.length)).toEqual([1, 1])
      const info = yield* swarm.agents
      expect(info.find((a) => a.name === "director")?.restarts).toBe(0)
    }).pipe(Effect.provide(env(mesh))))

  it.scoped("the monitor publishes metrics every interval and notices an agent that stops beating", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const monitor = yield* swarm.spawn(monitorAgent())
      const matcher = yield* swarm.spawn(shotMatcherAgent())
      yield* swarm.spawn(directorAgent())
      yield* TestClock.adjust("2 seconds")
      const health = yield* monitor.ask(new GetHealth())
      expect(health.agents.map((a) => [a.agent, a.stale])).toEqual([["director", false], ["shot-matcher", false]])
      expect(health.last?.cpu.cores).toBeGreaterThan(0)

      yield* matcher.stop
      yield* TestClock.adjust("8 seconds")
      yield* monitor.ask(new GetHealth())
      const events = yield* swarm.events.since(0)
      expect(events.filter((e) => e.type === "metrics").length).toBeGreaterThanOrEqual(5)
      expect(events.filter((e) => e.type === "agent-stale").map((e) => e.agent)).toEqual(["shot-matcher"])
    }).pipe(Effect.provide(env(star({ hub: "director" })))))
})
