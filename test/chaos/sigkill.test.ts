/**
 * Chaos: `reelswarm run` SIGKILLed at random moments, as a crash or the OOM killer would: 20 trials
 * of its whole process group (`kill -9 -PGID`) and 5 of the node pid alone (its ffmpeg and
 * espeak-ng children, each in a process group of its own, must die with it through the process
 * runner's watcher). After each kill the job is finished by `reelswarm resume` (or by the same `run`
 * when the kill came before the job file was written), and then: the output has the frames its
 * plan promised, no process the trial started is left, no unfinished write lies in the state
 * directory, the database passes `PRAGMA integrity_check`, and no job is left. Each trial has its
 * own state directory, which is also its marker: every process of a trial (node, ffmpeg, espeak-ng)
 * names a path under it. The seed is printed; REELSWARM_CHAOS_SEED replays the delays.
 */
import { describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Duration, Effect, Schedule } from "effect"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"
import { EventLog, memoryLayer } from "../../memory/index.ts"
import { scopedTempDir } from "../fixtures/temp-dir.ts"
import { CLI_BUNDLE, footageIn, killGroup, ROOT, TINY } from "../integration/cli/cli-fixture.ts"
import { chaosSeed, framesOf, partialFiles, seededRandom, trialCount } from "./chaos-fixture.ts"

const tempDir = scopedTempDir("chaos-sigkill")

const GROUP_TRIALS = trialCount("REELSWARM_CHAOS_TRIALS", 20)
const NODE_TRIALS = trialCount("REELSWARM_CHAOS_NODE_TRIALS", 5)
/** Trials two at a time (separate state directories): 25 one after another are too long for CI on 2 cores. */
const TRIAL_CONCURRENCY = 2
/** Only against a hang: how long a killed run's processes may take to be gone, a resumed run to finish. */
const HANG_GUARD = Duration.minutes(5)

const SCRIPT = "Fractals repeat the same shapes forever, at every scale.\n\nCells on a grid live and die by counting their neighbours."

/** One `reelswarm` process in its own process group; `exit` resolves when it has exited. */
interface Launched {
  readonly child: ChildProcess
  readonly startedAt: number
  readonly stderr: () => string
  readonly stdout: () => string
  readonly exit: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

/** Starts `reelswarm args`; the scope kills its group if it is still running (a failed test leaves nothing). */
const launch = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync((): Launched => {
      const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
        cwd: ROOT,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stderr = ""
      let stdout = ""
      child.stderr.on("data", (d) => (stderr += d))
      child.stdout.on("data", (d) => (stdout += d))
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on("close", (code, signal) => resolve({ code, signal }))
      )
      return { child, startedAt: Date.now(), stderr: () => stderr, stdout: () => stdout, exit }
    }),
    ({ child }) => Effect.sync(() => killGroup(child))
  )

/** The progress lines (on stderr) that say the job's first stage, and its render, started. */
const JOB_STARTED = /^\w+: started/m
const RENDER_STARTED = /^render: started/m

/** When the run's stderr first matched `pattern` (epoch ms), or when it exited without. */
const stderrMatch = (run: Launched, pattern: RegExp) =>
  Effect.promise(() =>
    Promise.race([
      run.exit.then(() => Date.now()),
      new Promise<number>((resolve) => {
        const look = () => (pattern.test(run.stderr()) ? resolve(Date.now()) : setTimeout(look, 10))
        look()
      })
    ])
  )

/** Runs `reelswarm args` to its end. */
const reelswarm = (args: ReadonlyArray<string>) =>
  Effect.scoped(Effect.gen(function*() {
    const run = yield* launch(args)
    const { code } = yield* Effect.promise(() => run.exit)
    return { code, stdout: run.stdout(), stderr: run.stderr(), seconds: (Date.now() - run.startedAt) / 1000 }
  }))

/** Every process (pid and command line), from ps. */
const processes = Effect.promise(async () => {
  const { stdout } = await promisify(execFile)("ps", ["-e", "-o", "pid=,ppid=,args="], { maxBuffer: 16 * 1024 * 1024 })
  return stdout.split("\n").flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)
    return match === null ? [] : [{ pid: Number(match[1]), ppid: Number(match[2]), args: match[3]! }]
  })
})

/** `pid` and every process under it, as they are now. */
const descendants = (pid: number) =>
  Effect.map(processes, (all) => {
    const found = all.filter((p) => p.pid === pid)
    for (let i = 0; i < found.length; i++) found.push(...all.filter((p) => p.ppid === found[i]!.pid))
    return found
  })

/** Those of `snapshot` still running (the same pid with the same command line: not a reused pid). */
const stillRunning = (snapshot: ReadonlyArray<{ pid: number; args: string }>) =>
  Effect.map(processes, (all) => snapshot.filter((p) => all.some((q) => q.pid === p.pid && q.args === p.args)))

