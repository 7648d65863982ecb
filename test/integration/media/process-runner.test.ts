import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, Schedule } from "effect"
import { execFileSync } from "node:child_process"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import { type ProcessFault, ProcessRunner, runProcess } from "../../../media/process-runner.ts"
import { espeakNg } from "../../../media/tts/index.ts"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"

const dir = suiteTempDir("runner")

interface Proc {
  readonly pid: number
  readonly name: string
  readonly state: string
  readonly ppid: number
  readonly pgrp: number
}

/**
 * Every living process on the machine, from /proc. Zombies are dead: a killed program's orphaned
 * children are reaped by PID 1, which in some containers takes its time.
 */
const processes = Effect.promise(async () => {
  const found: Array<Proc> = []
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "")
    const m = /^\d+ \((.*)\) (\S) (\d+) (\d+)/.exec(stat)
    if (m !== null && m[2] !== "Z") found.push({ pid: Number(entry), name: m[1]!, state: m[2]!, ppid: Number(m[3]), pgrp: Number(m[4]) })
  }
  return found
})

const childrenNamed = (name: string) => Effect.map(processes, (all) => all.filter((p) => p.name === name && p.ppid === process.pid))
const groupMembers = (pgrp: number) => Effect.map(processes, (all) => all.filter((p) => p.pgrp === pgrp))

/** Polls (every 20 ms, for up to 10 s) until `check` gives a value. */
const eventually = <A>(check: Effect.Effect<A | undefined>, what: string) =>
  check.pipe(
    Effect.flatMap((value) => (value === undefined ? Effect.fail(new Error(`${what} did not happen`)) : Effect.succeed(value))),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 500 })
  )

/** This process's first child called `name`, once there is one. */
const awaitChild = (name: string) => eventually(Effect.map(childrenNamed(name), (found) => found[0]), `a ${name} child`)

const testClip = [
  "-f",
  "lavfi",
  "-i",
  "testsrc=size=160x96:rate=25:duration=1",
  "-c:v",
  "libx264",
  "-preset",
  "ultrafast",
  "-pix_fmt",
  "yuv420p"
]

describe("process runner", () => {
  it.live("an interrupted probe stops ffprobe: no process and no process group is left", () =>
    Effect.gen(function*() {
      // Opening a FIFO for reading blocks until a writer comes, so this ffprobe waits forever.
      const fifo = join(dir(), "never-written.mp4")
      execFileSync("mkfifo", [fifo])
      const fiber = yield* Effect.fork(probe(fifo))
      const ffprobe = yield* awaitChild("ffprobe")
      expect(ffprobe.pgrp).toBe(ffprobe.pid)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(yield* childrenNamed("ffprobe")).toEqual([])
      expect(yield* groupMembers(ffprobe.pid)).toEqual([])
    }))

  it.live("an interrupted encode stops ffmpeg's process group and leaves no partial output", () =>
    Effect.gen(function*() {
      const output = join(dir(), "interrupted.mp4")
      const fiber = yield* Effect.fork(
        runFfmpeg({
          args: ["-re", "-f", "lavfi", "-i", "testsrc=size=160x96:rate=25:duration=600", "-c:v", "libx264", "-preset", "ultrafast"],
          output
        })
      )
      const ffmpeg = yield* awaitChild("ffmpeg")
      yield* Fiber.interrupt(fiber)
      expect(yield* groupMembers(ffmpeg.pid)).toEqual([])
      expect((yield* Effect.promise(() => readdir(dir()))).filter((f) => f.includes("interrupted"))).toEqual([])
    }))

  it.live("interruption stops the program's children too, and SIGKILLs what ignores SIGTERM after the grace period", () =>
    Effect.gen(function*() {
      // The shell and both sleeps ignore SIGTERM (an ignored signal stays ignored across exec).
      const fiber = yield* Effect.fork(
        runProcess({ command: "sh", args: ["-c", "trap '' TERM; sleep 300 & sleep 300 & wait"], killGraceMs: 300 })
      )
      // Found through its sleeps: the runner's orphan watcher is a shell child of this process too.
      const sleeps = yield* eventually(
        Effect.map(processes, (all) => {
          const shells = new Set(all.filter((p) => p.name === "sh" && p.ppid === process.pid).map((p) => p.pid))
          const found = all.filter((p) => p.name === "sleep" && shells.has(p.ppid) && p.pgrp === p.ppid)
          return found.length === 2 ? found : undefined
        }),
        "two sleeps in the shell's group"
      )
      const shell = { pid: sleeps[0]!.ppid }
      expect(sleeps.every((p) => p.ppid === shell.pid)).toBe(true)
      const started = Date.now()
      yield* Fiber.interrupt(fiber)
      const took = Date.now() - started
      expect(took).toBeGreaterThanOrEqual(250)
      expect(took).toBeLessThan(5000)
      // The shell has exited; its sleeps got the same SIGKILL and die as soon as they are scheduled.
      yield* eventually(Effect.map(groupMembers(shell.pid), (members) => (members.length === 0 ? true : undefined)), "the group's end")
    }))

  it.effect("a program that cannot start is a typed failure: ENOENT and E2BIG", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(runProcess({ command: "reelswarm-no-such-program", args: [] }))
      expect(missing).toMatchObject({ _tag: "ProcessError", reason: "spawn", command: "reelswarm-no-such-program" })
      expect(missing.cause).toMatchObject({ _tag: "SystemError", reason: "NotFound" })
      // One argument longer than the kernel's per-argument limit (128 KiB).
      const tooLong = yield* Effect.flip(runProcess({ command: "true", args: ["x".repeat(256 * 1024)] }))
      expect(tooLong).toMatchObject({ _tag: "ProcessError", reason: "spawn", command: "true" })
      expect(tooLong.message).toContain("E2BIG")
    }))

  it.effect("a non-zero exit carries the code and the stderr tail; stdin and stdout carry any text", () =>
    Effect.gen(function*() {
      const failed = yield* Effect.flip(runProcess({ command: "sh", args: ["-c", "echo 'disk on fire' >&2; exit 3"] }))
      expect(failed).toMatchObject({ reason: "exit", exitCode: 3, command: "sh" })
      expect(failed.stderr).toContain("disk on fire")
      const text = "Grüße, 世界: 'quotes' \"and\" $dollars\n"
      const echoed = yield* runProcess({ command: "cat", args: [], stdin: text, captureStdout: true })
      expect(echoed.stdout).toBe(text)
    }))
})

