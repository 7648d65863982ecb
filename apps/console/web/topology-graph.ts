/// <reference lib="dom" />
/**
 * The swarm as a graph (cytoscape): the supervision tree top-down, root `swarm` first, and the
 * topology's links between agents as arcs labelled with envelopes per second. An agent that
 * crashes pulses red; its restart count is part of its label. The element list beside the canvas
 * (visually hidden) says the same for screen readers, and is what tests read.
 */
import cytoscape from "cytoscape"
import { el, replaceChildren } from "./dom.ts"
import { isCrash } from "./event-kinds.ts"
import { rate } from "./format.ts"
import type { AgentRow, LinkTraffic, Tree, TreeNode, WireEvent } from "./wire.ts"

const ROOT = "swarm"

const STYLE: Array<cytoscape.StylesheetJson[number]> = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "text-wrap": "wrap",
      "font-family": "ui-sans-serif, system-ui, sans-serif",
      "font-size": 11,
      color: "#d8dee9",
      "text-valign": "bottom",
      "text-margin-y": 5,
      "text-background-color": "#0d1117",
      "text-background-opacity": 0.75,
      "text-background-padding": "2px",
      "text-background-shape": "roundrectangle",
      "background-color": "#1f2a37",
      "border-width": 2,
      "border-color": "#3fb950",
      width: 30,
      height: 30,
      "transition-property": "background-color, border-color, border-width, width, height",
      "transition-duration": 250
    }
  },
  { selector: "node.supervisor", style: { shape: "round-rectangle", width: 46, height: 24, "border-color": "#58a6ff" } },
  { selector: "node.relay", style: { shape: "diamond", "border-color": "#8b949e", "border-style": "dashed" } },
  { selector: "node.restarting", style: { "border-color": "#d29922" } },
  { selector: "node.terminated", style: { "border-color": "#6e7681", "background-color": "#161b22", color: "#8b949e" } },
  { selector: "node.busy", style: { "background-color": "#1f6feb" } },
  {
    selector: "node.crashed",
    style: { "background-color": "#f85149", "border-color": "#ff7b72", "border-width": 6, width: 38, height: 38 }
  },
  { selector: "node:selected", style: { "overlay-color": "#58a6ff", "overlay-opacity": 0.25, "overlay-padding": 6 } },
  {
    selector: "edge.tree",
    style: { width: 1, "line-color": "#30363d", "line-style": "dashed", "curve-style": "straight", "target-arrow-shape": "none" }
  },
  {
    selector: "edge.link",
    style: {
      width: "data(width)",
      "line-color": "#3b6ea5",
      "curve-style": "unbundled-bezier",
      "control-point-distances": "data(arc)",
      "control-point-weights": 0.5,
      label: "data(label)",
      "font-size": 10,
      color: "#79c0ff",
      "text-background-color": "#0d1117",
      "text-background-opacity": 0.85,
      "text-background-padding": "2px",
      opacity: 0.75
    }
  },
  { selector: "edge.link.active", style: { "line-color": "#58a6ff", opacity: 1 } }
]

interface NodeFacts {
  readonly name: string
  readonly kind: "agent" | "supervisor" | "relay"
  readonly supervisor?: string | undefined
  state: string
  restarts: number
  queued: number
  lastCrash?: number
}

const flatten = (tree: Tree): Array<TreeNode> => {
  const out: Array<TreeNode> = []
  const walk = (nodes: ReadonlyArray<TreeNode>) => {
    for (const node of nodes) {
      out.push(node)
      walk(node.children)
    }
  }
  walk(tree.children)
  return out
}

const linkId = (a: string, b: string) => (a < b ? `link:${a}|${b}` : `link:${b}|${a}`)

export class TopologyGraph {
  private readonly cy: cytoscape.Core
  private readonly facts = new Map<string, NodeFacts>()
  private readonly a11y: HTMLElement
  private links: ReadonlyArray<readonly [string, string]> = []
  private shape = ""

  constructor(container: HTMLElement, summary: HTMLElement, private readonly onSelect: (agent: string) => void) {
    this.a11y = summary
    this.cy = cytoscape({
      container,
      style: STYLE,
      minZoom: 0.3,
      maxZoom: 3,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
      autoungrabify: false
    })
    this.cy.on("tap", "node", (event) => {
      const node = event.target as cytoscape.NodeSingular
      const facts = this.facts.get(node.id())
      if (facts?.kind === "agent") this.onSelect(node.id())
    })
  }

