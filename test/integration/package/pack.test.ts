/**
 * The package as a user gets it: `npm pack` (its prepack runs `npm run build`), the tarball placed
 * in a fresh project's node_modules, and the README's examples run from there against
 * "reelswarm" and "reelswarm/agents" only.
 *
 * The build runs in a staged copy of the sources, so this checkout's dist/ is untouched (bin/reelswarm.js
 * prefers dist/cli.mjs, and a stale one would shadow the sources). The tarball is unpacked the way
 * npm places it (node_modules/reelswarm); there is no registry to install its dependencies from,
 * so they are links to this checkout's copies, and only the `dependencies` of package.json: a
 * runtime import of a devDependency fails here as it would for a user.
 */
import { execFile } from "node:child_process"
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { promisify } from "node:util"
import { beforeAll, describe, expect, it } from "vitest"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"

const run = promisify(execFile)
const repo = join(import.meta.dirname, "..", "..", "..")
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string> }
const tsx = join(repo, "node_modules", "tsx", "dist", "cli.mjs")
const tsc = join(repo, "node_modules", "typescript", "bin", "tsc")

/** What `npm run build` and `npm pack` read. */
const SOURCES = [
  "package.json",
  "README.md",
  "tsconfig.json",
  "tsconfig.build.json",
  "index.ts",
  "runtime",
  "topologies",
  "memory",
  "media",
  "agents",
  "apps",
  "bin",
  "scripts"
]

/** The README's first TypeScript block under the heading, as a user would paste it. */
const readmeBlock = (heading: string): string => {
  const readme = readFileSync(join(repo, "README.md"), "utf8")
  const section = readme.slice(readme.indexOf(heading))
  const block = /```ts\n([\s\S]*?)```/.exec(section)
  if (block === null) throw new Error(`no ts block under ${heading} in README.md`)
  return block[1]!
}

const node = (args: Array<string>, cwd: string) => run(process.execPath, args, { cwd, timeout: 240_000 })

const tempDir = suiteTempDir("pack")
let app: string

beforeAll(async () => {
  const work = tempDir()
  const staged = join(work, "source")
  for (const entry of SOURCES) cpSync(join(repo, entry), join(staged, entry), { recursive: true })
  symlinkSync(join(repo, "node_modules"), join(staged, "node_modules"))

  await run("npm", ["pack", "--pack-destination", work, "--no-fund"], { cwd: staged, timeout: 480_000 }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`npm pack (its prepack: npm run build) failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`)
    }
  )
  const tarball = readdirSync(work).find((file) => file.endsWith(".tgz"))!

  // The project: node_modules/reelswarm from the tarball; its dependencies one directory up.
  for (const dependency of [...Object.keys(pkg.dependencies), "@types/node"]) {
    mkdirSync(dirname(join(work, "node_modules", dependency)), { recursive: true })
    symlinkSync(join(repo, "node_modules", dependency), join(work, "node_modules", dependency))
  }
  app = join(work, "app")
  const installed = join(app, "node_modules", "reelswarm")
  mkdirSync(installed, { recursive: true })
  await run("tar", ["-xzf", join(work, tarball), "-C", installed, "--strip-components=1"])
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }))
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"]
      },
      include: ["*.ts"]
    })
  )
  writeFileSync(join(app, "embed.ts"), readmeBlock("## Embedding the runtime"))
  // The README's `ProduceVideo.execute(spec)` provided with `productionLayer({ database })`; built, not run (it renders a video).
  writeFileSync(
    join(app, "job.ts"),
    [
      `import { Effect } from "effect"`,
      `import { demoSpec, ProduceVideo, productionLayer } from "reelswarm/agents"`,
      ``,
      `export const job = ProduceVideo.execute(demoSpec()).pipe(Effect.provide(productionLayer({ database: "swarm.db" })), Effect.scoped)`,
      `console.log(Effect.isEffect(job))`
    ].join("\n")
  )
}, 600_000)

describe("the packed package", () => {
  it("builds and packs with a bundled CLI, declarations and no sources", async () => {
    const files = readdirSync(join(app, "node_modules", "reelswarm", "dist"), { recursive: true, encoding: "utf8" })
    expect(files).toEqual(expect.arrayContaining(["index.js", "index.d.ts", "cli.mjs", "agents/index.js", "agents/index.d.ts"]))
    expect(files.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))).toEqual([])
  })

  it("runs the README's embedding example from \"reelswarm\"", async () => {
    const { stdout } = await node([tsx, "embed.ts"], app)
    expect(stdout).toBe("42\n")
  })

  it("embeds the whole video job from \"reelswarm/agents\"", async () => {
    const { stdout } = await node([tsx, "job.ts"], app)
    expect(stdout).toBe("true\n")
  })

  it("type-checks both examples against the package's declarations", async () => {
    await expect(node([tsc, "-p", "."], app)).resolves.toMatchObject({ stdout: "" })
  })

  it("refuses imports past the published indexes", async () => {
    writeFileSync(
      join(app, "deep.mjs"),
      [
        `for (const path of ["reelswarm/runtime/internal/kernel.js", "reelswarm/dist/runtime/swarm.js", "reelswarm/media/timeline"]) {`,
        `  await import(path).then(() => console.log("imported", path), (error) => console.log(error.code))`,
        `}`
      ].join("\n")
    )
    const { stdout } = await node(["deep.mjs"], app)
    expect(stdout.trim().split("\n")).toEqual(Array(3).fill("ERR_PACKAGE_PATH_NOT_EXPORTED"))
  })

  it("runs the reelswarm command from the package's bundle", async () => {
    const { stdout } = await node([join(app, "node_modules", "reelswarm", "bin", "reelswarm.js"), "--version"], app)
    expect(stdout.trim()).toBe(pkg.version)
  })
})
