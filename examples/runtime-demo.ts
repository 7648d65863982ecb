/**
 * The runtime on its own: four agents in a star around a hub exchange messages, one crashes on
 * purpose and is restarted by its supervisor with its queue intact. Everything is printed as it
 * happens.   npx tsx examples/runtime-demo.ts
 */
import { Effect, Fiber, Schema, Stream } from "effect"
import { define, Swarm, swarmLayerInMemory } from "../runtime/index.ts"
import { star } from "../topologies/index.ts"

class Line extends Schema.TaggedClass<Line>()("Line", { text: Schema.String }) {}
class Tally extends Schema.TaggedRequest<Tally>()("Tally", { success: Schema.Number, failure: Schema.Never, payload: {} }) {}

const log = (who: string, what: string) => Effect.sync(() => console.log(`${who.padEnd(10)} ${what}`))

/** Writes a short script and sends each line to the narrator and the captioner. */
const Writer = define({
  name: "writer",
  protocol: Tally,
  init: (ctx) =>
    Effect.forEach(
      ["Fractals repeat themselves.", "Zoom in: more detail.", "Zoom again: still more."],
      (text) =>
        Effect.zipRight(ctx.lookup<Line>("narrator").tell(new Line({ text })), ctx.lookup<Line>("captioner").tell(new Line({ text })))
    ).pipe(Effect.as(3)),
  receive: (tally, sent, ctx) => Effect.as(ctx.reply(tally, sent), sent)
})

/** Counts lines; on the second line it crashes (a flaky TTS engine, say) and is restarted. */
const Narrator = define({
  name: "narrator",
  protocol: Schema.Union(Line, Tally),
  init: (ctx) => Effect.as(log(ctx.name, "(init)"), 0),
  receive: (message, spoken, ctx) => {
    if (message._tag === "Tally") return Effect.as(ctx.reply(message, spoken), spoken)
    const hops = ctx.envelope?.hops
    return message.text.startsWith("Zoom in")
      ? Effect.zipRight(log(ctx.name, `crashes on "${message.text}"`), Effect.die(new Error("TTS engine fell over")))
      : Effect.as(log(ctx.name, `speaks "${message.text}" (from ${ctx.envelope?.from}, ${hops} hops)`), spoken + 1)
  }
})

const Captioner = define({
  name: "captioner",
  protocol: Schema.Union(Line, Tally),
  init: () => Effect.succeed(0),
  receive: (message, shown, ctx) =>
    message._tag === "Tally"
      ? Effect.as(ctx.reply(message, shown), shown)
      : Effect.as(log(ctx.name, `captions "${message.text}" (${ctx.envelope?.hops} hops)`), shown + 1)
})

const program = Effect.gen(function*() {
  const swarm = yield* Swarm
  yield* log("swarm", `topology ${swarm.topology}`)
  const events = yield* swarm.events.subscribe
  // Prints events until the last agent has stopped at shutdown.
  const printer = yield* events.pipe(
    Stream.takeUntil((e) => e.type === "stopped" && e.agent === "narrator"),
    Stream.runForEach((e) => log("event", `${e.type} ${e.agent ?? ""} ${typeof e.data?.["reason"] === "string" ? e.data["reason"] : ""}`)),
    Effect.fork
  )
  yield* swarm.spawn(Narrator)
  yield* swarm.spawn(Captioner)
  yield* swarm.spawn(Writer)
  const spoken = yield* swarm.ask("narrator", new Tally())
  const shown = yield* swarm.ask("captioner", new Tally())
  yield* log("swarm", `narrator spoke ${spoken} of 3 lines since its restart, captioner showed ${shown}`)
  yield* swarm.shutdown
  yield* Fiber.join(printer)
})

void Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(swarmLayerInMemory({ topology: star({ hub: "hub" }) }))))
