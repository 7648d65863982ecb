/**
 * Console benchmark: prints one JSON object.
 *
 * `console_push_ratio`: events per second the console server pushes to 10 WebSocket pages (events
 * published into the swarm's event stream as fast as the server takes them, counted as received by
 * all pages) ÷ a raw `ws` broadcast of the same frames (the same events, the same batch size, one
 * encoding per frame, 10 clients) in the same run. Both sides keep the same number of events in
 * flight (published or sent, not yet received by every page), so neither outruns its readers, and
 * the pages are the same code: they parse every frame and count its event items. The sides run
 * in alternating pairs (5 s each, 4 pairs, ~40 s in all) and the ratio is the pairs' median. Goal: ≥ 0.7.
 *
 * `first_paint_ms`: time to first paint of the console page in Chromium with 10,000 events in the
 * log. It needs the page (apps/console/web/, another engineer's): null until `firstPaintMs` below
 * is filled in.
 *
 *   npx tsx bench/console.ts
 */
import { Effect, Scope, Stream } from "effect"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { WebSocket, WebSocketServer } from "ws"
import { makeConsole } from "../apps/console/server.ts"
import type { JobHostService } from "../apps/host/contract.ts"
import type { EventLogService, EventQuery, SharedMemoryService } from "../memory/index.ts"
import type { SwarmEventInput, SwarmService } from "../runtime/index.ts"
import { Swarm, swarmLayerInMemory } from "../runtime/index.ts"

const CLIENTS = 10
/** Each side runs this long per pair; pairs alternate which side goes first, and the ratio is their median. */
const SECONDS = 5
const PAIRS = 4
/** Events per publish; the console batches whatever has arrived (up to MAX_BATCH_EVENTS). */
const CHUNK = 250
/** Events published (or sent) and not yet received by every page, at most. */
const WINDOW = 3000

/** Events in the log when the page is opened for `first_paint_ms`. */
const LOGGED_EVENTS = 10_000

/**
 * The console page's time to first paint in Chromium (/usr/bin/chromium, playwright-core) against a
 * console whose log holds 10,000 events: from navigation to the first frame painted after the
 * page's first batch (its hello) arrived, i.e. the page showing the swarm, not an empty shell. Page
 * agnostic: it watches the page's WebSocket, not its DOM. Null when the page is not built
 * (scripts/bundle-console.mjs) or Chromium cannot start here.
 */
const firstPaintMs = async (): Promise<number | null> => {
  const { buildConsole } = await import("../scripts/bundle-console.mjs")
  const { chromium } = await import("playwright-core")
  const dir = await mkdtemp(join(tmpdir(), "reelswarm-console-page-"))
  const { outDir } = await buildConsole(dir)
  return Effect.gen(function*() {
    const swarm = yield* Swarm
    yield* swarm.events.publishAll(Array.from({ length: LOGGED_EVENTS }, (_, i) => eventInput(i)))
    const consoleServer = yield* makeConsole(hostOf(swarm), { version: "bench" })
    const server = createServer((req, res) => {
      const name = new URL(req.url ?? "/", "http://localhost").pathname.replace(/^\/(console\/?)?/, "") || "index.html"
      readFile(join(outDir, basename(name))).then(
        (body) => res.writeHead(200, { "content-type": contentType(name) }).end(body),
        () => res.writeHead(404).end()
      )
    })
    server.on("upgrade", consoleServer.handleUpgrade)
    const url = (yield* Effect.promise(() => listen(server))).replace("ws:", "http:")
    yield* Effect.addFinalizer(() => Effect.sync(() => server.closeAllConnections()))
    const browser = yield* Effect.acquireRelease(
      Effect.promise(() => chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] })),
      (b) => Effect.promise(() => b.close())
    )
    const page = yield* Effect.promise(() => browser.newPage())
    // The first message on any WebSocket, then the next painted frame (two animation frames later).
    yield* Effect.promise(() =>
      page.addInitScript(() => {
        const Native = window.WebSocket
        const w = window as unknown as { __painted: Promise<number> }
        w.__painted = new Promise((resolve) => {
          window.WebSocket = class extends Native {
            constructor(url: string | URL, protocols?: string | Array<string>) {
              super(url, protocols)
              this.addEventListener("message", () => {
                requestAnimationFrame(() => setTimeout(() => requestAnimationFrame(() => resolve(performance.now())), 0))
              }, { once: true })
            }
          }
        })
      })
    )
    yield* Effect.promise(() => page.goto(url))
    return yield* Effect.promise(() => page.evaluate(() => (window as unknown as { __painted: Promise<number> }).__painted))
  }).pipe(
    Effect.scoped,
    Effect.provide(swarmLayerInMemory({ strict: false, eventCapacity: LOGGED_EVENTS })),
    Effect.timeout("60 seconds"),
    Effect.map((ms) => Math.round(ms)),
    Effect.ensuring(Effect.promise(() => rm(dir, { recursive: true, force: true }))),
    Effect.catchAllCause((cause) => Effect.as(Effect.logWarning("first paint not measured", cause), null)),
    Effect.runPromise
  )
}

