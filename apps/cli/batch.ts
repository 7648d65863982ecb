/**
 * `reelswarm batch FILE`: many jobs, each line its own script and options, run side by side on one
 * production layer (one swarm, one workflow runner: two layers on one state file take each
 * other's messages, see state-lock.ts), at most `--concurrency` at a time.
 *
 * The file is JSON lines (one object a line) or CSV (a header row naming the same fields). It is
 * read twice, as a stream both times: first every line is checked (its fields by Schema, then the
 * checks `run` makes before any work: script, voice, fonts, output), and a batch with a bad line is
 * refused, every bad line listed, before any work (exit 2); then the jobs run, read no faster than
 * they finish: N in flight and at most N more read ahead, so a long batch holds no more in memory
 * than a short one, and the reader (the submitter) waits for the swarm (back-pressure). Each job's
 * outcome is printed as it finishes; one that fails does not stop the others (its job file is marked
 * failed, for `jobs show`); exit 1 when any failed, naming them. Running the same batch again answers
 * finished jobs from their records and runs the rest.
 */
import { Args, Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect, Either, Option, ParseResult, Schema, Stream } from "effect"
import { createReadStream, statSync } from "node:fs"
import { availableParallelism } from "node:os"
import { basename, dirname, extname, join, resolve } from "node:path"
import { createInterface } from "node:readline"
import { checkScriptLength, jobId, type JobSpec } from "../../agents/index.ts"
import { mediaFileSystem } from "../../media/index.ts"
import { described } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import {
  CliError,
  executeJob,
  fileErrorText,
  holdState,
  productionLayerFor,
  resolveEncoder,
  stateDatabaseFailures,
  stateDirError,
  summary
} from "./run-job.ts"
import { checkFonts, checkOutput, checkVoice, scriptText, wordCount } from "./validate.ts"

/** Some jobs of the batch failed: exit code 1. The message names each. */
export class BatchFailedError extends Schema.TaggedError<BatchFailedError>()("BatchFailedError", { message: Schema.String }) {}

/** What is wrong with one line of the batch file. `field` is "-" for the line as a whole. */
export interface Problem {
  readonly line: number
  readonly field: string
  readonly why: string
}

const WholeNumber = Schema.Number.annotations({ message: () => "must be a whole number" }).pipe(
  Schema.int({ message: () => "must be a whole number" })
)

/** A field that may be left out (but not given as null or undefined). */
const optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })

const Path = Schema.String.pipe(Schema.nonEmptyString({ message: () => "must be a path" }))

/** One line of the batch: a job as `reelswarm run` takes it, paths relative to the batch file's folder. */
export const BatchLine = Schema.Struct({
  script: optional(Schema.String),
  scriptFile: optional(Path),
  title: optional(Schema.String),
  out: Path.pipe(Schema.filter((out) => extname(out).toLowerCase() === ".mp4" || "must name an .mp4 file")),
  footage: Path,
  aspect: optional(Schema.Literal(...(Object.keys(job.ASPECTS) as Array<job.Aspect>))),
  size: optional(
    Schema.String.pipe(Schema.filter((size) => job.parseSize(size) !== undefined || "must be WIDTHxHEIGHT with even numbers"))
  ),
  fps: optional(
    WholeNumber.pipe(Schema.filter((fps) => (fps >= 1 && fps <= 120) || "must be between 1 and 120"))
  ),
  captions: optional(Schema.Literal(...(Object.keys(job.CAPTION_STYLES) as Array<job.CaptionFlag>))),
  music: optional(Path),
  voice: optional(Schema.String),
  segments: optional(WholeNumber.pipe(Schema.filter((n) => n >= 1 || "must be 1 or more"))),
  seed: optional(Schema.String)
})
export type BatchLine = typeof BatchLine.Type
const FIELDS = Object.keys(BatchLine.fields)
/** CSV cells are text: these fields' cells are read as numbers when they look like one. */
const NUMERIC = new Set(["fps", "segments"])

const decodeLine = Schema.decodeUnknownEither(BatchLine, { errors: "all", onExcessProperty: "error" })

