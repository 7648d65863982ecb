/**
 * A state directory that cannot be used is an answer, not a trace: a corrupt database (in its header
 * or in a page in the middle), a read-only one, or one locked by another connection ends the command
 * with exit code 3 and one line on stderr naming the file and what to do, nothing on stdout; and
 * `reelswarm doctor --repair` moves a corrupt database aside so that the next job succeeds, keeping
 * what earlier jobs made. (A full disk is SQLITE_FULL: test/unit/memory/database.test.ts makes a real one.)
 */
import { describe, expect, it } from "@effect/vitest"
import BetterSqlite from "better-sqlite3"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { randomFillSync } from "node:crypto"
import { chmodSync, closeSync, cpSync, existsSync, openSync, readdirSync, writeSync } from "node:fs"
import { join } from "node:path"
import { beforeAll } from "vitest"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"
import { SCRIPT } from "../agents/library-fixture.ts"
import { footageIn, type Outcome, reelswarm, TINY } from "./cli-fixture.ts"

const suiteDir = suiteTempDir("state-failures")

/** A state directory with a real database, made by one finished job; each case works on its own copy. */
let pristine: string
let footage: string
let firstOutput: string

const runArgs = (state: string, out: string) => ["run", "--footage", footage, "--out", out, ...TINY, "--state", state]

beforeAll(async () => {
  const dir = suiteDir()
  footage = await Effect.runPromise(footageIn(dir))
  pristine = join(dir, "pristine")
  firstOutput = join(dir, "out", "first.mp4")
  const first = await Effect.runPromise(reelswarm(runArgs(pristine, firstOutput), { stdin: SCRIPT }))
  if (first.code !== 0) throw new Error(`the first job failed: ${first.stderr}`)
}, 120_000)

let copies = 0
const copyOfState = () => {
  const state = join(suiteDir(), `state-${++copies}`)
  cpSync(pristine, state, { recursive: true })
  return state
}

/** Overwrites `length` bytes at `offset` of the file with random ones. */
const scramble = (file: string, offset: number, length: number) => {
  const fd = openSync(file, "r+")
  writeSync(fd, randomFillSync(Buffer.alloc(length)), 0, length, offset)
  closeSync(fd)
}

/** The page where the event log's table starts: every read or write of the events passes through it. */
const eventsRootPage = (file: string) => {
  const db = new BetterSqlite(file, { readonly: true })
  try {
    const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events'").get() as { rootpage: number }
    return {
      offset: (rootpage - 1) * (db.pragma("page_size", { simple: true }) as number),
      size: db.pragma("page_size", { simple: true }) as number
    }
  } finally {
    db.close()
  }
}

/** Exit code 3, nothing on stdout, one line on stderr naming the file and the remedy, and no stack trace anywhere. */
const expectStateAnswer = (outcome: Outcome, file: string, answer: RegExp) => {
  expect(outcome.code, outcome.stderr).toBe(3)
  expect(outcome.stdout).toBe("")
  const lines = outcome.stderr.trimEnd().split("\n")
  expect(lines, outcome.stderr).toHaveLength(1)
  expect(lines[0]!.startsWith(`reelswarm: ${file}: `), lines[0]).toBe(true)
  expect(lines[0]).toMatch(answer)
  expect(outcome.stderr + outcome.stdout).not.toMatch(/^\s+at /m)
}

const out = (name: string) => join(suiteDir(), "out", `${name}.mp4`)