const contentType = (name: string) =>
  name.endsWith(".html")
    ? "text/html"
    : name.endsWith(".js")
    ? "text/javascript"
    : name.endsWith(".css")
    ? "text/css"
    : "application/octet-stream"

const eventInput = (seq: number): SwarmEventInput => ({
  type: "bench-tick",
  agent: `agent-${seq % 8}`,
  job: "bench-job",
  data: { seq, stage: "render", progress: (seq % 100) / 100, note: "segment 3 of 8 encoded with libx264" }
})

/** Pages: each parses every frame and counts its event items; `progress` resolves when any page gets one. */
const pages = async (url: string) => {
  const counts = new Array<number>(CLIENTS).fill(0)
  let frames = 0
  let wake: (() => void) | undefined
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, (_, i) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.on("message", (data: Buffer) => {
        const batch = JSON.parse(data.toString()) as { items: ReadonlyArray<{ t: string }> }
        let events = 0
        for (const item of batch.items) if (item.t === "event") events++
        counts[i]! += events
        if (i === 0 && events > 0) frames++
        const resume = wake
        wake = undefined
        resume?.()
      })
      ws.once("open", () => resolve(ws))
      ws.once("error", reject)
    })))
  return {
    /** Events every page has received. */
    least: () => Math.min(...counts),
    total: () => counts.reduce((a, b) => a + b, 0),
    /** Frames with events page 0 received. */
    frames: () => frames,
    progress: () => new Promise<void>((resolve) => (wake = resolve)),
    close: () => sockets.forEach((ws) => ws.terminate())
  }
}

type Pages = Awaited<ReturnType<typeof pages>>

/**
 * Keeps `WINDOW` events in flight for `SECONDS`: `push(chunk)` hands `chunk` more events to the side
 * under test. Returns events/s received over all pages, and the events per frame page 0 saw.
 */
