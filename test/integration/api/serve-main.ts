/**
 * `reelswarm serve` as its own process, for the crash test: the serve command under a bare
 * `reelswarm` root, as apps/cli/main.ts runs it. Usage: node --import tsx serve-main.ts serve --state …
 */
import { Command } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { loggingLayer } from "../../../apps/cli/logging.ts"
import { serve } from "../../../apps/cli/serve.ts"

const cli = Command.run(Command.make("reelswarm").pipe(Command.withSubcommands([serve])), { name: "reelswarm", version: "test" })

cli(process.argv).pipe(Effect.provide([NodeContext.layer, loggingLayer]), NodeRuntime.runMain)
