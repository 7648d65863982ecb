/**
 * The analysis as one self-contained HTML page: inline CSS, inline SVG charts, thumbnails as
 * data: URIs, no script and nothing fetched. Per file: a summary, a strip with one thumbnail per
 * shot (its time, colours and the words read on it), the loudness, SI/TI and brightness curves
 * (cuts dashed, black, frozen and silent intervals shaded) and the intervals found. Every string
 * that came from a file (its name, the words read) is HTML-escaped.
 */
import { Effect } from "effect"
import { join } from "node:path"
import { type AnalysisReport, mediaFileSystem } from "../../media/index.ts"
import { type CachedAnalysis, thumbnailName } from "./analysis-cache.ts"
import { escapeHtml, lineChart } from "./svg-chart.ts"

export interface PageEntry {
  readonly report: AnalysisReport
  /** Shot index → `data:image/jpeg;base64,…`. */
  readonly thumbnails: ReadonlyMap<number, string>
}

/** The thumbnails of a cached analysis as data: URIs (a missing one is left out). */
export const readThumbnails = (analysis: CachedAnalysis): Effect.Effect<PageEntry> =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const thumbnails = new Map<number, string>()
    for (const shot of analysis.report.shots) {
      if (shot.thumbnailTime === undefined) continue
      const bytes = yield* Effect.option(fs.readFile(join(analysis.thumbnails, thumbnailName(shot.index))))
      if (bytes._tag === "Some") thumbnails.set(shot.index, `data:image/jpeg;base64,${Buffer.from(bytes.value).toString("base64")}`)
    }
    return { report: analysis.report, thumbnails }
  })

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px}h2{font-size:16px;margin-top:32px;word-break:break-all}
.summary{color:#555}.strip{display:flex;gap:8px;overflow-x:auto;padding:8px 0}
figure{margin:0;flex:0 0 auto;width:192px;background:#fff;border:1px solid #ddd;border-radius:4px;padding:4px}
figure img,.blank{width:100%;display:block;aspect-ratio:16/9;object-fit:cover;background:#eee}
figcaption{font-size:12px}.swatch{display:inline-block;width:14px;height:14px;margin-right:2px;border:1px solid #0002;vertical-align:middle}
.words{color:#036}table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
`

const f1 = (n: number | null) => (n === null ? "–" : (Math.round(n * 10) / 10).toFixed(1))
const t2 = (n: number) => n.toFixed(2)

const shotFigure = (entry: PageEntry, index: number) => {
  const shot = entry.report.shots[index]!
  const src = entry.thumbnails.get(index)
  const image = src === undefined ? "<div class=\"blank\"></div>" : `<img alt="shot ${index + 1}" src="${escapeHtml(src)}">`
  const swatches = shot.colours.map((c) =>
    `<span class="swatch" title="${escapeHtml(c.hex)} ${Math.round(c.share * 100)}%" style="background:${escapeHtml(c.hex)}"></span>`
  ).join("")
  const words = shot.text.length === 0 ? "" : `<div class="words">${escapeHtml(shot.text.join(" "))}</div>`
  return `<figure>${image}<figcaption>#${index + 1} ${t2(shot.start)}–${t2(shot.end)} s · Y ${f1(shot.brightness)} · SI ${
    f1(shot.si.mean)
  } · TI ${f1(shot.ti.mean)}<div>${swatches}</div>${words}</figcaption></figure>`
}

const intervalRows = (name: string, spans: ReadonlyArray<{ readonly start: number; readonly end: number }>, extra = (_: number) => "") =>
  spans.map((s, i) => `<tr><td>${name}</td><td>${t2(s.start)}</td><td>${t2(s.end)}</td><td>${extra(i)}</td></tr>`).join("")

const fileSection = (entry: PageEntry) => {
  const r = entry.report
  const bands = [
    ...r.black.map((s) => ({ ...s, colour: "#000", label: "black" })),
    ...r.frozen.map((s) => ({ ...s, colour: "#06c", label: "frozen" })),
    ...r.silences.map((s) => ({ ...s, colour: "#c60", label: "silence" }))
  ]
  const marks = r.cuts.map((c) => c.time)
  const charts = [
    lineChart({
      title: "Loudness",
      unit: "LUFS",
      duration: r.duration,
      bands,
      marks,
      series: [
        { name: "momentary", colour: "#c33", points: r.loudness.curve.map((p) => [p.time, p.momentary] as const) },
        { name: "short-term", colour: "#339", points: r.loudness.curve.map((p) => [p.time, p.shortTerm] as const) }
      ]
    }),
    lineChart({
      title: "Detail and motion",
      unit: "SI / TI",
      duration: r.duration,
      bands,
      marks,
      series: [
        { name: "SI", colour: "#393", points: r.signal.map((p) => [p.time, p.si] as const) },
        { name: "TI", colour: "#939", points: r.signal.map((p) => [p.time, p.ti] as const) }
      ]
    }),
    lineChart({
      title: "Brightness and saturation",
      unit: "8-bit",
      duration: r.duration,
      bands,
      marks,
      series: [
        { name: "brightness", colour: "#a80", points: r.signal.map((p) => [p.time, p.brightness] as const) },
        { name: "saturation", colour: "#08a", points: r.signal.map((p) => [p.time, p.saturation] as const) }
      ]
    })
  ]
  const summary = `${t2(r.duration)} s · ${r.size.width}x${r.size.height} · ${t2(r.fps)} fps · ${r.shots.length} shots · ` +
    `${f1(r.loudness.integrated)} LUFS, LRA ${f1(r.loudness.lra)} LU, true peak ${f1(r.loudness.truePeak)} dBTP · ` +
    `A/V offset ${r.avOffsetMs ?? "–"} ms${r.avSync === null ? "" : ` (measured ${r.avSync.offsetMs} ms over ${r.avSync.pairs} flashes)`}` +
    (r.cached ? " · from the cache" : "")
  const rows = intervalRows("black", r.black) + intervalRows("frozen", r.frozen) +
    intervalRows("flash", r.flashes, (i) => `badness ${f1(r.flashes[i]!.peakBadness)}`) + intervalRows("silence", r.silences)
  const text = r.text.map((s) => `<tr><td>${t2(s.time)}</td><td>${escapeHtml(s.words.map((w) => w.text).join(" "))}</td></tr>`).join("")
  return [
    `<section><h2>${escapeHtml(r.file)}</h2><p class="summary">${escapeHtml(summary)}</p>`,
    `<div class="strip">${r.shots.map((_, i) => shotFigure(entry, i)).join("")}</div>`,
    ...charts,
    rows === "" ? "" : `<table><tr><th>interval</th><th>start</th><th>end</th><th></th></tr>${rows}</table>`,
    text === "" ? "" : `<h3>On-screen text</h3><table><tr><th>time</th><th>words</th></tr>${text}</table>`,
    "</section>"
  ].join("\n")
}

/** The page for one run of `analyze`: one section per file. */
export const analysisPage = (entries: ReadonlyArray<PageEntry>): string =>
  [
    "<!doctype html>",
    "<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">",
    `<title>reelswarm analysis: ${escapeHtml(entries.map((e) => e.report.file.split("/").at(-1) ?? "").join(", "))}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>reelswarm analysis</h1>`,
    ...entries.map(fileSection),
    "</body></html>",
    ""
  ].join("\n")