const drive = async (clients: Pages, chunk: number, push: (n: number) => Promise<void>) => {
  let pushed = 0
  // Checked and waited for in one step: a frame that came while pushing is not waited for again.
  const run = async (done: () => boolean) => {
    while (!done()) {
      if (pushed - clients.least() < WINDOW) {
        await push(chunk)
        pushed += chunk
      } else {
        await clients.progress()
      }
    }
  }
  // Warm-up, untimed: one window, delivered.
  await run(() => pushed >= WINDOW)
  while (clients.least() < pushed) await clients.progress()
  const startTotal = clients.total()
  const startFrames = clients.frames()
  const startLeast = clients.least()
  const start = performance.now()
  await run(() => performance.now() - start >= SECONDS * 1000)
  const seconds = (performance.now() - start) / 1000
  return {
    perSecond: (clients.total() - startTotal) / seconds,
    eventsPerFrame: (clients.least() - startLeast) / Math.max(1, clients.frames() - startFrames)
  }
}

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`))
  )

/** A job host around a bare swarm: the console reads only the swarm, the event log's history (newest first) and the job list. */
const hostOf = (swarm: SwarmService): JobHostService => {
  const none = Effect.dieMessage("not in this benchmark")
  return {
    state: "",
    submit: () => none,
    list: () => Effect.succeed({ jobs: [], total: 0 }),
    get: () => none,
    cancel: () => none,
    remove: () => none,
    files: () => none,
    changes: Stream.never,
    swarm,
    // The log's history is the in-memory sink's (what the console's hello reads).
    events: {
      query: (query?: EventQuery) =>
        Effect.map(swarm.events.since(0), (all) => ({
          events: (query?.order === "desc" ? all.slice().reverse() : all).slice(0, query?.limit ?? 100)
        }))
    } as unknown as EventLogService,
    memory: {} as SharedMemoryService
  }
}

const consoleSide = Effect.gen(function*() {
  const swarm = yield* Swarm
  const server = createServer()
  const scope = yield* Effect.scope
  const consoleServer = yield* Scope.extend(makeConsole(hostOf(swarm), { version: "bench" }), scope)
  server.on("upgrade", consoleServer.handleUpgrade)
  const url = yield* Effect.promise(() => listen(server))
  const clients = yield* Effect.promise(() => pages(url))
  let seq = 0
  const result = yield* Effect.promise(() =>
    drive(clients, CHUNK, (n) => Effect.runPromise(swarm.events.publishAll(Array.from({ length: n }, () => eventInput(seq++)))))
  )
  clients.close()
  server.closeAllConnections()
  server.close()
  return result
}).pipe(Effect.scoped, Effect.provide(swarmLayerInMemory({ strict: false })))

/** The same frames over plain `ws`: the events as the swarm stores them, `batch` per frame (one push each), encoded once for all clients. */
const rawSide = async (batch: number) => {
  const server = createServer()
  const wss = new WebSocketServer({ server })
  const url = await listen(server)
  const clients = await pages(url)
  let seq = 0
  let frameSeq = 0
  const result = await drive(clients, batch, async (n) => {
    const ts = Date.now()
    const items = Array.from({ length: n }, () => {
      const id = ++seq
      return { t: "event", event: { ...eventInput(id - 1), id, ts } }
    })
    const frame = Buffer.from(JSON.stringify({ t: "batch", seq: ++frameSeq, ts, items }))
    for (const ws of wss.clients) ws.send(frame, { binary: false })
    // Lets the sockets' I/O run between frames, as the console's loop does.
    await new Promise((resolve) => setImmediate(resolve))
  })
  clients.close()
  wss.close()
  server.closeAllConnections()
  server.close()
  return result
}

const median = (xs: ReadonlyArray<number>) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// The machine's load drifts: each pair shares its moment. The raw side uses the batch size the
// console's last run sent.
let batch = 0
const pairs: Array<{ console: number; raw: number }> = []
for (let i = 0; i < PAIRS; i++) {
  const consoleRun = async () => {
    const result = await Effect.runPromise(consoleSide)
    batch = Math.max(1, Math.round(result.eventsPerFrame))
    return result.perSecond
  }
  if (i % 2 === 0 || batch === 0) {
    const c = await consoleRun()
    pairs.push({ console: c, raw: (await rawSide(batch)).perSecond })
  } else {
    const raw = (await rawSide(batch)).perSecond
    pairs.push({ console: await consoleRun(), raw })
  }
}
const firstPaint = await firstPaintMs()

console.log(JSON.stringify({
  console_push_ratio: Number(median(pairs.map((p) => p.console / p.raw)).toFixed(3)),
  console_events_per_s: Math.round(median(pairs.map((p) => p.console))),
  raw_ws_events_per_s: Math.round(median(pairs.map((p) => p.raw))),
  events_per_frame: batch,
  clients: CLIENTS,
  pairs: PAIRS,
  seconds_each: SECONDS,
  first_paint_ms: firstPaint
}))
process.exit(0)