  /** The whole tree and links (hello, tree items): adds and removes nodes, lays out when the shape changed. */
  setTree(tree: Tree, links: ReadonlyArray<readonly [string, string]>): void {
    const nodes = flatten(tree)
    const wanted = new Map<string, NodeFacts>()
    wanted.set(ROOT, { name: tree.name || ROOT, kind: "supervisor", state: "running", restarts: 0, queued: 0 })
    for (const node of nodes) {
      const lastCrash = this.facts.get(node.name)?.lastCrash
      wanted.set(node.name, {
        name: node.name,
        kind: node.kind,
        supervisor: node.supervisor,
        state: node.state,
        restarts: node.restarts,
        queued: node.mailbox?.queued ?? 0,
        ...(lastCrash === undefined ? {} : { lastCrash })
      })
    }
    for (const [a, b] of links) {
      for (const end of [a, b]) {
        if (!wanted.has(end)) wanted.set(end, { name: end, kind: "relay", state: "running", restarts: 0, queued: 0 })
      }
    }
    this.links = links
    const shape = [...wanted.values()].map((f) => `${f.name}<${f.supervisor ?? ""}:${f.kind}`).sort().join(",") + "|" +
      links.map(([a, b]) => linkId(a, b)).sort().join(",")
    this.cy.batch(() => {
      for (const node of this.cy.nodes()) if (!wanted.has(node.id())) node.remove()
      for (const facts of wanted.values()) {
        this.facts.set(facts.name, facts)
        if (this.cy.getElementById(facts.name).empty()) {
          this.cy.add({ group: "nodes", data: { id: facts.name, label: facts.name }, classes: facts.kind })
        }
        this.paint(facts.name)
      }
      for (const name of [...this.facts.keys()]) if (!wanted.has(name)) this.facts.delete(name)
      const edges = new Set<string>()
      for (const facts of wanted.values()) {
        if (facts.supervisor === undefined || facts.kind === "relay") continue
        const parent = wanted.has(facts.supervisor) ? facts.supervisor : ROOT
        const id = `tree:${parent}>${facts.name}`
        edges.add(id)
        if (this.cy.getElementById(id).empty()) {
          this.cy.add({ group: "edges", data: { id, source: parent, target: facts.name }, classes: "tree" })
        }
      }
      for (const [a, b] of links) {
        const id = linkId(a, b)
        edges.add(id)
        if (this.cy.getElementById(id).empty()) {
          this.cy.add({ group: "edges", data: { id, source: a, target: b, label: "", width: 1.5, arc: 0 }, classes: "link" })
        }
      }
      for (const edge of this.cy.edges()) if (!edges.has(edge.id())) edge.remove()
    })
    if (shape !== this.shape) {
      this.shape = shape
      this.layout()
    }
    this.describe()
  }

  /** The agents table's rows, every second: state, restarts and mailbox depth of each agent. */
  updateAgents(rows: ReadonlyArray<AgentRow>): void {
    this.cy.batch(() => {
      for (const row of rows) {
        const facts = this.facts.get(row.name)
        if (facts === undefined) continue
        facts.state = row.state
        facts.restarts = row.restarts
        facts.queued = row.queued
        this.paint(row.name)
      }
    })
    this.describe()
  }

  /** Envelopes per second on each link, both directions summed on the link's arc. */
  setTraffic(traffic: ReadonlyArray<LinkTraffic>): void {
    const perLink = new Map<string, number>()
    for (const hop of traffic) {
      const id = linkId(hop.from, hop.to)
      perLink.set(id, (perLink.get(id) ?? 0) + hop.perSecond)
    }
    this.cy.batch(() => {
      for (const edge of this.cy.edges(".link")) {
        const perSecond = perLink.get(edge.id()) ?? 0
        edge.data({ label: perSecond > 0 ? rate(perSecond) : "", width: 1.5 + Math.min(6, Math.log2(1 + perSecond)) })
        edge.toggleClass("active", perSecond > 0)
      }
    })
  }

  /** A crash (restarted or stopped with reason `crashed`): the agent pulses red three times. */
  onEvent(event: WireEvent): void {
    if (event.agent === undefined || !isCrash(event)) return
    const node = this.cy.getElementById(event.agent)
    if (node.empty()) return
    const facts = this.facts.get(event.agent)
    if (facts !== undefined && event.type === "restarted") {
      facts.restarts++
      this.paint(event.agent)
    }
    for (let i = 0; i < 3; i++) {
      setTimeout(() => node.addClass("crashed"), i * 700)
      setTimeout(() => node.removeClass("crashed"), i * 700 + 450)
    }
    if (facts !== undefined) {
      facts.lastCrash = event.ts
      this.describe()
    }
  }

  select(name: string | undefined): void {
    this.cy.nodes().unselect()
    if (name !== undefined) this.cy.getElementById(name).select()
  }

  /** After the container was shown or resized. */
  resize(): void {
    this.cy.resize()
    this.cy.fit(undefined, 30)
  }

  private paint(name: string): void {
    const facts = this.facts.get(name)
    const node = this.cy.getElementById(name)
    if (facts === undefined || node.empty()) return
    const badges = [facts.restarts > 0 ? `↻ ${facts.restarts}` : "", facts.queued > 0 ? `✉ ${facts.queued}` : ""].filter((b) => b !== "")
    node.data("label", badges.length === 0 ? name : `${name}\n${badges.join("  ")}`)
    node.toggleClass("restarting", facts.state === "restarting")
    node.toggleClass("terminated", facts.state === "terminated")
    node.toggleClass("busy", facts.queued > 0)
  }

