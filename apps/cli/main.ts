/**
 * The `reelswarm` command. Exit codes: 0 done; 1 the job failed (or doctor found a tool missing);
 * 2 bad usage or input, found before any work; 3 the state directory or its database cannot be used
 * (corrupt, read-only, locked, a full disk), with one line naming the file and what to do; 130
 * interrupted. Engine logs go to stderr, never stdout (which carries only the JSON with --json);
 * --verbose adds every log level and a failure's whole cause with its trace.
 */
import { Command, Options, ValidationError } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { isPlatformError } from "@effect/platform/Error"
import { Cause, Console, Effect, Exit, Option } from "effect"
import { basename, extname, join } from "node:path"
import { checkScriptLength, demoSpec, type JobSpec } from "../../agents/index.ts"
import pkg from "../../package.json" with { type: "json" }
import { batch } from "./batch.ts"
import { doctor } from "./doctor.ts"
import * as job from "./job-options.ts"
import { jobs, resume } from "./jobs.ts"
import { handleVerbose, loggingLayer, verbose } from "./logging.ts"
import { CliError, fileErrorText, resolveEncoder, runJob } from "./run-job.ts"
import { checkFonts, checkOutput, checkVoice, scriptText, wordCount } from "./validate.ts"

const readStdin = () =>
  Effect.promise(async () => {
    const chunks: Array<Buffer> = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  })

const demo = Command.make(
  "demo",
  {
    out: Options.directory("out").pipe(Options.withDefault("out"), Options.withDescription("Folder for demo.mp4 and demo.json.")),
    captions: job.captions,
    voice: job.voice,
    topology: job.topology,
    encoder: job.encoder,
    segments: job.segments,
    state: job.state,
    json: job.json,
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      yield* checkVoice(o.voice)
      const encoder = yield* resolveEncoder(o.encoder, o.state)
      const spec = demoSpec({
        outDir: o.out,
        stateDir: o.state,
        encoder,
        voice: o.voice,
        captions: job.CAPTION_STYLES[o.captions],
        segments: o.segments
      })
      yield* runJob(spec, { state: o.state, topology: o.topology, json: o.json })
    })
).pipe(handleVerbose, Command.withDescription("Render the offline demo: a short about emergent patterns in mathematics, to out/demo.mp4."))

const run = Command.make(
  "run",
  {
    script: Options.file("script", { exists: "yes" }).pipe(
      Options.optional,
      Options.withDescription(
        "The narration script (plain text; blank lines separate paragraphs). Without it, the script is read from stdin."
      )
    ),
    topic: Options.text("topic").pipe(
      Options.optional,
      Options.withDescription("Have Claude write the script about this topic (needs ANTHROPIC_API_KEY).")
    ),
    footage: Options.directory("footage", { exists: "yes" }).pipe(
      Options.withDescription("Folder of clips and images to match to the scenes.")
    ),
    out: Options.file("out").pipe(Options.withDescription("The MP4 to write; its JSON report goes beside it.")),
    aspect: job.aspect,
    size: job.size,
    fps: job.fps,
    captions: job.captions,
    music: job.music,
    voice: job.voice,
    topology: job.topology,
    encoder: job.encoder,
    segments: job.segments,
    seed: job.seed,
    state: job.state,
    json: job.json,
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      if (extname(o.out).toLowerCase() !== ".mp4") return yield* new CliError({ message: `--out must name an .mp4 file, got ${o.out}` })
      if (o.segments < 1) return yield* new CliError({ message: `--segments must be 1 or more, got ${o.segments}` })
      if (o.fps < 1 || o.fps > 120) return yield* new CliError({ message: `--fps must be between 1 and 120, got ${o.fps}` })
      const size = Option.isSome(o.size) ? job.parseSize(o.size.value) : job.ASPECTS[o.aspect]
      if (size === undefined) {
        return yield* new CliError({ message: `--size must be WIDTHxHEIGHT with even numbers, got ${Option.getOrElse(o.size, () => "")}` })
      }
      const script: JobSpec["script"] = yield* Option.match(o.topic, {
        onSome: (topic) =>
          process.env.ANTHROPIC_API_KEY
            ? Effect.succeed({ _tag: "Topic" as const, topic })
            : new CliError({
              message:
                "--topic needs a Claude API key: set ANTHROPIC_API_KEY, or write the script yourself and pass --script FILE (or pipe it on stdin)"
            }),
        onNone: () =>
          Option.match(o.script, {
            onSome: (file) =>
              FileSystem.FileSystem.pipe(
                Effect.flatMap((fs) => fs.readFile(file)),
                Effect.mapError((error) => new CliError({ message: `cannot read the script ${file}: ${fileErrorText(error)}` })),
                Effect.flatMap((bytes) => scriptText(bytes, `the script ${file}`)),
                Effect.map((text) => ({ _tag: "Text" as const, title: basename(file, extname(file)), text }))
              ),
            onNone: () =>
              process.stdin.isTTY
                ? new CliError({ message: "no script: pass --script FILE, --topic TEXT, or pipe the script on stdin" })
                : readStdin().pipe(
                  Effect.flatMap((bytes) => scriptText(bytes, "the script on stdin")),
                  Effect.map((text) => ({ _tag: "Text" as const, title: basename(o.out, ".mp4"), text }))
                )
          })
      })
      if (script._tag === "Text") {
        if (script.text.trim() === "") return yield* new CliError({ message: "the script is empty" })
        yield* Effect.mapError(checkScriptLength(script.text), (tooLong) => new CliError({ message: tooLong.message }))
      }
      yield* checkVoice(o.voice)
      if (script._tag === "Text" && o.captions !== "none") yield* checkFonts(script.text)
      yield* checkOutput({
        out: o.out,
        footage: o.footage,
        script: Option.getOrUndefined(o.script),
        music: Option.getOrUndefined(o.music),
        ...size,
        fps: o.fps,
        // A topic's script is not written yet: a few hundred words is what Claude is asked for.
        words: script._tag === "Text" ? wordCount(script.text) : 300
      })
      const encoder = yield* resolveEncoder(o.encoder, o.state)
      const spec: JobSpec = {
        script,
        footage: { _tag: "Folder", dir: o.footage },
        output: {
          path: o.out,
          ...size,
          fps: o.fps,
          encoder,
          captions: job.CAPTION_STYLES[o.captions],
          ...Option.match(o.music, { onNone: () => ({}), onSome: (path) => ({ music: { path } }) })
        },
        voice: o.voice,
        seed: o.seed,
        segments: o.segments,
        workDir: join(o.state, "work")
      }
      yield* runJob(spec, { state: o.state, topology: o.topology, json: o.json })
    })
).pipe(handleVerbose, Command.withDescription("Make a video from a script (or a topic) and a footage folder."))

