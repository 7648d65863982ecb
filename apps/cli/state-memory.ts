/**
 * The state directory's SQLite file as the inspecting commands (`status`, `agents`, `events`,
 * `memory`) open it: memory's own layers over the file, while a job in another process may be
 * writing to it (WAL lets readers and one writer share it; a writer waits out the busy timeout).
 * No cleanup runs and no swarm is built. A state with no database yet reads as empty, and is not
 * created, unless the command writes (`memory set`). The file's failures are one line naming it: exit 3.
 */
import { Duration, Effect, Layer } from "effect"
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import {
  type AgentRegistry,
  agentRegistryLayer,
  type Database,
  databaseLayer,
  type EventLog,
  eventLogLayer,
  type SharedMemory,
  sharedMemoryLayer
} from "../../memory/index.ts"
import { stateDatabaseFailures, StateDirError } from "./run-job.ts"

export const databaseFile = (state: string) => join(state, "swarm.db")

export const hasDatabase = (state: string) => existsSync(databaseFile(state))

/** How often `events --follow` looks for events appended by another process. */
const FOLLOW_POLL = Duration.millis(250)

const stateLayer = (state: string) =>
  Layer.mergeAll(sharedMemoryLayer({ statsFlushInterval: "200 millis" }), eventLogLayer({ pollInterval: FOLLOW_POLL }), agentRegistryLayer)
    .pipe(Layer.provideMerge(databaseLayer({ filename: databaseFile(state) })))

type StateServices = Database | SharedMemory | EventLog | AgentRegistry

/** Runs `effect` on the state's database; `create`: make the directory and the file when missing. */
export const withStateMemory =
  (state: string, options: { readonly create: boolean } = { create: false }) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StateDirError, Exclude<R, StateServices>> =>
    Effect.suspend(() => {
      if (options.create && !existsSync(state)) {
        try {
          mkdirSync(state, { recursive: true })
        } catch (error) {
          return Effect.fail(
            new StateDirError({
              dir: state,
              message: `${state}: cannot create the state directory (${(error as Error).message}); use --state elsewhere`
            })
          )
        }
      }
      return effect.pipe(Effect.provide(stateLayer(state)), stateDatabaseFailures(state))
    })
