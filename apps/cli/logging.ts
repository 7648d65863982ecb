/**
 * Where the CLI's log lines go: Effect's logger is replaced by one that hands each line (level,
 * message, annotations, spans, cause) to a pino logger, which writes
 * - JSON lines appended to `<state>/reelswarm.log`, from INFO up (or @effect/cli's built-in
 *   `--log-level`, REELSWARM_LOG_LEVEL, the config file's `logLevel`), once the state directory exists;
 * - stderr, WARN and above (every level with `--verbose`): pretty (pino-pretty, synchronous) on a
 *   terminal, otherwise one plain line each, `reelswarm: warn: <message>: <the cause's first line>`;
 *   `--verbose` adds each line's annotations and the cause's full trace.
 * stdout never gets a log line: it belongs to the command's own output (one JSON document with `--json`).
 */
import { Command, Options } from "@effect/cli"
import { Cause, Effect, Either, HashMap, Layer, List, Logger, LogLevel, Option } from "effect"
import { closeSync, existsSync, openSync, writeSync } from "node:fs"
import { join } from "node:path"
import { inspect } from "node:util"
import pino from "pino"
import PinoPretty from "pino-pretty"
import { type LogLevelName, settings } from "./config.ts"
import { CliError } from "./run-job.ts"

export const verbose = Options.boolean("verbose").pipe(
  Options.withDescription("Print every log line, and a failure's whole cause with its stack trace, to stderr.")
)

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const satisfies ReadonlyArray<LogLevelName>

/** @effect/cli's own `--log-level` (all, trace, debug, info, warning, error, fatal, none), which it takes off the command line before parsing. */
const logLevelFlag = (argv: ReadonlyArray<string>): string | undefined => {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") return undefined
    if (arg === "--log-level") return argv[i + 1]
    if (arg.startsWith("--log-level=")) return arg.slice("--log-level=".length)
  }
  return undefined
}

/** A level as the flag, the environment or the config file names it; `none` writes nothing, `all` everything. */
const pinoLevelOf = (name: string): pino.Level | "silent" | undefined =>
  name === "all" ? "trace" : name === "none" ? "silent" : name === "warning" ? "warn" : (LEVELS as ReadonlyArray<string>).includes(name)
    ? (name as pino.Level)
    : undefined

/**
 * The lowest level `<state>/reelswarm.log` gets: `--log-level`, else REELSWARM_LOG_LEVEL, else the
 * config file's `logLevel`, else info. A bad REELSWARM_LOG_LEVEL is bad usage.
 */
export const fileLogLevel = (argv: ReadonlyArray<string> = process.argv): Effect.Effect<pino.Level | "silent", CliError> =>
  Effect.suspend(() => {
    const flag = logLevelFlag(argv)
    if (flag !== undefined) return Effect.succeed(pinoLevelOf(flag) ?? "info")
    return Either.match(settings(), {
      onLeft: (message) => Effect.fail(new CliError({ message })),
      onRight: (s) => {
        const env = s.env.REELSWARM_LOG_LEVEL
        if (env !== undefined && env !== "") {
          const level = pinoLevelOf(env)
          return level === undefined
            ? Effect.fail(
              new CliError({ message: `REELSWARM_LOG_LEVEL: expected one of ${LEVELS.join(", ")}, all, none, got "${env}"` })
            )
            : Effect.succeed(level)
        }
        return Effect.succeed(pinoLevelOf(s.config.logLevel ?? "info") ?? "info")
      }
    })
  })

const hasMessage = (u: unknown): u is { readonly message: string } =>
  typeof u === "object" && u !== null && typeof (u as { message?: unknown }).message === "string"

/** A logged value as a reader wants it: a string as is, an error (or a typed report) by its message. */
const textOf = (part: unknown): string =>
  typeof part === "string" ? part : hasMessage(part) ? part.message : inspect(part, { depth: 4, breakLength: Infinity })

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim()

/** The failure a cause ends in, in words (its first line): enough to say what went wrong without a trace. */
const causeText = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  return textOf(Cause.squash(cause)).split("\n")[0] ?? ""
}

const PINO_LEVEL: Record<LogLevel.LogLevel["_tag"], pino.Level | undefined> = {
  All: "trace",
  Trace: "trace",
  Debug: "debug",
  Info: "info",
  Warning: "warn",
  Error: "error",
  Fatal: "fatal",
  None: undefined
}

const EFFECT_LEVEL: Record<pino.Level | "silent", LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  silent: LogLevel.None
}

/** A pino line (JSON) as one plain stderr line, in the words the CLI has always used. */
interface LogLine {
  readonly level: number
  readonly msg?: string
  readonly annotations?: Record<string, string>
  readonly cause?: string
  readonly trace?: string
}

const plainStderr = (isVerbose: boolean): pino.DestinationStream => ({
  write: (json: string) => {
    const line = JSON.parse(json) as LogLine
    const label = pino.levels.labels[line.level] ?? "info"
    const message = line.msg ?? ""
    if (!isVerbose) {
      const reason = line.cause === undefined ? "" : `: ${line.cause}`
      process.stderr.write(`reelswarm: ${label}: ${oneLine(message + reason)}\n`)
      return
    }
    const notes = Object.entries(line.annotations ?? {}).map(([key, value]) => ` ${key}=${oneLine(value)}`).join("")
    const trace = line.trace === undefined ? "" : `\n${line.trace}`
    process.stderr.write(`reelswarm: ${label}: ${message}${notes}${trace}\n`)
  }
})

/**
 * Appends to `file` once its folder exists (a job creates the state directory after its first lines);
 * a file that cannot be written (a read-only or full disk, which the command reports itself) is skipped.
 */
