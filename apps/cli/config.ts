/**
 * Where a command's settings come from besides its flags: the environment (`REELSWARM_<NAME>`, e.g.
 * REELSWARM_VOICE, REELSWARM_CAPTION_POSITION, REELSWARM_STATE) and the config file
 * `reelswarm.config.json` (in the working directory, or `--config FILE`). A flag wins over the
 * environment, which wins over the file, which wins over the default. The file is read and checked
 * (unknown fields are errors) once, the first time a command needs a setting; its errors name the
 * file and the field, and are bad usage (exit code 2).
 */
import { Either, Option, ParseResult, Schema, SchemaAST as AST } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { inspect } from "node:util"
import { JobOptions } from "../host/job-request.ts"
import { ByteSize } from "./cache-size.ts"

export const CONFIG_FILE = "reelswarm.config.json"

/** The log file's level: pino's names, and @effect/cli's `--log-level` ones (warning, all, none). */
export const LogLevelName = Schema.Literal("trace", "debug", "info", "warn", "warning", "error", "fatal", "all", "none")
export type LogLevelName = typeof LogLevelName.Type

/** The config file: any job option, plus the state directory, its cache cap, the server's bind and the log file's level. */
export const ConfigFile = Schema.extend(
  Schema.partial(Schema.typeSchema(JobOptions)),
  Schema.Struct({
    state: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
    /** The state directory's cache cap (cache-size.ts): bytes, or a size such as "2GB". */
    cacheMax: Schema.optional(ByteSize),
    serve: Schema.optional(Schema.Struct({
      host: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
      port: Schema.optional(Schema.Int.pipe(Schema.between(0, 65535))),
      tokenFile: Schema.optional(Schema.String.pipe(Schema.minLength(1)))
    })),
    logLevel: Schema.optional(LogLevelName)
  })
)
export type ConfigFile = typeof ConfigFile.Type

/** `captionPosition` → `REELSWARM_CAPTION_POSITION`. */
export const envName = (field: string) => `REELSWARM_${field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`

/** `captionPosition` → `caption-position`. */
export const flagName = (field: string) => field.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()

const describeActual = (actual: unknown) => (actual === undefined ? "nothing" : JSON.stringify(actual) ?? inspect(actual))

/** What a refinement wants, in words: its own message, or the kind of check it is. */
const refinementText = (ast: AST.Refinement, actual: unknown): string => {
  const message = AST.getMessageAnnotation(ast)
  if (Option.isSome(message)) {
    const text = message.value(new ParseResult.Type(ast, actual))
    if (typeof text === "string") return text
  }
  const id = Option.getOrUndefined(AST.getSchemaIdAnnotation(ast))
  const bounds = Option.getOrUndefined(AST.getJSONSchemaAnnotation(ast)) as { minimum?: number; maximum?: number } | undefined
  if (id === Schema.BetweenSchemaId && bounds !== undefined) return `a number between ${bounds.minimum} and ${bounds.maximum}`
  if (id === Schema.IntSchemaId) return "a whole number"
  if (id === Schema.MinLengthSchemaId) return "a non-empty string"
  return Option.getOrElse(AST.getDescriptionAnnotation(ast), () => "a valid value")
}

const typeText = (ast: AST.AST): string =>
  AST.isUnion(ast) && ast.types.every(AST.isLiteral)
    ? `one of ${ast.types.map((t) => String((t as AST.Literal).literal)).join(", ")}`
    : AST.isLiteral(ast)
    ? JSON.stringify(ast.literal)
    : AST.isNumberKeyword(ast)
    ? "a number"
    : AST.isStringKeyword(ast)
    ? "a string"
    : AST.isBooleanKeyword(ast)
    ? "true or false"
    : AST.isTypeLiteral(ast)
    ? "an object"
    : AST.isRefinement(ast)
    ? typeText(ast.from)
    : String(ast)

