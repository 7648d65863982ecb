/** A fresh directory for one test's SQLite files, removed when the test's scope closes. */
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "reelswarm-memory-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

export const tempDatabase = (name = "swarm.db") => Effect.map(tempDir, (dir) => join(dir, name))
