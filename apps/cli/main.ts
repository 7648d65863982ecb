/**
 * The `reelswarm` command (docs/cli.md). Exit codes: 0 done; 1 the job failed (or doctor found a tool missing, or a memory key is not there);
 * 2 bad usage or input, found before any work; 3 the state directory or its database cannot be used
 * (corrupt, read-only, locked, a full disk), with one line naming the file and what to do; 130
 * interrupted. Engine logs go to stderr, never stdout (which carries only the JSON with --json);
 * --verbose adds every log level and a failure's whole cause with its trace.
 */
import { Command, Options, ValidationError } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { isPlatformError } from "@effect/platform/Error"
import { Cause, Console, Effect, Either, Exit, Option } from "effect"
import { basename, extname, resolve } from "node:path"
import { demoSpec } from "../../agents/index.ts"
import pkg from "../../package.json" with { type: "json" }
import { toJobSpec } from "../host/job-spec.ts"
import { agents } from "./agents.ts"
import { analyze } from "./analyze.ts"
import { batch } from "./batch.ts"
import { cache } from "./cache.ts"
import { settings } from "./config.ts"
import { doctor } from "./doctor.ts"
import { events } from "./events.ts"
import { described } from "./examples.ts"
import { footage } from "./footage.ts"
import * as job from "./job-options.ts"
import { jobs, resume } from "./jobs.ts"
import { handleVerbose, loggingLayer, verbose } from "./logging.ts"
import { mcp } from "./mcp.ts"
import { memory } from "./memory.ts"
import { CliError, fileErrorText, resolveEncoder, runJob } from "./run-job.ts"
import { serve } from "./serve.ts"
import { status } from "./status.ts"
import { checkVoice, scriptText } from "./validate.ts"

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
    loudness: job.loudness,
    qc: job.qc,
    cacheMax: job.cacheMax,
    state: job.state,
    config: job.config,
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
        segments: o.segments,
        qc: o.qc,
        ...(o.loudness === job.JOB_DEFAULTS.loudness ? {} : { loudness: o.loudness })
      })
      yield* runJob(spec, { state: o.state, topology: o.topology, json: o.json, cacheMax: o.cacheMax })
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described("Render the offline demo: a short about emergent patterns in mathematics, to out/demo.mp4.", [
      "reelswarm demo",
      "reelswarm demo --out /tmp/demo --captions words --segments 2"
    ])
  )
)

const run = Command.make(
  "run",
  {
    script: Options.file("script", { exists: "yes" }).pipe(
      Options.optional,
      Options.withDescription(
        "The narration script (plain text; blank lines separate paragraphs). Without it, the script is read from stdin " +
          "(with --narration an empty stdin means no script: the recording as it is, without captions)."
      )
    ),
    topic: Options.text("topic").pipe(
      Options.optional,
      Options.withDescription("Have Claude write the script about this topic (needs ANTHROPIC_API_KEY).")
    ),
    media: Options.directory("footage", { exists: "yes" }).pipe(
      Options.withDescription("Folder of clips and images to match to the scenes (images alone will do: each gets Ken Burns motion)."),
      Options.orElseEither(
        Options.file("image").pipe(
          Options.atLeast(1),
          Options.withDescription(
            "An image to show instead of a footage folder, with Ken Burns motion (repeat it for several). " +
              "With --narration: image + audio → video."
          )
        )
      )
    ),
    out: Options.file("out").pipe(Options.withDescription("The MP4 to write; its JSON report goes beside it.")),
    aspect: job.aspect,
    size: job.size,
    fps: job.fps,
    captions: job.captions,
    captionPosition: job.captionPosition,
    captionSize: job.captionSize,
    captionColor: job.captionColor,
    captionStroke: job.captionStroke,
    captionStrokeWidth: job.captionStrokeWidth,
    music: job.music,
    musicVolume: job.musicVolume,
    voice: job.voice,
    voiceRate: job.voiceRate,
    narration: job.narration,
    maxClipSeconds: job.maxClipSeconds,
    loudness: job.loudness,
    qc: job.qc,
    topology: job.topology,
    encoder: job.encoder,
    segments: job.segments,
    seed: job.seed,
    encodeAware: job.encodeAware,
    cacheMax: job.cacheMax,
    state: job.state,
    config: job.config,
    json: job.json,
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      if (extname(o.out).toLowerCase() !== ".mp4") return yield* new CliError({ message: `--out must name an .mp4 file, got ${o.out}` })
      if (o.size !== undefined && job.parseSize(o.size) === undefined) {
        return yield* new CliError({ message: `--size must be WIDTHxHEIGHT with even numbers, got ${o.size}` })
      }
      type Script = { readonly text: string; readonly title: string } | { readonly topic: string } | undefined
      const script: Script = yield* Option.match(o.topic, {
        onSome: (topic) =>
          process.env.ANTHROPIC_API_KEY
            ? Effect.succeed({ topic })
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
                Effect.map((text) => ({ title: basename(file, extname(file)), text }))
              ),
            onNone: (): Effect.Effect<Script, CliError> =>
              process.stdin.isTTY
                ? o.narration === undefined
                  ? new CliError({ message: "no script: pass --script FILE, --topic TEXT, or pipe the script on stdin" })
                  : Effect.succeed(undefined)
                : readStdin().pipe(
                  Effect.flatMap((bytes) => scriptText(bytes, "the script on stdin")),
                  // A recorded narration needs no script: nothing on stdin is none.
                  Effect.map((
                    text
                  ) => (o.narration !== undefined && text.trim() === "" ? undefined : { title: basename(o.out, ".mp4"), text }))
                )
          })
      })
      if (script !== undefined && "text" in script && script.text.trim() === "") {
        return yield* new CliError({ message: "the script is empty" })
      }
      const {
        cacheMax,
        config: _config,
        json,
        media,
        music,
        out,
        script: _file,
        state,
        topic: _topic,
        topology,
        verbose: _verbose,
        ...options
      } = o
      // The one mapping from a job request to its spec, shared with the HTTP API and MCP (apps/host/job-spec.ts).
      const spec = yield* toJobSpec(
        {
          ...options,
          ...(script === undefined ? {} : "text" in script ? { script: script.text, title: script.title } : { topic: script.topic }),
          ...Either.match(media, {
            onLeft: (footage) => ({ footage: resolve(footage) }),
            onRight: (images) => ({ images: images.map((image) => resolve(image)) })
          }),
          ...Option.match(music, { onNone: () => ({}), onSome: (file) => ({ music: resolve(file) }) })
        },
        { state, out, scriptFile: Option.getOrUndefined(o.script) }
      ).pipe(Effect.mapError((refused) => new CliError({ message: refused.message })))
      yield* runJob(spec, { state, topology, json, cacheMax })
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described("Make a video from a script (or a topic, or a recorded narration) and a footage folder (or images).", [
      "reelswarm run --script talk.txt --footage ./clips --out talk.mp4",
      "reelswarm run --script talk.txt --narration talk.wav --footage ./photos --out talk.mp4",
      "reelswarm run --image cover.jpg --narration podcast.mp3 --out podcast.mp4",
      "cat talk.txt | reelswarm run --footage ./clips --out talk.mp4 --aspect 16:9 --captions words",
      "reelswarm run --topic \"tides\" --footage ./clips --out tides.mp4 --voice en-us --json",
      "REELSWARM_VOICE=de reelswarm run --script rede.txt --footage ./clips --out rede.mp4"
    ])
  )
)

