/// <reference lib="dom" />
/**
 * Jobs: the list (newest first, live), and one job in full: progress, the stage timeline, a
 * thumbnail per scene with the shot chosen for it and why, and the finished video.
 */
import type { ConsoleConnection } from "./connection.ts"
import { append, el, replaceChildren, setText } from "./dom.ts"
import { duration, shortTime } from "./format.ts"
import { jobTimeline } from "./job-timeline.ts"
import type { Toasts } from "./toasts.ts"
import type { JobDetail, JobSummary, WireEvent } from "./wire.ts"

/** A URL of the HTTP API, carrying the page's `?token=` (a <video> or <img> cannot send a header). */
const apiUrl = (path: string): string => {
  const token = new URLSearchParams(location.search).get("token")
  return token === null ? path : `${path}?token=${encodeURIComponent(token)}`
}

const basename = (path: string) => path.split(/[\\/]/).pop() ?? path

const progressBar = (progress: number, state: string, testId?: string) => {
  const pct = Math.round(Math.max(0, Math.min(1, progress)) * 100)
  return el(
    "div",
    {
      class: `progress progress-${state}`,
      role: "progressbar",
      "aria-valuenow": pct,
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "data-testid": testId
    },
    el("div", { class: "progress-fill", style: `width: ${pct}%` }),
    el("span", { class: "progress-text" }, `${pct}%`)
  )
}

/** Moves a progress bar made by `progressBar` to `progress` (0 … 1). */
const setProgress = (container: Element, progress: number) => {
  const bar = container.querySelector<HTMLElement>(".progress")
  if (bar === null) return
  const pct = Math.round(Math.max(0, Math.min(1, progress)) * 100)
  bar.setAttribute("aria-valuenow", String(pct))
  bar.querySelector<HTMLElement>(".progress-fill")!.style.width = `${pct}%`
  setText(bar.querySelector(".progress-text")!, `${pct}%`)
}

interface JobRow {
  readonly tr: HTMLTableRowElement
  readonly title: HTMLElement
  readonly cells: ReadonlyArray<HTMLElement>
  state: string | undefined
}

const stateBadge = (state: string) => el("span", { class: `badge state-badge state-${state}`, "data-testid": "job-state" }, state)

const REFRESH_SOON_MS = 400

export class JobsView {
  readonly element: HTMLElement
  private readonly jobs = new Map<string, JobSummary>()
  private readonly rows = new Map<string, JobRow>()
  private readonly body: HTMLTableSectionElement
  private readonly detail: HTMLElement
  private readonly empty: HTMLElement
  private selected: string | undefined
  private shown: JobDetail | undefined
  private soon: ReturnType<typeof setTimeout> | undefined
  private fetching = false
  /** The detail's last video source, so a refresh keeps the playing <video> element. */
  private video: HTMLVideoElement | undefined

  constructor(
    private readonly connection: ConsoleConnection,
    private readonly toasts: Toasts,
    private readonly actions: { readonly onNewJob: () => void; readonly onShowEvents: (job: string) => void }
  ) {
    this.body = el("tbody")
    this.body.addEventListener("click", (e) => {
      const target = e.target as Element
      const id = target.closest("tr")?.dataset["job"]
      if (id === undefined) return
      if (target.closest("[data-action=cancel]") !== null) void this.cancel(id)
      else this.select(id)
    })
    this.empty = el("p", { class: "muted empty-note" }, "No jobs yet. Submit one with “New job”.")
    const newJob = el("button", { class: "btn btn-primary", "data-testid": "open-submit" }, "New job")
    newJob.addEventListener("click", () => this.actions.onNewJob())
    this.detail = el(
      "section",
      { class: "job-detail card", "data-testid": "job-detail" },
      el("p", { class: "muted" }, "Select a job to see its stages, shots and video.")
    )
    this.element = el(
      "div",
      { class: "jobs-layout" },
      el(
        "section",
        { class: "card jobs-list" },
        el("header", { class: "card-head" }, el("h2", {}, "Jobs"), newJob),
        el(
          "div",
          { class: "scroll" },
          el(
            "table",
            { class: "grid jobs", "data-testid": "jobs-table" },
            el(
              "thead",
              {},
              el(
                "tr",
                {},
                el("th", {}, "Job"),
                el("th", {}, "State"),
                el("th", {}, "Stage"),
                el("th", {}, "Progress"),
                el("th", {}, "Submitted"),
                el("th", { class: "num" }, "Took"),
                el("th", {})
              )
            ),
            this.body
          ),
          this.empty
        )
      ),
      this.detail
    )
  }