/** The schema's complaints, one per field. */
const schemaProblems = (line: number, error: ParseResult.ParseError): Array<Problem> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    line,
    field: issue.path.length === 0 ? "-" : issue.path.map(String).join("."),
    why: issue._tag === "Missing"
      ? "is required"
      : issue._tag === "Unexpected"
      ? `is not a field of a job (${FIELDS.join(", ")})`
      : issue.message
  }))

type Format = "jsonl" | "csv"

/** A line as read from the file: its fields, or why they could not be read. */
type RawRecord =
  | { readonly line: number; readonly fields: Record<string, unknown> }
  | { readonly line: number; readonly problem: Problem }

/** The cells of one CSV record (RFC 4180: commas, double quotes, "" for a quote inside quotes). */
const csvCells = (record: string): Array<string> => {
  const cells: Array<string> = []
  let cell = ""
  let quoted = false
  for (let i = 0; i < record.length; i++) {
    const c = record[i]!
    if (quoted) {
      if (c !== "\"") cell += c
      else if (record[i + 1] === "\"") {
        cell += "\""
        i++
      } else quoted = false
    } else if (c === "\"") quoted = true
    else if (c === ",") {
      cells.push(cell)
      cell = ""
    } else cell += c
  }
  cells.push(cell)
  return cells
}

const quotesOpen = (text: string) => (text.match(/"/g)?.length ?? 0) % 2 === 1

/** `.csv` is CSV, `.jsonl`, `.ndjson` and `.json` are JSON lines; otherwise a first line starting with `{` is JSON lines. */
const formatOf = (file: string, firstLine: string): Format => {
  const ext = extname(file).toLowerCase()
  if (ext === ".csv") return "csv"
  if ([".jsonl", ".ndjson", ".json"].includes(ext)) return "jsonl"
  return firstLine.trimStart().startsWith("{") ? "jsonl" : "csv"
}

/**
 * The file's records, read line by line (a quoted CSV cell may span lines; the record is numbered
 * by its first). Blank lines are skipped.
 */
async function* readRecords(file: string): AsyncGenerator<RawRecord> {
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity })
  let format: Format | undefined
  let header: Array<string> | undefined
  let open: { line: number; text: string } | undefined
  let n = 0
  for await (const raw of lines) {
    n++
    const text = n === 1 ? raw.replace(/^\uFEFF/, "") : raw
    if (open !== undefined) {
      open.text += "\n" + text
      if (quotesOpen(open.text)) continue
    } else {
      if (text.trim() === "") continue
      format ??= formatOf(file, text)
      open = { line: n, text }
      if (format === "csv" && quotesOpen(text)) continue
    }
    const record = open
    open = undefined
    if (format === "jsonl") {
      let value: unknown
      try {
        value = JSON.parse(record.text)
      } catch (error) {
        yield { line: record.line, problem: { line: record.line, field: "-", why: `not valid JSON (${(error as Error).message})` } }
        continue
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        yield { line: record.line, problem: { line: record.line, field: "-", why: "not a JSON object" } }
      } else yield { line: record.line, fields: value as Record<string, unknown> }
      continue
    }
    const cells = csvCells(record.text)
    if (header === undefined) {
      header = cells.map((c) => c.trim())
      for (const name of header.filter((h) => !FIELDS.includes(h))) {
        yield { line: record.line, problem: { line: record.line, field: name, why: `is not a field of a job (${FIELDS.join(", ")})` } }
      }
      continue
    }
    if (cells.length !== header.length) {
      yield {
        line: record.line,
        problem: { line: record.line, field: "-", why: `has ${cells.length} cells, the header ${header.length}` }
      }
      continue
    }
    // An empty cell is a field left out.
    const fields: Record<string, unknown> = {}
    header.forEach((name, i) => {
      const cell = cells[i]!
      if (cell !== "") fields[name] = NUMERIC.has(name) && /^\s*-?\d+(\.\d+)?\s*$/.test(cell) ? Number(cell) : cell
    })
    yield { line: record.line, fields }
  }
  if (open !== undefined) {
    yield { line: open.line, problem: { line: open.line, field: "-", why: "a quoted cell is not closed" } }
  }
}

const records = (file: string) =>
  Stream.fromAsyncIterable(
    readRecords(file),
    (error) => new CliError({ message: `cannot read the batch ${file}: ${(error as Error).message}` })
  )

