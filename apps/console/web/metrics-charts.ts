/// <reference lib="dom" />
/**
 * CPU, memory and GPU over the last ten minutes (uPlot), fed by the monitor's samples: the
 * history in `hello`, then one sample every couple of seconds.
 */
import uPlot from "uplot"
import { el, setText } from "./dom.ts"
import { bytes } from "./format.ts"
import type { MetricsSample } from "./wire.ts"

const WINDOW_MS = 10 * 60 * 1000
const HEIGHT = 150
const GIB = 1024 ** 3

const AXIS = {
  stroke: "#8b949e",
  grid: { stroke: "#21262d", width: 1 },
  ticks: { stroke: "#30363d", width: 1 },
  font: "11px ui-sans-serif, system-ui"
}
const COLORS = ["#58a6ff", "#3fb950", "#d29922", "#bc8cff", "#f778ba", "#39c5cf"] as const
const color = (i: number): string => COLORS[i % COLORS.length]!

interface Chart {
  readonly plot: uPlot
  readonly value: HTMLElement
  readonly host: HTMLElement
}

const percentAxis = { ...AXIS, values: (_: uPlot, ticks: Array<number>) => ticks.map((t) => `${t}%`), size: 46 }

export class MetricsCharts {
  readonly element: HTMLElement
  private samples: Array<MetricsSample> = []
  private readonly cpu: Chart
  private readonly memory: Chart
  private gpu: Chart
  private gpuCount = -1

  constructor() {
    const timeAxis = { ...AXIS, space: 60 }
    this.cpu = this.chart("CPU", "metrics-cpu", {
      series: [{}, {
        label: "load",
        stroke: color(0),
        fill: "rgba(88,166,255,0.15)",
        width: 1.5,
        value: (_, v) => v == null ? "–" : `${v.toFixed(1)}%`
      }],
      axes: [timeAxis, percentAxis],
      scales: { x: { time: true }, y: { range: [0, 100] } }
    })
    this.memory = this.chart("Memory", "metrics-memory", {
      series: [
        {},
        {
          label: "used",
          stroke: color(1),
          fill: "rgba(63,185,80,0.12)",
          width: 1.5,
          value: (_, v) => v == null ? "–" : `${v.toFixed(2)} GiB`
        },
        { label: "reelswarm", stroke: color(3), width: 1.5, value: (_, v) => v == null ? "–" : `${v.toFixed(2)} GiB` }
      ],
      axes: [timeAxis, { ...AXIS, size: 52, values: (_: uPlot, ticks: Array<number>) => ticks.map((t) => `${+t.toFixed(1)} G`) }],
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, this.totalGib(), max)] } }
    })
    this.gpu = this.gpuChart(0)
    this.element = el("section", { class: "charts", "data-testid": "metrics" }, this.cpu.host, this.memory.host, this.gpu.host)
    new ResizeObserver(() => this.resize()).observe(this.element)
  }

  reset(samples: ReadonlyArray<MetricsSample>): void {
    this.samples = [...samples].sort((a, b) => a.ts - b.ts)
    this.redraw()
  }

  push(sample: MetricsSample): void {
    this.samples.push(sample)
    this.redraw()
  }

  resize(): void {
    for (const chart of [this.cpu, this.memory, this.gpu]) {
      const width = Math.max(200, chart.host.clientWidth - 24)
      if (chart.plot.width !== width) chart.plot.setSize({ width, height: HEIGHT })
    }
  }

  private totalGib(): number {
    return (this.samples.at(-1)?.memory.totalBytes ?? 0) / GIB
  }

  private chart(title: string, testId: string, options: Omit<uPlot.Options, "width" | "height">): Chart {
    const value = el("span", { class: "chart-value", "data-testid": `${testId}-value` }, "–")
    const body = el("div", { class: "chart-body" })
    const host = el("div", { class: "card chart", "data-testid": testId }, el("header", {}, el("h3", {}, title), value), body)
    const plot = new uPlot(
      { width: 400, height: HEIGHT, legend: { show: true, live: false }, cursor: { drag: { x: false, y: false } }, ...options },
      [[]],
      body
    )
    return { plot, value, host }
  }

  private gpuChart(count: number): Chart {
    const series: Array<uPlot.Series> = [{}]
    for (let i = 0; i < count; i++) {
      series.push({ label: `GPU ${i} busy`, stroke: color(i * 2), width: 1.5, value: (_, v) => v == null ? "–" : `${v.toFixed(0)}%` })
      series.push({
        label: `GPU ${i} memory`,
        stroke: color(i * 2 + 1),
        dash: [4, 3],
        width: 1.2,
        value: (_, v) => v == null ? "–" : `${v.toFixed(0)}%`
      })
    }
    return this.chart("GPU", "metrics-gpu", {
      series,
      axes: [{ ...AXIS, space: 60 }, percentAxis],
      scales: { x: { time: true }, y: { range: [0, 100] } }
    })
  }

  private redraw(): void {
    const latest = this.samples.at(-1)
    if (latest === undefined) return
    const from = latest.ts - WINDOW_MS
    const first = this.samples.findIndex((s) => s.ts >= from)
    if (first > 0) this.samples.splice(0, first)
    const s = this.samples
    const xs = s.map((m) => m.ts / 1000)
    this.cpu.plot.setData([xs, s.map((m) => m.cpu.loadPct)])
    setText(this.cpu.value, `${latest.cpu.loadPct.toFixed(0)}% of ${latest.cpu.cores} cores`)
    this.memory.plot.setData([xs, s.map((m) => m.memory.usedBytes / GIB), s.map((m) => m.process.rssBytes / GIB)])
    setText(
      this.memory.value,
      `${bytes(latest.memory.usedBytes)} of ${bytes(latest.memory.totalBytes)} (${latest.memory.usedPct.toFixed(0)}%)`
    )
    const gpus = latest.gpus.length
    if (gpus !== this.gpuCount) {
      this.gpuCount = gpus
      this.gpu.plot.destroy()
      const next = this.gpuChart(gpus)
      this.gpu.host.replaceWith(next.host)
      this.gpu = next
      this.resize()
    }
    const data: uPlot.AlignedData = [xs]
    for (let i = 0; i < gpus; i++) {
      data.push(s.map((m) => m.gpus[i]?.utilizationPct ?? null))
      data.push(s.map((m) => {
        const g = m.gpus[i]
        return g?.memoryUsedMb != null && g.memoryTotalMb != null && g.memoryTotalMb > 0 ? (g.memoryUsedMb / g.memoryTotalMb) * 100 : null
      }))
    }
    this.gpu.plot.setData(data)
    setText(
      this.gpu.value,
      gpus === 0 ? "none reported" : latest.gpus.map((g) => {
        const busy = g.utilizationPct === null ? "busy n/a" : `${g.utilizationPct.toFixed(0)}% busy`
        const memory = g.memoryUsedMb !== null && g.memoryTotalMb !== null
          ? ` · ${bytes(g.memoryUsedMb * 1024 ** 2)} of ${bytes(g.memoryTotalMb * 1024 ** 2)}`
          : ""
        return `${g.model || g.vendor}: ${busy}${memory}`
      }).join("; ")
    )
    this.gpu.host.classList.toggle("empty", gpus === 0)
  }
}
