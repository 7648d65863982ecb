/**
 * The server's doors: with a token, every HTTP request and every WebSocket upgrade without it (or
 * with another) is refused with 401; upgrades from another site's page are refused with 403; a
 * non-loopback bind without a token does not start; `<state>/server.json` exists exactly while the
 * server is up.
 */
import { Exit } from "effect"
import { existsSync } from "node:fs"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { serverFile } from "../../../apps/api/server-file.ts"
import { openServer, tryStart, upgrade } from "./server-fixture.ts"

const TOKEN = "correct-horse-battery-staple"

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reelswarm-api-security-"))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe("server security", () => {
  it("refuses to start on a non-loopback address without a token, saying why", async () => {
    const exit = await tryStart(join(dir, "open"), { host: "0.0.0.0", port: 0 })
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const text = String(exit.cause._tag === "Fail" ? exit.cause.error : exit.cause)
      expect(text).toContain("0.0.0.0")
      expect(text).toContain("token")
    }
    expect(existsSync(serverFile(join(dir, "open")))).toBe(false)
  }, 60_000)

  it(
    "with a token: 401 on HTTP and refused upgrades without it or with another; Origin checked on upgrades; server.json while up",
    async () => {
      const state = join(dir, "guarded")
      const server = await openServer(state, { token: TOKEN })
      const ws = server.url.replace("http", "ws")
      try {
        expect(JSON.parse(await readFile(serverFile(state), "utf8"))).toEqual({ url: server.url, pid: process.pid })

        for (const path of ["/api/health", "/api/jobs", "/openapi.json", "/docs", "/api/v1/tasks", "/mcp"]) {
          expect((await fetch(`${server.url}${path}`)).status, path).toBe(401)
          expect((await fetch(`${server.url}${path}`, { headers: { authorization: "Bearer wrong" } })).status, path).toBe(401)
        }
        const missing = await fetch(`${server.url}/api/health`)
        expect(missing.headers.get("www-authenticate")).toBe("Bearer")
        expect((await fetch(`${server.url}/api/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
        expect((await fetch(`${server.url}/api/health?token=${TOKEN}`)).status).toBe(200)
        expect(
          (await fetch(`${server.url}/api/jobs`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).status
        )
          .toBe(401)

        expect(await upgrade(`${ws}/api/ws`)).toEqual({ _tag: "Refused", status: 401 })
        expect(await upgrade(`${ws}/api/ws?token=wrong`)).toEqual({ _tag: "Refused", status: 401 })
        expect(await upgrade(`${ws}/console/ws`)).toEqual({ _tag: "Refused", status: 401 })
        expect(await upgrade(`${ws}/api/ws?token=${TOKEN}`, { origin: "http://evil.example" })).toEqual({ _tag: "Refused", status: 403 })

        const own = await upgrade(`${ws}/api/ws?token=${TOKEN}`, { origin: server.url })
        expect(own._tag).toBe("Open")
        if (own._tag === "Open") own.ws.close()
        const bearer = await upgrade(`${ws}/api/ws`, { authorization: `Bearer ${TOKEN}` })
        expect(bearer._tag).toBe("Open")
        if (bearer._tag === "Open") bearer.ws.close()
      } finally {
        await server.close()
      }
      expect(existsSync(serverFile(state))).toBe(false)
    },
    60_000
  )

  it("without a token on loopback, still refuses upgrades from another origin", async () => {
    const server = await openServer(join(dir, "loopback"))
    try {
      const ws = server.url.replace("http", "ws")
      expect(await upgrade(`${ws}/api/ws`, { origin: "https://attacker.example" })).toEqual({ _tag: "Refused", status: 403 })
      expect(await upgrade(`${ws}/nowhere`)).toEqual({ _tag: "Refused", status: 404 })
      const open = await upgrade(`${ws}/api/ws`)
      expect(open._tag).toBe("Open")
      if (open._tag === "Open") open.ws.close()
    } finally {
      await server.close()
    }
  }, 60_000)
})
