/**
 * Embedding the runtime in a program that does not use Effect: Promises in, Promises out.
 *   npx tsx examples/embed.ts
 */
import { Schema } from "effect"
import { AskTimeoutError, createSwarm, defineAsync } from "../runtime/index.ts"

class Add extends Schema.TaggedClass<Add>()("Add", { n: Schema.Number }) {}
class Total extends Schema.TaggedRequest<Total>()("Total", { success: Schema.Number, failure: Schema.Never, payload: {} }) {}
class Ignore extends Schema.TaggedRequest<Ignore>()("Ignore", { success: Schema.Void, failure: Schema.Never, payload: {} }) {}

const Counter = defineAsync({
  name: "counter",
  protocol: Schema.Union(Add, Total, Ignore),
  init: () => 0,
  receive: async (message, total, ctx) => {
    if (message._tag === "Add") return total + message.n
    if (message._tag === "Total") await ctx.reply(message, total)
    return total // Ignore: never answered
  }
})

export const main = async (): Promise<{ total: number; timedOut: boolean; events: Array<string> }> => {
  const swarm = await createSwarm()
  const events: Array<string> = []
  const unsubscribe = await swarm.subscribe((event) => events.push(`${event.type}:${event.agent}`))

  const counter = await swarm.spawn(Counter)
  await counter.tell(new Add({ n: 2 }))
  await swarm.tell("counter", new Add({ n: 40 }))
  const total = await counter.ask(new Total())
  const timedOut = await counter.ask(new Ignore(), { timeoutMs: 50 }).then(
    () => false,
    (error: unknown) => error instanceof AskTimeoutError
  )

  await unsubscribe()
  await swarm.shutdown()
  return { total, timedOut, events }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { events, timedOut, total } = await main()
  console.log(`total ${total}; unanswered ask timed out: ${timedOut}; events: ${events.join(", ")}`)
}
