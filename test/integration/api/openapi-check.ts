/**
 * A structural check of an OpenAPI 3.x document, enough to catch a broken one: the version, every
 * path with at least one operation and every operation with responses, every `$ref` pointing at
 * something that exists in the document. Returns the problems found (none: valid).
 */
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const

const resolvePointer = (doc: unknown, ref: string): unknown => {
  if (!ref.startsWith("#/")) return undefined
  let node: unknown = doc
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~")
    if (typeof node !== "object" || node === null || !(key in node)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

const collectRefs = (node: unknown, at: string, out: Array<{ ref: string; at: string }>) => {
  if (Array.isArray(node)) node.forEach((item, i) => collectRefs(item, `${at}/${i}`, out))
  else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") out.push({ ref: value, at })
      else collectRefs(value, `${at}/${key}`, out)
    }
  }
}

export const openApiProblems = (doc: unknown): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (typeof doc !== "object" || doc === null) return ["the document is not an object"]
  const d = doc as Record<string, unknown>
  if (typeof d.openapi !== "string" || !/^3\.\d+\.\d+$/.test(d.openapi)) problems.push(`openapi is ${JSON.stringify(d.openapi)}, not 3.x.y`)
  const info = d.info as Record<string, unknown> | undefined
  if (typeof info?.title !== "string" || typeof info.version !== "string") problems.push("info needs a title and a version")
  const paths = d.paths as Record<string, Record<string, unknown>> | undefined
  if (typeof paths !== "object" || paths === null || Object.keys(paths).length === 0) problems.push("no paths")
  for (const [path, item] of Object.entries(paths ?? {})) {
    if (!path.startsWith("/")) problems.push(`path ${path} does not start with /`)
    const operations = METHODS.filter((m) => m in item)
    if (operations.length === 0) problems.push(`${path} has no operations`)
    for (const method of operations) {
      const operation = item[method] as Record<string, unknown>
      const responses = operation.responses as Record<string, unknown> | undefined
      if (typeof responses !== "object" || responses === null || Object.keys(responses).length === 0) {
        problems.push(`${method.toUpperCase()} ${path} has no responses`)
      }
      for (const param of (operation.parameters as Array<Record<string, unknown>> | undefined) ?? []) {
        if (param.in === "path" && !path.includes(`{${String(param.name)}}`)) {
          problems.push(`${method.toUpperCase()} ${path}: path parameter ${String(param.name)} is not in the path`)
        }
      }
    }
  }
  const refs: Array<{ ref: string; at: string }> = []
  collectRefs(doc, "#", refs)
  for (const { at, ref } of refs) {
    if (resolvePointer(doc, ref) === undefined) problems.push(`${at}: $ref ${ref} resolves to nothing`)
  }
  return problems
}
