/**
 * A production in a process of its own, for the resume test to SIGKILL:
 *   node --import tsx produce-child.ts SPEC_JSON DATABASE
 * Prints the report's JSON on the last line when the job finishes.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Schema } from "effect"
import { productionLayer } from "../../../agents/production/environment.ts"
import { JobSpec } from "../../../agents/production/job.ts"
import { ProduceVideo } from "../../../agents/production/workflow.ts"

const [specJson, database] = process.argv.slice(2)
const spec = Schema.decodeUnknownSync(Schema.parseJson(JobSpec))(specJson)

ProduceVideo.execute(spec).pipe(
  Effect.tap((report) => Effect.sync(() => console.log(JSON.stringify(report)))),
  Effect.provide(productionLayer({ database: database!, topology: "mesh", encoders: [{}], pollInterval: "200 millis" })),
  Effect.scoped,
  NodeRuntime.runMain
)
