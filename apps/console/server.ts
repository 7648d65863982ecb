/**
 * The console's WebSocket server: live state of the swarm and its jobs for the console page, and
 * the page's commands (protocol.ts). The HTTP server owns the port and hands upgrades of the
 * console's path to `handleUpgrade` (after its token check; the Origin is checked here too).
 *
 * One broadcast loop serves every page: what happened since the last batch is encoded once (each
 * item one JSON string) and every page's frame is those strings joined, so ten pages cost about
 * what one does. A batch goes out at most every `BATCH_INTERVAL_MS`, or as soon as it holds
 * `MAX_BATCH_EVENTS` events (a flood is sent in full frames, not held back by the clock).
 *
 * Memory is bounded per page: a page whose socket has more than `SLOW_CLIENT_BYTES` unsent gets no
 * events until it drains, then one `dropped` item with how many it missed, the job changes it
 * missed (latest of each) and the tree. A page that sends commands and never reads its replies is
 * closed once `MAX_PENDING_ITEMS` of them wait.
 */
import { Cause, type Context, Effect, Exit, FiberSet, Option, Schedule, Schema, type Scope, Stream } from "effect"
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { type RawData, WebSocket, WebSocketServer } from "ws"
import { MetricsEvent, MetricsSample, SystemSampler, systemSamplerLayer } from "../../agents/index.ts"
import type { ChildInfo, SwarmEvent } from "../../runtime/index.ts"
import { MAX_WS_FRAME_BYTES, originAllowed } from "../api/security.ts"
import type { JobHostService, JobSummary } from "../host/contract.ts"
import {
  type AgentRow,
  AGENTS_INTERVAL_MS,
  BATCH_INTERVAL_MS,
  ClientCommand,
  type ClientCommandDecoded,
  type CommandError,
  type EventFilter,
  HELLO_EVENTS,
  JobDetailItem,
  type LinkTraffic,
  METRICS_HISTORY_MS,
  METRICS_INTERVAL_MS,
  PROTOCOL_VERSION,
  type Rid,
  type ServerItem,
  type Tree,
  type TreeNode,
  type WireEvent
} from "./protocol.ts"

/** Events in one batch at most; more waiting go out in the next batch at once. */
export const MAX_BATCH_EVENTS = 1000
/** Events waiting for the next batch at most; beyond, the oldest are dropped (every page is told). */
export const MAX_PENDING_EVENTS = 20_000
/** A page with more than this unsent on its socket is sent no events until it drains. */
export const SLOW_CLIENT_BYTES = 1024 * 1024
/** Replies and details waiting for one page at most; beyond, the page is closed (1008). */
export const MAX_PENDING_ITEMS = 256
/** Commands of one page running at once at most; beyond, a command is answered `Busy`. */
export const MAX_COMMANDS_IN_FLIGHT = 16
/** Dead letters and events in an `agent-detail`. */
const DETAIL_DEAD_LETTERS = 20
const DETAIL_EVENTS = 50
/** Jobs in `hello`. */
const HELLO_JOBS = 100
/** Our own machine samples stop while a monitor agent publishes `metrics` events at least this often. */
const MONITOR_FRESH_MS = 3 * METRICS_INTERVAL_MS

export interface ConsoleOptions {
  /** The server's version, sent in `hello`. */
  readonly version: string
  /** Where machine samples come from when no monitor agent publishes them; default the monitor's sampler (systeminformation). */
  readonly sampler?: Context.Tag.Service<typeof SystemSampler> | undefined
}

export interface ConsoleServer {
  /** Takes over an HTTP upgrade request for the console's WebSocket (a bad Origin gets 403). */
  readonly handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  /** Pages connected now. */
  readonly clients: () => number
}

interface Client {
  readonly ws: WebSocket
  /** Set once its hello is queued: until then it gets nothing else. */
  live: boolean
  /** The last event id in its hello: events up to it that were still waiting to be sent are not sent again. */
  after: number
  filter: EventFilter | undefined
  /** Its own items (hello, replies, details), encoded, for its next batch. */
  readonly own: Array<string>
  commands: number
  /** Events it missed while its socket was backed up. */
  dropped: number
  /** Job changes it missed meanwhile (latest per job), and whether it missed a tree. */
  readonly missedJobs: Map<string, JobSummary>
  missedTree: boolean
}

