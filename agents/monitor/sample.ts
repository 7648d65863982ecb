/**
 * One metrics sample of the machine: CPU load, memory, this process, and GPUs where the driver
 * reports them (systeminformation; utilisation comes from nvidia-smi on NVIDIA). Cheap enough for
 * every 2 s: graphics controllers are probed once, and re-queried on later samples only when a
 * controller reports live figures (otherwise the list cannot change and the probe costs a process).
 * CPU load comes from the kernel's per-core counters (os.cpus()): systeminformation's currentLoad
 * runs a shell synchronously on Linux, which blocks the event loop at every sample.
 */
import { Clock, Context, Effect, Layer, Schema } from "effect"
import { cpus } from "node:os"
import si from "systeminformation"

export const GpuSample = Schema.Struct({
  index: Schema.Int,
  vendor: Schema.String,
  model: Schema.String,
  /** Percent busy; null where the driver does not say (most non-NVIDIA GPUs, containers). */
  utilizationPct: Schema.NullOr(Schema.Number),
  memoryUsedMb: Schema.NullOr(Schema.Number),
  memoryTotalMb: Schema.NullOr(Schema.Number),
  temperatureC: Schema.NullOr(Schema.Number)
})
export type GpuSample = typeof GpuSample.Type

export const MetricsSample = Schema.Struct({
  ts: Schema.Number,
  cpu: Schema.Struct({
    /** Whole-machine load, percent of all cores, since the previous sample. */
    loadPct: Schema.Number,
    cores: Schema.Int,
    perCorePct: Schema.Array(Schema.Number)
  }),
  memory: Schema.Struct({
    totalBytes: Schema.Number,
    /** In use by programs (not counting reclaimable buffers and cache). */
    usedBytes: Schema.Number,
    availableBytes: Schema.Number,
    usedPct: Schema.Number
  }),
  process: Schema.Struct({ rssBytes: Schema.Number, heapUsedBytes: Schema.Number }),
  gpus: Schema.Array(GpuSample)
})
export type MetricsSample = typeof MetricsSample.Type

export class SampleError extends Schema.TaggedError<SampleError>()("SampleError", {
  probe: Schema.Literal("cpu", "memory", "graphics"),
  message: Schema.String
}) {}

export interface SystemSamplerService {
  readonly sample: Effect.Effect<MetricsSample, SampleError>
}

export class SystemSampler extends Context.Tag("reelswarm/agents/monitor/SystemSampler")<SystemSampler, SystemSamplerService>() {}

const probe = <A>(name: SampleError["probe"], run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (cause) => new SampleError({ probe: name, message: `systeminformation ${name} probe failed: ${String(cause)}` })
  })

const round1 = (value: number) => Math.round(value * 10) / 10
const orNull = (value: number | null | undefined) => (typeof value === "number" && Number.isFinite(value) ? value : null)

const gpusOf = (graphics: si.Systeminformation.GraphicsData): ReadonlyArray<GpuSample> =>
  graphics.controllers.map((controller, index) => ({
    index,
    vendor: controller.vendor,
    model: controller.model,
    utilizationPct: orNull(controller.utilizationGpu),
    memoryUsedMb: orNull(controller.memoryUsed),
    memoryTotalMb: orNull(controller.memoryTotal ?? controller.vram),
    temperatureC: orNull(controller.temperatureGpu)
  }))

interface CpuTimes {
  readonly idle: number
  readonly total: number
}

const cpuTimes = (): ReadonlyArray<CpuTimes> =>
  cpus().map(({ times }) => ({ idle: times.idle, total: times.user + times.nice + times.sys + times.idle + times.irq }))

const busyPct = (now: CpuTimes, before: CpuTimes | undefined) => {
  const total = now.total - (before?.total ?? 0)
  return total > 0 ? (1 - (now.idle - (before?.idle ?? 0)) / total) * 100 : 0
}

/** CPU load since the previous call (the first call: since the sampler was made). */
const cpuMeter = () => {
  let previous = cpuTimes()
  return () => {
    const now = cpuTimes()
    const perCorePct = now.map((core, i) => round1(busyPct(core, previous[i])))
    const sum = (times: ReadonlyArray<CpuTimes>) =>
      times.reduce((a, t) => ({ idle: a.idle + t.idle, total: a.total + t.total }), { idle: 0, total: 0 })
    const loadPct = round1(busyPct(sum(now), now.length === previous.length ? sum(previous) : undefined))
    previous = now
    return { loadPct, cores: now.length, perCorePct }
  }
}

/**
 * A sampler. Creating it returns at once: the first CPU reading is taken (load is measured between
 * two readings) and the graphics probe runs in the background; the first sample waits for it.
 */
export const make: Effect.Effect<SystemSamplerService> = Effect.gen(function*() {
  const cpuLoad = cpuMeter()
  const firstProbe = yield* Effect.cached(
    Effect.gen(function*() {
      const firstGpus = gpusOf(yield* probe("graphics", () => si.graphics()))
      return { firstGpus, liveGpus: firstGpus.some((gpu) => gpu.utilizationPct !== null) }
    })
  )
  yield* Effect.forkDaemon(firstProbe)

  const sample = Effect.gen(function*() {
    const { firstGpus, liveGpus } = yield* firstProbe
    const [cpu, memory, gpus] = yield* Effect.all(
      [
        probe("cpu", async () => cpuLoad()),
        probe("memory", () => si.mem()),
        liveGpus ? Effect.map(probe("graphics", () => si.graphics()), gpusOf) : Effect.succeed(firstGpus)
      ],
      { concurrency: "unbounded" }
    )
    const usage = process.memoryUsage()
    const usedBytes = memory.total - memory.available
    return {
      ts: yield* Clock.currentTimeMillis,
      cpu,
      memory: {
        totalBytes: memory.total,
        usedBytes,
        availableBytes: memory.available,
        usedPct: memory.total > 0 ? round1((usedBytes / memory.total) * 100) : 0
      },
      process: { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed },
      gpus
    } satisfies MetricsSample
  }).pipe(Effect.withSpan("monitor.sample"))

  return { sample }
})

export const layer: Layer.Layer<SystemSampler> = Layer.effect(SystemSampler, make)
