/**
 * reelswarm memory: one SQLite file per swarm holding shared memory, the event log and the agent
 * registry. `layer({ filename })` gives all of them, plus the runtime's `SwarmEvents` backed by the log.
 */
import type { Duration } from "effect"
import { Layer } from "effect"
import type { SwarmEvents } from "../runtime/index.ts"
import { AgentRegistry, layer as layerAgentRegistry } from "./agent-registry.ts"
import { Cleanup, layer as layerCleanup } from "./cleanup.ts"
import { Database, type DatabaseError, type DatabaseOptions, layer as layerDatabase } from "./database.ts"
import { EventLog, layer as layerEventLog, layerSwarmEvents } from "./event-log.ts"
import { layer as layerSharedMemory, SharedMemory, type SharedMemoryOptions } from "./shared-memory.ts"

export {
  type AgentQuery,
  type AgentRecord,
  AgentRegistry,
  type AgentRegistryService,
  layer as layerAgentRegistry,
  make as makeAgentRegistry
} from "./agent-registry.ts"
export {
  Cleanup,
  CleanupEvent,
  CleanupFailedEvent,
  type CleanupOptions,
  type CleanupReport,
  type CleanupService,
  layer as layerCleanup,
  make as makeCleanup
} from "./cleanup.ts"
export {
  Database,
  DatabaseError,
  type DatabaseErrorReason,
  type DatabaseOptions,
  type DatabaseService,
  layer as layerDatabase,
  make as makeDatabase,
  type Synchronous
} from "./database.ts"
export {
  type EventLogOptions,
  type EventLogService,
  type EventPage,
  type EventQuery,
  EventLog,
  layer as layerEventLog,
  layerSwarmEvents,
  make as makeEventLog,
  makeSwarmEvents,
  type TailOptions
} from "./event-log.ts"
export {
  type AccessStats,
  layer as layerSharedMemory,
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
export const layer = (
  options: MemoryLayerOptions
): Layer.Layer<Database | SharedMemory | EventLog | SwarmEvents | AgentRegistry | Cleanup, DatabaseError> => {
  const services = Layer.mergeAll(
    layerSharedMemory({ maxBytes: options.maxBytes, pinned: options.pinned, statsFlushInterval: options.statsFlushInterval }),
    layerEventLog({ retention: options.retention, pollInterval: options.pollInterval }),
    layerAgentRegistry
  )
  return Layer.mergeAll(layerSwarmEvents, layerCleanup({ interval: options.cleanupInterval })).pipe(
    Layer.provideMerge(services),
    Layer.provideMerge(layerDatabase(options))
  )
}
