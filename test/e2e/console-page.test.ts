/**
 * The console page in a real browser under loads and inputs a test chooses: a loopback server
 * serves the built page and speaks the console protocol (frames encoded with protocol.ts's Batch
 * Schema) on a real WebSocket. 25,000 events in a burst, text built to look like markup, a crash.
 */
import { Schema } from "effect"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type WebSocket, WebSocketServer } from "ws"
import { Batch, CONSOLE_WS_PATH, type ServerItem } from "../../apps/console/protocol.ts"
import { consolePage } from "../../apps/console/static.ts"
import { CONSOLE_WS_PATH as PAGE_WS_PATH } from "../../apps/console/web/wire.ts"
import { buildConsole } from "../../scripts/bundle-console.mjs"
import { suiteTempDir } from "../fixtures/temp-dir.ts"

const CHROMIUM = process.env["REELSWARM_CHROMIUM"] ?? "/usr/bin/chromium"
const SHOTS = join(import.meta.dirname, "..", "..", "out", "e2e")
const PATIENCE = 120_000
const encodeBatch = Schema.encodeSync(Batch)
const dir = suiteTempDir("console-page")

const AGENTS = ["alpha", "beta", "gamma", "delta"]
const row = (name: string, restarts = 0) => ({
  name,
  supervisor: "swarm",
  state: "running" as const,
  queued: 0,
  capacity: 1024,
  restarts,
  incarnation: restarts + 1,
  lastHeartbeat: Date.now()
})
const hello: ServerItem = {
  t: "hello",
  version: "0.0.0-test",
  protocol: 1,
  topology: "mesh",
  tree: {
    name: "swarm",
    children: AGENTS.map((name) => ({
      name,
      kind: "agent" as const,
      supervisor: "swarm",
      state: "running" as const,
      incarnation: 1,
      restarts: 0,
      mailbox: { queued: 0, capacity: 1024 },
      children: []
    }))
  },
  links: AGENTS.flatMap((a, i) => AGENTS.slice(i + 1).map((b) => [a, b] as const)),
  agents: AGENTS.map((name) => row(name)),
  jobs: [],
  events: [],
  metrics: []
}

let http: Server
let socket: WebSocket | undefined
let seq = 0
let browser: Browser
let page: Page
let nextId = 1

const send = (items: ReadonlyArray<ServerItem>) =>
  socket!.send(JSON.stringify(encodeBatch({ t: "batch", seq: ++seq, ts: Date.now(), items })))

const event = (type: string, agent: string, data: Record<string, unknown> = {}): ServerItem => ({
  t: "event",
  event: { id: nextId++, ts: Date.now(), type, agent, data }
})

const count = () => page.locator("[data-testid=events-count]")
const received = async () => Number(await count().getAttribute("data-received"))

beforeAll(async () => {
  const { outDir } = await buildConsole(join(dir(), "console"))
  const wss = new WebSocketServer({ noServer: true })
  http = createServer(consolePage(outDir))
  http.on("upgrade", (req, raw, head) => {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== CONSOLE_WS_PATH) return raw.destroy()
    wss.handleUpgrade(req, raw, head, (ws) => {
      socket = ws
      send([hello])
    })
  })
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve))
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] })
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
  page.setDefaultTimeout(PATIENCE)
  await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/console/#events`)
  await page.locator("[data-testid=connection][data-status=open]").waitFor()
  await page.locator("[data-testid=topology-nodes] li[data-node=delta]").waitFor({ state: "attached" })
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => http?.close(resolve))
})

