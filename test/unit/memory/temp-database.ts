/** A fresh directory for one test's SQLite files, removed when the test's scope closes. */
import { Effect } from "effect"
import { join } from "node:path"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

export const tempDir = scopedTempDir("memory")

export const tempDatabase = (name = "swarm.db") => Effect.map(tempDir, (dir) => join(dir, name))
