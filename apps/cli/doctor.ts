/**
 * `reelswarm doctor`: is this state directory usable, and are the tools a job needs installed? It
 * checks that the directory exists and can be written, that its database passes SQLite's full
 * `integrity_check`, and that ffmpeg, ffprobe and espeak-ng are on PATH; then reports what this
 * machine brings: ffmpeg's version and the encoders that pass a trial encode, espeak-ng's voices,
 * caption fonts per script, GPUs, free disk, CPU cores and RAM, and the hardware tier they make,
 * with its reasons and the defaults it gives a job (media's `hardwareTier`; thresholds in
 * docs/media.md). `--repair` moves a corrupt `swarm.db` (with its `-wal` and `-shm`) aside as
 * `swarm.db.broken-<time>` and creates a fresh one; job files, work files and finished videos are
 * left as they are.
 *
 * The report goes to stdout (one JSON document with `--json`). A state problem left unrepaired
 * fails with its StateDirError (exit code 3); a missing tool with DoctorError (exit code 1).
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option, Schema } from "effect"
import { execFile } from "node:child_process"
import { existsSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { detectEncoders, Encoders, espeakVoices, fontCoverage, type GpuInfo, hardwareTier, localMachine } from "../../media/index.ts"
import { DatabaseError, integrityCheck, makeDatabase } from "../../memory/index.ts"
import { described } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { executableOnPath, stateDatabaseError, StateDirError } from "./run-job.ts"

/** A tool a job needs is not installed: exit code 1. */
export class DoctorError extends Schema.TaggedError<DoctorError>()("DoctorError", { message: Schema.String }) {}

const TOOLS = ["ffmpeg", "ffprobe", "espeak-ng"] as const

interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** Exists, is a directory, and a file can be made in it (root ignores permissions, not an immutable flag or a read-only mount). */
const checkDirectory = (state: string): StateDirError | undefined => {
  const remedy = "make it writable, or use --state elsewhere"
  if (!existsSync(state)) return undefined
  if (!statSync(state).isDirectory()) {
    return new StateDirError({ dir: state, message: `${state}: the state directory is not a directory; use --state elsewhere` })
  }
  const probe = join(state, `.doctor-${process.pid}`)
  try {
    writeFileSync(probe, "")
    rmSync(probe)
    return undefined
  } catch (error) {
    return new StateDirError({ dir: state, message: `${state}: cannot write the state directory (${messageOf(error)}); ${remedy}` })
  }
}

const databaseFile = (state: string) => join(state, "swarm.db")

/** Opens the file as a job does (writable, lockable, pages readable, migrated), then runs the full integrity check. */
const checkDatabase = (file: string) =>
  Effect.scoped(Effect.flatMap(makeDatabase({ filename: file }), integrityCheck)).pipe(
    Effect.flatMap((problems) =>
      problems.length === 0 ? Effect.void : new DatabaseError({
        filename: file,
        reason: "corrupt",
        operation: "integrity-check",
        detail: `${problems.length} problem${problems.length === 1 ? "" : "s"}: ${problems.slice(0, 3).join("; ")}`
      })
    )
  )

/** Moves the database and its WAL files aside under one timestamped name, then creates and migrates a fresh one. */
const repairDatabase = (file: string) =>
  Effect.gen(function*() {
    const aside = `${file}.broken-${new Date().toISOString().replace(/[:.]/g, "-")}`
    yield* Effect.try({
      try: () => {
        for (const suffix of ["", "-wal", "-shm"]) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix)
      },
      catch: (error) =>
        new StateDirError({
          dir: file,
          message: `${file}: cannot move the database aside (${messageOf(error)}); make its folder writable, or use --state elsewhere`
        })
    })
    yield* Effect.scoped(makeDatabase({ filename: file })).pipe(Effect.mapError(stateDatabaseError))
    return aside
  })

/** A few letters of each script captions are expected to draw. */
const SCRIPT_SAMPLES = "Aa Жж Ωω ع ש क 中 あア 한 😀"

