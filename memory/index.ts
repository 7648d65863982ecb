/**
 * reelswarm memory: one SQLite file per swarm holding shared memory, the event log and the agent
 * registry. `memoryLayer({ filename })` gives all of them, plus the runtime's `SwarmEvents` backed by the log.
 */
import type { Duration } from "effect"
import { Layer } from "effect"
import type { SwarmEvents } from "../runtime/index.ts"
import { AgentRegistry, layer as agentRegistryLayer } from "./agent-registry.ts"
import { Cleanup, layer as cleanupLayer } from "./cleanup.ts"
import { Database, type DatabaseError, type DatabaseOptions, layer as databaseLayer } from "./database.ts"
import { EventLog, layer as eventLogLayer, layerSwarmEvents as swarmEventsLayer } from "./event-log.ts"
import { layer as sharedMemoryLayer, SharedMemory, type SharedMemoryOptions } from "./shared-memory.ts"

export {
  type AgentQuery,
  type AgentRecord,
  AgentRegistry,
  type AgentRegistryService,
  layer as agentRegistryLayer,
  make as makeAgentRegistry
} from "./agent-registry.ts"
export {
  Cleanup,
  CleanupEvent,
  CleanupFailedEvent,
  type CleanupOptions,
  type CleanupReport,
  type CleanupService,
  layer as cleanupLayer,
  make as makeCleanup
} from "./cleanup.ts"
export {
  Database,
  DatabaseError,
  DatabaseErrorReason,
  type DatabaseOptions,
  type DatabaseService,
  findDatabaseError,
  integrityCheck,
  layer as databaseLayer,
  make as makeDatabase,
  type Synchronous
} from "./database.ts"
export {
  EventLog,
  type EventLogOptions,
  type EventLogService,
  type EventPage,
  type EventQuery,
  layer as eventLogLayer,
  layerSwarmEvents as swarmEventsLayer,
  make as makeEventLog,
  makeSwarmEvents,
  type TailOptions,
  UnsavedEvents
} from "./event-log.ts"
export {
  type AccessStats,
  layer as sharedMemoryLayer,
  type ListOptions,
  make as makeSharedMemory,
  type MemoryEntry,
  type MemoryUsage,
  type SetOptions,
  SharedMemory,
  type SharedMemoryOptions,
  type SharedMemoryService
} from "./shared-memory.ts"
export { EncodeError } from "./value-codec.ts"

export interface MemoryLayerOptions extends DatabaseOptions, SharedMemoryOptions {
  /** Events older than this are removed by cleanup. Default 30 days. */
  readonly retention?: Duration.DurationInput | undefined
  /** How often live tails look for appends from other processes. Default 1 second. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** Time between cleanup runs. Default 1 hour. */
  readonly cleanupInterval?: Duration.DurationInput | undefined
}

/** Everything memory/ offers over one file: open, migrate, serve; closed with the layer's scope. */
export const memoryLayer = (
  options: MemoryLayerOptions
): Layer.Layer<Database | SharedMemory | EventLog | SwarmEvents | AgentRegistry | Cleanup, DatabaseError> => {
  const services = Layer.mergeAll(
    sharedMemoryLayer({ maxBytes: options.maxBytes, pinned: options.pinned, statsFlushInterval: options.statsFlushInterval }),
    eventLogLayer({ retention: options.retention, pollInterval: options.pollInterval }),
    agentRegistryLayer
  )
  return Layer.mergeAll(swarmEventsLayer, cleanupLayer({ interval: options.cleanupInterval })).pipe(
    Layer.provideMerge(services),
    Layer.provideMerge(databaseLayer(options))
  )
}