describe("fault-injecting process runner", () => {
  const failFirstFfmpeg = (fault: ProcessFault) => (request: { readonly command: string }, call: number) =>
    request.command === "ffmpeg" && call === 1 ? fault : undefined

  it.effect("an ffmpeg encode that fails on its first attempt succeeds on the retry, with one finished file", () =>
    Effect.gen(function*() {
      const output = join(dir(), "retried.mp4")
      const errors: Array<string> = []
      yield* runFfmpeg({ args: testClip, output }).pipe(
        Effect.tapError((error) => Effect.sync(() => errors.push(`${error.reason} ${error.exitCode} ${error.stderrTail}`))),
        Effect.retry({ times: 1 })
      )
      expect(errors).toEqual(["exit 1 Error while opening encoder for output stream #0:0"])
      expect(yield* probe(output, { countFrames: true })).toMatchObject({ frames: 25, codec: "h264" })
      expect((yield* Effect.promise(() => readdir(dir()))).filter((f) => f.includes("retried") && f.includes("partial"))).toEqual([])
    }).pipe(
      Effect.provide(
        ProcessRunner.layerFaulty(
          failFirstFfmpeg({ _tag: "Exit", exitCode: 1, stderr: "Error while opening encoder for output stream #0:0" })
        )
      )
    ))

  it.effect("a spawn failure is an FfmpegError with reason spawn", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(runFfmpeg({ args: testClip, output: join(dir(), "never.mp4") }))
      expect(error).toMatchObject({ _tag: "FfmpegError", reason: "spawn" })
      expect(error.message).toContain("ENOENT")
    }).pipe(Effect.provide(ProcessRunner.layerFaulty(failFirstFfmpeg({ _tag: "SpawnFailure" })))))

  it.live("a hung ffmpeg is stopped by a timeout and leaves no file", () =>
    Effect.gen(function*() {
      const output = join(dir(), "hung.mp4")
      const result = yield* runFfmpeg({ args: testClip, output }).pipe(Effect.timeoutOption("100 millis"))
      expect(Option.isNone(result)).toBe(true)
      expect((yield* Effect.promise(() => readdir(dir()))).filter((f) => f.includes("hung"))).toEqual([])
    }).pipe(Effect.provide(ProcessRunner.layerFaulty(failFirstFfmpeg({ _tag: "Hang" })))))

  it.effect("espeak-ng failing mid-narration is a TtsError carrying its stderr, and leaves no narration", () =>
    Effect.gen(function*() {
      const outDir = join(dir(), "narration")
      const error = yield* Effect.flip(espeakNg().synthesize({ text: "One sentence. Another one.", voice: "en" }, outDir))
      expect(error).toMatchObject({ _tag: "TtsError", provider: "espeak-ng", reason: "process-failed", detail: "voice data missing" })
      expect(yield* Effect.promise(() => readdir(outDir))).toEqual([])
    }).pipe(
      Effect.provide(
        ProcessRunner.layerFaulty((
          request,
          call
        ) => (request.command === "espeak-ng" && call === 2 ? { _tag: "Exit", exitCode: 1, stderr: "voice data missing" } : undefined))
      )
    ))
})