/** A line that passed every check: its job, once the encoder is known. */
export interface CheckedLine {
  readonly line: number
  readonly out: string
  readonly segments: number
  readonly spec: (encoder: string) => JobSpec
}

const isKind = (path: string, kind: "file" | "directory") =>
  Option.match(Option.liftThrowable(() => statSync(path))(), {
    onNone: () => false,
    onSome: (s) => (kind === "file" ? s.isFile() : s.isDirectory())
  })

/** Runs `check`; its CliError becomes a problem with `field`. */
const problemOf = (line: number, field: string) => (check: Effect.Effect<void, CliError>) =>
  Effect.map(Effect.either(check), (outcome): Array<Problem> => Either.isLeft(outcome) ? [{ line, field, why: outcome.left.message }] : [])

/**
 * One line's fields checked as `run` checks its options, every problem found: the fields, then
 * the script (its file read), the footage and music, the voice, the fonts, and the output.
 */
export const checkLine = (record: RawRecord, base: string, state: string) =>
  Effect.gen(function*() {
    if ("problem" in record) return Either.left([record.problem])
    const { line } = record
    const decoded = decodeLine(record.fields)
    if (Either.isLeft(decoded)) return Either.left(schemaProblems(line, decoded.left))
    const fields = decoded.right
    const at = (path: string) => resolve(base, path)
    const problems: Array<Problem> = []
    if ((fields.script === undefined) === (fields.scriptFile === undefined)) {
      problems.push({ line, field: "script", why: "give the script's text (script) or its file (scriptFile), one of them" })
    }
    const footage = at(fields.footage)
    if (!isKind(footage, "directory")) problems.push({ line, field: "footage", why: `${footage} is not a folder` })
    const music = fields.music === undefined ? undefined : at(fields.music)
    if (music !== undefined && !isKind(music, "file")) problems.push({ line, field: "music", why: `${music} is not a file` })
    const scriptFile = fields.scriptFile === undefined ? undefined : at(fields.scriptFile)
    let text = fields.script
    if (scriptFile !== undefined && fields.script === undefined) {
      const read = yield* FileSystem.FileSystem.pipe(
        Effect.flatMap((fs) => fs.readFile(scriptFile)),
        Effect.mapError((error) => new CliError({ message: `cannot read the script ${scriptFile}: ${fileErrorText(error)}` })),
        Effect.flatMap((bytes) => scriptText(bytes, `the script ${scriptFile}`)),
        Effect.either
      )
      if (Either.isLeft(read)) problems.push({ line, field: "scriptFile", why: read.left.message })
      else text = read.right
    }
    const scriptField = scriptFile === undefined ? "script" : "scriptFile"
    if (text !== undefined) {
      if (text.trim() === "") problems.push({ line, field: scriptField, why: "the script is empty" })
      else {
        const tooLong = yield* Effect.either(checkScriptLength(text))
        if (Either.isLeft(tooLong)) problems.push({ line, field: scriptField, why: tooLong.left.message })
      }
    }
    const voice = fields.voice ?? job.JOB_DEFAULTS.voice
    problems.push(...yield* problemOf(line, "voice")(checkVoice(voice)))
    const captions = fields.captions ?? job.JOB_DEFAULTS.captions
    if (text !== undefined && captions !== "none") problems.push(...yield* problemOf(line, scriptField)(checkFonts(text)))
    const size = fields.size === undefined ? job.ASPECTS[fields.aspect ?? job.JOB_DEFAULTS.aspect] : job.parseSize(fields.size)!
    const fps = fields.fps ?? job.JOB_DEFAULTS.fps
    const out = at(fields.out)
    if (problems.length === 0 && text !== undefined) {
      problems.push(
        ...yield* problemOf(line, "out")(
          checkOutput({ out, footage, script: scriptFile, music, ...size, fps, words: wordCount(text) })
        )
      )
    }
    if (problems.length > 0 || text === undefined) return Either.left(problems)
    const script = text
    const title = fields.title ?? basename(scriptFile ?? out, extname(scriptFile ?? out))
    const segments = fields.segments ?? job.JOB_DEFAULTS.segments
    const checked: CheckedLine = {
      line,
      out,
      segments,
      spec: (encoder) => ({
        script: { _tag: "Text", title, text: script },
        footage: { _tag: "Folder", dir: footage },
        output: {
          path: out,
          ...size,
          fps,
          encoder,
          captions: job.CAPTION_STYLES[captions],
          ...(music === undefined ? {} : { music: { path: music } })
        },
        voice,
        seed: fields.seed ?? job.JOB_DEFAULTS.seed,
        segments,
        workDir: join(state, "work")
      })
    }
    return Either.right(checked)
  })

