#!/usr/bin/env node
// The `reelswarm` command: the bundled CLI when the package is built (`npm run build`, run before
// packing), otherwise the TypeScript sources through tsx (a git checkout).
import { existsSync } from "node:fs"

const bundle = new URL("../dist/cli.mjs", import.meta.url)
if (existsSync(bundle)) {
  await import(bundle.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import(new URL("../apps/cli/main.ts", import.meta.url).href)
}
