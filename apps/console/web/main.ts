/// <reference lib="dom" />
/**
 * The console page: one connection, and each item of each batch handed to the views it changes.
 * Tabs are kept in the URL's hash, so a reload (or a link) opens the same view.
 */
import "uplot/dist/uPlot.min.css"
import "./app.css"
import { AgentDetailView } from "./agent-detail.ts"
import { AgentTable } from "./agent-table.ts"
import { type ConnectionStatus, ConsoleConnection, socketUrl } from "./connection.ts"
import { byId, setText } from "./dom.ts"
import { EventStream } from "./event-stream.ts"
import { rate } from "./format.ts"
import { JobsView } from "./jobs-view.ts"
import { MetricsCharts } from "./metrics-charts.ts"
import { SubmitForm } from "./submit-form.ts"
import { Toasts } from "./toasts.ts"
import { TopologyGraph } from "./topology-graph.ts"
import type { AgentRow, ServerItem, WireEvent } from "./wire.ts"

const TABS = ["swarm", "jobs", "events"] as const
type Tab = (typeof TABS)[number]

const toasts = new Toasts(byId("toasts"))

const connectionBadge = byId("connection")
const onStatus = (status: ConnectionStatus, detail: string) => {
  connectionBadge.dataset["status"] = status
  setText(byId("connection-text"), status === "open" ? "live" : status === "connecting" ? "connecting…" : `offline: ${detail}`)
  connectionBadge.title = detail
}

const connection = new ConsoleConnection(socketUrl(location), { onItems: (items) => apply(items), onStatus })

const selectAgent = (name: string | undefined) => {
  graph.select(name)
  agents.select(name)
  if (name === undefined) return
  if (agentDetail.open !== name) agentDetail.show(name)
}

const graph = new TopologyGraph(byId("graph"), byId("graph-summary"), selectAgent)
const agents = new AgentTable(selectAgent)
byId("agents").appendChild(agents.element)
const agentDetail = new AgentDetailView(connection, toasts, () => selectAgent(undefined))
byId("panel-swarm").appendChild(agentDetail.element)
byId("graph-fit").addEventListener("click", () => graph.resize())

const charts = new MetricsCharts()
byId("charts").appendChild(charts.element)

const events = new EventStream()
byId("panel-events").appendChild(events.element)

const showTab = (tab: Tab) => {
  for (const name of TABS) {
    const selected = name === tab
    byId(`panel-${name}`).hidden = !selected
    const button = byId(`tab-${name}`)
    button.setAttribute("aria-selected", String(selected))
    button.classList.toggle("active", selected)
  }
  if (location.hash !== `#${tab}`) history.replaceState(null, "", `${location.pathname}${location.search}#${tab}`)
  if (tab === "swarm") {
    graph.resize()
    charts.resize()
  }
  if (tab === "events") events.refresh()
}

const submitForm = new SubmitForm(connection, toasts, (job) => {
  jobs.upsert(job)
  showTab("jobs")
  jobs.select(job.id)
})
document.body.appendChild(submitForm.element)

const jobs = new JobsView(connection, toasts, {
  onNewJob: () => submitForm.open(),
  onShowEvents: (job) => {
    events.filterJob(job)
    showTab("events")
  }
})
byId("panel-jobs").appendChild(jobs.element)

for (const name of TABS) byId(`tab-${name}`).addEventListener("click", () => showTab(name))
const hashTab = location.hash.slice(1)
showTab((TABS as ReadonlyArray<string>).includes(hashTab) ? (hashTab as Tab) : "swarm")

// The header's figures.
let rows: ReadonlyArray<AgentRow> = []
let topology = ""
let version = ""
/** Events per second of the last ten seconds, one count per second. */
const perSecond: Array<number> = []
let counted = 0
const summary = () => {
  const running = rows.filter((r) => r.state === "running").length
  const restarts = rows.reduce((sum, r) => sum + r.restarts, 0)
  setText(
    byId("summary"),
    [version === "" ? "" : `v${version}`, topology, `${running}/${rows.length} agents running`, `${restarts} restarts`].filter((s) =>
      s !== ""
    ).join(" · ")
  )
}

const apply = (items: ReadonlyArray<ServerItem>) => {
  const batchEvents: Array<WireEvent> = []
  for (const item of items) {
    switch (item.t) {
      case "hello":
        version = item.version
        topology = item.topology
        setText(byId("topology-name"), item.topology)
        graph.setTree(item.tree, item.links)
        rows = item.agents
        agents.setRows(item.agents)
        graph.updateAgents(item.agents)
        jobs.setAll(item.jobs)
        events.reset(item.events)
        charts.reset(item.metrics)
        summary()
        break
      case "agents":
        rows = item.rows
        agents.setRows(item.rows)
        graph.updateAgents(item.rows)
        summary()
        break
      case "tree":
        graph.setTree(item.tree, item.links)
        break
      case "traffic":
        graph.setTraffic(item.links)
        break
      case "event":
        batchEvents.push(item.event)
        counted++
        graph.onEvent(item.event)
        agents.onEvent(item.event)
        agentDetail.onEvent(item.event)
        jobs.onEvent(item.event)
        break
      case "dropped":
        events.noteDropped(item.events)
        break
      case "job":
        jobs.upsert(item.job)
        break
      case "metrics":
        charts.push(item.sample)
        break
      case "agent-detail":
      case "job-detail":
      case "reply":
        // Answers to commands are taken by the connection; one arriving here answers a command this page no longer waits for.
        break
    }
  }
  if (batchEvents.length > 0) events.pushAll(batchEvents)
}

setInterval(() => {
  agents.tick()
  jobs.tick()
  perSecond.push(counted)
  counted = 0
  if (perSecond.length > 10) perSecond.shift()
  const total = perSecond.reduce((sum, n) => sum + n, 0)
  setText(byId("events-rate"), total === 0 ? "" : rate(total / perSecond.length))
  setText(byId("jobs-running"), jobs.running === 0 ? "" : String(jobs.running))
}, 1000)

connection.connect()
