/**
 * `node bin/reelswarm.js` in a git checkout: it runs the CLI bundle, building it when it is missing
 * or older than a source file, and never a stale one. Run in a copy of the sources (node_modules
 * linked), so this checkout's dist/ is untouched.
 */
import { execFile } from "node:child_process"
import { cpSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { afterAll, describe, expect, it } from "vitest"
import pkg from "../../../package.json" with { type: "json" }

const ROOT = resolve(import.meta.dirname, "../../..")
const copy = mkdtempSync(join(tmpdir(), "reelswarm-bin-"))
afterAll(() => rmSync(copy, { recursive: true, force: true }))

for (const name of ["apps", "agents", "media", "memory", "runtime", "topologies", "scripts", "bin", "index.ts", "package.json"]) {
  cpSync(join(ROOT, name), join(copy, name), { recursive: true })
}
symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"))

const bundle = join(copy, "dist/cli.mjs")
const run = (...args: Array<string>) => promisify(execFile)(process.execPath, [join(copy, "bin/reelswarm.js"), ...args], { cwd: copy })

describe("bin/reelswarm.js in a checkout", () => {
  it("builds the bundle when missing, reuses it while the sources are older, and rebuilds it after a source changed", async () => {
    const first = await run("--version")
    expect(first.stdout.trim()).toBe(pkg.version)
    const built = statSync(bundle).mtimeMs

    // Sources older than the bundle: the same bundle runs.
    await run("--version")
    expect(statSync(bundle).mtimeMs).toBe(built)

    // A source newer than the bundle (the version the CLI prints comes from package.json): built again, and the new code runs.
    const manifest = join(copy, "package.json")
    writeFileSync(manifest, JSON.stringify({ ...pkg, version: "9.9.9-bin-test" }, null, 2))
    const later = new Date(built + 5_000)
    utimesSync(manifest, later, later)
    const again = await run("--version")
    expect(again.stdout.trim()).toBe("9.9.9-bin-test")
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(built)
  })
})