/** What the first pass found: every problem, and what the run needs to know up front. */
interface Survey {
  readonly problems: Array<Problem>
  jobs: number
  maxSegments: number
  /** Each output's line: two jobs writing one file is a problem too. */
  readonly outs: Map<string, number>
}

/** The first pass: every line checked, nothing kept but the problems and each output's line. */
export const surveyBatch = (file: string, state: string) =>
  records(file).pipe(
    Stream.runFoldEffect(
      { problems: [], jobs: 0, maxSegments: 1, outs: new Map() } as Survey,
      (survey, record) =>
        Effect.map(checkLine(record, dirname(file), state), (checked) => {
          if (Either.isLeft(checked)) {
            survey.problems.push(...checked.left)
            return survey
          }
          const { line, out, segments } = checked.right
          const earlier = survey.outs.get(out)
          if (earlier !== undefined) survey.problems.push({ line, field: "out", why: `line ${earlier} writes ${out} too` })
          else survey.outs.set(out, line)
          survey.jobs++
          survey.maxSegments = Math.max(survey.maxSegments, segments)
          return survey
        })
    )
  )

/** How one job of the batch ended, as `--json` prints it. */
export type BatchOutcome =
  | {
    readonly line: number
    readonly job: string
    readonly status: "finished"
    readonly output: string
    readonly seconds: number
    /** The batch process's peak RSS when the job finished (node alone: ffmpeg and espeak-ng are children). */
    readonly peakRssMb: number
  }
  | {
    readonly line: number
    readonly job: string
    readonly status: "failed"
    readonly stage: string
    readonly error: string
    readonly seconds: number
  }

const print = (text: string) => Effect.sync(() => process.stdout.write(text + "\n"))

const problemList = (problems: ReadonlyArray<Problem>) =>
  problems.map((p) => `  line ${p.line}${p.field === "-" ? "" : `, ${p.field}`}: ${p.why}`).join("\n")

/** One job per two cores: each job's encode uses several threads, its other stages one. */
export const DEFAULT_CONCURRENCY = Math.max(1, Math.floor(availableParallelism() / 2))

const concurrencyOption = Options.integer("concurrency").pipe(
  Options.withDefault(DEFAULT_CONCURRENCY),
  Options.withDescription(
    `Jobs run at once (default ${DEFAULT_CONCURRENCY}: half the cores, since each encode uses several); the file is read no faster than they finish.`
  )
)

const fileArg = Args.file({ name: "FILE", exists: "yes" }).pipe(
  Args.withDescription(
    "JSON lines or CSV (a header row), one job a line: script or scriptFile, out, footage, and optionally title, aspect, size, fps, " +
      "captions, music, voice, segments, seed (paths relative to the file's folder)."
  )
)

