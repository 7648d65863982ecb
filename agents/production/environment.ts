/**
 * Everything a production needs, over one SQLite file: memory (event log, shared memory,
 * registry), the swarm with its five agents on the chosen topology, and the workflow engine on
 * @effect/cluster's SingleRunner using the same file, so a killed job resumes from it.
 */
import { ClusterWorkflowEngine, SingleRunner } from "@effect/cluster"
import { SqlClient } from "@effect/sql"
import { type Duration, Effect, Layer } from "effect"
import { dirname, join } from "node:path"
import { espeakNg, FootageIndexCache, ttsLayer, type TtsProvider } from "../../media/index.ts"
import { Database, memoryLayer } from "../../memory/index.ts"
import { swarmLayer } from "../../runtime/index.ts"
import { layerConfig as topicLayer, type TopicWriterConfig } from "../director/topic.ts"
import { layer as samplerLayer } from "../monitor/sample.ts"
import { type EncoderSlot, layer as videoSwarmLayer, type TopologyChoice, topologyFor } from "./video-swarm.ts"
import { ProduceVideoLive } from "./workflow.ts"

export interface ProductionOptions {
  /** The swarm's SQLite file (created if missing; its directory must exist). */
  readonly database: string
  readonly topology?: TopologyChoice
  /** One encoder agent per slot. Default one. */
  readonly encoders?: ReadonlyArray<EncoderSlot>
  /** `--topic` settings beyond the environment's (model, attempts, …). */
  readonly topic?: Partial<TopicWriterConfig>
  /** TTS providers, the first the default. Default espeak-ng. */
  readonly tts?: ReadonlyArray<TtsProvider>
  /** How often the workflow engine looks for work to resume. Default 1 second. */
  readonly pollInterval?: Duration.DurationInput
  /**
   * SQLite commit durability. Default "normal": in WAL mode a commit survives a crash or a SIGKILL
   * (what resuming a job needs) without an fsync per commit; the last commits may be lost on a
   * power loss, and the job then redoes those steps (its artifacts are content-addressed).
   */
  readonly synchronous?: "full" | "normal"
  /**
   * Where a footage folder's probe cache goes (one file per folder). Default `footage-index/` beside
   * the database: in the state directory, never in the user's footage folder.
   */
  readonly footageIndexDir?: string
}

export const productionLayer = (options: ProductionOptions) => {
  const memory = memoryLayer({ filename: options.database, synchronous: options.synchronous ?? "normal" })
  const sql = Layer.effect(SqlClient.SqlClient, Effect.map(Database, (db) => db.sql))
  const services = Layer.mergeAll(
    topicLayer(options.topic),
    ttsLayer(options.tts ?? [espeakNg()]),
    samplerLayer,
    FootageIndexCache.layer(options.footageIndexDir ?? join(dirname(options.database), "footage-index"))
  )
  // A job runs for minutes: allow an agent a few crashes (each restart keeps its queue) before the
  // whole swarm gives up, rather than OTP's default 3 restarts in 5 s.
  const swarm = swarmLayer({ topology: topologyFor(options.topology ?? "star"), root: { intensity: 10, period: "1 minute" } })
  // A closing layer waits this long for a running workflow (a render takes minutes) before it is
  // interrupted, unrecorded, to resume from its last finished stage at the next start: not the 15 s
  // default, so closing a server (`reelswarm serve`) or a run does not wait out its render.
  const engine = ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(
      SingleRunner.layer({
        shardingConfig: { entityMessagePollInterval: options.pollInterval ?? "1 second", entityTerminationTimeout: "1 second" }
      })
    ),
    Layer.provide(sql)
  )
  return ProduceVideoLive.pipe(
    Layer.provideMerge(videoSwarmLayer(options.encoders === undefined ? {} : { encoders: options.encoders })),
    Layer.provideMerge(engine),
    Layer.provideMerge(swarm),
    Layer.provideMerge(services),
    Layer.provideMerge(memory)
  )
}
