/**
 * The server's doors, shared by HTTP, WebSocket upgrades and MCP: which addresses may be bound
 * without a token, the token check (constant time), and the Origin check of WebSocket upgrades.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { isIP } from "node:net"

/** Loopback addresses: binding one needs no token. */
export const isLoopback = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase()
  if (h === "localhost") return true
  if (isIP(h) === 4) return h.startsWith("127.")
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1"
  return false
}

/** Compares in time that depends on neither string's content (both are hashed to 32 bytes first). */
export const sameSecret = (given: string, expected: string): boolean =>
  timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest())

/**
 * The token a request carries: `Authorization: Bearer T`, else the `token` query parameter (for
 * browsers' WebSocket upgrades, which cannot set headers, and links to videos).
 */
export const presentedToken = (headers: { readonly authorization?: string | undefined }, url: URL): string | undefined => {
  const auth = headers.authorization
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth.trim())
    if (m !== null) return m[1]
  }
  return url.searchParams.get("token") ?? undefined
}

/** Whether a request may pass: always without a configured token; with one, only when it carries it. */
export const tokenAccepted = (token: string | undefined, presented: string | undefined): boolean =>
  token === undefined || (presented !== undefined && sameSecret(presented, token))

/**
 * A WebSocket upgrade's Origin is accepted when absent (not a browser: CLI tools, tests) or when it
 * is the server's own origin (the console page it served): same host and port as the request's Host.
 * Anything else is another site's page trying to reach the swarm through the user's browser.
 */
export const originAllowed = (origin: string | undefined, hostHeader: string | undefined): boolean => {
  if (origin === undefined) return true
  if (hostHeader === undefined) return false
  try {
    const o = new URL(origin)
    return (o.protocol === "http:" || o.protocol === "https:") && o.host.toLowerCase() === hostHeader.toLowerCase()
  } catch {
    return false
  }
}

/** Request bodies (JSON) above this are refused with 413. Uploads have their own cap. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024
/** WebSocket frames from clients above this close the socket (1009). */
export const MAX_WS_FRAME_BYTES = 64 * 1024
/** Default cap of one uploaded footage or music file. */
export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024
