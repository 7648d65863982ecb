/// <reference lib="dom" />
/**
 * A job's stages on one time axis, like Temporal's timeline: a bar per stage from its start to its
 * end (or now), its attempts and its last failure; under the render stage, which encoder agent
 * took each part.
 */
import { el } from "./dom.ts"
import { duration } from "./format.ts"
import type { JobDetail } from "./wire.ts"

type Stage = JobDetail["stages"][number]

const TICKS = 4

export const jobTimeline = (job: JobDetail, now: number): HTMLElement => {
  const stages = [...job.stages].sort((a, b) => a.startedAt - b.startedAt)
  if (stages.length === 0) {
    return el(
      "p",
      { class: "muted", "data-testid": "job-timeline" },
      job.state === "queued" ? "Queued: no stage has started." : "No stages recorded."
    )
  }
  const start = Math.min(job.startedAt ?? Infinity, ...stages.map((s) => s.startedAt))
  const end = Math.max(job.finishedAt ?? 0, ...stages.map((s) => s.finishedAt ?? now), job.state === "running" ? now : 0)
  const span = Math.max(1, end - start)
  const at = (ts: number) => `${(((ts - start) / span) * 100).toFixed(3)}%`
  const width = (from: number, to: number) => `max(3px, ${(((to - from) / span) * 100).toFixed(3)}%)`

  const axis = el(
    "div",
    { class: "tl-row tl-axis" },
    el("span", { class: "tl-label" }),
    el(
      "div",
      { class: "tl-track" },
      ...Array.from(
        { length: TICKS + 1 },
        (_, i) => el("span", { class: "tl-tick", style: `left: ${(i / TICKS) * 100}%` }, i === 0 ? "0" : duration((span * i) / TICKS))
      )
    )
  )

  const row = (stage: Stage) => {
    const finished = stage.finishedAt ?? now
    const retries = stage.attempts - 1
    const bar = el("div", {
      class: `tl-bar tl-${stage.state}`,
      style: `left: ${at(stage.startedAt)}; width: ${width(stage.startedAt, finished)}`,
      title: `${stage.stage}: ${stage.state}, ${duration(finished - stage.startedAt)}${retries > 0 ? `, ${stage.attempts} attempts` : ""}`
    })
    return el(
      "div",
      {
        class: "tl-row",
        "data-testid": "timeline-stage",
        "data-stage": stage.stage,
        "data-state": stage.state,
        "data-attempts": stage.attempts
      },
      el("span", { class: "tl-label" }, stage.stage),
      el(
        "div",
        { class: "tl-track" },
        bar,
        el(
          "span",
          { class: "tl-text", style: `left: ${at(finished)}` },
          `${stage.state === "running" ? "running " : ""}${duration(finished - stage.startedAt)}`,
          retries > 0 ? el("span", { class: "badge badge-warn", title: stage.message ?? "" }, `${stage.attempts} attempts`) : null,
          stage.state === "failed" ? el("span", { class: "badge badge-error" }, "failed") : null
        )
      ),
      stage.message === undefined ? null : el("div", { class: "tl-message" }, stage.message)
    )
  }

  const parts = job.parts.length === 0 ?
    null :
    el(
      "div",
      { class: "tl-parts", "data-testid": "job-parts" },
      el("span", { class: "tl-label" }, "parts"),
      el(
        "div",
        { class: "parts" },
        ...job.parts.map((part) =>
          el(
            "span",
            {
              class: "part",
              "data-testid": "job-part",
              "data-agent": part.agent,
              title: `${part.kind} ${part.index}: ${part.agent} with ${part.encoder}`
            },
            el("span", { class: "part-index" }, part.kind === "single-pass" ? "single pass" : `segment ${part.index}`),
            el("span", { class: "part-agent" }, part.agent),
            el("span", { class: "part-encoder" }, part.encoder)
          )
        )
      )
    )

  const rows: Array<HTMLElement> = [axis]
  for (const stage of stages) {
    rows.push(row(stage))
    if (stage.stage === "render" && parts !== null) rows.push(parts)
  }
  if (parts !== null && !stages.some((s) => s.stage === "render")) rows.push(parts)
  return el("div", { class: "timeline", "data-testid": "job-timeline" }, ...rows)
}
