import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { main } from "../../../examples/embed.ts"
import { AgentCrashedError, AgentNotFoundError, createSwarm, defineAsync } from "../../../runtime/index.ts"

class Shout
  extends Schema.TaggedRequest<Shout>()("Shout", { success: Schema.String, failure: Schema.Never, payload: { text: Schema.String } })
{}

describe("Promise facade", () => {
  it("the README's embedding example runs: tell, ask, a timed-out ask, events", async () => {
    expect(await main()).toEqual({ total: 42, timedOut: true, events: ["spawned:counter"] })
  })

  it("rejects with the runtime's typed errors, and a throwing handler is restarted", async () => {
    const swarm = await createSwarm()
    try {
      const shouter = await swarm.spawn(
        defineAsync({
          name: "shouter",
          protocol: Shout,
          init: () => undefined,
          receive: async (shout, state, ctx) => {
            if (shout.text === "") throw new Error("nothing to shout")
            await ctx.reply(shout, shout.text.toUpperCase())
            return state
          }
        })
      )
      await expect(swarm.tell("nobody", new Shout({ text: "x" }))).rejects.toBeInstanceOf(AgentNotFoundError)
      await expect(shouter.ask(new Shout({ text: "" }))).rejects.toBeInstanceOf(AgentCrashedError)
      expect(await shouter.ask(new Shout({ text: "again" }))).toBe("AGAIN")
      const history = await swarm.history()
      expect(history.map((e) => `${e.type}:${e.agent}`)).toEqual(["spawned:shouter", "dead-letter:shouter", "restarted:shouter"])
      expect(await swarm.agents()).toMatchObject([{ name: "shouter", restarts: 1 }])
    } finally {
      await swarm.shutdown()
    }
  })
})