/**
 * A Schema's complaint in a user's words, and the path of the setting it is about:
 * `captions`, `expected one of lines, words, karaoke, none, got "big"`; `fps`, `expected a number
 * between 1 and 120, got 500`; a pattern's own message (`WIDTHxHEIGHT, e.g. 720x1280`).
 */
export const issueText = (error: ParseResult.ParseError): { readonly path: string; readonly text: string } => {
  const path: Array<string> = []
  const walk = (issue: ParseResult.ParseIssue): string => {
    switch (issue._tag) {
      case "Pointer":
        path.push(...(Array.isArray(issue.path) ? issue.path : [issue.path]).map(String))
        return walk(issue.issue)
      case "Unexpected":
        return "not a setting reelswarm knows"
      case "Missing":
        return "missing"
      case "Composite": {
        // A union that says what it takes in its own words (`segments`: a number or auto).
        const own = AST.isUnion(issue.ast) ? AST.getMessageAnnotation(issue.ast) : Option.none()
        if (Option.isSome(own)) {
          const text = own.value(issue)
          if (typeof text === "string") return `expected ${text}, got ${describeActual(issue.actual)}`
        }
        if (AST.isUnion(issue.ast) && issue.ast.types.every(AST.isLiteral)) {
          return `expected ${typeText(issue.ast)}, got ${describeActual(issue.actual)}`
        }
        const issues = issue.issues as ParseResult.ParseIssue | ReadonlyArray<ParseResult.ParseIssue>
        const first = Array.isArray(issues) ? (issues as ReadonlyArray<ParseResult.ParseIssue>)[0] : (issues as ParseResult.ParseIssue)
        return first === undefined ? `expected ${typeText(issue.ast)}, got ${describeActual(issue.actual)}` : walk(first)
      }
      case "Refinement":
        return issue.kind === "From"
          ? walk(issue.issue)
          : `expected ${refinementText(issue.ast, issue.actual)}, got ${describeActual(issue.actual)}`
      case "Transformation":
        return walk(issue.issue)
      case "Type":
        return `expected ${typeText(issue.ast)}, got ${describeActual(issue.actual)}`
      case "Forbidden":
        return issue.message ?? "forbidden"
    }
  }
  const text = walk(error.issue)
  return { path: path.join("."), text }
}

/** `--config FILE` (or `--config=FILE`) on the command line, seen before @effect/cli parses it: every command's settings depend on it. */
export const configFlag = (argv: ReadonlyArray<string>): string | undefined => {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") return undefined
    if (arg === "--config") return argv[i + 1]
    if (arg.startsWith("--config=")) return arg.slice("--config=".length)
  }
  return undefined
}

export interface Settings {
  /** The file read, when there was one. */
  readonly file: string | undefined
  readonly config: ConfigFile
  readonly env: NodeJS.ProcessEnv
}

/** Reads and checks the config file: `--config FILE` (which must exist), else `reelswarm.config.json` in the working directory if there is one. */
export const loadSettings = (
  argv: ReadonlyArray<string> = process.argv,
  env: NodeJS.ProcessEnv = process.env
): Either.Either<Settings, string> => {
  const given = configFlag(argv)
  const file = given ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined)
  if (file === undefined) return Either.right({ file, config: {}, env })
  let text: string
  try {
    text = readFileSync(resolve(file), "utf8")
  } catch (error) {
    return Either.left(`${file}: cannot read the config file (${(error as Error).message})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left(`${file}: not JSON (${(error as Error).message})`)
  }
  return Schema.decodeUnknownEither(ConfigFile, { onExcessProperty: "error" })(json).pipe(
    Either.mapLeft((error) => {
      const { path, text } = issueText(error)
      return `${file}: ${path === "" ? "" : `${path}: `}${text}`
    }),
    Either.map((config) => ({ file, config, env }))
  )
}

let loaded: Either.Either<Settings, string> | undefined

/** The settings of this process, read once. */
export const settings = (): Either.Either<Settings, string> => (loaded ??= loadSettings())
