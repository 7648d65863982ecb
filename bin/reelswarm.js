#!/usr/bin/env node
// The `reelswarm` command: the compiled CLI when the package is built (npm pack/publish builds it),
// otherwise the TypeScript sources through tsx (a git checkout).
import { existsSync } from "node:fs"

const built = new URL("../dist/apps/cli/main.js", import.meta.url)
if (existsSync(built)) {
  await import(built.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import(new URL("../apps/cli/main.ts", import.meta.url).href)
}
