/**
 * The console's WebSocket protocol, between the server (apps/console/server.ts) and the page
 * (apps/console/web/). Every frame is one JSON text frame.
 *
 * Server → page: only `Batch` frames, `{ t: "batch", seq, ts, items }`, at most one every
 * `BATCH_INTERVAL_MS` (and none while nothing happened), so a swarm publishing 10,000 events a
 * minute costs the page about ten frames a second. Under a flood a batch holding the server's
 * maximum of events (1000) goes out at once, without waiting out the interval. The first batch a
 * page receives starts with `hello`, the whole picture; later items are changes to it.
 *
 * Page → server: one `ClientCommand` per frame, each with a `rid` the page chooses. Every command
 * is answered by exactly one `reply` item with the same `rid`; `get-agent` and `get-job` put their
 * `agent-detail` / `job-detail` item just before that reply, in the same batch. A frame that is not
 * valid JSON or not a command gets `reply { rid: null, ok: false, error: { tag: "BadFrame" } }`
 * (with the rid when one could be read); a frame over `MAX_WS_FRAME_BYTES` closes the socket (1009).
 */
import { Schema } from "effect"
import { MetricsSample } from "../../agents/index.ts"
import { JobDetail, JobRequest, JobSummary } from "../host/contract.ts"

export { MetricsSample }

/** Bumped when a change would break a page written for the previous version. */
export const PROTOCOL_VERSION = 1
/** The path the console's WebSocket is served on. */
export const CONSOLE_WS_PATH = "/console/ws"
/** The longest the server holds items before sending them as one batch. */
export const BATCH_INTERVAL_MS = 100
/** How often `agents` and `traffic` items are sent. */
export const AGENTS_INTERVAL_MS = 1000
/** How often a `metrics` item is sent. */
export const METRICS_INTERVAL_MS = 2000
/** Events in `hello`: the most recent ones. */
export const HELLO_EVENTS = 500
/** `metrics` history in `hello`: the last ten minutes. */
export const METRICS_HISTORY_MS = 10 * 60 * 1000

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** A command's id, chosen by the page and echoed in its reply. */
export const Rid = Schema.Union(Schema.String.pipe(Schema.maxLength(128)), Schema.Number)
export type Rid = typeof Rid.Type

