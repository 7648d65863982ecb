/// <reference lib="dom" />
/**
 * The "new job" dialog: the main options of a JobRequest, with the defaults and help texts of
 * apps/host/job-request.ts (the one definition every face reads), checked against its Schema
 * before sending; a field the server refuses is marked with the server's reason.
 */
import { Either, ParseResult, Schema, SchemaAST } from "effect"
import { ASPECTS, CAPTION_STYLES, JobRequest } from "../../host/job-request.ts"
import type { ConsoleConnection } from "./connection.ts"
import { el } from "./dom.ts"
import type { Toasts } from "./toasts.ts"
import type { JobSummary } from "./wire.ts"

type FieldName = "script" | "title" | "footage" | "aspect" | "size" | "fps" | "captions" | "voice" | "segments" | "encoder"

/** The description annotation of a JobRequest field, through optional's `| undefined` and default's transformation. */
const descriptionOf = (field: string): string => {
  const find = (ast: SchemaAST.AST): string | undefined => {
    const own = SchemaAST.getDescriptionAnnotation(ast)
    if (own._tag === "Some") return own.value
    if (SchemaAST.isUnion(ast)) {
      for (const member of ast.types) {
        const found = find(member)
        if (found !== undefined) return found
      }
    }
    if (SchemaAST.isTransformation(ast)) return find(ast.from) ?? find(ast.to)
    if (SchemaAST.isRefinement(ast)) return find(ast.from)
    return undefined
  }
  const root = SchemaAST.isTransformation(JobRequest.ast) ? JobRequest.ast.from : JobRequest.ast
  if (!SchemaAST.isTypeLiteral(root)) return ""
  const signature = root.propertySignatures.find((p) => p.name === field)
  return signature === undefined ? "" : find(signature.type) ?? ""
}

/** What a request with only a script decodes to: every default, from the Schema itself. */
const DEFAULTS = Schema.decodeUnknownSync(JobRequest)({ script: "-" })

const VOICES = ["auto", "en", "en-us", "en-gb", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "zh", "ja", "ko", "ar", "hi"]

export class SubmitForm {
  readonly element: HTMLDialogElement
  private readonly form: HTMLFormElement
  private readonly inputs = new Map<FieldName, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>()
  private readonly errors = new Map<FieldName, HTMLElement>()
  private readonly formError: HTMLElement
  private readonly submit: HTMLButtonElement

  constructor(
    private readonly connection: ConsoleConnection,
    private readonly toasts: Toasts,
    private readonly onSubmitted: (job: JobSummary) => void
  ) {
    const script = el("textarea", {
      name: "script",
      rows: 7,
      required: true,
      placeholder: "One paragraph per scene.\n\nBlank lines between paragraphs."
    })
    const title = el("input", { name: "title", type: "text", maxlength: 200, placeholder: "default: the script's first words" })
    const footage = el("input", {
      name: "footage",
      type: "text",
      placeholder: "default: uploaded footage, or the sample clips",
      spellcheck: false
    })
    const aspect = el(
      "select",
      { name: "aspect" },
      ...Object.entries(ASPECTS).map(([key, size]) => el("option", { value: key }, `${key}  (${size.width}×${size.height})`))
    )
    const size = el("input", { name: "size", type: "text", placeholder: "e.g. 720x1280", pattern: "\\d{2,5}x\\d{2,5}", spellcheck: false })
    const fps = el("input", { name: "fps", type: "number", min: 1, max: 120, step: 1 })
    const captions = el("select", { name: "captions" }, ...Object.keys(CAPTION_STYLES).map((key) => el("option", { value: key }, key)))
    const voice = el("input", { name: "voice", type: "text", list: "voices", spellcheck: false })
    const segments = el("input", { name: "segments", type: "number", min: 1, max: 64, step: 1 })
    const encoder = el("input", { name: "encoder", type: "text", list: "encoders", spellcheck: false })
    const fields: Array<[FieldName, string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, string?]> = [
      ["script", "Script", script, "wide"],
      ["title", "Title", title, "wide"],
      ["footage", "Footage folder", footage, "wide"],
      ["aspect", "Aspect", aspect],
      ["size", "Size", size],
      ["fps", "Frame rate", fps],
      ["captions", "Captions", captions],
      ["voice", "Voice", voice],
      ["segments", "Encoder slots", segments],
      ["encoder", "Encoder", encoder]
    ]
    const rows = fields.map(([name, label, input, wide]) => {
      input.id = `submit-${name}`
      input.setAttribute("data-testid", `submit-${name}`)
      this.inputs.set(name, input)
      const error = el("div", { class: "field-error", "data-testid": `submit-${name}-error` })
      this.errors.set(name, error)
      const help = descriptionOf(name)
      return el(
        "div",
        { class: `field${wide === undefined ? "" : " field-wide"}` },
        el("label", { for: input.id }, label),
        input,
        help === "" ? null : el("div", { class: "help" }, help),
        error
      )
    })
    this.formError = el("div", { class: "form-error", role: "alert", "data-testid": "submit-error" })
    this.submit = el("button", { class: "btn btn-primary", type: "submit", "data-testid": "submit-job" }, "Submit job")
    const cancel = el("button", { class: "btn btn-ghost", type: "button" }, "Cancel")
    cancel.addEventListener("click", () => this.element.close())
    this.form = el(
      "form",
      { class: "submit-form", novalidate: true },
      el("header", { class: "card-head" }, el("h2", {}, "New job")),
      el("div", { class: "fields" }, ...rows),
      el("datalist", { id: "voices" }, ...VOICES.map((v) => el("option", { value: v }))),
      el(
        "datalist",
        { id: "encoders" },
        ...["auto", "libx264", "h264_nvenc", "h264_vaapi", "h264_qsv", "h264_videotoolbox"].map((v) => el("option", { value: v }))
      ),
      this.formError,
      el("footer", { class: "form-actions" }, cancel, this.submit)
    )
    this.form.addEventListener("submit", (e) => {
      e.preventDefault()
      void this.send()
    })
    this.element = el("dialog", { class: "dialog", "data-testid": "submit-dialog" }, this.form)
    this.reset()
  }

