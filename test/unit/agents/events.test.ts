import { describe, expect, it } from "@effect/vitest"
import { Either, Option, Schema } from "effect"
import {
  decodeVideoSwarmEvent,
  DeviceBreakerOpenedEvent,
  ShotPickedEvent,
  StageStartedEvent,
  VideoSwarmEvent
} from "../../../agents/index.ts"
import { HeartbeatEvent, SpawnedEvent, type SwarmEvent } from "../../../runtime/index.ts"

const stored = (event: Omit<SwarmEvent, "id" | "ts">): SwarmEvent => ({ id: 7, ts: 1_000, ...event })

describe("the swarm's events", () => {
  it("are built by typed constructors in the stored shape { type, agent, job, ts, data }", () => {
    expect(StageStartedEvent.make({ stage: "render", attempt: 2 }, { job: "job-1" })).toEqual({
      type: "stage-started",
      job: "job-1",
      data: { stage: "render", attempt: 2 }
    })
    expect(HeartbeatEvent.make({}, { agent: "renderer", ts: 42 })).toEqual({ type: "heartbeat", agent: "renderer", ts: 42, data: {} })
    // @ts-expect-error a stage that is not one of the workflow's
    StageStartedEvent.make({ stage: "encode", attempt: 1 })
    // @ts-expect-error a misspelt data field
    DeviceBreakerOpenedEvent.make({ agent: "encoder-0", device: "h264_nvenc", fallback: "libx264", failure: 2, until: 0 })
  })

  it("decode through one union, narrowed by type; an unknown type or data that does not fit its kind is none", () => {
    const pick = stored(ShotPickedEvent.make(
      {
        scene: 0,
        clip: "lib/life.mp4",
        score: { text: 1, orientationFit: 1, durationFit: 1, total: 3 },
        round: 1,
        reasons: ["tags: life"]
      },
      { agent: "shot-matcher", job: "job-1" }
    ))
    const decoded = Option.getOrThrow(decodeVideoSwarmEvent(pick))
    expect(decoded.type === "shot-picked" && decoded.data.clip).toBe("lib/life.mp4")
    expect(Option.getOrThrow(decodeVideoSwarmEvent(stored(SpawnedEvent.make({ supervisor: "root", kind: "agent" }, { agent: "a" })))).type)
      .toBe("spawned")

    expect(decodeVideoSwarmEvent(stored({ type: "stage-started", job: "job-1", data: { stage: "scripts", attempt: 1 } }))).toEqual(
      Option.none()
    )
    expect(decodeVideoSwarmEvent(stored({ type: "note", data: { n: 1 } }))).toEqual(Option.none())
    // Strictly, a field the kind does not define is refused too (the end-to-end test decodes the real log this way).
    const extra = stored({ type: "stage-finished", job: "job-1", data: { stage: "plan", seconds: 1, extra: true } })
    expect(Either.isLeft(Schema.decodeUnknownEither(VideoSwarmEvent, { onExcessProperty: "error" })(extra))).toBe(true)
  })
})
