/**
 * The console's WebSocket server over a real swarm (star topology, a supervisor and three agents)
 * whose events go to a SQLite event log in a temp file: a real HTTP server on 127.0.0.1 hands its
 * upgrades to the console, and real `ws` clients read its batches and send it commands. The job
 * host around the swarm is a small one that keeps submitted jobs in a map.
 */
import { Context, Effect, Exit, Layer, PubSub, Schema, Scope, Stream } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import { MAX_WS_FRAME_BYTES } from "../../../apps/api/security.ts"
import { Batch, type ClientCommand, type ServerItem } from "../../../apps/console/protocol.ts"
import { makeConsole } from "../../../apps/console/server.ts"
import { type JobHostService, JobNotFoundError, type JobSummary } from "../../../apps/host/contract.ts"
import { EventLog, memoryLayer, SharedMemory } from "../../../memory/index.ts"
import { child, define, supervisor, Swarm, swarmLayer } from "../../../runtime/index.ts"
import { star } from "../../../topologies/index.ts"

class Note extends Schema.TaggedClass<Note>()("Note", { text: Schema.String }) {}
const Worker = define({
  name: "worker",
  protocol: Note,
  init: () => Effect.succeed(0),
  receive: (_note: Note, seen: number) => Effect.succeed(seen + 1)
})

type ItemOf<T extends ServerItem["t"]> = Extract<ServerItem, { t: T }>

const decodeBatch = Schema.decodeUnknownSync(Schema.parseJson(Batch))
const WAIT_MS = 15_000

/** A page: every batch it was sent, checked against the protocol, and a way to wait for an item. */
class Page {
  readonly batches: Array<Batch> = []
  private waiters: Array<() => void> = []
  readonly closed: Promise<{ code: number; reason: string }>

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, isBinary) => {
      expect(isBinary).toBe(false)
      this.batches.push(decodeBatch(data.toString()))
      for (const wake of this.waiters.splice(0)) wake()
    })
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  get items(): ReadonlyArray<ServerItem> {
    return this.batches.flatMap((batch) => batch.items)
  }

  of<T extends ServerItem["t"]>(t: T): ReadonlyArray<ItemOf<T>> {
    return this.items.filter((item): item is ItemOf<T> => item.t === t)
  }

  /** Resolves with the first item (from `after` on) that matches; fails after WAIT_MS. */
  async next<T extends ServerItem["t"]>(t: T, match: (item: ItemOf<T>) => boolean = () => true, after = 0): Promise<ItemOf<T>> {
    const deadline = Date.now() + WAIT_MS
    while (true) {
      const found = this.items.slice(after).find((item): item is ItemOf<T> => item.t === t && match(item as ItemOf<T>))
      if (found !== undefined) return found
      if (Date.now() > deadline) throw new Error(`no such ${t} item within ${WAIT_MS} ms, among ${this.items.length} items`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 500)
      })
    }
  }

  send(command: ClientCommand | string) {
    this.ws.send(typeof command === "string" ? command : JSON.stringify(command))
  }

  /** Sends a command and waits for its reply. */
  async command(command: ClientCommand): Promise<ItemOf<"reply">> {
    this.send(command)
    return this.next("reply", (reply) => reply.rid === command.rid)
  }
}

interface Fixture {
  readonly url: string
  readonly swarm: Context.Tag.Service<typeof Swarm>
  readonly submitted: Map<string, JobSummary>
  readonly connect: (headers?: Record<string, string>) => Promise<Page>
  readonly close: () => Promise<void>
}

const fixtures: Array<Fixture> = []
afterEach(async () => {
  for (const fixture of fixtures.splice(0)) await fixture.close()
})

