/**
 * `<state>/server.json`: where a running `reelswarm serve` is (its URL and pid), written while it is
 * up. Apart from the server so that the commands reading it (`status`) load none of the server.
 */
import { Schema } from "effect"

/** Where a running server writes its address. */
export const serverFile = (state: string) => `${state}/server.json`

export const ServerInfo = Schema.Struct({ url: Schema.String, pid: Schema.Int })
export type ServerInfo = typeof ServerInfo.Type
