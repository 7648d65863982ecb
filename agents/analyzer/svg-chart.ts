/**
 * A small line chart as SVG inlined in HTML (no script, no external file): series over a shared time axis,
 * shaded intervals behind them and vertical marks (cuts). Every text that goes in is escaped.
 */

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

export interface ChartSeries {
  readonly name: string
  readonly colour: string
  /** [time, value]; a null value breaks the line (e.g. silence below the loudness gate). */
  readonly points: ReadonlyArray<readonly [number, number | null]>
}

export interface ChartOptions {
  readonly title: string
  readonly unit: string
  readonly duration: number
  readonly series: ReadonlyArray<ChartSeries>
  readonly bands?: ReadonlyArray<{ readonly start: number; readonly end: number; readonly colour: string; readonly label: string }>
  readonly marks?: ReadonlyArray<number>
  readonly width?: number
  readonly height?: number
}

const fmt = (n: number) => String(Math.round(n * 10) / 10)

/** The chart's `<svg>` element. */
export const lineChart = (chart: ChartOptions): string => {
  const width = chart.width ?? 900
  const height = chart.height ?? 160
  const left = 48
  const right = 8
  const top = 18
  const bottom = 20
  const values = chart.series.flatMap((s) => s.points.flatMap(([, v]) => (v === null ? [] : [v])))
  const low = values.length === 0 ? 0 : Math.min(...values)
  const high = values.length === 0 ? 1 : Math.max(...values)
  const span = high - low || 1
  const duration = chart.duration || 1
  const x = (t: number) => left + (t / duration) * (width - left - right)
  const y = (v: number) => top + (1 - (v - low) / span) * (height - top - bottom)
  const bands = (chart.bands ?? []).map((b) =>
    `<rect x="${fmt(x(b.start))}" y="${top}" width="${fmt(Math.max(1, x(b.end) - x(b.start)))}" height="${height - top - bottom}" ` +
    `fill="${escapeHtml(b.colour)}" opacity="0.25"><title>${escapeHtml(b.label)}</title></rect>`
  )
  const marks = (chart.marks ?? []).map((t) =>
    `<line x1="${fmt(x(t))}" x2="${fmt(x(t))}" y1="${top}" y2="${height - bottom}" stroke="#999" stroke-dasharray="2 2"/>`
  )
  const lines = chart.series.map((s) => {
    const runs: Array<Array<string>> = [[]]
    for (const [t, v] of s.points) {
      if (v === null) runs.push([])
      else runs.at(-1)!.push(`${fmt(x(t))},${fmt(y(v))}`)
    }
    return runs.filter((r) => r.length > 0).map((r) =>
      `<polyline fill="none" stroke="${escapeHtml(s.colour)}" stroke-width="1.5" points="${r.join(" ")}"><title>${
        escapeHtml(s.name)
      }</title></polyline>`
    ).join("")
  })
  const legend = chart.series.map((s, i) =>
    `<text x="${left + 240 + i * 120}" y="12" fill="${escapeHtml(s.colour)}">${escapeHtml(s.name)}</text>`
  )
  return [
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(chart.title)}">`,
    `<text x="${left}" y="12" font-weight="bold">${escapeHtml(chart.title)}</text>`,
    ...legend,
    `<text x="4" y="${top + 8}">${fmt(high)}</text><text x="4" y="${height - bottom}">${fmt(low)}</text>`,
    `<text x="4" y="${height - 4}">${escapeHtml(chart.unit)}</text>`,
    `<text x="${width - right - 40}" y="${height - 4}">${fmt(chart.duration)} s</text>`,
    `<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#ccc"/>`,
    ...bands,
    ...marks,
    ...lines,
    "</svg>"
  ].join("")
}
