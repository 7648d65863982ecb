/** Agents and helpers shared by the runtime tests. */
import { Chunk, Effect, Fiber, Schema, Stream } from "effect"
import { define } from "../../../runtime/agent.ts"
import type { SwarmEvent } from "../../../runtime/events.ts"
import type { SwarmService } from "../../../runtime/swarm.ts"

export class Crash extends Schema.TaggedClass<Crash>()("Crash", {}) {}
export class Quit extends Schema.TaggedClass<Quit>()("Quit", {}) {}
export class Note extends Schema.TaggedClass<Note>()("Note", { text: Schema.String }) {}
export class Hello extends Schema.TaggedRequest<Hello>()("Hello", {
  success: Schema.Struct({ name: Schema.String, notes: Schema.Array(Schema.String) }),
  failure: Schema.Never,
  payload: {}
}) {}

/** Crashes on `Crash`, stops normally on `Quit`, remembers `Note`s, answers `Hello` with its name and notes. */
export const Worker = define({
  name: "worker",
  protocol: Schema.Union(Crash, Quit, Note, Hello),
  init: () => Effect.succeed<ReadonlyArray<string>>([]),
  receive: (message, notes, ctx) => {
    switch (message._tag) {
      case "Crash":
        return Effect.die(new Error("crash on purpose"))
      case "Quit":
        return Effect.as(ctx.stop, notes)
      case "Note":
        return Effect.succeed([...notes, message.text])
      case "Hello":
        return Effect.as(ctx.reply(message, { name: ctx.name, notes }), notes)
    }
  }
})

/**
 * Subscribes now and returns an effect that yields the events seen up to and including the first
 * one matching `until`: start it before the action, await it after.
 */
export const eventsUntil = (swarm: SwarmService, until: (event: SwarmEvent) => boolean) =>
  Effect.gen(function*() {
    const live = yield* swarm.events.subscribe
    const fiber = yield* live.pipe(Stream.takeUntil(until), Stream.runCollect, Effect.fork)
    return Effect.map(Fiber.join(fiber), Chunk.toReadonlyArray)
  })

export const is = (type: string, agent: string) => (event: SwarmEvent) => event.type === type && event.agent === agent

export const names = (events: ReadonlyArray<SwarmEvent>, type: string) => events.filter((e) => e.type === type).map((e) => e.agent)
