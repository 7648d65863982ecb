/**
 * ffmpeg as an Effect. A command is an argument array (never a shell string) plus an optional final
 * output path. The process runs through the `ProcessRunner` (its own process group; see
 * process-runner.ts); everything ffmpeg-specific is here:
 *
 * - the output is written to a hidden temporary name beside the final one and renamed only on success,
 *   so a failed or interrupted encode never leaves a partial file under the final name; the temporary
 *   name carries this process's pid, and an encode to the same output clears those of dead processes;
 * - interruption sends SIGTERM to ffmpeg's process group, then SIGKILL after a grace period, and waits
 *   for the process to exit (no zombie, no orphan) before the interruption completes;
 * - progress (frame, fps, output time, speed) is parsed from ffmpeg's stats lines and offered either as
 *   a callback or as a Stream;
 * - every filter graph goes to ffmpeg in a file (`-filter_complex_script`, `-filter_script`), written
 *   beside the temporary output before the spawn and removed after it, so no graph is too long for the
 *   command line (Linux refuses one argument over 128 KiB, and all of them over about 2 MiB, with E2BIG);
 * - failures are `FfmpegError`s carrying the arguments and the stderr tail.
 *
 * fluent-ffmpeg's public API is not used to run ffmpeg: its builder reorders arguments, it spawns the
 * process itself (no process group, no injectable runner) and `kill` reaches only that one pid.
 */
import { Effect, Exit, Mailbox, Schema, Stream } from "effect"
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { partialSibling, removeStalePartials } from "./atomic-file.ts"
import { mediaFileSystem, removeQuietly } from "./file-system.ts"
import { type ProcessError, runProcess } from "./process-runner.ts"

/** One ffmpeg invocation. `args` holds everything except the final output path. */
export interface FfmpegCommand {
  readonly args: ReadonlyArray<string>
  /**
   * The file ffmpeg writes, appended after `args`. ffmpeg actually writes a temporary sibling with the
   * same extension (so the muxer is still guessed from it), renamed to this path once ffmpeg succeeds.
   */
  readonly output?: string | undefined
}

export interface FfmpegProgress {
  /** Frames written so far (0 for audio-only outputs). */
  readonly frame: number
  readonly fps: number
  /** Output timestamp reached, in seconds. */
  readonly outTimeSeconds: number
  /** Realtime factor as ffmpeg reports it (e.g. 2.5 for "2.5x"); undefined when ffmpeg prints N/A. */
  readonly speed?: number | undefined
}

export interface FfmpegResult {
  /** stdout, when `captureStdout` was requested; "" otherwise. */
  readonly stdout: string
  readonly stderrTail: string
}

export interface FfmpegRunOptions {
  /** Called for every stats line ffmpeg prints. Must not throw. */
  readonly onProgress?: ((progress: FfmpegProgress) => void) | undefined
  /** Keep stdout (e.g. `-encoders`, `-f framemd5 -`). */
  readonly captureStdout?: boolean | undefined
  /** Time between SIGTERM and SIGKILL when interrupted. Default 2000 ms. */
  readonly killGraceMs?: number | undefined
}

export class FfmpegError extends Schema.TaggedError<FfmpegError>()("FfmpegError", {
  reason: Schema.Literal("spawn", "exit", "signal", "output"),
  args: Schema.Array(Schema.String),
  exitCode: Schema.optional(Schema.Number),
  stderrTail: Schema.String,
  message: Schema.String
}) {}

const STDERR_TAIL_LINES = 40
/** Arguments every command gets: no stdin (it would steal the terminal), errors only plus the stats line. */
const BASE_ARGS = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-stats"] as const

/** The full argument list ffmpeg receives for `command`, writing to `outputPath`. */
export const commandArgs = (command: FfmpegCommand, outputPath: string | undefined = command.output): Array<string> => [
  ...BASE_ARGS,
  ...command.args,
  ...(outputPath === undefined ? [] : [outputPath])
]

const timeToSeconds = (text: string): number => {
  const m = /^(-?)(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text)
  if (m === null) return 0
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])
  return m[1] === "-" ? 0 : seconds
}