const encodeJobDetail = Schema.encodeSync(JobDetailItem)
const decodeCommand = Schema.decodeUnknownEither(ClientCommand)
const isSample = Schema.is(MetricsSample)

/** JSON of an item; data that JSON cannot carry (a bigint, a cycle) is written as text or replaced by a note, never thrown. */
const encodeItem = (item: ServerItem): string => {
  try {
    // Without a replacer first: a replacer is called for every value, and bigints are rare.
    return JSON.stringify(item)
  } catch {
    try {
      return JSON.stringify(item, (_key, value: unknown) => typeof value === "bigint" ? value.toString() : value)
    } catch (error) {
      if (item.t !== "event") throw error
      return JSON.stringify({ ...item, event: { ...item.event, data: { unencodable: String(error) } } })
    }
  }
}

const encodeEvent = (event: WireEvent): string => {
  try {
    return `{"t":"event","event":${JSON.stringify(event)}}`
  } catch {
    return encodeItem({ t: "event", event })
  }
}

const wireEvent = (event: SwarmEvent): WireEvent => ({
  id: event.id,
  ts: event.ts,
  type: event.type,
  ...(event.agent === undefined ? {} : { agent: event.agent }),
  ...(event.job === undefined ? {} : { job: event.job }),
  ...(event.data === undefined ? {} : { data: event.data })
})

const passes = (filter: EventFilter | undefined, event: WireEvent): boolean =>
  filter === undefined ||
  ((filter.types === undefined || filter.types.includes(event.type)) &&
    (filter.agents === undefined || (event.agent !== undefined && filter.agents.includes(event.agent))) &&
    (filter.jobs === undefined || (event.job !== undefined && filter.jobs.includes(event.job))))

/** A failure as the page reads it: the error's tag and message (and the field of a JobRequestError). */
const commandError = (cause: Cause.Cause<unknown>): CommandError => {
  const failure = Cause.failureOption(cause)
  const error: unknown = Option.isSome(failure) ? failure.value : Cause.squash(cause)
  const record = (typeof error === "object" && error !== null ? error : {}) as Record<string, unknown>
  const tag = typeof record["_tag"] === "string" ? record["_tag"] : Option.isSome(failure) ? "Error" : "InternalError"
  const message = error instanceof Error ? error.message : String(error)
  return typeof record["field"] === "string" ? { tag, message, field: record["field"] } : { tag, message }
}

const ridOf = (frame: unknown): Rid | null => {
  if (typeof frame !== "object" || frame === null) return null
  const rid = (frame as Record<string, unknown>)["rid"]
  return typeof rid === "number" || (typeof rid === "string" && rid.length <= 128) ? rid : null
}

const agentRows = (tree: Tree, heartbeats: ReadonlyMap<string, number>): Array<AgentRow> => {
  const rows: Array<AgentRow> = []
  const walk = (nodes: ReadonlyArray<TreeNode>) => {
    for (const node of nodes) {
      if (node.kind === "agent") {
        rows.push({
          name: node.name,
          supervisor: node.supervisor,
          state: node.state,
          queued: node.mailbox?.queued ?? 0,
          capacity: node.mailbox?.capacity ?? 0,
          restarts: node.restarts,
          incarnation: node.incarnation,
          lastHeartbeat: heartbeats.get(node.name) ?? null
        })
      }
      walk(node.children)
    }
  }
  walk(tree.children)
  return rows
}

const findNode = (nodes: ReadonlyArray<TreeNode>, name: string): TreeNode | undefined => {
  for (const node of nodes) {
    const found = node.name === name ? node : findNode(node.children, name)
    if (found !== undefined) return found
  }
  return undefined
}