  /** Jobs queued or running. */
  get running(): number {
    let n = 0
    for (const job of this.jobs.values()) if (job.state === "queued" || job.state === "running") n++
    return n
  }

  setAll(jobs: ReadonlyArray<JobSummary>): void {
    this.jobs.clear()
    for (const job of jobs) this.jobs.set(job.id, job)
    this.renderList()
    if (this.selected !== undefined) this.refreshSoon()
  }

  upsert(job: JobSummary): void {
    this.jobs.set(job.id, job)
    this.renderList()
    if (job.id === this.selected) this.refreshSoon()
  }

  onEvent(event: WireEvent): void {
    if (event.job !== undefined && event.job === this.selected && event.type.startsWith("stage-")) this.refreshSoon()
  }

  /** Every second: running jobs' bars and durations grow. */
  tick(): void {
    const running = [...this.jobs.values()].some((job) => job.state === "running")
    if (running) this.renderList()
    if (this.shown?.state === "running") this.renderDetail(this.shown)
  }

  select(id: string): void {
    this.selected = id
    this.shown = undefined
    delete this.detail.dataset["job"]
    this.video = undefined
    for (const [job, row] of this.rows) row.tr.classList.toggle("selected", job === id)
    replaceChildren(this.detail, el("p", { class: "muted" }, "Loading…"))
    void this.fetch()
  }

  private refreshSoon(): void {
    if (this.soon !== undefined) return
    this.soon = setTimeout(() => {
      this.soon = undefined
      void this.fetch()
    }, REFRESH_SOON_MS)
  }

  private async fetch(): Promise<void> {
    const id = this.selected
    if (id === undefined) return
    if (this.fetching) return this.refreshSoon()
    this.fetching = true
    try {
      const result = await this.connection.send({ t: "get-job", id })
      if (this.selected !== id) return
      if (!result.ok || result.jobDetail === undefined) {
        replaceChildren(
          this.detail,
          el("p", { class: "error" }, `${result.error?.tag ?? "Error"}: ${result.error?.message ?? "no detail"}`)
        )
        return
      }
      this.shown = result.jobDetail
      this.renderDetail(result.jobDetail)
    } finally {
      this.fetching = false
    }
  }

  private async cancel(id: string): Promise<void> {
    const result = await this.connection.send({ t: "cancel", id })
    this.toasts.result(`Cancel ${id}`, result, `${id} cancelled`)
    if (result.job !== undefined) this.upsert(result.job)
  }

  /** Rows are made once per job and updated in place, so a button under the pointer survives the updates. */
  private renderList(): void {
    const now = Date.now()
    const jobs = [...this.jobs.values()].sort((a, b) => b.submittedAt - a.submittedAt)
    this.empty.hidden = jobs.length > 0
    for (const [id, row] of this.rows) {
      if (!this.jobs.has(id)) {
        row.tr.remove()
        this.rows.delete(id)
      }
    }
    jobs.forEach((job, i) => {
      const row = this.rows.get(job.id) ?? this.createRow(job)
      this.fillRow(row, job, now)
      if (this.body.children[i] !== row.tr) this.body.insertBefore(row.tr, this.body.children[i] ?? null)
    })
  }

