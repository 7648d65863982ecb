// Builds the console page (apps/console/web/) into one folder the server serves as static files:
// index.html, app.js (the page with cytoscape and uPlot bundled in) and app.css (uPlot's CSS and
// the page's). No CDN: the page works on a machine with no internet. `reelswarm serve` serves
// `dist/console`; `node scripts/bundle-console.mjs [outDir]` builds it there.
import { build } from "esbuild"
import { copyFile, mkdir, readdir, rm } from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const web = join(root, "apps", "console", "web")

/** Where the server looks for the built console, relative to the package root. */
export const CONSOLE_DIR = "dist/console"

/**
 * Builds the console into `outDir` (default `<package root>/dist/console`), replacing what was
 * there; resolves with the folder and the files written.
 */
export const buildConsole = async (outDir = join(root, CONSOLE_DIR)) => {
  const out = resolve(outDir)
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })
  await build({
    absWorkingDir: root,
    entryPoints: { app: join(web, "main.ts") },
    outdir: out,
    bundle: true,
    platform: "browser",
    format: "esm",
    target: ["chrome110", "firefox115", "safari16"],
    minify: true,
    sourcemap: "linked",
    legalComments: "linked",
    logLevel: "warning",
    // The page shares types with the server and the JobRequest Schema (effect); nothing of Node.
    define: { "process.env.NODE_ENV": "\"production\"" }
  })
  await copyFile(join(web, "index.html"), join(out, "index.html"))
  return { outDir: out, files: (await readdir(out)).sort() }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { outDir, files } = await buildConsole(process.argv[2])
  console.log(`console built in ${outDir}: ${files.join(", ")}`)
}