/** The tree without what changes all the time (mailbox fill, restart counts), to see when its shape changed. */
const treeShape = (tree: Tree): string => {
  const shape = (nodes: ReadonlyArray<TreeNode>): unknown => nodes.map((n) => [n.name, n.kind, n.state, shape(n.children)])
  return JSON.stringify(shape(tree.children))
}

export const makeConsole = (host: JobHostService, options: ConsoleOptions): Effect.Effect<ConsoleServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const swarm = host.swarm
    const sampler = options.sampler ?? (yield* Effect.provide(SystemSampler, systemSamplerLayer))
    const run = yield* FiberSet.makeRuntime<never>()
    const clients = new Set<Client>()

    // --- what the console knows, kept current by the loops below

    const recent: Array<WireEvent> = []
    const heartbeats = new Map<string, number>()
    const metrics: Array<MetricsSample> = []
    let monitorSampleAt = 0
    let tree: Tree = { name: "swarm", children: [] }
    let links: ReadonlyArray<readonly [string, string]> = []
    let shape = ""
    let counted = new Map<string, number>()
    let countedAt = Date.now()

    // --- what the next batch carries for every page

    let events: Array<WireEvent> = []
    let droppedEverywhere = 0
    const jobs = new Map<string, JobSummary>()
    let snapshots: Array<ServerItem> = []
    let treeChanged = false
    let seq = 0

    let wake: (() => void) | undefined
    let dirty = false
    const touch = () => {
      dirty = true
      const resume = wake
      wake = undefined
      resume?.()
    }
    const work = Effect.async<void>((resume) => {
      if (dirty) return resume(Effect.void)
      wake = () => resume(Effect.void)
      return Effect.sync(() => {
        wake = undefined
      })
    })

    /** Live events as the sink hands them: a SwarmEvent has exactly the wire's fields. */
    const noteEvents = (incoming: Iterable<WireEvent>) => {
      for (const wire of incoming) {
        if (wire.type === "heartbeat" && wire.agent !== undefined) heartbeats.set(wire.agent, wire.ts)
        if (wire.type === MetricsEvent.type && isSample(wire.data)) {
          monitorSampleAt = Date.now()
          noteSample(wire.data)
        }
        recent.push(wire)
        events.push(wire)
      }
      if (recent.length > HELLO_EVENTS * 2) recent.splice(0, recent.length - HELLO_EVENTS)
      if (events.length > MAX_PENDING_EVENTS) {
        droppedEverywhere += events.length - MAX_PENDING_EVENTS
        events = events.slice(events.length - MAX_PENDING_EVENTS)
      }
      touch()
    }

    const noteSample = (sample: MetricsSample) => {
      metrics.push(sample)
      while (metrics.length > 0 && metrics[0]!.ts < sample.ts - METRICS_HISTORY_MS) metrics.shift()
      snapshots.push({ t: "metrics", sample })
    }

    // --- reading the swarm

    const childrenOf = (supervisor: string | undefined): Effect.Effect<Array<TreeNode>> =>
      swarm.whichChildren(supervisor).pipe(
        Effect.flatMap((children) =>
          Effect.forEach(children, (info: ChildInfo) =>
            Effect.map(
              info.kind === "supervisor" ? childrenOf(info.name) : Effect.succeed([]),
              (nested): TreeNode => ({
                name: info.name,
                kind: info.kind,
                supervisor: supervisor ?? "swarm",
                state: info.state,
                incarnation: info.incarnation,
                restarts: info.restarts,
                ...(info.mailbox === undefined ? {} : { mailbox: info.mailbox }),
                children: nested
              })
            ))
        ),
        // A supervisor that stopped while the tree was read, or a stopped swarm: nothing under it.
        Effect.orElseSucceed(() => [])
      )

    const readTree = Effect.gen(function*() {
      tree = { name: "swarm", children: yield* childrenOf(undefined) }
      links = yield* Effect.orElseSucceed(swarm.links, () => [])
      // Whoever reads it first, every page is sent a tree whose shape changed.
      const now = treeShape(tree)
      if (now !== shape) {
        shape = now
        treeChanged = true
        touch()
      }
    })

    const readTraffic = Effect.map(Effect.orElseSucceed(swarm.traffic, () => []), (hops) => {
      const now = Date.now()
      const seconds = Math.max(0.001, (now - countedAt) / 1000)
      const next = new Map<string, number>()
      const rates = hops.map((hop): LinkTraffic => {
        const key = `${hop.from}\u0000${hop.to}`
        next.set(key, hop.envelopes)
        return {
          from: hop.from,
          to: hop.to,
          perSecond: Math.round(((hop.envelopes - (counted.get(key) ?? 0)) / seconds) * 10) / 10,
          total: hop.envelopes
        }
      })
      counted = next
      countedAt = now
      return { ts: now, links: rates }
    })

    const refreshAgents = Effect.gen(function*() {
      yield* readTree
      const traffic = yield* readTraffic
      snapshots = snapshots.filter((item) => item.t !== "agents" && item.t !== "traffic")
      snapshots.push(
        { t: "agents", ts: traffic.ts, rows: agentRows(tree, heartbeats) },
        { t: "traffic", ts: traffic.ts, links: traffic.links }
      )
      touch()
    })

    // --- sending

    const send = (client: Client, frame: string | Buffer) => {
      if (client.ws.readyState === WebSocket.OPEN) client.ws.send(frame, { binary: false })
    }

    const queueOwn = (client: Client, item: ServerItem | string) => {
      if (client.ws.readyState !== WebSocket.OPEN) return
      if (client.own.length >= MAX_PENDING_ITEMS) {
        client.ws.close(1008, "too many unread replies")
        return
      }
      client.own.push(typeof item === "string" ? item : encodeItem(item))
      touch()
    }

    const frame = (items: ReadonlyArray<string>, ts: number) => `{"t":"batch","seq":${seq},"ts":${ts},"items":[${items.join(",")}]}`

    /** One batch to every live page: every item encoded once. */
    const flush = () => {
      dirty = false
      const ts = Date.now()
      const batchEvents = events.length > MAX_BATCH_EVENTS ? events.splice(0, MAX_BATCH_EVENTS) : events
      if (batchEvents === events) events = []
      if (events.length > 0) dirty = true
      const eventJson = batchEvents.map(encodeEvent)
      const jobItems = Array.from(jobs.values())
      jobs.clear()
      const common = [
        ...(droppedEverywhere > 0 ? [encodeItem({ t: "dropped", events: droppedEverywhere })] : []),
        ...(treeChanged ? [encodeItem({ t: "tree", tree, links })] : []),
        ...jobItems.map((job) => encodeItem({ t: "job", job })),
        ...snapshots.map(encodeItem)
      ]
      const treeSent = treeChanged
      droppedEverywhere = 0
      treeChanged = false
      snapshots = []
      if (common.length === 0 && eventJson.length === 0 && Array.from(clients).every((c) => c.own.length === 0)) return
      seq++
      let shared: Buffer | undefined
      for (const client of clients) {
        if (!client.live || client.ws.readyState !== WebSocket.OPEN) continue
        if (client.ws.bufferedAmount > SLOW_CLIENT_BYTES) {
          // Backed up: it gets the rest later, in short (dropped count, latest of each job, the tree).
          client.dropped += batchEvents.filter((event) => passes(client.filter, event)).length
          for (const job of jobItems) client.missedJobs.set(job.id, job)
          client.missedTree ||= treeSent
          continue
        }
        const catchUp: Array<string> = []
        if (client.dropped > 0) {
          catchUp.push(encodeItem({ t: "dropped", events: client.dropped }))
          client.dropped = 0
        }
        if (client.missedTree && !treeSent) catchUp.push(encodeItem({ t: "tree", tree, links }))
        client.missedTree = false
        for (const job of client.missedJobs.values()) catchUp.push(encodeItem({ t: "job", job }))
        client.missedJobs.clear()
        const own = client.own.splice(0)
        const everyEvent = client.filter === undefined && (batchEvents[0]?.id ?? Infinity) > client.after
        const mine = everyEvent
          ? eventJson
          : eventJson.filter((_, i) => batchEvents[i]!.id > client.after && passes(client.filter, batchEvents[i]!))
        if (own.length === 0 && catchUp.length === 0 && everyEvent) {
          if (common.length === 0 && eventJson.length === 0) continue
          shared ??= Buffer.from(frame([...common, ...eventJson], ts))
          send(client, shared)
        } else {
          const items = [...own, ...catchUp, ...common, ...mine]
          if (items.length > 0) send(client, frame(items, ts))
        }
      }
    }

    const broadcast = Effect.forever(
      Effect.gen(function*() {
        yield* work
        flush()
        // A full batch with more waiting goes on at once; otherwise the next waits out the interval.
        // (after the sockets' I/O has had its turn).
        yield* Effect.sleep(dirty && events.length >= MAX_BATCH_EVENTS ? 0 : BATCH_INTERVAL_MS)
      })
    )

    // --- commands

    const reply = (client: Client, rid: Rid | null, exit: Exit.Exit<Partial<{ job: JobSummary }>, unknown>) => {
      if (Exit.isSuccess(exit)) queueOwn(client, { t: "reply", rid, ok: true, ...exit.value })
      else queueOwn(client, { t: "reply", rid, ok: false, error: commandError(exit.cause) })
    }

    const restartAgent = (name: string) =>
      Effect.gen(function*() {
        yield* readTree
        if (findNode(tree.children, name)?.state === "running") yield* swarm.terminateChild(name)
        yield* swarm.restartChild(name)
      })

    const agentDetail = (client: Client, rid: Rid, name: string) =>
      Effect.gen(function*() {
        yield* readTree
        const row = agentRows(tree, heartbeats).find((r) => r.name === name)
        if (row === undefined) return yield* Effect.fail({ _tag: "AgentNotFoundError", message: `no agent ${name}` })
        const received = yield* Effect.orElseSucceed(swarm.received(name), () => [])
        const deadLetters = yield* host.events.query({ agent: name, types: ["dead-letter"], order: "desc", limit: DETAIL_DEAD_LETTERS })
        const own = yield* host.events.query({ agent: name, order: "desc", limit: DETAIL_EVENTS })
        queueOwn(client, {
          t: "agent-detail",
          rid,
          name,
          detail: {
            row,
            handled: received.map(({ envelopes, tag }) => ({ tag, count: envelopes })),
            deadLetters: deadLetters.events.map(wireEvent).reverse(),
            events: own.events.map(wireEvent).reverse()
          }
        })
        return {}
      })

    const execute = (client: Client, command: ClientCommandDecoded): Effect.Effect<Partial<{ job: JobSummary }>, unknown> => {
      switch (command.t) {
        case "subscribe":
          return Effect.sync(() => {
            client.filter = command.filter === undefined || Object.keys(command.filter).length === 0 ? undefined : command.filter
            return {}
          })
        case "get-agent":
          return agentDetail(client, command.rid, command.name)
        case "get-job":
          return Effect.map(host.get(command.id), (job) => {
            queueOwn(client, JSON.stringify(encodeJobDetail({ t: "job-detail", rid: command.rid, job })))
            return {}
          })
        case "submit":
          return Effect.map(host.submit(command.request), (job) => ({ job }))
        case "cancel":
          return Effect.map(host.cancel(command.id), (job) => ({ job }))
        case "restart-agent":
          return Effect.as(Effect.zipRight(restartAgent(command.name), refreshAgents), {})
        case "stop-agent":
          return Effect.as(Effect.zipRight(swarm.terminateChild(command.name), refreshAgents), {})
      }
    }

    const onMessage = (client: Client, data: RawData, isBinary: boolean) => {
      let parsed: unknown
      try {
        if (isBinary) throw new Error("frames must be JSON text")
        parsed = JSON.parse(
          Buffer.isBuffer(data) ? data.toString() : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString()
        )
      } catch (error) {
        return reply(client, null, Exit.fail({ _tag: "BadFrame", message: error instanceof Error ? error.message : String(error) }))
      }
      const decoded = decodeCommand(parsed)
      if (decoded._tag === "Left") {
        return reply(client, ridOf(parsed), Exit.fail({ _tag: "BadFrame", message: decoded.left.message }))
      }
      const command = decoded.right
      if (client.commands >= MAX_COMMANDS_IN_FLIGHT) {
        return reply(client, command.rid, Exit.fail({ _tag: "Busy", message: `${MAX_COMMANDS_IN_FLIGHT} commands are running already` }))
      }
      client.commands++
      run(Effect.onExit(Effect.suspend(() => execute(client, command)), (exit) =>
        Effect.sync(() => {
          client.commands--
          reply(client, command.rid, exit)
        })))
    }

    // --- connecting

    const hello = (client: Client) =>
      Effect.gen(function*() {
        yield* readTree
        const page = yield* host.list({ limit: HELLO_JOBS })
        if (client.ws.readyState !== WebSocket.OPEN) return
        // Synchronously from here: the hello's events and the live ones after it neither overlap nor leave a gap.
        const history = recent.slice(-HELLO_EVENTS)
        client.after = history.at(-1)?.id ?? 0
        client.own.unshift(encodeItem({
          t: "hello",
          version: options.version,
          protocol: PROTOCOL_VERSION,
          topology: swarm.topology,
          tree,
          links,
          agents: agentRows(tree, heartbeats),
          jobs: page.jobs,
          events: history,
          metrics
        }))
        client.live = true
        clients.add(client)
        touch()
      })

    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_FRAME_BYTES })
    wss.on("connection", (ws: WebSocket) => {
      const client: Client = {
        ws,
        live: false,
        after: 0,
        filter: undefined,
        own: [],
        commands: 0,
        dropped: 0,
        missedJobs: new Map(),
        missedTree: false
      }
      ws.on("message", (data, isBinary) => onMessage(client, data, isBinary))
      ws.on("close", () => clients.delete(client))
      // Errors (an oversized frame among them) close the socket; ws sends the close code itself.
      ws.on("error", () => {})
      run(Effect.catchAllCause(hello(client), () => Effect.sync(() => ws.close(1011, "hello failed"))))
    })

    const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!originAllowed(req.headers.origin, req.headers.host)) {
        socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req))
    }

    // --- starting

    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        for (const client of clients) client.ws.close(1001, "server shutting down")
        for (const ws of wss.clients) ws.terminate()
        wss.close(() => resume(Effect.void))
      })
    )

    const live = yield* swarm.events.subscribe
    const initial = yield* Effect.orElseSucceed(host.events.query({ order: "desc", limit: HELLO_EVENTS }), () => ({ events: [] }))
    recent.push(...initial.events.map(wireEvent).reverse())
    const seen = recent.at(-1)?.id ?? 0
    yield* readTree
    yield* Effect.forkScoped(Stream.runForEachChunk(live, (chunk) =>
      Effect.sync(() => {
        const fresh = Array.from(chunk)
        // The first chunk may repeat what the log already gave.
        noteEvents(fresh[0] !== undefined && fresh[0].id <= seen ? fresh.filter((e) => e.id > seen) : fresh)
      })))
    yield* Effect.forkScoped(Stream.runForEach(host.changes, (job) =>
      Effect.sync(() => {
        jobs.set(job.id, job)
        touch()
      })))
    yield* Effect.forkScoped(Effect.repeat(refreshAgents, Schedule.spaced(AGENTS_INTERVAL_MS)))
    yield* Effect.forkScoped(Effect.repeat(
      Effect.suspend(() =>
        Date.now() - monitorSampleAt < MONITOR_FRESH_MS
          ? Effect.void
          : sampler.sample.pipe(Effect.tap((sample) => Effect.sync(() => noteSample(sample))), Effect.tap(() => touch()), Effect.ignore)
      ),
      Schedule.spaced(METRICS_INTERVAL_MS)
    ))
    yield* Effect.forkScoped(broadcast)

    return { handleUpgrade, clients: () => clients.size }
  })