/** Processes whose command line names `marker` (the trial's state directory). */
const marked = (marker: string) => Effect.map(processes, (all) => all.filter((p) => p.args.includes(marker) && p.pid !== process.pid))

/** Waits until `check` gives an empty list; fails with what is left after the hang guard. */
const untilNone = <A>(what: string, check: Effect.Effect<ReadonlyArray<A>>) =>
  check.pipe(
    Effect.filterOrFail((left) => left.length === 0, (left) => left),
    Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo(HANG_GUARD))),
    Effect.catchAll((left) => Effect.die(new Error(`${what} still running after ${Duration.format(HANG_GUARD)}: ${JSON.stringify(left)}`)))
  )

/** `PRAGMA integrity_check`, read only. */
const integrity = (database: string) =>
  Effect.sync(() => {
    const db = new Sqlite(database, { readonly: true, fileMustExist: true })
    try {
      return db.pragma("integrity_check", { simple: true })
    } finally {
      db.close()
    }
  })

/** The plan of the render that wrote `output`, from the state's event log. */
const planFileFor = (database: string, output: string) =>
  Effect.scoped(
    Effect.flatMap(EventLog, (log) => log.query({ types: ["render-finished", "render-reused"], limit: 10_000 })).pipe(
      Effect.provide(memoryLayer({ filename: database })),
      Effect.orDie,
      Effect.map(({ events }) => {
        const event = events.findLast((e) => e.data?.["output"] === output)
        if (event === undefined) throw new Error(`no render event for ${output} in ${database}`)
        return String(event.data!["planFile"])
      })
    )
  )

type Mode = "group" | "node"

/** Tries a trial may take to land its kill; a try whose run finished first gives the next its own run time. */
const TRIES = 5

interface Trial {
  readonly mode: Mode
  readonly n: number
  /**
   * When the kill comes on each try, as fractions of the run time (drawn up front, so a seed replays
   * them however the trials interleave): of the whole job for group kills, of the render for node kills.
   */
  readonly fractions: ReadonlyArray<number>
}