/** Which scripts the installed fonts can caption; a missing one is reported, not a failure of the tools. */
const fontsCheck: Effect.Effect<Check> = fontCoverage(SCRIPT_SAMPLES).pipe(
  Effect.map((coverage): Check => {
    const lacking = coverage.scripts.filter((s) => s.missing.length > 0).map((s) => s.script)
    const drawn = coverage.scripts.filter((s) => s.missing.length === 0).map((s) => s.script)
    return {
      name: "caption fonts",
      ok: lacking.length === 0,
      detail: lacking.length === 0
        ? `every script has a font: ${drawn.join(", ")}`
        : `no font for ${lacking.join(", ")} (Debian: apt-get install fonts-noto-core fonts-noto-cjk fonts-symbola); fonts for ${
          drawn.join(", ")
        }`
    }
  }),
  Effect.catchTag("FontCoverageError", (error) => Effect.succeed({ name: "caption fonts", ok: false, detail: error.message }))
)

/** `ffmpeg -version`'s first line: `ffmpeg version 5.1.6-0+deb12u1 …`. */
const ffmpegVersion = Effect.async<string | undefined>((resume) => {
  const child = execFile(
    "ffmpeg",
    ["-version"],
    { timeout: 10_000 },
    (error, stdout) => resume(Effect.succeed(error === null ? /^ffmpeg version (\S+)/.exec(stdout)?.[1] : undefined))
  )
  return Effect.sync(() => child.kill())
})

const GiB = 1024 ** 3
const round1 = (n: number) => Math.round(n * 10) / 10

/** The machine: versions, proven encoders, voices, GPUs, disk, CPU and RAM, and its tier with its reasons and defaults. */
const machineReport = (state: string) =>
  Effect.gen(function*() {
    const version = yield* ffmpegVersion
    const detection = version === undefined ? undefined : yield* Effect.provide(detectEncoders, Encoders.layer)
    const voices = yield* espeakVoices().pipe(Effect.map((v) => v.voices.length), Effect.option, Effect.map(Option.getOrUndefined))
    const disk = Option.getOrUndefined(Option.liftThrowable(() => statfsSync(existsSync(state) ? state : "."))())
    const proven = detection?.available ?? []
    const { cores, memoryBytes } = localMachine()
    const gpus: ReadonlyArray<GpuInfo> = detection?.hardware.gpus ?? []
    const tier = hardwareTier({ cores, memoryBytes, gpus }, proven)
    return {
      ffmpeg: version ?? null,
      encoders: { proven: proven.map((e) => e.name), rejected: detection?.rejected ?? [] },
      voices: voices ?? null,
      gpus: gpus.map((g) => ({ vendor: g.vendor, model: g.model, ...(g.vramMb === undefined ? {} : { vramMb: g.vramMb }) })),
      freeDiskGiB: disk === undefined ? null : round1((disk.bavail * disk.bsize) / GiB),
      cpuCores: cores,
      ramGiB: round1(memoryBytes / GiB),
      tier: tier.tier,
      tierReasons: tier.reasons,
      defaults: tier.defaults
    }
  })

type Machine = Effect.Effect.Success<ReturnType<typeof machineReport>>

const machineChecks = (m: Machine): ReadonlyArray<Check> => [
  { name: "ffmpeg version", ok: m.ffmpeg !== null, detail: m.ffmpeg ?? "ffmpeg -version did not answer" },
  {
    name: "encoders",
    ok: m.encoders.proven.length > 0,
    detail: m.encoders.proven.length === 0
      ? "no encoder passed a trial encode"
      : `proven by a trial encode: ${m.encoders.proven.join(", ")}${
        m.encoders.rejected.length === 0 ? "" : `; failed: ${m.encoders.rejected.map((r) => r.name).join(", ")}`
      }`
  },
  {
    name: "voices",
    ok: m.voices !== null && m.voices > 0,
    detail: m.voices === null ? "espeak-ng --voices did not answer" : `${m.voices} espeak-ng voices`
  },
  {
    name: "GPUs",
    ok: true,
    detail: m.gpus.length === 0
      ? "none found"
      : m.gpus.map((g) => `${g.model} (${g.vendor}${g.vramMb === undefined ? "" : `, ${g.vramMb} MiB`})`).join("; ")
  },
  {
    name: "free disk",
    ok: m.freeDiskGiB === null || m.freeDiskGiB >= 1,
    detail: m.freeDiskGiB === null ? "unknown" : `${m.freeDiskGiB} GiB`
  },
  { name: "CPU and RAM", ok: true, detail: `${m.cpuCores} cores, ${m.ramGiB} GiB` },
  {
    name: "hardware tier",
    ok: true,
    detail: `${m.tier} (${m.tierReasons.join("; ")}); defaults: ${m.defaults.segments} segment${m.defaults.segments === 1 ? "" : "s"}, ` +
      `encoder ${m.defaults.encoder ?? "none proven"}, previews ${m.defaults.previewSize} px wide`
  }
]

