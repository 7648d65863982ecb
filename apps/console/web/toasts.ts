/// <reference lib="dom" />
/** Short notices of what commands did (and why one failed), stacked in a corner, gone after a while. */
import type { CommandResult } from "./connection.ts"
import { el } from "./dom.ts"

export class Toasts {
  constructor(private readonly container: HTMLElement) {}

  show(kind: "ok" | "error", title: string, detail?: string): void {
    const toast = el(
      "div",
      { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": "toast" },
      el("strong", {}, title),
      detail === undefined ? null : el("div", { class: "toast-detail" }, detail)
    )
    this.container.appendChild(toast)
    setTimeout(() => toast.remove(), kind === "error" ? 9000 : 4000)
  }

  /** One notice for a command's result: `done` on success, the error's tag and message otherwise. */
  result(what: string, result: CommandResult, done: string): void {
    if (result.ok) this.show("ok", done)
    else this.show("error", `${what} failed`, `${result.error?.tag ?? "Error"}: ${result.error?.message ?? "no reason given"}`)
  }
}
