import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Option, Schema, TestClock } from "effect"
import { AgentCrashedError, AgentNotFoundError, AskTimeoutError, define, UndeliveredError } from "../../../runtime/agent.ts"
import { CodecError } from "../../../runtime/codec.ts"
import { layerInMemory, Swarm } from "../../../runtime/swarm.ts"
import { Crash, eventsUntil, Hello, is, Note, Worker } from "./fixtures.ts"

class Divide extends Schema.TaggedRequest<Divide>()("Divide", {
  success: Schema.Number,
  failure: Schema.TaggedStruct("DivisionByZero", { dividend: Schema.Number }),
  payload: { a: Schema.Number, b: Schema.Number }
}) {}
class Later extends Schema.TaggedRequest<Later>()("Later", { success: Schema.String, failure: Schema.Never, payload: {} }) {}
class Release extends Schema.TaggedClass<Release>()("Release", { answer: Schema.String }) {}

const Calculator = define({
  name: "calculator",
  protocol: Schema.Union(Divide, Later, Release),
  init: () => Effect.succeed<ReadonlyArray<Later>>([]),
  receive: (message, waiting, ctx) => {
    switch (message._tag) {
      case "Divide":
        return Effect.as(
          message.b === 0
            ? ctx.replyFailure(message, { _tag: "DivisionByZero", dividend: message.a })
            : ctx.reply(message, message.a / message.b),
          waiting
        )
      case "Later":
        // Keep the request and answer it when a later message arrives.
        return Effect.succeed([...waiting, message])
      case "Release":
        return Effect.as(Effect.forEach(waiting, (request) => ctx.reply(request, message.answer)), [])
    }
  }
})

/** Never answers: asks to it can only time out. */
const Silent = define({
  name: "silent",
  protocol: Hello,
  init: () => Effect.void,
  receive: () => Effect.void
})

