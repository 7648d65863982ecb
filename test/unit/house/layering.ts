/**
 * The house rules of ../shared/DESIGN.md as a check over import specifiers. Pure: it takes file
 * texts (repository-relative paths) and package.json's `exports`, so the test can feed it the real
 * tree or a made-up one. Type-only imports count: they shape the published declarations too.
 *
 * The rules, each violation named by its rule:
 * - direction: layers point down apps > agents > media, memory, topologies > runtime.
 *   runtime imports none of ours; topologies and memory import runtime only; media imports none
 *   of ours; agents import runtime, memory, media, topologies; apps import all of those;
 *   nothing imports apps. The package root index.ts re-exports runtime and topologies only.
 * - through-index: another layer is imported through its index (runtime/index.ts, …), never
 *   past it. Tests, benchmarks and examples are exempt.
 * - own-index: a file inside a layer does not import its own layer's index (a barrel cycle).
 * - internal: a layer's internal/ folder is imported only from inside that layer, and from that
 *   layer's own tests (test/<kind>/<layer>/…); never by another layer, benchmark or example.
 * - agent-internals: agents/<a>/ (director, encoder, monitor, renderer, shot-matcher,
 *   production) imports from another agent's folder only names that agents/index.ts exports from
 *   that same file: a sibling's protocol, never its helpers. The agents' shared helpers
 *   (agents/answer.ts and the like beside the index, agents/text/) may be imported by any agent.
 * - shared-helper: those shared helpers import no agent folder (they sit beneath the agents).
 * - outside-house: source files import only source layers (and package.json), not test/,
 *   bench/, examples/ or scripts/.
 * - package-exports: package.json `exports` publishes only the root and the layers' indexes,
 *   never an internal/ path, and publishes every library layer (runtime, topologies, memory,
 *   media, agents).
 * - typed-events: agents and apps publish events only through a kind's constructor
 *   (`StageStartedEvent.make(…)`), never an object literal, so every event they publish is one of
 *   the union's kinds with its data checked.
 */
import { posix } from "node:path"
import ts from "typescript"

export type Rule =
  | "direction"
  | "through-index"
  | "own-index"
  | "internal"
  | "agent-internals"
  | "shared-helper"
  | "outside-house"
  | "package-exports"
  | "typed-events"

export interface Violation {
  readonly file: string
  readonly specifier: string
  readonly rule: Rule
  readonly detail?: string
}

export const formatViolation = (v: Violation): string =>
  `${v.file} → ${v.specifier} (${v.rule}${v.detail === undefined ? "" : `: ${v.detail}`})`

export const LAYERS = ["runtime", "topologies", "memory", "media", "agents", "apps"] as const
type Layer = (typeof LAYERS)[number] | "root"

/** What each layer may import besides itself. */
const ALLOWED: Record<Layer, ReadonlyArray<Layer>> = {
  root: ["runtime", "topologies"],
  runtime: [],
  topologies: ["runtime"],
  memory: ["runtime"],
  media: [],
  agents: ["runtime", "memory", "media", "topologies"],
  apps: ["runtime", "topologies", "memory", "media", "agents"]
}

/** Layers a program embeds, each published by package.json `exports` at `./<layer>`. */
const PUBLISHED: ReadonlyArray<Layer> = ["runtime", "topologies", "memory", "media", "agents"]

/** agents/ subfolders of shared helpers rather than an agent (files beside agents/index.ts are shared too). */
const SHARED_AGENT_FOLDERS: ReadonlyArray<string> = ["text"]

const EXEMPT_ROOTS = ["test", "bench", "examples"]

const indexOf = (layer: Layer): string => (layer === "root" ? "index.ts" : `${layer}/index.ts`)

const layerOf = (file: string): Layer | undefined => {
  if (file === "index.ts") return "root"
  const first = file.split("/")[0]
  return (LAYERS as ReadonlyArray<string>).includes(first!) ? (first as Layer) : undefined
}

/** `runtime` for runtime/internal/kernel.ts: the layer whose internal/ folder holds the file. */
const internalOwner = (file: string): Layer | undefined => {
  const layer = layerOf(file)
  return layer !== undefined && layer !== "root" && file.split("/").slice(1, -1).includes("internal") ? layer : undefined
}

