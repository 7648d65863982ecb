import { describe, expect, it } from "@effect/vitest"
import {
  EncodeProgressEvent,
  FootageWarningEvent,
  JobEtaEvent,
  LeaseExpiredEvent,
  RenderEtaEvent,
  StageFailedEvent,
  StageFinishedEvent,
  StageName,
  StageStartedEvent
} from "../../../agents/index.ts"
import { formatEta, progressView } from "../../../apps/cli/progress.ts"
import type { SwarmEvent, SwarmEventInput } from "../../../runtime/index.ts"

const output = (isTTY: boolean) => {
  const written: Array<string> = []
  return { isTTY, written, write: (text: string) => written.push(text) }
}

let nextId = 1
const stored = (event: SwarmEventInput): SwarmEvent => ({ ...event, id: nextId++, ts: event.ts ?? 0 })

/** The bar's last redraw: what a terminal shows now. */
const screen = (written: ReadonlyArray<string>) => written.at(-1)!.split("\r\x1b[2K").at(-1)!

describe("the CLI's progress", () => {
  it("on a terminal, fills the bar stage by stage through the workflow's stage list, the render by encoded frames", () => {
    const out = output(true)
    const view = progressView(out)
    const stages = StageName.literals
    for (const [i, stage] of stages.entries()) {
      view.onEvent(stored(StageStartedEvent.make({ stage, attempt: 1 }, { job: "j" })))
      expect(screen(out.written)).toContain(`  ${stage}  `)
      if (stage === "render") {
        view.onEvent(stored(EncodeProgressEvent.make({ planFile: "p", index: 0, frame: 50, frames: 100 }, { agent: "encoder-0" })))
        expect(screen(out.written)).toContain(`${String(Math.round(((i + 0.5) / stages.length) * 100)).padStart(3)}%  render 50%`)
        view.onEvent(
          stored(RenderEtaEvent.make({ planFile: "p", remainingFrames: 50, framesPerSecond: 24.6, etaSeconds: 2.1 }, { agent: "renderer" }))
        )
        expect(screen(out.written)).toContain("render 50% · ~3 s left at 25 fps")
      }
      view.onEvent(stored(StageFinishedEvent.make({ stage, seconds: 0.5 }, { job: "j" })))
    }
    expect(screen(out.written)).toMatch(/^█{24} 100% {2}report {2}/)
  })

  it("elsewhere, writes one line per step; events of unknown kinds or with data that does not fit are left out", () => {
    const out = output(false)
    const view = progressView(out)
    for (
      const event of [
        StageStartedEvent.make({ stage: "footage", attempt: 1 }, { job: "j" }),
        FootageWarningEvent.make({ file: "a.mp4", reason: "corrupt", message: "moov atom not found" }, { job: "j" }),
        { type: "stage-finished", job: "j", data: { stage: "footage", seconds: "soon" } },
        { type: "note", data: {} },
        StageStartedEvent.make({ stage: "plan", attempt: 2 }, { job: "j" }),
        StageFailedEvent.make({ stage: "plan", attempt: 2, message: "no footage" }, { job: "j" }),
        LeaseExpiredEvent.make({
          planFile: "p",
          agent: "encoder-1",
          item: { planFile: "p", kind: "segment", index: 3 },
          attempt: 1,
          ttlSeconds: 30
        }, { agent: "renderer" })
      ]
    ) view.onEvent(stored(event))
    expect(out.written).toEqual([
      "footage: started\n",
      "warning: skipped a.mp4 (corrupt): moov atom not found\n",
      "plan: started (attempt 2)\n",
      "plan: failed (attempt 2): no footage\n",
      "encode: encoder-1 made no progress on segment 3 for 30 s; handed back (attempt 1)\n"
    ])
  })

  it("says the job's ETA with the frames, the frames/s and where they came from", () => {
    expect([0.2, 45, 58.5, 60, 80, 3599, 3600, 3900].map(formatEta)).toEqual([
      "~1s",
      "~45s",
      "~59s",
      "~1m00s",
      "~1m20s",
      "~59m59s",
      "~1h00m",
      "~1h05m"
    ])
    const out = output(false)
    const view = progressView(out)
    const base = { frames: 1234, slots: 1, encoder: "libx264", width: 720, height: 1280 }
    for (
      const data of [
        { ...base, estimatedSeconds: 80, framesPerSecond: 45.2, source: "learned" as const, samples: 3 },
        { ...base, estimatedSeconds: 31, framesPerSecond: 15.4, slots: 2, source: "learned" as const, samples: 8 },
        { ...base, estimatedSeconds: 40, framesPerSecond: 7.25, source: "scaled" as const, samples: 1, scaledFrom: "1080x1920" },
        { ...base, estimatedSeconds: 95, framesPerSecond: 13, source: "default" as const, samples: 0 }
      ]
    ) view.onEvent(stored(JobEtaEvent.make(data, { job: "j" })))
    expect(out.written).toEqual([
      "ETA ~1m20s (from 1,234 frames at 45 fps learned on libx264)\n",
      "ETA ~31s (from 1,234 frames at 2 × 15 fps learned on libx264)\n",
      "ETA ~40s (from 1,234 frames at 7.3 fps learned on libx264 at 1080x1920, scaled to 720x1280)\n",
      "ETA ~1m35s, estimate (no history): 1,234 frames at 13 fps assumed for libx264\n"
    ])
  })
})