describe("agents", () => {
  it.effect("ask returns the request's typed success or its typed failure", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const calculator = yield* swarm.spawn(Calculator)
      expect(yield* calculator.ask(new Divide({ a: 6, b: 3 }))).toBe(2)
      const failure = yield* Effect.flip(calculator.ask(new Divide({ a: 1, b: 0 })))
      expect(failure).toEqual({ _tag: "DivisionByZero", dividend: 1 })
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("a request can be answered later, from another message", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const calculator = yield* swarm.spawn(Calculator)
      const first = yield* Effect.fork(calculator.ask(new Later()))
      const second = yield* Effect.fork(calculator.ask(new Later()))
      // Both requests are queued before the release (forked fibers start when this one yields).
      yield* Effect.yieldNow()
      yield* calculator.tell(new Release({ answer: "now" }))
      expect([yield* Fiber.join(first), yield* Fiber.join(second)]).toEqual(["now", "now"])
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("ask fails with AskTimeoutError when no reply comes in time (TestClock)", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const silent = yield* swarm.spawn(Silent)
      // The later deadline first: the timeout sweeper must wake early for the earlier one.
      const patient = yield* Effect.fork(Effect.flip(silent.ask(new Hello(), { timeout: "10 seconds" })))
      const hasty = yield* Effect.fork(Effect.flip(silent.ask(new Hello(), { timeout: "1 second" })))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(hasty)).toEqual(new AskTimeoutError({ agent: "silent", tag: "Hello", timeoutMs: 1000 }))
      expect(patient.unsafePoll()).toBeNull()
      yield* TestClock.adjust("9 seconds")
      expect(yield* Fiber.join(patient)).toEqual(new AskTimeoutError({ agent: "silent", tag: "Hello", timeoutMs: 10000 }))
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("a crashed agent keeps its queued messages; the one it crashed on becomes a dead letter", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const worker = yield* swarm.spawn(Worker)
      const crashed = yield* eventsUntil(swarm, is("restarted", "worker"))
      // All four are queued before the agent runs: the crash happens with two notes behind it.
      yield* worker.tell(new Note({ text: "before" }))
      yield* worker.tell(new Crash())
      yield* worker.tell(new Note({ text: "after-1" }))
      yield* worker.tell(new Note({ text: "after-2" }))
      const events = yield* crashed
      // The restarted agent starts from a fresh state and handles what was queued, in order.
      expect(yield* worker.ask(new Hello())).toEqual({ name: "worker", notes: ["after-1", "after-2"] })
      const deadLetters = events.filter((e) => e.type === "dead-letter")
      expect(deadLetters).toHaveLength(1)
      expect(deadLetters[0]!.data).toMatchObject({ reason: "crashed", tag: "Crash", from: "$swarm" })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("an ask the agent crashes on fails with AgentCrashedError", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const failing = yield* swarm.spawn(define({ ...Calculator, name: "failing", receive: () => Effect.fail("no") }))
      const error = yield* Effect.flip(failing.ask(new Divide({ a: 1, b: 1 })))
      expect(error).toBeInstanceOf(AgentCrashedError)
      expect(error).toMatchObject({ agent: "failing", tag: "Divide", reason: "crashed" })
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("unknown names fail fast by name and become dead letters by ref", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      expect(yield* Effect.flip(swarm.tell("nobody", new Note({ text: "x" })))).toEqual(new AgentNotFoundError({ agent: "nobody" }))
      const worker = yield* swarm.spawn(Worker)
      yield* worker.stop
      expect(yield* swarm.lookup("worker")).toEqual(Option.none())
      const undelivered = yield* Effect.flip(worker.ask(new Hello()))
      expect(undelivered).toEqual(new UndeliveredError({ agent: "worker", tag: "Hello", reason: "no-such-agent" }))
      const dead = (yield* swarm.events.since(0)).filter((e) => e.type === "dead-letter")
      expect(dead.map((e) => e.data?.reason)).toEqual(["no-such-agent"])
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("children spawned by an agent are stopped and started again with it", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      const Parent = define({
        ...Worker,
        name: "parent",
        init: (ctx) =>
          Effect.gen(function*() {
            const first = yield* ctx.spawn(Worker, { name: "first" })
            yield* ctx.spawn(Worker, { name: "second" })
            yield* first.tell(new Note({ text: "from parent" }))
            return []
          })
      })
      const parent = yield* swarm.spawn(Parent)
      expect(yield* swarm.ask("parent/first", new Hello())).toEqual({ name: "parent/first", notes: ["from parent"] })
      const restarted = yield* eventsUntil(swarm, is("restarted", "parent"))
      yield* parent.tell(new Crash())
      const events = yield* restarted
      // Children stop newest first when their parent's incarnation ends.
      expect(events.filter((e) => e.type === "stopped").map((e) => e.agent)).toEqual(["parent/second", "parent/first"])
      expect(yield* swarm.ask("parent/first", new Hello())).toEqual({ name: "parent/first", notes: ["from parent"] })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("children that keep crashing make their parent agent crash (its children supervisor escalates)", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      yield* swarm.spawn(define({
        ...Worker,
        name: "parent",
        init: (ctx) => Effect.as(ctx.spawn(Worker, { name: "flaky" }), [])
      }))
      const parentRestarted = yield* eventsUntil(swarm, is("restarted", "parent"))
      // The children supervisor allows 3 restarts within 5 seconds; the fourth crash escalates.
      for (let crash = 0; crash < 4; crash++) yield* swarm.tell("parent/flaky", new Crash())
      const events = yield* parentRestarted
      expect(events.filter(is("restarted", "parent/flaky"))).toHaveLength(3)
      expect(events.filter(is("escalated", "parent/children"))).toHaveLength(1)
      expect(yield* swarm.ask("parent/flaky", new Hello())).toEqual({ name: "parent/flaky", notes: [] })
    }).pipe(Effect.scoped, Effect.provide(layerInMemory())))

  it.effect("services an agent needs are captured at spawn and provided again after a restart", () =>
    Effect.gen(function*() {
      class Greeting extends Context.Tag("test/Greeting")<Greeting, string>() {}
      class Punctuation extends Context.Tag("test/Punctuation")<Punctuation, string>() {}
      class Greet extends Schema.TaggedRequest<Greet>()("Greet", { success: Schema.String, failure: Schema.Never, payload: {} }) {}
      const Greeter = define({
        name: "greeter",
        protocol: Schema.Union(Greet, Crash),
        init: () => Greeting,
        receive: (message, greeting, ctx) =>
          message._tag === "Crash"
            ? Effect.die("on purpose")
            : Effect.flatMap(Punctuation, (mark) => Effect.as(ctx.reply(message, `${greeting}${mark}`), greeting))
      })
      const swarm = yield* Swarm
      const greeter = yield* swarm.spawn(Greeter).pipe(
        Effect.provideService(Greeting, "hello"),
        Effect.provideService(Punctuation, "!")
      )
      yield* greeter.tell(new Crash())
      expect(yield* greeter.ask(new Greet())).toBe("hello!")
      expect((yield* swarm.agents).map((a) => a.restarts)).toEqual([1])
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("tests run in strict mode: agents get a decoded copy, never the sender's object", () =>
    Effect.gen(function*() {
      const swarm = yield* Swarm
      expect(swarm.strict).toBe(true)
      const received: Array<unknown> = []
      const keeper = yield* swarm.spawn(
        define({
          name: "keeper",
          protocol: Note,
          init: () => Effect.void,
          receive: (note) => Effect.sync(() => received.push(note))
        })
      )
      const note = new Note({ text: "hi" })
      yield* keeper.tell(note)
      yield* Effect.yieldNow()
      yield* Effect.yieldNow()
      expect(received).toHaveLength(1)
      expect(received[0]).toEqual(note)
      expect(received[0]).not.toBe(note)
    }).pipe(Effect.provide(layerInMemory())))

  it.effect("strict mode rejects a message that cannot cross a process boundary, at the sender", () =>
    Effect.gen(function*() {
      class Handle {
        constructor(readonly fd: number) {}
      }
      class Share extends Schema.TaggedClass<Share>()("Share", { handle: Schema.instanceOf(Handle) }) {}
      const swarm = yield* Swarm
      const sink = yield* swarm.spawn(define({ name: "sink", protocol: Share, init: () => Effect.void, receive: () => Effect.void }))
      const exit = yield* Effect.exit(sink.tell(new Share({ handle: new Handle(3) })))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Die" && exit.cause.defect).toBeInstanceOf(CodecError)
    }).pipe(Effect.provide(layerInMemory())))
})