/** Parses one ffmpeg stats line ("frame=  48 fps= 24 q=28.0 size= 256kB time=00:00:02.00 … speed=1.9x"). */
export const parseProgressLine = (line: string): FfmpegProgress | undefined => {
  const time = /time=\s*(-?\d+:\d+:\d+(?:\.\d+)?)/.exec(line)
  if (time === null) return undefined
  const frame = /frame=\s*(\d+)/.exec(line)
  const fps = /fps=\s*(\d+(?:\.\d+)?)/.exec(line)
  const speed = /speed=\s*(\d+(?:\.\d+)?)x/.exec(line)
  return {
    frame: frame === null ? 0 : Number(frame[1]),
    fps: fps === null ? 0 : Number(fps[1]),
    outTimeSeconds: timeToSeconds(time[1]!),
    speed: speed === null ? undefined : Number(speed[1])
  }
}

const tailOf = (text: string): string =>
  text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== "" && parseProgressLine(l) === undefined).slice(-STDERR_TAIL_LINES).join("\n")

/** The ffmpeg binary: $FFMPEG_PATH (as fluent-ffmpeg honoured it) or `ffmpeg` on PATH. */
const ffmpegBinary = () => process.env["FFMPEG_PATH"] ?? "ffmpeg"

const toFfmpegError = (args: ReadonlyArray<string>) => (error: ProcessError): FfmpegError => {
  const stderrTail = tailOf(error.stderr)
  return new FfmpegError({
    reason: error.reason,
    args,
    exitCode: error.exitCode,
    stderrTail,
    message: `ffmpeg failed (${error.message})${stderrTail === "" ? "" : `: ${stderrTail.split("\n").slice(-3).join(" | ")}`}`
  })
}

/** Runs ffmpeg with exactly `args`; succeeds when it has exited with code 0 and its pipes are closed. */
const spawnFfmpeg = (args: Array<string>, options: FfmpegRunOptions): Effect.Effect<FfmpegResult, FfmpegError> => {
  const onProgress = options.onProgress
  return runProcess({
    command: ffmpegBinary(),
    args,
    captureStdout: options.captureStdout === true,
    killGraceMs: options.killGraceMs,
    onStderrLine: onProgress === undefined ? undefined : (line) => {
      const progress = parseProgressLine(line)
      if (progress !== undefined) onProgress(progress)
    }
  }).pipe(
    Effect.map(({ stderr, stdout }) => ({ stdout, stderrTail: tailOf(stderr) })),
    Effect.mapError(toFfmpegError(args))
  )
}

/** Options whose value is a filter graph, each with the option that reads the same graph from a file. */
const GRAPH_FILE_OPTIONS: ReadonlyMap<string, string> = new Map([
  ["-filter_complex", "-filter_complex_script"],
  ["-lavfi", "-filter_complex_script"],
  ["-vf", "-filter_script:v"],
  ["-af", "-filter_script:a"]
])

/** A filter graph taken off the command line, and the file ffmpeg reads it from. */
export interface GraphFile {
  readonly path: string
  readonly graph: string
}

/**
 * `args` with every filter graph moved into a file named after `stem` (`<stem>.<n>.filtergraph`), and
 * those files' contents (pure). ffmpeg parses a graph read from a file exactly as it parses the
 * argument: no shell sees either, so the escaping is the same.
 */
export const graphsToFiles = (
  args: ReadonlyArray<string>,
  stem: string
): { readonly args: Array<string>; readonly files: Array<GraphFile> } => {
  const out: Array<string> = []
  const files: Array<GraphFile> = []
  for (let i = 0; i < args.length; i++) {
    const fileOption = GRAPH_FILE_OPTIONS.get(args[i]!)
    const graph = args[i + 1]
    if (fileOption === undefined || graph === undefined) {
      out.push(args[i]!)
      continue
    }
    const path = `${stem}.${files.length}.filtergraph`
    files.push({ path, graph })
    out.push(fileOption, path)
    i++
  }
  return { args: out, files }
}