const start = async (): Promise<Fixture> => {
  const dir = mkdtempSync(join(tmpdir(), "reelswarm-console-"))
  const scope = Effect.runSync(Scope.make())
  const layer = swarmLayer({ topology: star({ hub: "hub" }) }).pipe(Layer.provideMerge(memoryLayer({ filename: join(dir, "swarm.db") })))
  const submitted = new Map<string, JobSummary>()
  const { server, swarm } = await Effect.runPromise(Effect.gen(function*() {
    const context = yield* Layer.buildWithScope(layer, scope)
    const swarm = Context.get(context, Swarm)
    yield* swarm.spawnSupervisor(supervisor({ name: "team", children: [child(Worker, { name: "a" }), child(Worker, { name: "b" })] }))
    yield* swarm.spawn(Worker, { name: "c" })
    const changes = yield* PubSub.unbounded<JobSummary>()
    const host: JobHostService = {
      state: dir,
      submit: (request) =>
        Effect.gen(function*() {
          const job: JobSummary = {
            id: `job-${submitted.size + 1}`,
            title: request.title ?? "untitled",
            state: "queued",
            progress: 0,
            submittedAt: Date.now()
          }
          submitted.set(job.id, job)
          yield* PubSub.publish(changes, job)
          return job
        }),
      list: () => Effect.succeed({ jobs: Array.from(submitted.values()).reverse(), total: submitted.size }),
      get: (id) => Effect.fail(new JobNotFoundError({ id })),
      cancel: (id) => Effect.fail(new JobNotFoundError({ id })),
      remove: (id) => Effect.fail(new JobNotFoundError({ id })),
      files: (id) => Effect.fail(new JobNotFoundError({ id })),
      changes: Stream.fromPubSub(changes),
      swarm,
      events: Context.get(context, EventLog),
      memory: Context.get(context, SharedMemory)
    }
    const console = yield* Scope.extend(makeConsole(host, { version: "9.9.9-test" }), scope)
    const server: Server = createServer((_req, res) => res.writeHead(404).end())
    server.on("upgrade", console.handleUpgrade)
    yield* Effect.async<void>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.void))
    })
    return { server, swarm }
  }))
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/console/ws`
  const pages: Array<Page> = []
  const fixture: Fixture = {
    url,
    swarm,
    submitted,
    connect: (headers) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { headers })
        const page = new Page(ws)
        pages.push(page)
        ws.once("open", () => resolve(page))
        ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
        ws.once("error", reject)
      }),
    close: async () => {
      for (const page of pages) page.ws.terminate()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await Effect.runPromise(Scope.close(scope, Exit.void))
      rmSync(dir, { recursive: true, force: true })
    }
  }
  fixtures.push(fixture)
  return fixture
}

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

describe("console server", () => {
  it("greets a page with the version, the supervision tree, the star's links and the agents table", async () => {
    const { connect } = await start()
    const page = await connect()
    const hello = await page.next("hello")
    expect(page.batches[0]!.items[0]).toBe(hello)
    expect(hello).toMatchObject({ version: "9.9.9-test", protocol: 1, topology: "star(hub)" })
    const node = (name: string, supervisor: string) => ({
      name,
      kind: "agent",
      supervisor,
      state: "running",
      incarnation: 1,
      restarts: 0,
      mailbox: { queued: 0, capacity: 1024 },
      children: []
    })
    expect(hello.tree).toEqual({
      name: "swarm",
      children: [
        {
          name: "team",
          kind: "supervisor",
          supervisor: "swarm",
          state: "running",
          incarnation: 1,
          restarts: 0,
          children: [node("a", "team"), node("b", "team")]
        },
        node("c", "swarm")
      ]
    })
    expect(hello.links.map((link) => [...link].sort()).sort()).toEqual([["a", "hub"], ["b", "hub"], ["c", "hub"]])
    expect(hello.agents.map((row) => [row.name, row.supervisor, row.state, row.capacity])).toEqual([
      ["a", "team", "running", 1024],
      ["b", "team", "running", 1024],
      ["c", "swarm", "running", 1024]
    ])
    // The agents' spawns happened before the page came: they are in its history.
    expect(hello.events.filter((e) => e.type === "spawned").map((e) => e.agent).sort()).toEqual(["a", "b", "c", "team"])
    expect(hello.jobs).toEqual([])
  })

  it("sends events published on the swarm in batches, in order, filtered per page when it asks", async () => {
    const { connect, swarm } = await start()
    const all = await connect()
    const onlyA = await connect()
    await all.next("hello")
    await onlyA.next("hello")
    expect((await onlyA.command({ t: "subscribe", rid: "s", filter: { agents: ["a"] } })).ok).toBe(true)
    const events = Array.from({ length: 300 }, (_, i) => ({ type: "test-note", agent: i % 3 === 0 ? "a" : "b", data: { i } }))
    await run(swarm.events.publishAll(events.slice(0, 150)))
    // A page that comes in the middle gets each event once: in its hello's history or after it.
    const middle = await connect()
    await run(swarm.events.publishAll(events.slice(150)))
    await all.next("event", (item) => item.event.type === "test-note" && item.event.data?.["i"] === 299)
    await middle.next("event", (item) => item.event.type === "test-note" && item.event.data?.["i"] === 299)
    const seenByMiddle = [
      ...(await middle.next("hello")).events,
      ...middle.of("event").map((item) => item.event)
    ].filter((event) => event.type === "test-note").map((event) => event.data?.["i"])
    expect(seenByMiddle).toEqual(events.map((_, i) => i))
    await onlyA.next("event", (item) => item.event.type === "test-note" && item.event.data?.["i"] === 297)

    const notes = (page: Page) =>
      page.batches.map((batch) => batch.items.filter((item) => item.t === "event" && item.event.type === "test-note")).filter((items) =>
        items.length > 0
      )
    const received = notes(all).flat() as ReadonlyArray<ItemOf<"event">>
    expect(received.map((item) => item.event.data?.["i"])).toEqual(events.map((_, i) => i))
    const ids = received.map((item) => item.event.id)
    expect(ids).toEqual(ids.slice().sort((x, y) => x - y))
    // Two appends of 150: a handful of frames, not one per event.
    expect(notes(all).length).toBeLessThanOrEqual(4)
    expect((notes(onlyA).flat() as ReadonlyArray<ItemOf<"event">>).map((item) => item.event.data?.["i"])).toEqual(
      events.flatMap((_, i) => (i % 3 === 0 ? [i] : []))
    )
    // Batches are numbered in the order they were sent.
    const seqs = all.batches.map((batch) => batch.seq)
    expect(seqs).toEqual(seqs.slice().sort((x, y) => x - y))
  })

  it("restart-agent restarts it: a restarted event, and the next agents table counts one more restart", async () => {
    const { connect } = await start()
    const page = await connect()
    await page.next("hello")
    const reply = await page.command({ t: "restart-agent", rid: 1, name: "a" })
    expect(reply).toEqual({ t: "reply", rid: 1, ok: true })
    const at = page.items.indexOf(reply)
    await page.next("event", (item) => item.event.type === "restarted" && item.event.agent === "a")
    const table = await page.next("agents", (item) => item.rows.find((row) => row.name === "a")!.restarts === 1, at)
    expect(table.rows.find((row) => row.name === "a")).toMatchObject({ state: "running", incarnation: 2, restarts: 1 })
    expect(table.rows.find((row) => row.name === "b")).toMatchObject({ restarts: 0 })

    expect(await page.command({ t: "stop-agent", rid: 2, name: "c" })).toMatchObject({ ok: true })
    await page.next("agents", (item) => item.rows.find((row) => row.name === "c")?.state === "terminated")
    const tree = await page.next("tree", (item) => item.tree.children.some((n) => n.name === "c" && n.state === "terminated"))
    expect(tree.links.some((link) => link.includes("c"))).toBe(false)
    // A stopped agent is started again by restart-agent.
    expect(await page.command({ t: "restart-agent", rid: 3, name: "c" })).toMatchObject({ ok: true })
    await page.next("agents", (item) => item.rows.find((row) => row.name === "c")?.state === "running")
  })

  it("get-agent answers with what the agent was sent, by tag, and its events", async () => {
    const { connect, swarm } = await start()
    for (const text of ["one", "two", "three"]) await run(swarm.tell("b", new Note({ text })))
    const page = await connect()
    await page.next("hello")
    const reply = await page.command({ t: "get-agent", rid: "d", name: "b" })
    expect(reply.ok).toBe(true)
    const detail = page.of("agent-detail").find((item) => item.rid === "d")!
    expect(page.items.indexOf(detail)).toBeLessThan(page.items.indexOf(reply))
    expect(detail.detail.handled).toEqual([{ tag: "Note", count: 3 }])
    expect(detail.detail.row).toMatchObject({ name: "b", supervisor: "team", state: "running" })
    expect(detail.detail.events.map((e) => e.type)).toEqual(["spawned"])
    expect(detail.detail.deadLetters).toEqual([])
    expect(await page.command({ t: "get-agent", rid: "e", name: "nobody" })).toMatchObject({
      ok: false,
      error: { tag: "AgentNotFoundError" }
    })
  })

  it("submit queues a job through the host and every page sees it; get-job of an unknown id fails with JobNotFoundError", async () => {
    const { connect, submitted } = await start()
    const submitter = await connect()
    const watcher = await connect()
    await submitter.next("hello")
    await watcher.next("hello")
    const reply = await submitter.command({ t: "submit", rid: "j", request: { script: "Hello there.", title: "greeting" } })
    expect(reply).toMatchObject({ ok: true, job: { id: "job-1", title: "greeting", state: "queued" } })
    expect(submitted.get("job-1")).toEqual(reply.job)
    expect((await watcher.next("job")).job).toEqual(reply.job)
    expect(await submitter.command({ t: "get-job", rid: "g", id: "nope" })).toEqual({
      t: "reply",
      rid: "g",
      ok: false,
      error: { tag: "JobNotFoundError", message: "no job nope" }
    })
    // A page that comes later finds the job in its hello.
    const late = await connect()
    expect((await late.next("hello")).jobs.map((job) => job.id)).toEqual(["job-1"])
  })

  it("a bad frame gets an error reply and the page stays connected", async () => {
    const { connect } = await start()
    const page = await connect()
    await page.next("hello")
    page.send("this is not json")
    expect(await page.next("reply", (r) => r.rid === null)).toMatchObject({ ok: false, error: { tag: "BadFrame" } })
    page.send(JSON.stringify({ t: "restart-agent", rid: 7 }))
    expect(await page.next("reply", (r) => r.rid === 7)).toMatchObject({ ok: false, error: { tag: "BadFrame" } })
    page.send(JSON.stringify({ t: "launch-missiles", rid: 8 }))
    expect(await page.next("reply", (r) => r.rid === 8)).toMatchObject({ ok: false, error: { tag: "BadFrame" } })
    page.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    expect(await page.next("reply", (r) => r.rid === null, page.items.length)).toMatchObject({ ok: false })
    expect(await page.command({ t: "restart-agent", rid: 9, name: "nobody" })).toMatchObject({
      ok: false,
      error: { tag: "ChildError" }
    })
    expect(await page.command({ t: "subscribe", rid: 10 })).toEqual({ t: "reply", rid: 10, ok: true })
    expect(page.ws.readyState).toBe(WebSocket.OPEN)
  })

  it("a frame over the size cap closes the socket with 1009", async () => {
    const { connect } = await start()
    const page = await connect()
    await page.next("hello")
    page.send(JSON.stringify({ t: "get-agent", rid: 1, name: "x".repeat(MAX_WS_FRAME_BYTES) }))
    expect((await page.closed).code).toBe(1009)
    // The server goes on serving other pages.
    const other = await connect()
    expect((await other.next("hello")).version).toBe("9.9.9-test")
  })

  it("refuses an upgrade from another site's page", async () => {
    const { connect } = await start()
    await expect(connect({ Origin: "https://evil.example" })).rejects.toThrow("upgrade refused: 403")
  })

  it("sends machine metrics: CPU of every core and memory", async () => {
    const { connect } = await start()
    const page = await connect()
    const { sample } = await page.next("metrics")
    expect(sample.cpu.cores).toBe(cpus().length)
    expect(sample.cpu.perCorePct).toHaveLength(cpus().length)
    expect(sample.memory.totalBytes).toBeGreaterThan(0)
  })

  it("a page that stops reading misses events and is told how many: every event is either sent or counted", async () => {
    const { connect, swarm } = await start()
    const slow = await connect()
    await slow.next("hello")
    slow.ws.pause()
    const total = 20_000
    const padding = "x".repeat(1000)
    for (let i = 0; i < total; i += 1000) {
      await run(swarm.events.publishAll(Array.from({ length: 1000 }, (_, j) => ({ type: "flood", data: { i: i + j, padding } }))))
    }
    // Other pages are served meanwhile.
    const fast = await connect()
    await fast.next("hello")
    await run(swarm.events.publish({ type: "flood-end" }))
    await fast.next("event", (item) => item.event.type === "flood-end")
    slow.ws.resume()
    await slow.next("dropped")
    await run(swarm.events.publish({ type: "after-the-flood" }))
    await slow.next("event", (item) => item.event.type === "after-the-flood")
    const received = slow.of("event").filter((item) => item.event.type.startsWith("flood")).length
    const dropped = slow.of("dropped").reduce((sum, item) => sum + item.events, 0)
    expect(dropped).toBeGreaterThan(0)
    // Every flood event (and the end marker) was either sent or counted as dropped.
    expect(received + dropped).toBe(total + 1)
  })
})