const reelswarm = Command.make("reelswarm").pipe(
  Command.withDescription(
    "An agent swarm that turns a script into a finished short video. Exit codes: 0 done, 1 the job failed, " +
      "2 bad usage or input, 3 the state directory cannot be used (the message says what to do), 130 interrupted."
  ),
  Command.withSubcommands([demo, run, batch, resume, jobs, doctor])
)

const cli = Command.run(reelswarm, { name: "reelswarm", version: pkg.version })

const exitWith = (code: number, message?: string) =>
  Effect.zipRight(
    message === undefined ? Effect.void : Console.error(`reelswarm: ${message}`),
    Effect.sync(() => (process.exitCode = code))
  )

cli(process.argv).pipe(
  Effect.catchTags({
    CliError: (e) => exitWith(2, e.message),
    JobFailedError: (e) => exitWith(1, e.message),
    ResumeFailedError: (e) => exitWith(1, e.message),
    BatchFailedError: (e) => exitWith(1, e.message),
    StateDirError: (e) => exitWith(3, e.message),
    DoctorError: (e) => exitWith(1, e.message)
  }),
  // @effect/cli has already printed what was wrong with the command line.
  Effect.catchIf(ValidationError.isValidationError, () => exitWith(2)),
  Effect.catchAllCause((cause) => {
    if (Cause.isInterruptedOnly(cause)) return exitWith(130)
    // A file that no step above put in its own words (@effect/cli's check of a path option dies with it): Node's line names it.
    const error = Cause.squash(cause)
    if (isPlatformError(error)) return exitWith(1, fileErrorText(error))
    // Anything else is a bug: its message, and the trace only with --verbose (withVerbosity printed it).
    const first = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? ""
    const text = first.length > 300 ? `${first.slice(0, 300)}…` : first
    return exitWith(1, `unexpected failure: ${text}; run again with --verbose for its trace, and report it`)
  }),
  Effect.provide([NodeContext.layer, loggingLayer]),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    // Ctrl-C or SIGTERM (`jobs cancel`) interrupts the command from outside, past the handlers above: exit 130.
    // On success the exit code the handlers set stands.
    teardown: (exit, onExit) => onExit(Exit.isFailure(exit) ? (Cause.isInterruptedOnly(exit.cause) ? 130 : 1) : 0)
  })
)