describe("chaos: SIGKILL of reelswarm run", () => {
  it.scopedLive(
    `${GROUP_TRIALS} kills of the whole process and ${NODE_TRIALS} of the node pid alone: every job finishes after restart, nothing left behind`,
    () =>
      Effect.gen(function*() {
        const seed = chaosSeed("sigkill")
        const random = seededRandom(seed)
        const dir = yield* tempDir
        const footage = yield* footageIn(dir)
        const scriptFile = join(dir, "script.txt")
        yield* Effect.promise(() => writeFile(scriptFile, SCRIPT))
        const started = Date.now()

        const runArgs = (state: string) => [
          "run",
          "--script",
          scriptFile,
          "--footage",
          footage,
          "--out",
          join(state, "out", "video.mp4"),
          "--state",
          state,
          ...TINY
        ]

        // The job's run time on this machine, now, with as many runs at once as the trials have: the
        // kills are spread over it. It starts with the first stage (before it, node is still loading).
        const baselines = yield* Effect.forEach(
          Array.from({ length: TRIAL_CONCURRENCY }, (_, n) => join(dir, `baseline-${n}`)),
          (state) =>
            Effect.scoped(Effect.gen(function*() {
              const run = yield* launch(runArgs(state))
              const jobAt = yield* stderrMatch(run, JOB_STARTED)
              const renderAt = yield* stderrMatch(run, RENDER_STARTED)
              const { code } = yield* Effect.promise(() => run.exit)
              expect(code, run.stderr()).toBe(0)
              const end = Date.now()
              const output = join(state, "out", "video.mp4")
              return {
                job: end - jobAt,
                render: end - renderAt,
                frames: yield* framesOf(yield* planFileFor(join(state, "swarm.db"), output), output)
              }
            })),
          { concurrency: TRIAL_CONCURRENCY }
        )
        const mean = (values: ReadonlyArray<number>) => Math.round(values.reduce((a, b) => a + b, 0) / values.length)
        const baseline = { job: mean(baselines.map((b) => b.job)), render: mean(baselines.map((b) => b.render)) }
        const expected = baselines[0]!.frames
        for (const b of baselines) expect(b.frames).toMatchObject({ promised: expected.promised, counted: expected.promised })
        console.log(`[chaos] sigkill: the job runs ${baseline.job} ms, its render ${baseline.render} ms, ${expected.promised} frames`)

        const fractions = () => Array.from({ length: TRIES }, () => random.next())
        const trials: Array<Trial> = [
          ...Array.from({ length: GROUP_TRIALS }, (_, n): Trial => ({ mode: "group", n, fractions: fractions() })),
          ...Array.from({ length: NODE_TRIALS }, (_, n): Trial => ({ mode: "node", n, fractions: fractions() }))
        ]

        /** A run SIGKILLed `fraction` of `spanMs` after its job (node kills: its render) started, or its end if that came first. */
        const killRun = (state: string, mode: Mode, fraction: number, spanMs: number) =>
          Effect.gen(function*() {
            const run = yield* launch(runArgs(state))
            const pid = run.child.pid!
            // The whole process while its job runs; the node pid alone while it renders (its ffmpeg children are what must not outlive it).
            const from = yield* stderrMatch(run, mode === "group" ? JOB_STARTED : RENDER_STARTED)
            const delayMs = Math.round(fraction * spanMs)
            yield* Effect.sleep(Duration.millis(delayMs))
            const snapshot = yield* descendants(pid)
            if (run.child.exitCode === null && run.child.signalCode === null) {
              try {
                process.kill(mode === "group" ? -pid : pid, "SIGKILL")
              } catch {
                // It exited just now.
              }
            }
            const ended = yield* Effect.promise(() => run.exit)
            const landed = ended.signal === "SIGKILL"
            if (!landed) expect(ended.code, run.stderr()).toBe(0)
            return { landed, delayMs, snapshot, pid, ranMs: Date.now() - from }
          })

        const runTrial = (trial: Trial) =>
          Effect.scoped(Effect.gen(function*() {
            const trialStarted = Date.now()
            let spanMs = trial.mode === "group" ? baseline.job : baseline.render
            let tries = 0
            let state = ""
            let kill: Effect.Effect.Success<ReturnType<typeof killRun>> | undefined
            while (kill?.landed !== true && tries < TRIES) {
              state = join(dir, `${trial.mode}-${trial.n}${tries === 0 ? "" : `-try-${tries + 1}`}`)
              kill = yield* killRun(state, trial.mode, trial.fractions[tries]!, spanMs)
              spanMs = kill.ranMs
              tries++
            }
            const { delayMs, landed, pid, snapshot } = kill!
            expect(landed, `${trial.mode}-${trial.n}: every run finished before its kill in ${TRIES} tries`).toBe(true)
            const output = join(state, "out", "video.mp4")
            // Whatever the killed run had started dies with it (ffmpeg and espeak-ng run in groups of their own).
            yield* untilNone(`processes of the killed run (${trial.mode} ${trial.n})`, stillRunning(snapshot))
            const children = snapshot.filter((p) => p.pid !== pid).map((p) => p.args.split(" ")[0]!.split("/").pop()!)

            const pendingJob = existsSync(join(state, "jobs")) &&
              (yield* Effect.promise(() => readdir(join(state, "jobs")))).some((name) => name.endsWith(".json"))
            const restart = pendingJob ? ["resume", "--state", state] : runArgs(state)
            const again = yield* reelswarm(restart)
            expect(again.code, `${restart.join(" ")}\n${again.stderr}`).toBe(0)

            expect(existsSync(output)).toBe(true)
            const frames = yield* framesOf(yield* planFileFor(join(state, "swarm.db"), output), output)
            expect(frames).toMatchObject({ promised: expected.promised, counted: expected.promised, hasAudio: true })
            expect(JSON.parse(yield* Effect.promise(() => readFile(join(state, "out", "video.json"), "utf8"))).output).toBe(output)
            yield* untilNone(`processes naming ${state}`, marked(state))
            expect(yield* partialFiles(state)).toEqual([])
            expect(yield* integrity(join(state, "swarm.db"))).toBe("ok")
            // The lock the killed run held was taken over, and the run that finished the job let it go.
            expect([existsSync(join(state, "lock")), existsSync(join(state, "lock.takeover"))]).toEqual([false, false])
            const jobsLeft = (yield* Effect.promise(() => readdir(join(state, "jobs")).catch(() => []))).filter((n) => n.endsWith(".json"))
            expect(jobsLeft).toEqual([])
            return {
              mode: trial.mode,
              n: trial.n,
              tries,
              delayMs,
              landed,
              children,
              restart: restart[0]!,
              restartSeconds: again.seconds,
              seconds: (Date.now() - trialStarted) / 1000
            }
          }))

        const results = yield* Effect.forEach(trials, runTrial, { concurrency: TRIAL_CONCURRENCY })
        const summary = {
          seed,
          baselineMs: baseline,
          trials: results.length,
          runsFinishedBeforeTheirKill: results.reduce((n, r) => n + r.tries - 1, 0),
          resumed: results.filter((r) => r.restart === "resume").length,
          ranAgain: results.filter((r) => r.restart === "run").length,
          killsWithMediaChildren: results.filter((r) => r.children.some((c) => /ffmpeg|ffprobe|espeak/.test(c))).length,
          perTrial: results.map((r) => ({
            trial: `${r.mode}-${r.n}`,
            tries: r.tries,
            delayMs: r.delayMs,
            children: r.children,
            restart: r.restart,
            seconds: r.seconds
          })),
          totalSeconds: (Date.now() - started) / 1000
        }
        console.log(`[chaos] sigkill: ${JSON.stringify(summary)}`)
        expect(results).toHaveLength(GROUP_TRIALS + NODE_TRIALS)
      }),
    // Against a hang, inside CI's budget: about 7 min idle and 9 on a loaded machine here.
    25 * 60_000
  )
})