  /**
   * The tree top-down (breadthfirst from `swarm`). When every agent is a child of the root, the
   * topology's own shape is drawn instead: a star's hub on a row of its own between the root and
   * the others, its spokes fanning out below; a mesh's agents on a circle around the root, each
   * link a chord. Otherwise links between agents of one row arc below it.
   */
  private layout(): void {
    const members: Array<cytoscape.NodeSingular> = []
    this.cy.nodes().forEach((n) => {
      if (n.id() !== ROOT) members.push(n)
    })
    const flat = members.every((n) => {
      const facts = this.facts.get(n.id())
      return facts?.kind === "relay" || (facts?.kind === "agent" && (facts.supervisor === ROOT || !this.facts.has(facts.supervisor ?? "")))
    })
    const degree = new Map<string, number>()
    for (const [a, b] of this.links) for (const end of [a, b]) degree.set(end, (degree.get(end) ?? 0) + 1)
    const linked = [...degree.keys()]
    const hubs = linked.filter((name) => degree.get(name) === linked.length - 1)
    const complete = linked.length >= 3 && hubs.length === linked.length
    const hub = !complete && linked.length >= 3 && hubs.length === 1 && this.links.length === linked.length - 1 ? hubs[0] : undefined
    const root = this.cy.getElementById(ROOT)

    if (flat && complete) {
      const radius = Math.max(140, members.length * 34)
      const ordered = [...members].sort((x, y) => x.id().localeCompare(y.id()))
      root.position({ x: 0, y: 0 })
      ordered.forEach((node, i) => {
        const angle = -Math.PI / 2 + (2 * Math.PI * i) / ordered.length
        node.position({ x: radius * Math.cos(angle), y: radius * Math.sin(angle) })
      })
      this.arcs(0)
    } else if (flat && hub !== undefined) {
      const spokes = members.filter((n) => n.id() !== hub).sort((x, y) => x.id().localeCompare(y.id()))
      const gap = 120
      const width = (spokes.length - 1) * gap
      root.position({ x: 0, y: 0 })
      // Off the middle spoke's line when their count is odd, so the root's line to it does not run through the hub.
      this.cy.getElementById(hub).position({ x: spokes.length % 2 === 1 ? gap / 2 : 0, y: 130 })
      spokes.forEach((node, i) => node.position({ x: i * gap - width / 2, y: 290 }))
      this.arcs(0)
    } else {
      this.cy.elements().filter((e) => e.isNode() ? !e.hasClass("relay") : e.hasClass("tree")).layout({
        name: "breadthfirst",
        directed: true,
        roots: [ROOT],
        spacingFactor: 1.1,
        padding: 30,
        animate: false,
        fit: false,
        depthSort: (x, y) => x.id().localeCompare(y.id())
      }).run()
      const box = this.cy.nodes().not(".relay").boundingBox({})
      const relays = this.cy.nodes(".relay")
      relays.forEach((relay, i) => {
        relay.position({ x: box.x1 + ((i + 1) * box.w) / (relays.length + 1), y: box.y2 + 90 })
      })
      this.arcs(0.25)
    }
    this.cy.fit(undefined, 40)
    if (this.cy.zoom() > 1.3) {
      this.cy.zoom(1.3)
      this.cy.center()
    }
  }

  /** Links between nodes of one row arc away from it, by `bend` of their length (0: straight). */
  private arcs(bend: number): void {
    for (const edge of this.cy.edges(".link")) {
      const s = edge.source().position()
      const t = edge.target().position()
      const sameRow = Math.abs(s.y - t.y) < 10
      const distance = Math.hypot(t.x - s.x, t.y - s.y)
      edge.data("arc", sameRow && bend > 0 ? (s.x < t.x ? 1 : -1) * Math.min(140, distance * bend) : 0)
    }
  }

  /** The visually hidden list of nodes: what a screen reader (and a test) reads of the graph. */
  private describe(): void {
    const items = this.cy.nodes().map((node) => {
      const facts = this.facts.get(node.id())
      const text = facts === undefined
        ? node.id()
        : `${facts.name}: ${facts.kind}, ${facts.state}, ${facts.restarts} restarts${facts.queued > 0 ? `, ${facts.queued} queued` : ""}`
      return el("li", {
        "data-node": node.id(),
        "data-kind": facts?.kind,
        "data-state": facts?.state,
        "data-restarts": facts?.restarts,
        "data-crashed-at": facts?.lastCrash
      }, text)
    })
    replaceChildren(this.a11y, ...items)
    this.a11y.dataset["links"] = String(this.links.length)
  }
}