const appendingFile = (file: string, folder: string) => {
  let fd: number | undefined
  let failed = false
  const stream: pino.DestinationStream = {
    write: (line: string) => {
      if (failed) return
      try {
        if (fd === undefined) {
          if (!existsSync(folder)) return
          fd = openSync(file, "a")
        }
        writeSync(fd, line)
      } catch {
        failed = true
      }
    }
  }
  const close = () => {
    if (fd !== undefined) closeSync(fd)
    fd = undefined
  }
  return { stream, close }
}

export interface LogSettings {
  readonly verbose: boolean
  /** The state directory, whose `reelswarm.log` gets the JSON lines; none: stderr only. */
  readonly state?: string | undefined
  readonly fileLevel?: pino.Level | "silent" | undefined
}

const rank = (level: pino.Level | "silent") => (level === "silent" ? Infinity : pino.levels.values[level]!)
const lowest = (a: pino.Level, b: pino.Level | "silent"): pino.Level => (rank(b) < rank(a) ? (b as pino.Level) : a)

const makePino = (s: LogSettings, file: pino.DestinationStream | undefined) => {
  const stderrLevel: pino.Level = s.verbose ? "trace" : "warn"
  const stderr = process.stderr.isTTY
    ? PinoPretty({ destination: 2, sync: true, colorize: true, ignore: "pid,hostname,trace" })
    : plainStderr(s.verbose)
  const fileLevel = s.fileLevel ?? "info"
  const streams: Array<pino.StreamEntry> = [{ level: stderrLevel, stream: stderr }]
  if (file !== undefined && fileLevel !== "silent") streams.push({ level: fileLevel, stream: file })
  const level = file === undefined ? stderrLevel : lowest(stderrLevel, fileLevel)
  return { level, logger: pino({ level, base: { pid: process.pid } }, pino.multistream(streams)) }
}

/** Effect's log lines, handed to pino: level, message, annotations, spans (with their age in ms) and cause. */
const pinoLogger = (target: pino.Logger, isVerbose: boolean) =>
  Logger.make(({ annotations, cause, date, logLevel, message, spans }) => {
    const named = PINO_LEVEL[logLevel._tag]
    if (named === undefined) return
    // The workflow engine's own warnings ("No healthy runners available" while a busy machine delays its
    // health check, or while it shuts down) are about a state it recovers from by itself: they go to the
    // log file (and to stderr with --verbose), not to every user's terminal.
    const engine = Option.getOrUndefined(HashMap.get(annotations, "package")) === "@effect/cluster"
    const level = engine && named === "warn" ? "info" : named
    const fields: Record<string, unknown> = {}
    const notes = HashMap.toEntries(annotations)
    if (notes.length > 0) fields.annotations = Object.fromEntries(notes.map(([key, value]) => [key, textOf(value)]))
    if (List.isCons(spans)) {
      fields.spans = Object.fromEntries(List.toArray(spans).map((span) => [span.label, date.getTime() - span.startTime]))
    }
    if (!Cause.isEmpty(cause)) {
      fields.cause = causeText(cause)
      fields.trace = Cause.pretty(cause, { renderErrorCause: true })
    }
    // Without --verbose a pretty terminal shows the cause's first line, not its trace.
    if (!isVerbose && process.stderr.isTTY) delete fields.trace
    target[level](fields, (Array.isArray(message) ? message : [message]).map(textOf).join(" "))
  })

const quiet = makePino({ verbose: false }, undefined)
const quietLogger = pinoLogger(quiet.logger, false)

/** Replaces the default logger (stdout) with pino on stderr, WARN and above: for the whole CLI, outside any command's own. */
export const loggingLayer: Layer.Layer<never> = Layer.merge(
  Logger.replace(Logger.defaultLogger, quietLogger),
  Logger.minimumLogLevel(LogLevel.Warning)
)

/** Within `loggingLayer`: a command's logger, to its state's log file and to stderr as its flags say. */
export const commandLoggingLayer = (s: LogSettings): Layer.Layer<never> =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const file = s.state === undefined
        ? undefined
        : yield* Effect.acquireRelease(
          Effect.sync(() => appendingFile(join(s.state!, "reelswarm.log"), s.state!)),
          (f) => Effect.sync(f.close)
        )
      const { level, logger } = makePino(s, file?.stream)
      const minimum = s.verbose ? LogLevel.All : EFFECT_LEVEL[level]
      return Layer.merge(Logger.replace(quietLogger, pinoLogger(logger, s.verbose)), Logger.minimumLogLevel(minimum))
    })
  )

/**
 * A command's handler under its log settings; under `--verbose` a failure's whole cause is also
 * printed to stderr before the one-line answer `main.ts` gives for it.
 */
export const withVerbosity = <A, E, R>(effect: Effect.Effect<A, E, R>, s: LogSettings): Effect.Effect<A, E, R> =>
  effect.pipe(
    Effect.tapErrorCause((cause) =>
      !s.verbose || Cause.isInterruptedOnly(cause)
        ? Effect.void
        : Effect.sync(() => process.stderr.write(`${Cause.pretty(cause, { renderErrorCause: true })}\n`))
    ),
    Effect.provide(commandLoggingLayer(s))
  )

/** A command with the `verbose` option (and `state` where it has one), its handler run under `withVerbosity`. */
export const handleVerbose = <Name extends string, R, E, A extends { readonly verbose: boolean }>(
  command: Command.Command<Name, R, E, A>
): Command.Command<Name, R, E | CliError, A> =>
  Command.transformHandler(command, (effect, config) => {
    const state = (config as { readonly state?: unknown }).state
    return Effect.flatMap(fileLogLevel(), (fileLevel) =>
      withVerbosity(effect, { verbose: config.verbose, state: typeof state === "string" ? state : undefined, fileLevel }))
  })