/** The layer whose tests these are: test/unit/runtime/… and test/integration/runtime/… test runtime. */
const testedLayer = (file: string): Layer | undefined => {
  const parts = file.split("/")
  return parts[0] === "test" && parts.length > 3 ? layerOf(`${parts[2]}/x.ts`) : undefined
}

/** agents/<folder>/…: the agent (or the production) that owns the file; undefined for shared helpers. */
const agentFolder = (file: string, sharedFolders: ReadonlyArray<string>): string | undefined => {
  const parts = file.split("/")
  if (parts[0] !== "agents" || parts.length < 3) return undefined
  return sharedFolders.includes(parts[1]!) ? undefined : parts[1]
}

export interface ImportRef {
  readonly specifier: string
  /** Names taken from the module (as the module exports them); "*" for the whole module. */
  readonly names: ReadonlyArray<string>
}

/** Every import, re-export, dynamic import() and import type of one file. */
export const importsOf = (file: string, text: string): Array<ImportRef> => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS)
  const refs: Array<ImportRef> = []
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const names: Array<string> = []
      if (clause === undefined) names.push("*")
      else {
        if (clause.name !== undefined) names.push("default")
        const bindings = clause.namedBindings
        if (bindings !== undefined && ts.isNamespaceImport(bindings)) names.push("*")
        if (bindings !== undefined && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) names.push((element.propertyName ?? element.name).text)
        }
      }
      refs.push({ specifier: node.moduleSpecifier.text, names })
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause
      const names = clause !== undefined && ts.isNamedExports(clause)
        ? clause.elements.map((element) => (element.propertyName ?? element.name).text)
        : ["*"]
      refs.push({ specifier: node.moduleSpecifier.text, names })
    } else if (
      ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined && ts.isStringLiteralLike(node.arguments[0])
    ) {
      refs.push({ specifier: node.arguments[0].text, names: ["*"] })
    } else if (
      ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)
    ) {
      refs.push({ specifier: node.argument.literal.text, names: ["*"] })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return refs
}

/** A relative specifier, or the package's own name, as a repository-relative path; undefined for other packages. */
const resolve = (file: string, specifier: string): string | undefined => {
  if (specifier.startsWith("./") || specifier.startsWith("../")) return posix.normalize(posix.join(posix.dirname(file), specifier))
  if (specifier === "reelswarm") return "index.ts"
  if (specifier.startsWith("reelswarm/")) return `${specifier.slice("reelswarm/".length)}/index.ts`
  return undefined
}

export interface House {
  /** Repository-relative path → file text: the layers' sources, and test/, bench/, examples/ files. */
  readonly files: Readonly<Record<string, string>>
  /** package.json's `exports`. */
  readonly exports: unknown
}

/** What agents/index.ts exports, by the file it takes it from: file → names as that file exports them. */
const agentsSurface = (files: House["files"]): Map<string, Set<string>> => {
  const surface = new Map<string, Set<string>>()
  const text = files["agents/index.ts"]
  if (text === undefined) return surface
  const source = ts.createSourceFile("agents/index.ts", text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS)
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || statement.moduleSpecifier === undefined) continue
    if (!ts.isStringLiteral(statement.moduleSpecifier)) continue
    const target = resolve("agents/index.ts", statement.moduleSpecifier.text)!
    const names = surface.get(target) ?? new Set<string>()
    const clause = statement.exportClause
    if (clause !== undefined && ts.isNamedExports(clause)) {
      for (const element of clause.elements) names.add((element.propertyName ?? element.name).text)
    } else names.add("*")
    surface.set(target, names)
  }
  return surface
}

