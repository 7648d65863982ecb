/**
 * Shows a job's progress from the swarm's events: a redrawn bar on a terminal, one plain line per
 * step otherwise (logs, CI). Everything goes to stderr so `--json` output stays clean on stdout.
 * Events are read through the swarm's event union: one of an unknown kind, or whose data does not
 * fit its kind, is not shown.
 */
import { Effect, Option, Stream } from "effect"
import { decodeVideoSwarmEvent, StageName, type VideoSwarmEvent } from "../../agents/index.ts"
import type { SwarmEvent } from "../../runtime/index.ts"

export interface ProgressView {
  readonly onEvent: (event: SwarmEvent) => void
  readonly finish: () => void
}

/** Where a view writes: a terminal (redrawn bar) or anything else (plain lines). */
export interface ProgressOutput {
  readonly isTTY?: boolean | undefined
  readonly write: (text: string) => unknown
}

/** Seconds as a user reads an ETA: `~45s`, `~1m20s`, `~1h05m`. */
export const formatEta = (seconds: number): string => {
  const s = Math.max(1, Math.ceil(seconds))
  if (s < 60) return `~${s}s`
  if (s < 3600) return `~${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
  return `~${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`
}

const fpsText = (fps: number) => (fps >= 10 ? String(Math.round(fps)) : fps.toFixed(1))

/** The job's ETA line: what it expects, from how many frames at what speed, and where that speed came from. */
const etaLine = (eta: Extract<VideoSwarmEvent, { type: "job-eta" }>["data"]) => {
  const frames = `${eta.frames.toLocaleString("en-US")} frames`
  const speed = `${eta.slots > 1 ? `${eta.slots} × ` : ""}${fpsText(eta.framesPerSecond)} fps`
  const line = `ETA ${formatEta(eta.estimatedSeconds)}`
  switch (eta.source) {
    case "learned":
      return `${line} (from ${frames} at ${speed} learned on ${eta.encoder})`
    case "scaled":
      return `${line} (from ${frames} at ${speed} learned on ${eta.encoder} at ${eta.scaledFrom}, scaled to ${eta.width}x${eta.height})`
    case "default":
      return `${line}, estimate (no history): ${frames} at ${speed} assumed for ${eta.encoder}`
  }
}

/** A one-line description of the events worth a line of their own; undefined for the rest. */
export const describe = (event: VideoSwarmEvent): string | undefined => {
  switch (event.type) {
    case "stage-started":
      return `${event.data.stage}: started${event.data.attempt > 1 ? ` (attempt ${event.data.attempt})` : ""}`
    case "stage-finished":
      return `${event.data.stage}: done in ${event.data.seconds.toFixed(2)} s`
    case "stage-failed":
      return `${event.data.stage}: failed (attempt ${event.data.attempt}): ${event.data.message}`
    case "footage-warning":
      return `warning: skipped ${event.data.file} (${event.data.reason}): ${event.data.message}`
    case "encode-retry": {
      const { item } = event.data
      const retry = item.encoder === undefined ? "retrying" : `retrying with ${item.encoder}`
      return `encode: ${item.kind} ${item.index} failed on ${event.data.failedOn}, ${retry}: ${event.data.message}`
    }
    case "device-breaker-opened":
      return `encode: ${event.data.device} failed ${event.data.failures} times on ${event.data.agent}; using ${event.data.fallback} for a while`
    case "lease-expired": {
      const { item } = event.data
      return `encode: ${event.data.agent} made no progress on ${item.kind} ${item.index} for ${event.data.ttlSeconds} s; ` +
        `handed back (attempt ${event.data.attempt})`
    }
    case "work-requeued":
      return `encode: ${event.data.item.kind} ${event.data.item.index} handed back: ${event.data.why}`
    case "job-eta":
      return etaLine(event.data)
    case "render-reused":
      return "render: unchanged, reusing the finished output"
    case "restarted":
      return `agent ${event.agent} restarted`
    case "escalated":
      return `agent ${event.agent} escalated: ${event.data.child} needed more than ${event.data.intensity} restarts in ${event.data.periodMs} ms: ${event.data.cause}`
    default:
      return undefined
  }
}

/** Feeds the view the events the union knows. */
const known = (show: (event: VideoSwarmEvent) => void) => (event: SwarmEvent) => Option.map(decodeVideoSwarmEvent(event), show)

const plainView = (output: ProgressOutput): ProgressView => ({
  onEvent: known((event) => {
    const line = describe(event)
    if (line !== undefined) output.write(line + "\n")
  }),
  finish: () => {}
})

const BAR_WIDTH = 24

const ttyView = (output: ProgressOutput): ProgressView => {
  const stages = StageName.literals
  const started = Date.now()
  let stage = "starting"
  let done = 0
  let encoded: number | undefined
  let eta: { readonly seconds: number; readonly fps: number } | undefined
  const draw = () => {
    // Stage steps, with the render step filled in by encoded frames when the encoders report them.
    const fraction = Math.min(1, (done + (stage === "render" && encoded !== undefined ? encoded : 0)) / stages.length)
    const filled = Math.round(fraction * BAR_WIDTH)
    const bar = "█".repeat(filled) + "░".repeat(BAR_WIDTH - filled)
    const percent = stage === "render" && encoded !== undefined ? ` ${Math.round(encoded * 100)}%` : ""
    const left = stage === "render" && eta !== undefined ? ` · ~${Math.ceil(eta.seconds)} s left at ${Math.round(eta.fps)} fps` : ""
    const detail = percent + left
    const elapsed = ((Date.now() - started) / 1000).toFixed(1)
    output.write(`\r\x1b[2K${bar} ${String(Math.round(fraction * 100)).padStart(3)}%  ${stage}${detail}  ${elapsed}s`)
  }
  return {
    onEvent: known((event) => {
      if (event.type === "stage-started") {
        stage = event.data.stage
        encoded = undefined
        eta = undefined
      } else if (event.type === "stage-finished") {
        done = Math.min(stages.length, done + 1)
      } else if (event.type === "render-eta") {
        eta = { seconds: event.data.etaSeconds, fps: event.data.framesPerSecond }
      } else if (event.type === "encode-progress") {
        if (event.data.frames > 0) encoded = event.data.frame / event.data.frames
      } else {
        const line = describe(event)
        if (line !== undefined) output.write(`\r\x1b[2K${line}\n`)
      }
      draw()
    }),
    finish: () => output.write("\r\x1b[2K")
  }
}

export const progressView = (output: ProgressOutput = process.stderr): ProgressView =>
  output.isTTY === true ? ttyView(output) : plainView(output)

/** Feeds live events to the view until the surrounding scope closes. */
export const showProgress = (live: Stream.Stream<SwarmEvent>, view: ProgressView) =>
  Stream.runForEach(live, (event) => Effect.sync(() => view.onEvent(event))).pipe(
    Effect.ensuring(Effect.sync(() => view.finish())),
    Effect.forkScoped
  )
