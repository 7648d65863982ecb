/**
 * Shows a job's progress from the swarm's events: a redrawn bar on a terminal, one plain line per
 * step otherwise (logs, CI). Everything goes to stderr so `--json` output stays clean on stdout.
 */
import { Effect, Stream } from "effect"
import type { SwarmEvent } from "../../runtime/index.ts"

/** The workflow's stages in order (agents/production/job.ts StageName). */
const STAGES = ["script", "narration", "scenes", "footage", "shots", "fetch", "plan", "render", "report"] as const

export interface ProgressView {
  readonly onEvent: (event: SwarmEvent) => void
  readonly finish: () => void
}

const field = (event: SwarmEvent, key: string): unknown => event.data?.[key]
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined)
const str = (v: unknown) => (typeof v === "string" ? v : undefined)

/** A one-line description of the events worth a line of their own; undefined for the rest. */
export const describe = (event: SwarmEvent): string | undefined => {
  switch (event.type) {
    case "stage-started":
      return `${str(field(event, "stage"))}: started${(num(field(event, "attempt")) ?? 1) > 1 ? ` (attempt ${field(event, "attempt")})` : ""}`
    case "stage-finished":
      return `${str(field(event, "stage"))}: done in ${(num(field(event, "seconds")) ?? 0).toFixed(2)} s`
    case "footage-warning":
      return `warning: skipped ${str(field(event, "file")) ?? "a file"} (${str(field(event, "reason")) ?? "unusable"}): ${str(field(event, "message")) ?? ""}`
    case "encode-retry":
      return `encode: segment ${JSON.stringify(field(event, "item"))} failed on ${str(field(event, "failedOn"))}, retrying: ${str(field(event, "message"))}`
    case "device-breaker-opened":
      return `encode: ${str(field(event, "device"))} failed ${num(field(event, "failures"))} times on ${str(field(event, "agent")) ?? "a slot"}; using ${str(field(event, "fallback"))} for a while`
    case "render-reused":
      return "render: unchanged, reusing the finished output"
    case "restarted":
      return `agent ${event.agent} restarted`
    case "escalated":
      return `agent ${event.agent} escalated: ${JSON.stringify(event.data ?? {})}`
    default:
      return undefined
  }
}

const plainView = (write: (line: string) => void): ProgressView => ({
  onEvent: (event) => {
    const line = describe(event)
    if (line !== undefined) write(line)
  },
  finish: () => {}
})

const BAR_WIDTH = 24

const ttyView = (stream: NodeJS.WriteStream): ProgressView => {
  const started = Date.now()
  let stage = "starting"
  let done = 0
  let encoded: number | undefined
  const draw = () => {
    // Stage steps, with the render step filled in by encoded frames when the encoders report them.
    const fraction = Math.min(1, (done + (stage === "render" && encoded !== undefined ? encoded : 0)) / STAGES.length)
    const filled = Math.round(fraction * BAR_WIDTH)
    const bar = "█".repeat(filled) + "░".repeat(BAR_WIDTH - filled)
    const detail = stage === "render" && encoded !== undefined ? ` ${Math.round(encoded * 100)}%` : ""
    const elapsed = ((Date.now() - started) / 1000).toFixed(1)
    stream.write(`\r\x1b[2K${bar} ${String(Math.round(fraction * 100)).padStart(3)}%  ${stage}${detail}  ${elapsed}s`)
  }
  return {
    onEvent: (event) => {
      if (event.type === "stage-started") {
        stage = str(field(event, "stage")) ?? stage
        encoded = undefined
      } else if (event.type === "stage-finished") {
        done = Math.min(STAGES.length, done + 1)
      } else if (event.type === "encode-progress") {
        const frame = num(field(event, "frame"))
        const frames = num(field(event, "frames"))
        if (frame !== undefined && frames !== undefined && frames > 0) encoded = frame / frames
      } else {
        const line = describe(event)
        if (line !== undefined) stream.write(`\r\x1b[2K${line}\n`)
      }
      draw()
    },
    finish: () => stream.write("\r\x1b[2K")
  }
}

export const progressView = (stream: NodeJS.WriteStream = process.stderr): ProgressView =>
  stream.isTTY ? ttyView(stream) : plainView((line) => stream.write(line + "\n"))

/** Feeds live events to the view until the surrounding scope closes. */
export const showProgress = (live: Stream.Stream<SwarmEvent>, view: ProgressView) =>
  Stream.runForEach(live, (event) => Effect.sync(() => view.onEvent(event))).pipe(
    Effect.ensuring(Effect.sync(() => view.finish())),
    Effect.forkScoped
  )
