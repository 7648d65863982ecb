/**
 * `segments: auto` in a job request is the segment count media's layout picks for the machine, and
 * every face reads it from the same field: a number, a number as text (a flag, the environment), or
 * `auto`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { autoSegments, JobOptions } from "../../../apps/host/job-request.ts"
import { chooseSegmentLayout } from "../../../media/index.ts"

const GiB = 1024 ** 3

describe("segments auto", () => {
  it("is the segment count media's layout picks, for any number of cores and any memory", () => {
    for (const cores of [1, 2, 3, 8, 9, 12, 16, 24, 32, 64, 128]) {
      for (const memoryBytes of [1, 2, 3, 5.9, 6, 8, 16, 24, 64, 1024].map((g) => g * GiB)) {
        expect(autoSegments(cores, memoryBytes), `${cores} cores, ${memoryBytes / GiB} GiB`).toBe(
          chooseSegmentLayout({ cores, memoryBytes }).segments
        )
      }
    }
    expect([1, 2, 8, 16, 24, 64].map((cores) => autoSegments(cores, 1024 * GiB))).toEqual([1, 2, 2, 2, 3, 8])
    // a small machine: one encode at a time where two would not fit a quarter of the memory
    expect(autoSegments(4, 4 * GiB)).toBe(1)
  })

  it("is the default, and a request may say auto, a number or a number as text", () => {
    const decode = (segments?: unknown) => Schema.decodeUnknownEither(JobOptions)(segments === undefined ? {} : { segments })
    expect(Either.getOrThrow(decode()).segments).toBe(autoSegments())
    expect(Either.getOrThrow(decode("auto")).segments).toBe(autoSegments())
    expect(Either.getOrThrow(decode(3)).segments).toBe(3)
    expect(Either.getOrThrow(decode("2")).segments).toBe(2)
    for (const wrong of [0, 65, 1.5, "many"]) expect(Either.isLeft(decode(wrong))).toBe(true)
  })
})
