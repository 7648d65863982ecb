/**
 * The console's page as the server hands it out: the files `scripts/bundle-console.mjs` built into
 * `dist/console` (index.html, app.js, app.css and their maps). `/`, `/console` and `/console/` are
 * the page; `/console/<file>` one of its files, by a plain name only (no folders, no dot files, no
 * symlinks), so nothing outside the folder can be asked for. The files hold no data: everything the
 * page shows comes over the WebSocket, which checks the token.
 */
import { createReadStream, existsSync } from "node:fs"
import { lstat } from "node:fs/promises"
import type { IncomingMessage, ServerResponse } from "node:http"
import { dirname, extname, join } from "node:path"

/** Where the bundle script puts the page, relative to the package root. */
export const CONSOLE_DIR = "dist/console"

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8"
}

/** The package root: the nearest folder above this module (sources or the dist/ bundle) with a package.json. */
const packageRoot = (from: string): string => {
  let dir = from
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir)
    if (up === dir) return from
    dir = up
  }
  return dir
}

/** The built console's folder: REELSWARM_CONSOLE_DIR when set (a page built elsewhere), else this package's dist/console. */
export const consoleDir = (): string => process.env.REELSWARM_CONSOLE_DIR || join(packageRoot(import.meta.dirname), CONSOLE_DIR)

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** The file a page path names inside the folder, or undefined when it names none. */
export const pageFile = (dir: string, pathname: string): string | undefined => {
  if (pathname === "/" || pathname === "/console" || pathname === "/console/") return join(dir, "index.html")
  if (!pathname.startsWith("/console/")) return undefined
  const name = pathname.slice("/console/".length)
  return NAME.test(name) && !name.includes("..") ? join(dir, name) : undefined
}

const answer = (res: ServerResponse, status: number, text: string) =>
  void res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(text + "\n")

/** Serves the page from `dir`; a folder not built yet is answered with how to build it. */
export const consolePage = (dir: string = consoleDir()) => (req: IncomingMessage, res: ServerResponse): void => {
  if (req.method !== "GET" && req.method !== "HEAD") return answer(res, 405, "the console's files are read with GET")
  const file = pageFile(dir, new URL(req.url ?? "/", "http://localhost").pathname)
  if (file === undefined) return answer(res, 404, "no such file of the console")
  lstat(file).then(
    (info) => {
      if (!info.isFile()) return answer(res, 404, "no such file of the console")
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-length": info.size,
        "x-content-type-options": "nosniff",
        // The page's HTML names its script and styles by fixed names: always check for a newer build.
        "cache-control": "no-cache"
      })
      if (req.method === "HEAD") return void res.end()
      createReadStream(file).on("error", () => res.destroy()).pipe(res)
    },
    () =>
      existsSync(join(dir, "index.html"))
        ? answer(res, 404, "no such file of the console")
        : answer(res, 503, `the console is not built (no ${join(dir, "index.html")}): run \`npm run build\` or \`make console\``)
  )
}