export const batch = Command.make(
  "batch",
  {
    file: fileArg,
    concurrency: concurrencyOption,
    topology: job.topology,
    encoder: job.encoder,
    cacheMax: job.cacheMax,
    state: job.state,
    config: job.config,
    json: job.json,
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      if (o.concurrency < 1) return yield* new CliError({ message: `--concurrency must be 1 or more, got ${o.concurrency}` })
      const file = resolve(o.file)
      const survey = yield* surveyBatch(file, o.state)
      if (survey.problems.length > 0) {
        const lines = new Set(survey.problems.map((p) => p.line)).size
        return yield* new CliError({
          message: `${file}: ${lines} bad line${lines === 1 ? "" : "s"}, so no job was run:\n${problemList(survey.problems)}`
        })
      }
      if (survey.jobs === 0) return yield* new CliError({ message: `${file} has no jobs` })
      const encoder = yield* resolveEncoder(o.encoder, o.state)
      const settings = { state: o.state, topology: o.topology }
      yield* mediaFileSystem.pipe(
        Effect.flatMap((fs) => fs.makeDirectory(o.state, { recursive: true })),
        Effect.mapError(stateDirError(o.state, "write"))
      )
      yield* holdState(o.state, { job: `batch ${basename(file)}`, command: "batch" })
      const started = Date.now()

      let read = 0
      let finished = 0
      let readAheadMax = 0
      const runOne = (checked: Either.Either<CheckedLine, Array<Problem>>, line: number) =>
        Effect.gen(function*() {
          // The file changed since its first pass: this job is refused, the others run.
          if (Either.isLeft(checked)) {
            const error = `changed since it was checked: ${checked.left.map((p) => `${p.field}: ${p.why}`).join("; ")}`
            return { line, job: "-", status: "failed", stage: "input", error, seconds: 0 } satisfies BatchOutcome
          }
          const spec = checked.right.spec(encoder)
          const id = jobId(spec)
          yield* Console.error(`line ${line}: ${id} started, writing ${spec.output.path}`)
          const jobStarted = Date.now()
          const outcome = yield* Effect.either(executeJob(spec, { ...settings, cacheMax: o.cacheMax }, false))
          if (Either.isRight(outcome)) {
            const document = outcome.right
            yield* o.json
              ? Console.error(`line ${line}: ${id} finished`)
              : print(`line ${line}: ${summary(document, document.run.seconds)}`)
            return {
              line,
              job: id,
              status: "finished",
              output: document.output,
              seconds: document.run.seconds,
              peakRssMb: document.run.peakRssMb
            } satisfies BatchOutcome
          }
          // A state directory that cannot be used fails every job alike: the batch stops.
          if (outcome.left._tag !== "JobFailedError") return yield* Effect.fail(outcome.left)
          const { failure } = outcome.left
          yield* Console.error(`reelswarm: line ${line}: ${id} failed at ${failure.stage}: ${failure.message}`)
          return {
            line,
            job: id,
            status: "failed",
            stage: failure.stage,
            error: failure.message,
            seconds: (Date.now() - jobStarted) / 1000
          } satisfies BatchOutcome
        }).pipe(Effect.ensuring(Effect.sync(() => finished++)))

      const outcomes = yield* records(file).pipe(
        Stream.mapEffect((record) => Effect.map(checkLine(record, dirname(file), o.state), (checked) => ({ checked, line: record.line }))),
        Stream.tap(() =>
          Effect.sync(() => {
            read++
            readAheadMax = Math.max(readAheadMax, read - finished)
          })
        ),
        // N jobs in flight, N more read ahead at most: the reader waits for a job to finish.
        Stream.flatMap(({ checked, line }) => Stream.fromEffect(runOne(checked, line)), {
          concurrency: o.concurrency,
          bufferSize: o.concurrency
        }),
        Stream.runCollect,
        Effect.provide(
          productionLayerFor({ ...settings, encoderSlots: o.concurrency * survey.maxSegments })
        ),
        stateDatabaseFailures(o.state)
      )
      const all = [...outcomes].sort((a, b) => a.line - b.line)
      const failed = all.filter((j) => j.status === "failed")
      const seconds = (Date.now() - started) / 1000
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024)
      if (o.json) yield* print(JSON.stringify(all, null, 2))
      yield* Console.error(
        `batch: ${all.length} jobs, ${all.length - failed.length} finished, ${failed.length} failed in ${seconds.toFixed(1)} s ` +
          `at concurrency ${o.concurrency} (node peak RSS ${peakRssMb} MB; at most ${readAheadMax} jobs read and not yet finished)`
      )
      if (failed.length > 0) {
        return yield* new BatchFailedError({
          message: `${failed.length} of ${all.length} jobs failed: ${
            failed.map((j) => `line ${j.line} (${j.job}, ${j.status === "failed" ? j.stage : ""})`).join(", ")
          }; \`reelswarm jobs show ID\` says why`
        })
      }
    }).pipe(Effect.scoped)
).pipe(
  handleVerbose,
  Command.withDescription(
    described(
      "Run many jobs from a file (JSON lines or CSV), --concurrency at a time on one swarm; every line is checked before any runs.",
      ["reelswarm batch jobs.jsonl", "reelswarm batch jobs.csv --concurrency 4 --json"]
    )
  )
)
