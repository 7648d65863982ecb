/**
 * Where the engine's log lines go when the CLI runs. Effect's default logger writes to stdout, which
 * belongs to the command's own output (exactly one JSON document with `--json`), so the CLI's logger
 * writes to stderr only: WARN and above, one line each, the cause reduced to its message. `--verbose`
 * lets every level through, with each line's annotations and the cause's full trace.
 */
import { Command, Options } from "@effect/cli"
import { Cause, Effect, HashMap, Layer, Logger, LogLevel } from "effect"
import { inspect } from "node:util"

export const verbose = Options.boolean("verbose").pipe(
  Options.withDescription("Print every engine log line, and a failure's whole cause with its stack trace, to stderr.")
)

const hasMessage = (u: unknown): u is { readonly message: string } =>
  typeof u === "object" && u !== null && typeof (u as { message?: unknown }).message === "string"

/** A logged value as a reader wants it: a string as is, an error (or a typed report) by its message. */
const textOf = (part: unknown): string =>
  typeof part === "string" ? part : hasMessage(part) ? part.message : inspect(part, { depth: 4, breakLength: Infinity })

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim()

/** The failure a cause ends in, in words (its first line): enough to say what went wrong without a trace. */
const causeText = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  const error = Cause.squash(cause)
  return textOf(error).split("\n")[0] ?? ""
}

const stderrLogger = (verbose: boolean) =>
  Logger.make(({ annotations, cause, logLevel, message }) => {
    const parts = (Array.isArray(message) ? message : [message]).map(textOf).join(" ")
    const level = logLevel.label.toLowerCase()
    if (!verbose) {
      const reason = Cause.isEmpty(cause) ? "" : `: ${causeText(cause)}`
      process.stderr.write(`reelswarm: ${level}: ${oneLine(parts + reason)}\n`)
      return
    }
    const notes = HashMap.toEntries(annotations).map(([key, value]) => ` ${key}=${oneLine(textOf(value))}`).join("")
    const trace = Cause.isEmpty(cause) ? "" : `\n${Cause.pretty(cause, { renderErrorCause: true })}`
    process.stderr.write(`reelswarm: ${level}: ${parts}${notes}${trace}\n`)
  })

const quietLogger = stderrLogger(false)
const verboseLogger = stderrLogger(true)

/** Replaces the default logger (stdout) with the stderr one, at WARN and above: for the whole CLI. */
export const loggingLayer: Layer.Layer<never> = Layer.merge(
  Logger.replace(Logger.defaultLogger, quietLogger),
  Logger.minimumLogLevel(LogLevel.Warning)
)

/** Within `loggingLayer`: every level, with annotations and traces. */
const verboseLayer: Layer.Layer<never> = Layer.merge(
  Logger.replace(quietLogger, verboseLogger),
  Logger.minimumLogLevel(LogLevel.All)
)

/**
 * A command's handler under `--verbose`: its logging at every level, and a failure's whole cause
 * printed to stderr before the one-line answer `main.ts` gives for it.
 */
export const withVerbosity = <A, E, R>(effect: Effect.Effect<A, E, R>, isVerbose: boolean): Effect.Effect<A, E, R> =>
  isVerbose
    ? effect.pipe(
      Effect.tapErrorCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.void
          : Effect.sync(() => process.stderr.write(`${Cause.pretty(cause, { renderErrorCause: true })}\n`))
      ),
      Effect.provide(verboseLayer)
    )
    : effect

/** A command that has the `verbose` option, its handler run under `withVerbosity`. */
export const handleVerbose = <Name extends string, R, E, A extends { readonly verbose: boolean }>(
  command: Command.Command<Name, R, E, A>
): Command.Command<Name, R, E, A> => Command.transformHandler(command, (effect, config) => withVerbosity(effect, config.verbose))
