/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The page's one way of making elements. Text is always set with `textContent`: everything the
 * server sends (event data, agent names, scripts, error messages) is untrusted and never parsed as HTML.
 */

type Attributes = Readonly<Record<string, string | number | boolean | undefined>>
type Child = Node | string | number | null | undefined | false

/** `el("td", { class: "num", "data-testid": "x" }, "text", child)`: attributes set as attributes, children appended as text or nodes. */
export const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: ReadonlyArray<Child>
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    element.setAttribute(name, value === true ? "" : String(value))
  }
  append(element, ...children)
  return element
}

export const append = (parent: Node, ...children: ReadonlyArray<Child>): void => {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child)
  }
}

/** Replaces an element's children. */
export const replaceChildren = (parent: Element, ...children: ReadonlyArray<Child>): void => {
  parent.replaceChildren()
  append(parent, ...children)
}

/** The element with this id in index.html; a missing one is a bug in the page, so it throws. */
export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`console page: no #${id}`)
  return element as T
}

/** Sets `textContent` only when it changed: cheap to call on every update, and no layout churn. */
export const setText = (element: Element, text: string): void => {
  if (element.textContent !== text) element.textContent = text
}