describe("a state directory that cannot be used", () => {
  it.scoped(
    "a database with a damaged header: exit 3, one line saying to run doctor --repair; the same for every later job",
    () =>
      Effect.gen(function*() {
        const state = copyOfState()
        const db = join(state, "swarm.db")
        scramble(db, 0, 100)
        const remedy = new RegExp(`corrupt \\(file is not a database\\); run \`reelswarm doctor --repair --state ${state}\``)
        expectStateAnswer(yield* reelswarm([...runArgs(state, out("header")), "--json"], { stdin: SCRIPT }), db, remedy)
        expectStateAnswer(yield* reelswarm(runArgs(state, out("header-again")), { stdin: SCRIPT }), db, remedy)
      }),
    120_000
  )

  it.scoped(
    "a damaged page in the middle is found before any work; doctor --repair moves it aside, and the next job succeeds keeping earlier outputs",
    () =>
      Effect.gen(function*() {
        const state = copyOfState()
        const db = join(state, "swarm.db")
        const page = eventsRootPage(db)
        scramble(db, page.offset + 8, page.size - 16)
        expectStateAnswer(
          yield* reelswarm([...runArgs(state, out("middle")), "--json"], { stdin: SCRIPT }),
          db,
          /the state database is corrupt \(.+\); run `reelswarm doctor --repair --state .+` to move it aside and start fresh/
        )
        expect(existsSync(out("middle"))).toBe(false)

        const checked = yield* reelswarm(["doctor", "--state", state])
        expect(checked.code, checked.stderr).toBe(3)
        expect(checked.stdout).toMatch(/FAIL {2}database: .*corrupt/)

        const repaired = yield* reelswarm(["doctor", "--repair", "--state", state, "--json"])
        expect(repaired.code, repaired.stderr).toBe(0)
        const report = JSON.parse(repaired.stdout)
        expect(report.ok).toBe(true)
        expect(report.movedAside).toMatch(new RegExp(`^${db}\\.broken-`))
        expect(existsSync(report.movedAside)).toBe(true)
        // The job files, work files and the finished video of the first job are where they were.
        expect(readdirSync(state)).toEqual(expect.arrayContaining(["jobs", "work", "swarm.db"]))
        expect(existsSync(firstOutput)).toBe(true)

        const next = yield* reelswarm([...runArgs(state, out("after-repair")), "--json"], { stdin: SCRIPT })
        expect(next.code, next.stderr).toBe(0)
        // stdout is the report and nothing else: one JSON document.
        expect(JSON.parse(next.stdout).output).toBe(out("after-repair"))
        expect(existsSync(out("after-repair"))).toBe(true)
        expect(next.stderr).not.toMatch(/^\s+at /m)
        const healthy = yield* reelswarm(["doctor", "--state", state])
        expect(healthy.code, healthy.stderr).toBe(0)
      }),
    180_000
  )

  it.scoped("a database file that cannot be written: exit 3, one line saying so", () =>
    Effect.gen(function*() {
      const state = copyOfState()
      const db = join(state, "swarm.db")
      // Root writes through permissions, not through the immutable flag.
      const asRoot = process.getuid?.() === 0
      try {
        if (asRoot) execFileSync("chattr", ["+i", db], { stdio: "ignore" })
        else chmodSync(db, 0o444)
      } catch (error) {
        console.warn(`skipped: cannot make ${db} read-only here (${(error as Error).message})`)
        return
      }
      yield* Effect.addFinalizer(() => Effect.sync(() => (asRoot ? execFileSync("chattr", ["-i", db]) : chmodSync(db, 0o644))))
      expectStateAnswer(
        yield* reelswarm([...runArgs(state, out("read-only")), "--json"], { stdin: SCRIPT }),
        db,
        /the state database cannot be written \(.+\); make it and its folder writable, or use --state elsewhere/
      )
    }), 120_000)

  it.scoped("a database locked by another connection past the busy timeout: exit 3, one line saying so", () =>
    Effect.gen(function*() {
      const state = copyOfState()
      const db = join(state, "swarm.db")
      const holder = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const connection = new BetterSqlite(db)
          connection.exec("BEGIN EXCLUSIVE")
          return connection
        }),
        (connection) => Effect.sync(() => connection.close())
      )
      expect(holder.inTransaction).toBe(true)
      expectStateAnswer(
        yield* reelswarm([...runArgs(state, out("locked")), "--json"], { stdin: SCRIPT }),
        db,
        /the state database is locked by another process past the busy timeout; wait for the other reelswarm to finish, or use --state elsewhere/
      )
    }), 120_000)
})