  open(): void {
    this.clearErrors()
    this.element.showModal()
    this.inputs.get("script")?.focus()
  }

  private reset(): void {
    this.form.reset()
    this.value("aspect", DEFAULTS.aspect)
    this.value("fps", String(DEFAULTS.fps))
    this.value("captions", DEFAULTS.captions)
    this.value("voice", DEFAULTS.voice)
    this.value("segments", String(DEFAULTS.segments))
    this.value("encoder", DEFAULTS.encoder)
  }

  private value(name: FieldName, value?: string): string {
    const input = this.inputs.get(name)!
    if (value !== undefined) input.value = value
    return input.value.trim()
  }

  /** The request as typed: empty optional fields left out, numbers as numbers. */
  private request(): Record<string, unknown> {
    const request: Record<string, unknown> = {}
    for (const name of ["script", "title", "footage", "size", "aspect", "captions", "voice", "encoder"] as const) {
      const value = name === "script" ? this.inputs.get(name)!.value : this.value(name)
      if (value.trim() !== "") request[name] = value
    }
    for (const name of ["fps", "segments"] as const) {
      const value = this.value(name)
      if (value !== "") request[name] = Number(value)
    }
    return request
  }

  private clearErrors(): void {
    for (const [name, error] of this.errors) {
      error.textContent = ""
      this.inputs.get(name)?.removeAttribute("aria-invalid")
    }
    this.formError.textContent = ""
  }

  private fieldError(field: string | undefined, message: string): void {
    const name = field as FieldName | undefined
    const error = name === undefined ? undefined : this.errors.get(name)
    if (error === undefined) {
      this.formError.textContent = field === undefined ? message : `${field}: ${message}`
      return
    }
    error.textContent = message
    this.inputs.get(name!)?.setAttribute("aria-invalid", "true")
  }

  private async send(): Promise<void> {
    this.clearErrors()
    const request = this.request()
    const checked = Schema.decodeUnknownEither(JobRequest)(request, { errors: "all", onExcessProperty: "error" })
    if (Either.isLeft(checked)) {
      for (const issue of ParseResult.ArrayFormatter.formatErrorSync(checked.left)) {
        this.fieldError(issue.path[0]?.toString(), issue.message)
      }
      return
    }
    if (checked.right.script === undefined) return this.fieldError("script", "a script is needed")
    this.submit.disabled = true
    try {
      const result = await this.connection.send({ t: "submit", request: Schema.encodeSync(JobRequest)(checked.right) })
      if (!result.ok || result.job === undefined) {
        this.fieldError(result.error?.field, `${result.error?.tag ?? "Error"}: ${result.error?.message ?? "the server refused the job"}`)
        return
      }
      this.toasts.show("ok", "Job submitted", result.job.id)
      this.element.close()
      this.reset()
      this.onSubmitted(result.job)
    } finally {
      this.submit.disabled = false
    }
  }
}