/**
 * Writes the graph files. Each name is fresh (a random part, exclusive create) and read only by the
 * ffmpeg started after the write completes, so no reader can see half a file: no rename is needed.
 */
const writeGraphFiles = (files: ReadonlyArray<GraphFile>, args: ReadonlyArray<string>) =>
  Effect.flatMap(mediaFileSystem, (fs) =>
    Effect.forEach(
      files,
      (file) =>
        fs.writeFileString(file.path, file.graph, { flag: "wx" }).pipe(
          Effect.mapError((cause) =>
            new FfmpegError({
              reason: "output",
              args,
              stderrTail: "",
              message: `cannot write the filter graph into ${dirname(file.path)}: ${cause.message}`
            })
          )
        ),
      { discard: true }
    ))

/** Runs `args` with its filter graphs in files beside `stem`, removed once ffmpeg has exited (or failed to start). */
const spawnWithGraphFiles = (args: Array<string>, stem: string, options: FfmpegRunOptions) => {
  const moved = graphsToFiles(args, stem)
  return Effect.acquireUseRelease(
    writeGraphFiles(moved.files, moved.args).pipe(
      Effect.onError(() => Effect.forEach(moved.files, (file) => removeQuietly(file.path), { discard: true }))
    ),
    () => spawnFfmpeg(moved.args, options),
    () => Effect.forEach(moved.files, (file) => removeQuietly(file.path), { discard: true })
  )
}

/**
 * Runs one ffmpeg command. With an `output`, the file appears under its final name only if ffmpeg
 * succeeded; on failure or interruption the temporary file is removed. Filter graphs travel in files
 * beside the temporary output (in the system temp folder for a command without an output).
 */
export const runFfmpeg = Effect.fn("ffmpeg.run")(function*(command: FfmpegCommand, options: FfmpegRunOptions = {}) {
  yield* Effect.annotateCurrentSpan("ffmpeg.output", command.output ?? "")
  const output = command.output
  if (output === undefined) {
    const stem = join(tmpdir(), `reelswarm-ffmpeg-${randomBytes(4).toString("hex")}`)
    return yield* spawnWithGraphFiles(commandArgs(command), stem, options)
  }
  // What a killed run left beside this output goes first (only files of writers that are gone).
  yield* removeStalePartials(output)
  const partial = partialSibling(output)
  const args = commandArgs(command, partial)
  const fs = yield* mediaFileSystem
  return yield* spawnWithGraphFiles(args, partial, options).pipe(
    Effect.tap(() =>
      fs.rename(partial, output).pipe(
        Effect.mapError((cause) =>
          new FfmpegError({ reason: "output", args, stderrTail: "", message: `could not move ${partial} to ${output}: ${cause.message}` })
        )
      )
    ),
    Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : removeQuietly(partial)))
  )
})

/**
 * The same command as a progress Stream: it emits while ffmpeg runs, ends when ffmpeg succeeds, fails
 * with `FfmpegError`; a consumer that stops early (or is interrupted) kills ffmpeg.
 */
export const ffmpegProgress = (
  command: FfmpegCommand,
  options: Omit<FfmpegRunOptions, "onProgress"> = {}
): Stream.Stream<FfmpegProgress, FfmpegError> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const mailbox = yield* Mailbox.make<FfmpegProgress, FfmpegError>()
      yield* runFfmpeg(command, { ...options, onProgress: (p) => mailbox.unsafeOffer(p) }).pipe(
        Effect.exit,
        Effect.flatMap((exit) => mailbox.done(Exit.asVoid(exit))),
        Effect.forkScoped
      )
      return Mailbox.toStream(mailbox)
    })
  )

/** The ffmpeg build's version line, e.g. "ffmpeg version 5.1.6-0+deb12u1". */
export const ffmpegVersion = Effect.fn("ffmpeg.version")(function*() {
  const { stdout } = yield* spawnFfmpeg(["-hide_banner", "-version"], { captureStdout: true })
  return stdout.split("\n")[0] ?? ""
})