  private createRow(job: JobSummary): JobRow {
    const cells: Array<HTMLElement> = Array.from({ length: 7 }, () => el("td"))
    const [titleCell, , stage, progress, submitted, took] = cells as [
      HTMLElement,
      HTMLElement,
      HTMLElement,
      HTMLElement,
      HTMLElement,
      HTMLElement
    ]
    stage.className = "mono"
    progress.className = "progress-cell"
    submitted.className = "mono"
    took.className = "num mono"
    const title = el("div", { class: "job-title" })
    append(titleCell, title, el("div", { class: "mono muted small" }, job.id))
    const tr = el("tr", { "data-job": job.id, "data-testid": "job-row" }, ...cells)
    const row: JobRow = { tr, title, cells, state: undefined }
    this.rows.set(job.id, row)
    return row
  }

  private fillRow(row: JobRow, job: JobSummary, now: number): void {
    const [, stateCell, stage, progress, submitted, took, actions] = row.cells as [
      HTMLElement,
      HTMLElement,
      HTMLElement,
      HTMLElement,
      HTMLElement,
      HTMLElement,
      HTMLElement
    ]
    setText(row.title, job.title)
    row.title.title = job.title
    row.tr.classList.toggle("selected", job.id === this.selected)
    if (row.state !== job.state) {
      row.state = job.state
      row.tr.dataset["state"] = job.state
      replaceChildren(stateCell, stateBadge(job.state))
      const cancellable = job.state === "queued" || job.state === "running"
      replaceChildren(
        actions,
        cancellable
          ? el("button", { class: "btn btn-small btn-danger", "data-action": "cancel", "data-testid": "job-cancel" }, "Cancel")
          : null
      )
      replaceChildren(progress, progressBar(job.progress, job.state))
    }
    setProgress(progress, job.progress)
    setText(stage, job.stage ?? "–")
    setText(submitted, shortTime(job.submittedAt))
    setText(took, job.startedAt === undefined ? "–" : duration((job.finishedAt ?? now) - job.startedAt))
  }

  /**
   * The detail in full when the job or its state changed; otherwise only its progress and timeline
   * (so its buttons and its playing video stay as they are).
   */
  private renderDetail(job: JobDetail): void {
    const now = Date.now()
    const timeline = this.detail.querySelector("[data-testid=job-timeline]")
    if (this.detail.dataset["job"] === job.id && this.detail.dataset["state"] === job.state && timeline !== null) {
      setProgress(this.detail, job.progress)
      timeline.replaceWith(jobTimeline(job, now))
      return
    }
    const cancellable = job.state === "queued" || job.state === "running"
    const cancel = cancellable ? el("button", { class: "btn btn-danger", "data-testid": "job-detail-cancel" }, "Cancel") : null
    cancel?.addEventListener("click", () => void this.cancel(job.id))
    const events = el("button", { class: "btn btn-ghost", "data-testid": "job-show-events" }, "Events")
    events.addEventListener("click", () => this.actions.onShowEvents(job.id))
    const failure = job.failure === undefined ?
      null :
      el("div", { class: "failure", role: "alert" }, el("strong", {}, `Failed in ${job.failure.stage}: `), job.failure.message)
    const request = job.request
    const facts = [
      request.size ?? request.aspect ?? "9:16",
      `${request.fps ?? 30} fps`,
      `captions ${request.captions ?? "karaoke"}`,
      `voice ${request.voice ?? "auto"}`,
      `${request.segments ?? 1} segment${(request.segments ?? 1) === 1 ? "" : "s"}`
    ].join(" · ")
    const sections: Array<HTMLElement | null> = [
      el(
        "header",
        { class: "card-head" },
        el(
          "div",
          {},
          el("h2", { "data-testid": "job-detail-title" }, job.title),
          el("div", { class: "mono muted small" }, `${job.id} · ${facts}`)
        ),
        el("div", { class: "actions" }, stateBadge(job.state), events, cancel)
      ),
      progressBar(job.progress, job.state, "job-progress"),
      failure,
      el("h3", {}, "Stages"),
      jobTimeline(job, now)
    ]
    const video = this.videoSection(job)
    if (video !== null) sections.push(el("h3", {}, "Video"), video)
    const scenes = this.scenesSection(job)
    if (scenes !== null) sections.push(el("h3", {}, "Scenes and shots"), scenes)
    replaceChildren(this.detail, ...sections)
    this.detail.dataset["job"] = job.id
    this.detail.dataset["state"] = job.state
  }

