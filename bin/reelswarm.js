#!/usr/bin/env node
// The `reelswarm` command: the bundled CLI (dist/cli.mjs), which starts in a fraction of the time
// the sources take to load. An installed package ships only the bundle. In a git checkout the bundle
// is built (scripts/bundle-cli.mjs, about a second) when it is missing or older than any source
// file, so a checkout never runs a stale bundle; where it cannot be built (no esbuild), the
// TypeScript sources run through tsx.
import { existsSync, readdirSync, statSync } from "node:fs"

const root = new URL("../", import.meta.url)
const bundle = new URL("dist/cli.mjs", root)
const SOURCES = ["apps", "agents", "media", "memory", "runtime", "topologies", "index.ts", "package.json", "package-lock.json"]

/** The newest modification time of the files under `url` (a file or a folder), in ms. */
const newest = (url) => {
  let info
  try {
    info = statSync(url)
  } catch {
    return 0
  }
  if (!info.isDirectory()) return info.mtimeMs
  const dir = url.href.endsWith("/") ? url : new URL(`${url.href}/`)
  let latest = info.mtimeMs
  for (const entry of readdirSync(url, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue
    latest = Math.max(latest, newest(new URL(entry.isDirectory() ? `${entry.name}/` : entry.name, dir)))
  }
  return latest
}

const checkout = existsSync(new URL("apps/cli/main.ts", root))
let useBundle = existsSync(bundle)
if (checkout) {
  const built = useBundle ? statSync(bundle).mtimeMs : 0
  const stale = SOURCES.some((name) => newest(new URL(name, root)) > built)
  if (stale) {
    try {
      const { bundleCli } = await import(new URL("scripts/bundle-cli.mjs", root).href)
      await bundleCli()
      useBundle = true
    } catch (error) {
      if (process.env.REELSWARM_DEBUG_BIN) console.error(error)
      useBundle = false
    }
  }
}
if (useBundle) {
  await import(bundle.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import(new URL("apps/cli/main.ts", root).href)
}