/** One swarm event as stored in the event log (runtime's SwarmEvent), its `data` as JSON. */
export const WireEvent = Schema.Struct({
  id: Schema.Number,
  ts: Schema.Number,
  type: Schema.String,
  agent: Schema.optional(Schema.String),
  job: Schema.optional(Schema.String),
  data: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
export type WireEvent = typeof WireEvent.Type

export const ChildKind = Schema.Literal("agent", "supervisor")
/** A child's state under its supervisor (runtime's ChildInfo.state). */
export const ChildState = Schema.Literal("running", "restarting", "terminated")

export const MailboxFill = Schema.Struct({ queued: Schema.Number, capacity: Schema.Number })

/** One child of a supervisor; a supervisor's own children are nested (`whichChildren`, recursively). */
export interface TreeNode {
  readonly name: string
  readonly kind: "agent" | "supervisor"
  /** The supervisor it is a child of (`swarm` for the root's children). */
  readonly supervisor: string
  readonly state: "running" | "restarting" | "terminated"
  /** How many times it has been started (1 until its first restart). */
  readonly incarnation: number
  readonly restarts: number
  /** Agents only. */
  readonly mailbox?: { readonly queued: number; readonly capacity: number } | undefined
  /** Supervisors only; `[]` for agents. */
  readonly children: ReadonlyArray<TreeNode>
}
export const TreeNode: Schema.Schema<TreeNode> = Schema.Struct({
  name: Schema.String,
  kind: ChildKind,
  supervisor: Schema.String,
  state: ChildState,
  incarnation: Schema.Number,
  restarts: Schema.Number,
  mailbox: Schema.optional(MailboxFill),
  children: Schema.Array(Schema.suspend((): Schema.Schema<TreeNode> => TreeNode))
})

/** The root of the tree: the swarm's root supervisor, named `swarm`. */
export const Tree = Schema.Struct({ name: Schema.String, children: Schema.Array(TreeNode) })
export type Tree = typeof Tree.Type

/** An undirected link of the topology, as the swarm reports it (`[a, b]`). */
export const Link = Schema.Tuple(Schema.String, Schema.String)
export type Link = typeof Link.Type

/** One row of the agents table (agents only, not supervisors). */
export const AgentRow = Schema.Struct({
  name: Schema.String,
  supervisor: Schema.String,
  state: ChildState,
  /** Messages waiting (not counting the one being handled) and the mailbox's capacity. */
  queued: Schema.Number,
  capacity: Schema.Number,
  restarts: Schema.Number,
  incarnation: Schema.Number,
  /** Epoch ms of its last heartbeat event; null when none was seen. */
  lastHeartbeat: Schema.NullOr(Schema.Number)
})
export type AgentRow = typeof AgentRow.Type

/**
 * Envelopes on one hop of the topology, one direction: in a star, A → B is counted as A → hub and
 * hub → B. Envelopes from outside the swarm come `from` "outside".
 */
export const LinkTraffic = Schema.Struct({
  from: Schema.String,
  to: Schema.String,
  /** Envelopes per second over the last `AGENTS_INTERVAL_MS`. */
  perSecond: Schema.Number,
  /** Since the swarm started. */
  total: Schema.Number
})
export type LinkTraffic = typeof LinkTraffic.Type

/** Messages an agent has been sent, by message tag (its protocol's `_tag`), since the swarm started. */
export const TagCount = Schema.Struct({ tag: Schema.String, count: Schema.Number })
export type TagCount = typeof TagCount.Type

export const AgentDetail = Schema.Struct({
  row: AgentRow,
  /** Counts by tag of the envelopes delivered to it, most first. */
  handled: Schema.Array(TagCount),
  /** Its most recent dead letters (`dead-letter` events), oldest first. */
  deadLetters: Schema.Array(WireEvent),
  /** Its most recent events of any type, oldest first. */
  events: Schema.Array(WireEvent)
})
export type AgentDetail = typeof AgentDetail.Type

/** Why a command failed: `tag` is the error's name (BadFrame, AgentNotFoundError, JobNotFoundError, JobStateError, JobRequestError, ChildError, …). */
export const CommandError = Schema.Struct({
  tag: Schema.String,
  message: Schema.String,
  /** JobRequestError: the request field at fault. */
  field: Schema.optional(Schema.String)
})
export type CommandError = typeof CommandError.Type

// ---------------------------------------------------------------------------------------------
// Server → page items

export const HelloItem = Schema.Struct({
  t: Schema.Literal("hello"),
  /** The server's (reelswarm's) version. */
  version: Schema.String,
  protocol: Schema.Number,
  /** The swarm's topology: "star", "mesh", "direct". */
  topology: Schema.String,
  tree: Tree,
  links: Schema.Array(Link),
  agents: Schema.Array(AgentRow),
  /** Newest first (as the host lists them). */
  jobs: Schema.Array(JobSummary),
  /** The last `HELLO_EVENTS` events, oldest first. */
  events: Schema.Array(WireEvent),
  /** Samples of the last `METRICS_HISTORY_MS`, oldest first. */
  metrics: Schema.Array(MetricsSample)
})
export type HelloItem = typeof HelloItem.Type

/** The whole agents table, every `AGENTS_INTERVAL_MS`. */
export const AgentsItem = Schema.Struct({ t: Schema.Literal("agents"), ts: Schema.Number, rows: Schema.Array(AgentRow) })
export type AgentsItem = typeof AgentsItem.Type

/** The tree and links changed (an agent spawned, stopped or was deleted): the new ones in full. */
export const TreeItem = Schema.Struct({ t: Schema.Literal("tree"), tree: Tree, links: Schema.Array(Link) })
export type TreeItem = typeof TreeItem.Type

/** Every link's rate, every `AGENTS_INTERVAL_MS`. */
export const TrafficItem = Schema.Struct({ t: Schema.Literal("traffic"), ts: Schema.Number, links: Schema.Array(LinkTraffic) })
export type TrafficItem = typeof TrafficItem.Type

export const EventItem = Schema.Struct({ t: Schema.Literal("event"), event: WireEvent })
export type EventItem = typeof EventItem.Type

/** This page fell behind: `events` events meant for it were not sent (the newest are kept). */
export const DroppedItem = Schema.Struct({ t: Schema.Literal("dropped"), events: Schema.Number })
export type DroppedItem = typeof DroppedItem.Type

/** A job changed (submitted, stage, progress, finished). */
export const JobItem = Schema.Struct({ t: Schema.Literal("job"), job: JobSummary })
export type JobItem = typeof JobItem.Type

export const MetricsItem = Schema.Struct({ t: Schema.Literal("metrics"), sample: MetricsSample })
export type MetricsItem = typeof MetricsItem.Type

/** `get-agent`'s answer, just before its reply. */
export const AgentDetailItem = Schema.Struct({ t: Schema.Literal("agent-detail"), rid: Rid, name: Schema.String, detail: AgentDetail })
export type AgentDetailItem = typeof AgentDetailItem.Type

/** `get-job`'s answer, just before its reply. */
export const JobDetailItem = Schema.Struct({ t: Schema.Literal("job-detail"), rid: Rid, job: JobDetail })
export type JobDetailItem = typeof JobDetailItem.Type

/** The end of every command. `job`: the job `submit` created or `cancel` cancelled. */
export const ReplyItem = Schema.Struct({
  t: Schema.Literal("reply"),
  rid: Schema.NullOr(Rid),
  ok: Schema.Boolean,
  error: Schema.optional(CommandError),
  job: Schema.optional(JobSummary)
})
export type ReplyItem = typeof ReplyItem.Type

export const ServerItem = Schema.Union(
  HelloItem,
  AgentsItem,
  TreeItem,
  TrafficItem,
  EventItem,
  DroppedItem,
  JobItem,
  MetricsItem,
  AgentDetailItem,
  JobDetailItem,
  ReplyItem
)
export type ServerItem = typeof ServerItem.Type

/** The only frame the server sends. `seq` is the server's batch counter: it increases on every connection (with gaps). */
export const Batch = Schema.Struct({
  t: Schema.Literal("batch"),
  seq: Schema.Number,
  ts: Schema.Number,
  items: Schema.Array(ServerItem)
})
export type Batch = typeof Batch.Type

// ---------------------------------------------------------------------------------------------
// Page → server commands

/**
 * Which events this page wants from now on (each given list narrows; an empty object means all).
 * `agents`/`jobs` match the event's `agent`/`job`. Hello, agents, traffic, jobs and metrics are
 * always sent.
 */
export const EventFilter = Schema.Struct({
  types: Schema.optional(Schema.Array(Schema.String)),
  agents: Schema.optional(Schema.Array(Schema.String)),
  jobs: Schema.optional(Schema.Array(Schema.String))
})
export type EventFilter = typeof EventFilter.Type

const command = <T extends string, F extends Schema.Struct.Fields>(t: T, fields: F) =>
  Schema.Struct({ t: Schema.Literal(t), rid: Rid, ...fields })

export const SubscribeCommand = command("subscribe", { filter: Schema.optional(EventFilter) })
export const GetAgentCommand = command("get-agent", { name: Schema.String })
export const GetJobCommand = command("get-job", { id: Schema.String })
export const SubmitCommand = command("submit", { request: JobRequest })
export const CancelCommand = command("cancel", { id: Schema.String })
/** Restarts an agent or supervisor (running: stopped and started again; terminated: started from its spec). */
export const RestartAgentCommand = command("restart-agent", { name: Schema.String })
/** Stops an agent or supervisor and keeps its spec (`restart-agent` starts it again). */
export const StopAgentCommand = command("stop-agent", { name: Schema.String })

export const ClientCommand = Schema.Union(
  SubscribeCommand,
  GetAgentCommand,
  GetJobCommand,
  SubmitCommand,
  CancelCommand,
  RestartAgentCommand,
  StopAgentCommand
)
/** What the page sends (encoded form: `submit`'s request may omit fields that have defaults). */
export type ClientCommand = typeof ClientCommand.Encoded
export type ClientCommandDecoded = typeof ClientCommand.Type