  private videoSection(job: JobDetail): HTMLElement | null {
    if (job.state !== "done") return null
    const src = apiUrl(`/api/jobs/${encodeURIComponent(job.id)}/video`)
    if (this.video === undefined || this.video.dataset["src"] !== src) {
      this.video = el("video", { controls: true, preload: "metadata", playsinline: true, "data-testid": "job-video", "data-src": src })
      this.video.src = src
    }
    const download = el("a", { class: "btn btn-ghost", href: src, download: `${job.id}.mp4` }, "Download MP4")
    const render = job.report?.render
    const note = render === undefined ?
      null :
      el(
        "span",
        { class: "muted small" },
        `${render.parts.length} part${render.parts.length === 1 ? "" : "s"}${render.cached ? " (cached)" : ""} · encode ${
          duration(render.stages.encode * 1000)
        } · audio ${duration(render.stages.audio * 1000)} · stitch ${duration(render.stages.stitch * 1000)}`
      )
    return el("div", { class: "video-box" }, this.video, el("div", { class: "video-meta" }, download, note))
  }

  private scenesSection(job: JobDetail): HTMLElement | null {
    const report = job.report
    if (report === undefined) return null
    const cards = report.scenes.map((scene, n) => {
      const picks = report.shots.filter((shot) => shot.scene === scene.index)
      const thumb = el("img", { class: "thumb", alt: `Scene ${n + 1}`, loading: "lazy", "data-testid": "scene-thumbnail" })
      // Thumbnails are made once the job is done.
      if (job.state === "done") thumb.src = apiUrl(`/api/jobs/${encodeURIComponent(job.id)}/thumbnails/${n}`)
      else thumb.classList.add("missing")
      thumb.addEventListener("error", () => thumb.classList.add("missing"), { once: true })
      return el(
        "article",
        { class: "scene", "data-testid": "scene-card" },
        thumb,
        el(
          "div",
          { class: "scene-body" },
          el(
            "div",
            { class: "scene-head" },
            el("strong", {}, `Scene ${n + 1}`),
            el("span", { class: "badge" }, scene.mood),
            el("span", { class: "badge" }, scene.pace),
            el("span", { class: "muted small" }, duration(scene.estimatedSec * 1000))
          ),
          el("p", { class: "scene-text" }, scene.text),
          ...picks.map((pick) =>
            el(
              "div",
              { class: "shot", "data-testid": "scene-shot" },
              el(
                "div",
                { class: "shot-head" },
                el("span", { class: "mono" }, basename(pick.clip.path)),
                el(
                  "span",
                  { class: "muted small" },
                  `${duration(pick.startSec * 1000)} + ${duration(pick.durationSec * 1000)}, from ${pick.inPointSec.toFixed(1)} s`
                ),
                el("span", {
                  class: "badge",
                  title: `text ${pick.score.text.toFixed(2)} · orientation ${pick.score.orientationFit.toFixed(2)} · duration ${
                    pick.score.durationFit.toFixed(2)
                  }`
                }, `score ${pick.score.total.toFixed(2)}`),
                pick.looped ? el("span", { class: "badge badge-warn" }, "looped") : null
              ),
              el("ul", { class: "reasons", "data-testid": "shot-reasons" }, ...pick.reasons.map((reason) => el("li", {}, reason)))
            )
          )
        )
      )
    })
    return el("div", { class: "scenes" }, ...cards)
  }
}
