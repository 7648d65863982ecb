/**
 * One metrics sample of the machine: CPU load, memory, this process, and GPUs where the driver
 * reports them (systeminformation; utilisation comes from nvidia-smi on NVIDIA). Cheap enough for
 * every 2 s: graphics controllers are probed once, and re-queried on later samples only when a
 * controller reports live figures (otherwise the list cannot change and the probe costs a process).
 */
import { Clock, Context, Effect, Layer, Schema } from "effect"
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

/**
 * A sampler. Creating it returns at once: the first CPU reading (load is measured between two
 * readings) and the graphics probe run in the background, and the first sample waits for them.
 */
export const make: Effect.Effect<SystemSamplerService> = Effect.gen(function* () {
  const firstProbe = yield* Effect.cached(
    Effect.gen(function* () {
      yield* probe("cpu", () => si.currentLoad())
      const firstGpus = gpusOf(yield* probe("graphics", () => si.graphics()))
      return { firstGpus, liveGpus: firstGpus.some((gpu) => gpu.utilizationPct !== null) }
    })
  )
  yield* Effect.forkDaemon(firstProbe)

  const sample = Effect.gen(function* () {
    const { firstGpus, liveGpus } = yield* firstProbe
    const [load, memory, gpus] = yield* Effect.all(
      [
        probe("cpu", () => si.currentLoad()),
        probe("memory", () => si.mem()),
        liveGpus ? Effect.map(probe("graphics", () => si.graphics()), gpusOf) : Effect.succeed(firstGpus)
      ],
      { concurrency: "unbounded" }
    )
    const usage = process.memoryUsage()
    const usedBytes = memory.total - memory.available
    return {
      ts: yield* Clock.currentTimeMillis,
      cpu: { loadPct: round1(load.currentLoad), cores: load.cpus.length, perCorePct: load.cpus.map((cpu) => round1(cpu.load)) },
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
