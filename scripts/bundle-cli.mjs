// Bundles the `reelswarm` command into one ES module (dist/cli.mjs). Loading Effect's ~600 modules
// one by one costs most of a second at every start; the bundle starts in about a third of that.
// Native and lazily loaded packages stay external and resolve from node_modules as usual.
import { build } from "esbuild"

const outfile = process.argv[2] ?? "dist/cli.mjs"

await build({
  entryPoints: ["apps/cli/main.ts"],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  external: ["better-sqlite3", "msgpackr", "fluent-ffmpeg", "systeminformation", "@anthropic-ai/sdk"],
  // CommonJS packages inside an ES module bundle still call require().
  banner: { js: "import { createRequire as __reelswarmRequire } from 'node:module'; const require = __reelswarmRequire(import.meta.url);" }
})
