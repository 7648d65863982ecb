// Bundles the `reelswarm` command into one ES module (dist/cli.mjs). Loading Effect's ~600 modules
// one by one costs most of a second at every start; the bundle starts in about a third of that.
// Native and lazily loaded packages stay external and resolve from node_modules as usual.
// `node scripts/bundle-cli.mjs [outfile]` builds it; bin/reelswarm.js calls `bundleCli` in a checkout
// whose bundle is older than its sources.
import { build } from "esbuild"
import { mkdir, rename, writeFile } from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")

/** Builds the bundle to `outfile` through a file beside it renamed into place, so a command starting meanwhile never loads half a bundle. */
export const bundleCli = async (outfile = join(root, "dist/cli.mjs")) => {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, "apps/cli/main.ts")],
    outfile,
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    logLevel: "warning",
    external: ["better-sqlite3", "msgpackr", "fluent-ffmpeg", "systeminformation", "@anthropic-ai/sdk"],
    // CommonJS packages inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire as __reelswarmRequire } from 'node:module'; const require = __reelswarmRequire(import.meta.url);"
    }
  })
  await mkdir(dirname(outfile), { recursive: true })
  // The map first: the bundle names it, and the bundle is what a starting command looks for.
  for (const file of [...result.outputFiles].sort((a, b) => Number(b.path.endsWith(".map")) - Number(a.path.endsWith(".map")))) {
    const partial = `${file.path}.partial-${process.pid}`
    await writeFile(partial, file.contents)
    await rename(partial, file.path)
  }
  return outfile
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await bundleCli(process.argv[2] === undefined ? undefined : resolve(process.argv[2]))
}
