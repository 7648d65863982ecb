/**
 * The console page in a real browser (Debian's chromium, headless) against a real server: the
 * swarm's agents in the graph, a tiny job submitted from the page's form, its stages reaching done
 * and its video playing, and an agent restarted from the page (its restarted event and restart
 * count). Screenshots of each view are kept in out/e2e/.
 */
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SCRIPT } from "../integration/agents/library-fixture.ts"
import { type ConsoleServer, startConsoleServer } from "./console-server.ts"

const CHROMIUM = process.env["REELSWARM_CHROMIUM"] ?? "/usr/bin/chromium"
const SHOTS = join(import.meta.dirname, "..", "..", "out", "e2e")
/** Conditions are awaited this long at most: a guard against a hang on a loaded machine, not a measure. */
const PATIENCE = 240_000

let server: ConsoleServer
let browser: Browser
let page: Page
const pageErrors: Array<string> = []

const screenshot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false })

/** The agents' names the graph shows (its nodes, as the list beside the canvas names them). */
const graphNodes = () =>
  page.locator("[data-testid=topology-nodes] li").evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset["node"]))

const agentRow = (name: string) => page.locator(`[data-testid=agent-row][data-agent="${name}"]`)

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no chromium at ${CHROMIUM}: make test installs Debian's chromium (scripts/ensure-system-deps.sh)`)
  }
  mkdirSync(SHOTS, { recursive: true })
  server = await startConsoleServer()
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] })
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 })
  page.setDefaultTimeout(PATIENCE)
  page.on("pageerror", (error) => pageErrors.push(String(error)))
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(`${message.text()} (${message.location().url})`)
  })
  await page.goto(`${server.url}/console/`)
  await page.locator("[data-testid=connection][data-status=open]").waitFor()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe("the console", () => {
  it("draws the swarm: supervisors and agents of the tree, the topology's links, the agents table", async () => {
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=topology-nodes] li[data-kind=agent]").length >= 5)
    const nodes = await graphNodes()
    expect(nodes).toEqual(expect.arrayContaining(["swarm", "director", "shot-matcher", "renderer", "monitor", "encoder-0"]))
    // cytoscape drew them on its canvas.
    expect(await page.locator("[data-testid=topology] canvas").count()).toBeGreaterThan(0)
    expect(Number(await page.locator("[data-testid=topology-nodes]").getAttribute("data-links"))).toBeGreaterThan(0)
    await expect.poll(() => page.locator("[data-testid=agent-row]").count(), { timeout: PATIENCE }).toBeGreaterThanOrEqual(5)
    // Sorted by name, then the other way round by clicking the header again.
    const names = () => page.locator("[data-testid=agent-row]").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset["agent"]!))
    const ascending = await names()
    expect(ascending).toEqual([...ascending].sort((a, b) => a.localeCompare(b)))
    await page.locator("[data-testid=agents-sort-name]").click()
    expect(await names()).toEqual([...ascending].reverse())
    await page.locator("[data-testid=agents-sort-name]").click()
    // The monitor's samples reach the charts.
    await page.locator("[data-testid=metrics-cpu-value]").filter({ hasText: "cores" }).waitFor()
    await screenshot("swarm")
  })

  it("submits a tiny job from the form, shows its stages reaching done, and plays its video", async () => {
    await page.locator("[data-testid=tab-jobs]").click()
    await page.locator("[data-testid=open-submit]").click()
    await page.locator("[data-testid=submit-script]").fill(SCRIPT)
    await page.locator("[data-testid=submit-title]").fill("Patterns")
    await page.locator("[data-testid=submit-footage]").fill(server.footage)
    await page.locator("[data-testid=submit-size]").fill("160x284")
    await page.locator("[data-testid=submit-fps]").fill("10")
    await page.locator("[data-testid=submit-captions]").selectOption("none")
    await page.locator("[data-testid=submit-voice]").fill("en")
    await page.locator("[data-testid=submit-encoder]").fill("libx264")
    await screenshot("submit")
    await page.locator("[data-testid=submit-job]").click()
    await page.locator("[data-testid=submit-dialog]").waitFor({ state: "hidden" })

    const row = page.locator("[data-testid=job-row]").first()
    await row.waitFor()
    const detail = page.locator("[data-testid=job-detail]")
    await page.locator("[data-testid=job-detail][data-state=running]").or(page.locator("[data-testid=job-detail][data-state=done]"))
      .waitFor()
    await page.locator("[data-testid=job-detail][data-state=done]").waitFor()
    expect(await page.locator("[data-testid=job-row]").first().getAttribute("data-state")).toBe("done")
    const stages = await detail.locator("[data-testid=timeline-stage]").evaluateAll((rows) =>
      rows.map((r) => [(r as HTMLElement).dataset["stage"], (r as HTMLElement).dataset["state"]])
    )
    expect(stages.map(([stage]) => stage)).toEqual(expect.arrayContaining(["script", "narration", "shots", "render", "report"]))
    expect(stages.every(([, state]) => state === "done")).toBe(true)
    expect(await detail.locator("[data-testid=job-part]").count()).toBeGreaterThan(0)
    expect(await detail.locator("[data-testid=job-progress]").getAttribute("aria-valuenow")).toBe("100")

    // One card per scene, its thumbnail loaded, the shot chosen for it and why.
    await expect.poll(() => detail.locator("[data-testid=scene-card]").count(), { timeout: PATIENCE }).toBe(2)
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>("[data-testid=scene-thumbnail]")].every((img) => img.complete && img.naturalWidth > 0)
    )
    expect(await detail.locator("[data-testid=shot-reasons] li").count()).toBeGreaterThan(0)

    const video = detail.locator("[data-testid=job-video]")
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>("[data-testid=job-video]")?.readyState ?? 0) >= 2)
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true
      return v.play()
    })
    await page.waitForFunction(() => {
      const v = document.querySelector<HTMLVideoElement>("[data-testid=job-video]")
      return v !== null && (v.currentTime > 0.2 || v.ended)
    })
    await video.evaluate((v: HTMLVideoElement) => v.pause())
    await screenshot("job")
  })

  it("restarts and stops an agent from its detail: the restarted event arrives and its restart count goes up", async () => {
    await page.locator("[data-testid=tab-swarm]").click()
    const agent = "shot-matcher"
    const restarts = async () => Number(await agentRow(agent).locator("[data-col=restarts]").textContent())
    const before = await restarts()
    await agentRow(agent).click()
    await page.locator("[data-testid=agent-detail-name]").filter({ hasText: agent }).waitFor()
    // Its detail came: the facts of its row, the tags it handled, its events.
    await page.locator("[data-testid=agent-detail-state]").waitFor()
    await page.locator("[data-testid=agent-restart]").click()
    await page.locator("[data-testid=toast]").filter({ hasText: `${agent} restarted` }).waitFor()
    await expect.poll(restarts, { timeout: PATIENCE }).toBe(before + 1)
    await expect.poll(() => page.locator(`[data-testid=topology-nodes] li[data-node="${agent}"]`).getAttribute("data-restarts"), {
      timeout: PATIENCE
    })
      .toBe(String(before + 1))
    await page.locator("[data-testid=agent-detail-restarts]").filter({ hasText: String(before + 1) }).waitFor()
    await screenshot("agent")

    // Stopped, it is terminated in the table and the graph; restarted, it runs again.
    await page.locator("[data-testid=agent-stop]").click()
    await page.locator("[data-testid=toast]").filter({ hasText: `${agent} stopped` }).waitFor()
    await agentRow(agent).locator("[data-col=state]").filter({ hasText: "terminated" }).waitFor()
    await page.locator(`[data-testid=topology-nodes] li[data-node="${agent}"][data-state=terminated]`).waitFor({ state: "attached" })
    await page.locator("[data-testid=agent-restart]").click()
    await agentRow(agent).locator("[data-col=state]").filter({ hasText: "running" }).waitFor()

    await page.locator("[data-testid=agent-detail-close]").click()
    await page.locator("[data-testid=tab-events]").click()
    await page.locator("[data-testid=events-filter-type]").selectOption("restarted")
    await page.locator(`[data-testid=event-row][data-type=restarted]`).filter({ hasText: agent }).first().waitFor()
    await page.locator("[data-testid=events-filter-type]").selectOption("")
    await screenshot("events")
  })

  it("keeps only the visible rows of the event stream in the DOM, and pauses it on demand", async () => {
    const count = page.locator("[data-testid=events-count]")
    const received = async () => Number(await count.getAttribute("data-received"))
    const list = page.locator("[data-testid=events-list]")
    const { viewport, content } = await list.evaluate((l) => ({ viewport: l.clientHeight, content: l.scrollHeight }))
    // The job's events are more than fit: the list scrolls, and holds only the rows in view (and a few either side).
    expect(content).toBeGreaterThan(viewport)
    const rows = await page.locator("[data-testid=event-row]:not([hidden])").count()
    expect(rows).toBeLessThan(await received())
    expect(rows).toBeLessThanOrEqual(Math.ceil(viewport / 24) + 2 * 8 + 1)

    await page.locator("[data-testid=events-pause]").click()
    const shown = await count.getAttribute("data-shown")
    // Events go on arriving (the monitor's heartbeats), counted but not shown.
    await expect.poll(received, { timeout: PATIENCE }).toBeGreaterThan(Number(shown))
    expect(await count.getAttribute("data-shown")).toBe(shown)
    await page.locator("[data-testid=events-pause]").click()
    await expect.poll(async () => Number(await count.getAttribute("data-shown")), { timeout: PATIENCE }).toBeGreaterThan(Number(shown))
  })

  it("raised no error in the page", () => {
    expect(pageErrors).toEqual([])
  })
})
