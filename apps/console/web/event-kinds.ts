/**
 * What the console makes of an event's type: the family it is coloured by, and whether it is an
 * agent failing (the graph flashes the agent, the table marks its row).
 */
import type { WireEvent } from "./wire.ts"

type EventFamily = "lifecycle" | "failure" | "job" | "render" | "health" | "metrics" | "other"

const FAMILIES: Record<string, EventFamily> = {
  spawned: "lifecycle",
  restarted: "lifecycle",
  stopped: "lifecycle",
  "restart-failed": "failure",
  escalated: "failure",
  "dead-letter": "failure",
  "events-dropped": "failure",
  "stage-started": "job",
  "stage-finished": "job",
  "stage-failed": "failure",
  "shot-picked": "job",
  "footage-warning": "job",
  "render-started": "render",
  "render-finished": "render",
  "render-failed": "failure",
  "render-reused": "render",
  "render-eta": "render",
  "part-encoded": "render",
  "encode-progress": "render",
  "encode-retry": "render",
  "work-requeued": "render",
  "lease-expired": "failure",
  "work-ignored": "render",
  "device-breaker-opened": "failure",
  "device-breaker-trial": "render",
  "device-breaker-closed": "render",
  heartbeat: "health",
  "agent-stale": "failure",
  "agent-alive": "health",
  metrics: "metrics"
}

const dataField = (event: WireEvent, key: string): unknown => (event.data === undefined ? undefined : event.data[key])

/** A failure restarts or stops an agent with reason `crashed`; restarts on request, with a sibling, and shutdowns are not failures. */
export const isCrash = (event: WireEvent): boolean =>
  (event.type === "restarted" || event.type === "stopped") ? dataField(event, "reason") === "crashed" : event.type === "restart-failed"

export const familyOf = (event: WireEvent): EventFamily => (isCrash(event) ? "failure" : FAMILIES[event.type] ?? "other")