const commands = [demo, run, batch, resume, jobs, status, agents, events, memory, footage, cache, analyze, doctor, serve, mcp] as const

const reelswarm = Command.make("reelswarm").pipe(
  Command.withDescription(
    described(
      "An agent swarm that turns a script into a finished short video.\n\n" +
        "Exit codes: 0 done; 1 the job failed (or doctor found a tool missing, or a memory key is not there); " +
        "2 bad usage or input (a bad flag, config file or environment variable), found before any work; " +
        "3 the state directory or its database cannot be used (the message says what to do); 130 interrupted (Ctrl-C, SIGTERM).\n\n" +
        "Settings: a flag wins over the environment (REELSWARM_<NAME>, e.g. REELSWARM_VOICE, REELSWARM_STATE), which wins over " +
        "reelswarm.config.json in the working directory (or --config FILE), which wins over the default. " +
        "Shell completions: reelswarm --completions bash|zsh|fish|sh. See docs/cli.md.",
      [
        "reelswarm demo",
        "reelswarm run --script talk.txt --footage ./clips --out talk.mp4",
        "reelswarm status",
        "reelswarm events --follow",
        "reelswarm doctor",
        "reelswarm --completions bash > /etc/bash_completion.d/reelswarm"
      ]
    )
  ),
  Command.withSubcommands(commands)
)

const cli = Command.run(reelswarm, { name: "reelswarm", version: pkg.version })

const exitWith = (code: number, message?: string) =>
  Effect.zipRight(
    message === undefined ? Effect.void : Console.error(`reelswarm: ${message}`),
    Effect.sync(() => (process.exitCode = code))
  )

/** Help, completions and the version need no settings: a broken config file must not hide them. */
const needsSettings = !process.argv.slice(2).some((arg) => ["--help", "-h", "--version", "--completions", "--wizard"].includes(arg))

const loaded = needsSettings ? settings() : Either.right(undefined)

const program = Either.isLeft(loaded) ? exitWith(2, loaded.left) : cli(process.argv)

program.pipe(
  Effect.catchTags({
    CliError: (e) => exitWith(2, e.message),
    JobFailedError: (e) => exitWith(1, e.message),
    ResumeFailedError: (e) => exitWith(1, e.message),
    BatchFailedError: (e) => exitWith(1, e.message),
    StateDirError: (e) => exitWith(3, e.message),
    DoctorError: (e) => exitWith(1, e.message),
    MemoryKeyMissingError: (e) => exitWith(1, e.message),
    FootageFailedError: (e) => exitWith(1, e.message),
    AnalyzeFailedError: (e) => exitWith(1, e.message)
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
