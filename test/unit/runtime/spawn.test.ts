/**
 * OTP's start_child: the start is synchronous and its failure is the caller's answer. A child whose
 * init fails is not running, counts no restart, and takes nobody else down.
 */
import { describe, expect, it } from "@effect/vitest"
import { Data, Effect, Exit, Schema } from "effect"
import { define, SpawnError } from "../../../runtime/agent.ts"
import { createSwarm } from "../../../runtime/promise.ts"
import { child, supervisor } from "../../../runtime/supervisor.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import { Hello, Note, Worker } from "./fixtures.ts"

class NoConfig extends Data.TaggedError("NoConfig")<{ readonly key: string }> {}

/** An agent whose init fails with a typed error. */
const Broken = define({
  name: "broken",
  protocol: Schema.Union(Note, Hello),
  init: (): Effect.Effect<number, NoConfig> => Effect.fail(new NoConfig({ key: "api-key" })),
  receive: (_, state) => Effect.succeed(state)
})

const lifecycle = (types: ReadonlyArray<string>) => (e: { readonly type: string }) => types.includes(e.type)

describe("spawning a child whose init fails", () => {
  it.effect("spawn fails with SpawnError init-failed carrying the init's error; nothing else moves", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const sibling = yield* swarm.spawn(Worker, { name: "sibling" })
      yield* sibling.tell(new Note({ text: "kept" }))

      const error = yield* Effect.flip(swarm.spawn(Broken))
      expect(error).toBeInstanceOf(SpawnError)
      expect(error).toMatchObject({ name: "broken", reason: "init-failed", cause: new NoConfig({ key: "api-key" }) })
      expect(error.message).toContain("NoConfig")

      // Not running, no restart counted, no spawned/restarted/escalated event; the sibling kept its state.
      expect(yield* swarm.lookup("broken")).toMatchObject({ _tag: "None" })
      const events = (yield* swarm.events.since(0)).filter(lifecycle(["spawned", "restarted", "escalated", "stopped"]))
      expect(events.map((e) => `${e.type}:${e.agent}`)).toEqual(["spawned:sibling"])
      expect(yield* sibling.ask(new Hello())).toEqual({ name: "sibling", notes: ["kept"] })
      expect((yield* swarm.agents).map((a) => [a.name, a.restarts])).toEqual([["sibling", 0]])
      // The name is free again: a working definition under it starts.
      const fixed = yield* swarm.spawn(Worker, { name: "broken" })
      expect(yield* fixed.ask(new Hello())).toEqual({ name: "broken", notes: [] })
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("a defect in init is reported the same way", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const error = yield* Effect.flip(swarm.spawn(define({ ...Broken, name: "dies", init: () => Effect.die(new Error("boom")) })))
      expect(error).toMatchObject({ _tag: "SpawnError", name: "dies", reason: "init-failed" })
      expect((error.cause as Error).message).toBe("boom")
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("however many times it is tried, the root never escalates (failed spawns are not restarts)", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Worker, { name: "bystander" })
      // The root allows 3 restarts in 5 s; ten failed spawns must not count as any.
      for (let i = 0; i < 10; i++) expect((yield* Effect.flip(swarm.spawn(Broken))).reason).toBe("init-failed")
      expect((yield* swarm.events.since(0)).some((e) => e.type === "escalated")).toBe(false)
      expect(yield* swarm.ask("bystander", new Hello())).toEqual({ name: "bystander", notes: [] })
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("a supervisor whose static child fails to start fails to spawn, and stops the children it had started", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(Worker, { name: "outside" })
      const error = yield* Effect.flip(swarm.spawnSupervisor(
        supervisor({ name: "team", children: [child(Worker, { name: "first" }), child(Broken), child(Worker, { name: "third" })] })
      ))
      expect(error).toMatchObject({ _tag: "SpawnError", name: "team", reason: "init-failed" })
      expect(error.cause).toMatchObject({ _tag: "SpawnError", name: "broken", reason: "init-failed" })
      // "first" had started and was stopped again; "third" never started.
      expect((yield* swarm.agents).map((a) => a.name)).toEqual(["outside"])
      const events = (yield* swarm.events.since(0)).filter(lifecycle(["spawned", "stopped", "escalated"]))
      expect(events.map((e) => `${e.type}:${e.agent}`)).toEqual(["spawned:outside", "spawned:first", "stopped:first"])
      expect(yield* swarm.whichChildren()).toMatchObject([{ name: "outside", state: "running" }])
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("a child spec with a duplicate name is refused before anything starts, and the supervisor lives on", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const team = yield* swarm.spawnSupervisor(supervisor({ name: "team", children: [child(Worker, { name: "a" })] }))
      const duplicate = yield* Effect.flip(swarm.spawnSupervisor(
        supervisor({ name: "pair", children: [child(Worker, { name: "twin" }), child(Worker, { name: "twin" })] })
      ))
      expect(duplicate).toMatchObject({ _tag: "SpawnError", name: "pair", reason: "duplicate-name", detail: "twin" })
      // A name already used anywhere in the swarm is refused too, through a running supervisor.
      const taken = yield* Effect.flip(team.spawn(Worker, { name: "a" }))
      expect(taken).toMatchObject({ reason: "name-taken", name: "a" })
      const takenByTree = yield* Effect.flip(swarm.spawnSupervisor(supervisor({ name: "other", children: [child(Worker, { name: "a" })] })))
      expect(takenByTree).toMatchObject({ reason: "name-taken", name: "other" })
      expect(yield* team.children).toEqual(["a"])
      expect(yield* swarm.ask("a", new Hello())).toEqual({ name: "a", notes: [] })
      expect((yield* swarm.events.since(0)).filter((e) => e.agent === "twin")).toEqual([])
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("an agent's ctx.spawn of a failing child fails with the SpawnError, which the parent may handle", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const Parent = define({
        ...Worker,
        name: "parent",
        init: (ctx) =>
          Effect.map(Effect.either(ctx.spawn(Broken)), (spawned) => (spawned._tag === "Left" ? [spawned.left.reason] : ["spawned"]))
      })
      const parent = yield* swarm.spawn(Parent)
      expect(yield* parent.ask(new Hello())).toEqual({ name: "parent", notes: ["init-failed"] })
    }).pipe(Effect.provide(layerInMemory())))

  it("the Promise facade's spawn rejects with the SpawnError and the swarm goes on", async () => {
    const swarm = await createSwarm()
    try {
      const sibling = await swarm.spawn(Worker, { name: "sibling" })
      const rejected = await swarm.spawn(Broken).then(() => undefined, (error: unknown) => error)
      expect(rejected).toBeInstanceOf(SpawnError)
      expect(rejected).toMatchObject({ reason: "init-failed", name: "broken" })
      expect(await sibling.ask(new Hello())).toEqual({ name: "sibling", notes: [] })
    } finally {
      await swarm.shutdown()
    }
  })

  it.effect("spawn after the supervisor stopped fails with supervisor-stopped", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const team = yield* swarm.spawnSupervisor(supervisor({ name: "team" }))
      yield* team.stop
      const exit = yield* Effect.exit(team.spawn(Worker))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error).toMatchObject({ reason: "supervisor-stopped" })
    }).pipe(Effect.provide(layerInMemory())))
})