const checkImport = (
  file: string,
  ref: ImportRef,
  target: string,
  surface: Map<string, Set<string>>,
  shared: ReadonlyArray<string>
): Array<Violation> => {
  const violation = (rule: Rule, detail?: string): Violation =>
    detail === undefined ? { file, specifier: ref.specifier, rule } : { file, specifier: ref.specifier, rule, detail }
  const from = layerOf(file)
  const to = layerOf(target)
  const owner = internalOwner(target)
  const exempt = EXEMPT_ROOTS.includes(file.split("/")[0]!)
  const found: Array<Violation> = []

  if (owner !== undefined && from !== owner && !(exempt && testedLayer(file) === owner)) {
    found.push(violation("internal", `${owner}/internal/ is private to ${owner}/`))
  }
  if (exempt || from === undefined) return found
  if (to === undefined) {
    if (target !== "package.json") found.push(violation("outside-house", `${target} is not part of a layer`))
    return found
  }
  if (from === to) {
    if (from !== "root" && target === indexOf(from) && file !== target) {
      found.push(violation("own-index", `import the module itself, not ${indexOf(from)} (a cycle through the barrel)`))
    }
    if (from === "agents") found.push(...checkAgents(file, ref, target, surface, shared, violation))
    return found
  }
  if (!ALLOWED[from].includes(to)) {
    const allowed = ALLOWED[from].length === 0 ? "none of ours" : ALLOWED[from].join(", ")
    found.push(violation("direction", `${from} may import ${allowed}`))
  } else if (target !== indexOf(to)) {
    found.push(violation("through-index", `import ${indexOf(to)}`))
  }
  return found
}

const checkAgents = (
  file: string,
  ref: ImportRef,
  target: string,
  surface: Map<string, Set<string>>,
  shared: ReadonlyArray<string>,
  violation: (rule: Rule, detail?: string) => Violation
): Array<Violation> => {
  if (target === "agents/index.ts" || file === "agents/index.ts") return []
  const mine = agentFolder(file, shared)
  const theirs = agentFolder(target, shared)
  if (theirs === undefined || mine === theirs) return []
  if (mine === undefined) return [violation("shared-helper", `shared helpers import no agent (${theirs}/)`)]
  const exported = surface.get(target) ?? new Set<string>()
  const hidden = ref.names.filter((name) => !exported.has("*") && !exported.has(name))
  return hidden.length === 0
    ? []
    : [violation("agent-internals", `${hidden.join(", ")} not exported from agents/index.ts`)]
}

const checkExports = (exports: unknown): Array<Violation> => {
  const found: Array<Violation> = []
  const entries = typeof exports === "object" && exports !== null ? Object.entries(exports) : []
  const targets = (value: unknown): Array<string> =>
    typeof value === "string" ? [value] : typeof value === "object" && value !== null ? Object.values(value).flatMap(targets) : []
  const indexTarget = /^\.\/dist\/(?:(runtime|topologies|memory|media|agents)\/)?index\.(?:js|d\.ts)$/
  for (const [key, value] of entries) {
    const file = `package.json exports["${key}"]`
    for (const target of targets(value)) {
      if (key.includes("internal") || target.includes("internal")) {
        found.push({ file, specifier: target, rule: "package-exports", detail: "internal/ is never published" })
      } else if (target !== "./package.json" && !indexTarget.test(target)) {
        found.push({ file, specifier: target, rule: "package-exports", detail: "only the root and the layers' indexes are published" })
      }
    }
  }
  const keys = new Set(entries.map(([key]) => key))
  for (const layer of PUBLISHED) {
    if (!keys.has(`./${layer}`)) {
      found.push({ file: "package.json exports", specifier: `./${layer}`, rule: "package-exports", detail: `${layer}/ is not published` })
    }
  }
  return found
}

/** Layers whose events must come from a kind's constructor. */
const TYPED_EVENT_LAYERS: ReadonlyArray<Layer> = ["agents", "apps"]

/** Every `….publish({ … })` whose event is an object literal written in place. */
const literalPublishes = (file: string, text: string): Array<Violation> => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const found: Array<Violation> = []
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "publish" &&
      node.arguments[0] !== undefined && ts.isObjectLiteralExpression(node.arguments[0])
    ) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source))
      found.push({ file, specifier: `line ${line + 1}`, rule: "typed-events", detail: "publish an event kind's make(…), not a literal" })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

export const checkHouse = (house: House): Array<Violation> => {
  const surface = agentsSurface(house.files)
  const shared = SHARED_AGENT_FOLDERS
  const found: Array<Violation> = []
  for (const [file, text] of Object.entries(house.files).sort(([a], [b]) => a.localeCompare(b))) {
    for (const ref of importsOf(file, text)) {
      const target = resolve(file, ref.specifier)
      if (target !== undefined) found.push(...checkImport(file, ref, target, surface, shared))
    }
    const layer = layerOf(file)
    if (layer !== undefined && TYPED_EVENT_LAYERS.includes(layer)) found.push(...literalPublishes(file, text))
  }
  return [...found, ...checkExports(house.exports)]
}