export const doctor = Command.make(
  "doctor",
  {
    state: job.state,
    repair: Options.boolean("repair").pipe(
      Options.withDescription(
        "Move a corrupt swarm.db aside (as swarm.db.broken-<time>) and start a fresh one; jobs, work files and finished videos are kept."
      )
    ),
    config: job.config,
    json: job.json,
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      const checks: Array<Check> = []
      let stateProblem: StateDirError | undefined
      let repaired: string | undefined

      const directory = checkDirectory(o.state)
      checks.push({
        name: "state directory",
        ok: directory === undefined,
        detail: directory?.message ?? (existsSync(o.state) ? `${o.state} is writable` : `${o.state} does not exist yet (a job creates it)`)
      })
      stateProblem = directory

      const file = databaseFile(o.state)
      if (directory === undefined && existsSync(file)) {
        const failure = yield* Effect.flip(checkDatabase(file)).pipe(Effect.option)
        if (failure._tag === "None") {
          checks.push({ name: "database", ok: true, detail: `${file} opens, and its integrity check is ok` })
        } else if (o.repair && failure.value.reason === "corrupt") {
          repaired = yield* repairDatabase(file)
          checks.push({ name: "database", ok: true, detail: `${file}: was corrupt, moved to ${repaired}; a fresh one was created` })
        } else {
          stateProblem = stateDatabaseError(failure.value)
          checks.push({ name: "database", ok: false, detail: stateProblem.message })
        }
      } else if (directory === undefined) {
        checks.push({ name: "database", ok: true, detail: `${file} does not exist yet (a job creates it)` })
      }

      const missing: Array<string> = []
      for (const tool of TOOLS) {
        const found = Option.getOrUndefined(Option.map(yield* executableOnPath(tool), (f) => f.path))
        if (found === undefined) missing.push(tool)
        checks.push({ name: tool, ok: found !== undefined, detail: found ?? "not found on PATH" })
      }

      checks.push(yield* fontsCheck)
      const machine = yield* machineReport(o.state)
      checks.push(...machineChecks(machine))

      const report = o.json
        ? JSON.stringify(
          { state: o.state, ok: checks.every((c) => c.ok), checks, machine, ...(repaired ? { movedAside: repaired } : {}) },
          null,
          2
        )
        : checks.map((c) => `${c.ok ? "ok  " : "FAIL"}  ${c.name}: ${c.detail}`).join("\n")
      yield* Effect.sync(() => process.stdout.write(report + "\n"))
      if (stateProblem !== undefined) return yield* stateProblem
      if (missing.length > 0) {
        return yield* new DoctorError({
          message: `not found on PATH: ${missing.join(", ")}; install them (Debian: apt-get install ffmpeg espeak-ng)`
        })
      }
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described(
      "Check the state directory (writable, database intact) and the tools a job needs, and report the machine: ffmpeg and its proven " +
        "encoders, voices, fonts, GPUs, disk, CPU, RAM and a hardware tier with the defaults it gives a job. --repair replaces a corrupt database with a fresh one.",
      ["reelswarm doctor", "reelswarm doctor --json | jq .machine.tier", "reelswarm doctor --repair --state /data/reelswarm"]
    )
  )
)
