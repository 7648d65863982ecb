/**
 * The protocol's shapes as the page receives and sends them: the encoded (JSON) side of
 * apps/console/protocol.ts. Type-only imports: the page bundles none of the server's code, and
 * treats every value as data to show, never as markup.
 */
import type { JobDetail as JobDetailSchema, JobSummary as JobSummarySchema } from "../../host/contract.ts"
import type {
  AgentDetail as AgentDetailSchema,
  AgentRow as AgentRowSchema,
  Batch as BatchSchema,
  ClientCommand,
  LinkTraffic as LinkTrafficSchema,
  MetricsSample as MetricsSampleSchema,
  ServerItem as ServerItemSchema,
  Tree as TreeSchema,
  TreeNode,
  WireEvent as WireEventSchema
} from "../protocol.ts"

export type Batch = typeof BatchSchema.Encoded
export type ServerItem = typeof ServerItemSchema.Encoded
export type AgentRow = typeof AgentRowSchema.Encoded
export type AgentDetail = typeof AgentDetailSchema.Encoded
export type WireEvent = typeof WireEventSchema.Encoded
export type Tree = typeof TreeSchema.Encoded
export type LinkTraffic = typeof LinkTrafficSchema.Encoded
export type MetricsSample = typeof MetricsSampleSchema.Encoded
export type JobSummary = typeof JobSummarySchema.Encoded
export type JobDetail = typeof JobDetailSchema.Encoded
export type { TreeNode }

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** A command as the page writes it; the connection adds the `rid`. */
export type Command = DistributiveOmit<ClientCommand, "rid">

/** What the console's WebSocket path is (protocol.ts's CONSOLE_WS_PATH; a value import would bundle the server's modules). */
export const CONSOLE_WS_PATH = "/console/ws"
