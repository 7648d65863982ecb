/**
 * The runtime's Effect API in one file: a protocol, an agent, a supervisor, tell and ask.
 *   npx tsx examples/effect-api.ts
 */
import { Effect, Schema } from "effect"
import { child, define, supervisor, Swarm, swarmLayerInMemory } from "../runtime/index.ts"
import { mesh } from "../topologies/index.ts"

// A protocol is a union of Schema.TaggedClass (tell) and Schema.TaggedRequest (ask) messages.
class Add extends Schema.TaggedClass<Add>()("Add", { n: Schema.Number }) {}
class Total extends Schema.TaggedRequest<Total>()("Total", { success: Schema.Number, failure: Schema.Never, payload: {} }) {}
class Boom extends Schema.TaggedClass<Boom>()("Boom", {}) {}

export const Counter = define({
  name: "counter",
  protocol: Schema.Union(Add, Total, Boom),
  init: () => Effect.succeed(0),
  receive: (message, total, ctx) => {
    switch (message._tag) {
      case "Add":
        return Effect.succeed(total + message.n)
      case "Total":
        return Effect.as(ctx.reply(message, total), total)
      case "Boom":
        return Effect.die(new Error("boom"))
    }
  },
  mailbox: { capacity: 256, overflow: "backpressure" }
})

export const program = Effect.gen(function*() {
  const swarm = yield* Swarm
  yield* swarm.spawnSupervisor(
    supervisor({ name: "counters", strategy: "one-for-one", intensity: 3, period: "5 seconds", children: [child(Counter)] })
  )
  const counter = yield* swarm.lookup<Add | Total | Boom>("counter").pipe(Effect.flatten)
  yield* counter.tell(new Add({ n: 40 }))
  const before = yield* counter.ask(new Total(), { timeout: "1 second" })
  yield* counter.tell(new Boom()) // crashes; restarted with a fresh state and its queue kept
  yield* counter.tell(new Add({ n: 2 }))
  const after = yield* counter.ask(new Total())
  const events = (yield* swarm.events.since(0)).map((e) => `${e.type} ${e.agent}`)
  return { before, after, events }
})

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await Effect.runPromise(program.pipe(Effect.provide(swarmLayerInMemory({ topology: mesh }))))
  console.log(result)
}
