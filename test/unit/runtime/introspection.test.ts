/** OTP's supervisor introspection and child management: which_children, count_children, terminate/restart/delete_child. */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { define } from "../../../runtime/agent.ts"
import { createSwarm } from "../../../runtime/promise.ts"
import { child, pool, supervisor } from "../../../runtime/supervisor.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import { Crash, eventsUntil, Hello, is, Note, Worker } from "./fixtures.ts"

describe("supervisor introspection", () => {
  it.effect("which_children lists each child's kind, restart type, incarnation, restarts, mailbox depth and state", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const gate = yield* Deferred.make<void>()
      // Handles a Note by waiting for the gate, so what is sent behind it stays queued.
      const Busy = define({
        ...Worker,
        receive: (
          message,
          notes,
          ctx
        ) => (message._tag === "Note" ? Effect.as(Deferred.await(gate), notes) : Worker.receive(message, notes, ctx))
      })
      yield* swarm.spawnSupervisor(supervisor({
        name: "team",
        children: [
          child(Busy, { name: "a", mailbox: { capacity: 8 } }),
          child(Worker, { name: "b", restart: "transient" }),
          pool({ name: "workers", agent: Worker, size: 2 })
        ]
      }))
      const restarted = yield* eventsUntil(swarm, is("restarted", "a"))
      yield* swarm.tell("a", new Crash())
      yield* restarted
      for (const text of ["in hand", "queued 1", "queued 2"]) yield* swarm.tell("a", new Note({ text }))
      yield* Effect.repeat(Effect.yieldNow(), { times: 10 })
      const children = yield* swarm.whichChildren("team")
      expect(children).toEqual([
        {
          name: "a",
          kind: "agent",
          restart: "permanent",
          state: "running",
          incarnation: 2,
          restarts: 1,
          mailbox: { queued: 2, capacity: 8 }
        },
        {
          name: "b",
          kind: "agent",
          restart: "transient",
          state: "running",
          incarnation: 1,
          restarts: 0,
          mailbox: { queued: 0, capacity: 1024 }
        },
        { name: "workers", kind: "supervisor", restart: "permanent", state: "running", incarnation: 1, restarts: 0, mailbox: undefined }
      ])
      expect(yield* swarm.countChildren("team")).toEqual({ specs: 3, active: 3, supervisors: 1, workers: 2 })
      expect((yield* swarm.whichChildren("workers")).map((c) => c.name)).toEqual(["workers-1", "workers-2"])
      expect((yield* swarm.whichChildren()).map((c) => c.name)).toEqual(["team"])
      expect(yield* Effect.flip(swarm.whichChildren("nobody"))).toMatchObject({ _tag: "SupervisorNotFoundError", supervisor: "nobody" })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("terminate_child keeps the spec, restart_child starts it fresh, delete_child forgets it", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const team = yield* swarm.spawnSupervisor(
        supervisor({ name: "team", children: [child(Worker, { name: "a" }), child(Worker, { name: "b" })] })
      )
      yield* swarm.tell("a", new Note({ text: "old" }))
      yield* swarm.terminateChild("a")
      expect((yield* team.whichChildren).map((c) => [c.name, c.state])).toEqual([["a", "terminated"], ["b", "running"]])
      expect(yield* team.countChildren).toEqual({ specs: 2, active: 1, supervisors: 0, workers: 2 })
      expect(yield* team.children).toEqual(["b"])
      // Not running: messages to it are refused by name; the name stays reserved.
      expect(yield* Effect.flip(swarm.tell("a", new Note({ text: "x" })))).toMatchObject({ _tag: "AgentNotFoundError" })
      expect((yield* Effect.flip(swarm.spawn(Worker, { name: "a" }))).reason).toBe("name-taken")
      expect(yield* Effect.flip(swarm.deleteChild("b"))).toMatchObject({ _tag: "ChildError", reason: "running" })
      expect(yield* Effect.flip(swarm.restartChild("b"))).toMatchObject({ _tag: "ChildError", reason: "running" })

      yield* swarm.restartChild("a")
      expect(yield* swarm.ask("a", new Hello())).toEqual({ name: "a", notes: [] })
      expect((yield* team.whichChildren)[0]).toMatchObject({ name: "a", state: "running", incarnation: 2, restarts: 1 })

      yield* team.terminateChild("a")
      yield* team.deleteChild("a")
      expect(yield* team.children).toEqual(["b"])
      expect(yield* Effect.flip(team.restartChild("a"))).toMatchObject({ _tag: "ChildError", reason: "not-found" })
      // Its name is free again.
      yield* swarm.spawn(Worker, { name: "a" })
      expect(yield* Effect.flip(swarm.terminateChild("zz"))).toMatchObject({ reason: "not-found" })
    }).pipe(Effect.provide(layerInMemory())))

  it("the Promise facade offers the same", async () => {
    const swarm = await createSwarm()
    try {
      await swarm.spawn(Worker, { name: "w" })
      await swarm.terminateChild("w")
      expect((await swarm.whichChildren()).map((c) => [c.name, c.state])).toEqual([["w", "terminated"]])
      await swarm.restartChild("w")
      expect(await swarm.countChildren()).toEqual({ specs: 1, active: 1, supervisors: 0, workers: 1 })
      await expect(swarm.deleteChild("w")).rejects.toMatchObject({ _tag: "ChildError", reason: "running" })
    } finally {
      await swarm.shutdown()
    }
  })
})