describe("the console page", () => {
  it("connects to the protocol's WebSocket path (the page keeps its own copy, bundling none of the server's modules)", () => {
    expect(PAGE_WS_PATH).toBe(CONSOLE_WS_PATH)
  })

  it("takes 25,000 events in a burst, keeps the newest 20,000, and puts only the visible rows in the DOM", async () => {
    for (let b = 0; b < 25; b++) {
      send(
        Array.from(
          { length: 1000 },
          (_, i) => event(i % 10 === 0 ? "work-failed" : "work-done", AGENTS[i % AGENTS.length]!, { n: b * 1000 + i })
        )
      )
    }
    await expect.poll(received, { timeout: PATIENCE }).toBe(25_000)
    await count().filter({ hasText: "20,000 held" }).waitFor()
    const list = page.locator("[data-testid=events-list]")
    const viewport = await list.evaluate((l) => l.clientHeight)
    const rows = () => page.locator("[data-testid=event-row]:not([hidden])")
    expect(await rows().count()).toBeLessThanOrEqual(Math.ceil(viewport / 24) + 2 * 8 + 1)
    // It follows the tail: the newest event is on screen.
    await page.locator(`[data-testid=event-row][data-id="25000"]`).waitFor()
    // Scrolled to the top: the oldest event held, 5,001.
    await list.evaluate((l) => l.scrollTo({ top: 0 }))
    await page.locator(`[data-testid=event-row][data-id="5001"]`).waitFor()
    expect(await rows().count()).toBeLessThanOrEqual(Math.ceil(viewport / 24) + 2 * 8 + 1)

    // One type: a tenth of those held.
    await page.locator("[data-testid=events-filter-type]").selectOption("work-failed")
    await expect.poll(async () => Number(await count().getAttribute("data-shown")), { timeout: PATIENCE }).toBe(2000)
    // And one agent of it (agents take turns, as do the failures: every tenth event is alpha's or gamma's).
    await page.locator("[data-testid=events-filter-agent]").selectOption("alpha")
    await expect.poll(async () => Number(await count().getAttribute("data-shown")), { timeout: PATIENCE }).toBe(1000)
    expect(
      await page.locator("[data-testid=event-row]:not([hidden])").evaluateAll((r) =>
        r.every((e) => (e as HTMLElement).dataset["type"] === "work-failed")
      )
    ).toBe(true)
    await page.screenshot({ path: join(SHOTS, "events-flood.png") })
    await page.locator("[data-testid=events-filter-agent]").selectOption("")
    await page.locator("[data-testid=events-filter-type]").selectOption("")
  })

  it("pauses: what arrives is counted, the rows stay as they were until resumed", async () => {
    await page.locator("[data-testid=events-pause]").click()
    const before = await received()
    const shown = await count().getAttribute("data-shown")
    send([event("work-done", "beta", { n: "after pause" })])
    await expect.poll(received, { timeout: PATIENCE }).toBe(before + 1)
    await count().filter({ hasText: "paused: 1 new" }).waitFor()
    expect(await count().getAttribute("data-shown")).toBe(shown)
    await page.locator("[data-testid=events-pause]").click()
    await page.locator(`[data-testid=event-row][data-id="${nextId - 1}"]`).waitFor()
  })

  it("shows text that looks like markup as text: no element is made from it, no script runs", async () => {
    const markup = `<img src=x onerror="window.__pwned=1">`
    send([
      event(markup, `<b>agent</b>`, { html: "<script>window.__pwned=2</script>", note: markup }),
      {
        t: "job",
        job: { id: "job-markup", title: markup, state: "queued", progress: 0, submittedAt: Date.now() }
      }
    ])
    const rowOf = page.locator("[data-testid=event-row]").filter({ hasText: "window.__pwned=2" })
    await rowOf.waitFor()
    expect(await rowOf.locator(".type").textContent()).toBe(markup)
    expect(await rowOf.locator(".agent").textContent()).toBe("<b>agent</b>")
    await page.locator("[data-testid=tab-jobs]").click()
    await page.locator("[data-testid=job-row][data-job=job-markup]").filter({ hasText: markup }).waitFor()
    expect(
      await page.evaluate(() => ({
        pwned: Reflect.get(window, "__pwned") as unknown,
        images: document.querySelectorAll("img[src=x], b").length
      }))
    )
      .toEqual({ pwned: undefined, images: 0 })
  })

  it("reconnects after the server closed its socket, and keeps the events it holds", async () => {
    const before = await received()
    const held = await count().getAttribute("data-held")
    const first = socket!
    first.close(1011, "server restarting")
    await page.locator("[data-testid=connection][data-status=closed]").waitFor()
    await page.locator("[data-testid=connection][data-status=open]").waitFor()
    await expect.poll(() => socket !== first, { timeout: PATIENCE }).toBe(true)
    send([event("work-done", "alpha", { n: "after reconnect" })])
    // The event came after the new connection's hello: the ring is as full as before (20,000, at capacity).
    await expect.poll(received, { timeout: PATIENCE }).toBe(before + 1)
    expect(await count().getAttribute("data-held")).toBe(held)
  })

  it("pulses a crashed agent in the graph and the table, and counts its restart", async () => {
    await page.locator("[data-testid=tab-swarm]").click()
    const node = page.locator("[data-testid=topology-nodes] li[data-node=gamma]")
    send([event("restarted", "gamma", { supervisor: "swarm", reason: "crashed", cause: "Error: boom" })])
    await page.locator("[data-testid=topology-nodes] li[data-node=gamma][data-crashed-at]").waitFor({ state: "attached" })
    await page.locator("[data-testid=agent-row][data-agent=gamma].crashed").waitFor()
    expect(await node.getAttribute("data-restarts")).toBe("1")
    await page.screenshot({ path: join(SHOTS, "crash-mesh.png") })
    // A restart on request is no crash: nothing pulses.
    send([event("restarted", "delta", { supervisor: "swarm", reason: "requested" }), {
      t: "agents",
      ts: Date.now(),
      rows: AGENTS.map((name) => row(name, name === "gamma" || name === "delta" ? 1 : 0))
    }])
    await page.locator("[data-testid=agent-row][data-agent=delta] [data-col=restarts]").filter({ hasText: "1" }).waitFor()
    expect(await page.locator("[data-testid=topology-nodes] li[data-node=delta]").getAttribute("data-crashed-at")).toBeNull()
  })
})
