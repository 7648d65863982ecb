/**
 * The job options of `reelswarm run` (and `demo`, `batch`), as flags derived from the one definition
 * every face reads: apps/host/job-request.ts's `JobOptionFields`. Each field becomes a kebab-case flag
 * (`captionPosition` → `--caption-position`) with the field's description, its choices when the
 * field is a set of literals, and its default; the value is checked by the field's Schema. A flag
 * not given falls back to the environment (`REELSWARM_CAPTION_POSITION`), then to the config file
 * (config.ts), then to the default.
 */
import { HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Either, Option, Schema, SchemaAST as AST } from "effect"
import type { CaptionsChoice, TopologyChoice } from "../../agents/index.ts"
import { type Aspect, ASPECTS, CAPTION_STYLES as STYLES, type CaptionFlag, JobOptionFields, JobOptions } from "../host/job-request.ts"
import { DEFAULT_CACHE_MAX, DEFAULT_CACHE_MAX_TEXT, parseByteSize, SIZE_WANTED } from "./cache-size.ts"
import { envName, flagName, issueText, type Settings, settings } from "./config.ts"

export { type Aspect, ASPECTS, type CaptionFlag }

/** `--captions` as users type it → the renderer's caption style. */
export const CAPTION_STYLES = STYLES satisfies Record<CaptionFlag, CaptionsChoice>

export type JobOptionName = keyof typeof JobOptionFields

/** Every job option's default (fields without one, such as `size`, are absent), plus the CLI's own. */
export const JOB_DEFAULTS = {
  ...Schema.decodeUnknownSync(JobOptions)({}),
  topology: "star" as TopologyChoice,
  state: ".reelswarm"
}

const fail = (text: string) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(text)))

/** The process's settings, or the config file's error as bad usage. */
const currentSettings: Effect.Effect<Settings, ValidationError.ValidationError> = Effect.suspend(() =>
  Either.match(settings(), { onLeft: fail, onRight: Effect.succeed })
)

type Kind =
  | { readonly _tag: "choice"; readonly choices: ReadonlyArray<string> }
  | { readonly _tag: "integer" }
  | { readonly _tag: "float" }
  | { readonly _tag: "text" }
  | { readonly _tag: "boolean" }

const withoutUndefined = (ast: AST.AST): AST.AST =>
  AST.isUnion(ast) ? AST.Union.make(ast.types.filter((t) => !AST.isUndefinedKeyword(t))) : ast

const kindOf = (ast: AST.AST): Kind => {
  if (AST.isUnion(ast) && ast.types.every(AST.isLiteral)) {
    return { _tag: "choice", choices: ast.types.map((t) => String((t as AST.Literal).literal)) }
  }
  let integer = false
  let node = ast
  while (AST.isRefinement(node)) {
    if (Option.getOrUndefined(AST.getSchemaIdAnnotation(node)) === Schema.IntSchemaId) integer = true
    node = node.from
  }
  if (AST.isNumberKeyword(node)) return { _tag: integer ? "integer" : "float" }
  if (AST.isBooleanKeyword(node)) return { _tag: "boolean" }
  return { _tag: "text" }
}

const fieldAst = (name: JobOptionName): AST.AST => {
  const type = AST.typeAST(JobOptions.ast) as AST.TypeLiteral
  return withoutUndefined(type.propertySignatures.find((p) => p.name === name)!.type)
}

/** An environment variable's text as the field's type: numbers parsed, anything else left for the Schema to reject. */
const fromEnv = (kind: Kind, text: string): unknown => {
  if (kind._tag === "boolean") {
    return ({ true: true, "1": true, on: true, false: false, "0": false, off: false } as Record<string, boolean>)[text.trim()] ?? text
  }
  if (kind._tag !== "integer" && kind._tag !== "float") return text
  const n = Number(text)
  return text.trim() !== "" && Number.isFinite(n) ? n : text
}

/**
 * The flag of one job option: its value from the flag, else `REELSWARM_<NAME>`, else the config
 * file, else the field's default (`undefined` for a field that has none), checked by the field's Schema.
 */
export const jobOption = <K extends JobOptionName>(name: K): Options.Options<JobOptions[K]> => {
  const ast = fieldAst(name)
  const kind = kindOf(ast)
  const flag = flagName(name)
  const variable = envName(name)
  const fallback = JOB_DEFAULTS[name as keyof typeof JOB_DEFAULTS]
  const described = Option.getOrElse(AST.getDescriptionAnnotation(ast), () => name)
  const valued: Options.Options<unknown> = kind._tag === "choice"
    ? Options.choice(flag, kind.choices)
    : kind._tag === "integer"
    ? Options.integer(flag)
    : kind._tag === "float"
    ? Options.float(flag)
    : Options.text(flag)
  // A switch (`--qc`): given is true; not given falls back to the environment and the config file.
  const given: Options.Options<Option.Option<unknown>> = kind._tag === "boolean"
    ? Options.map(Options.boolean(flag), (on) => (on ? Option.some<unknown>(true) : Option.none()))
    : Options.optional(valued)
  const decode = Schema.decodeUnknownEither(Schema.Struct({ [name]: JobOptionFields[name] }) as unknown as Schema.Schema<
    Record<K, JobOptions[K]>,
    unknown
  >)
  return given.pipe(
    Options.withDescription(
      `${described}${fallback === undefined ? "" : ` Default: ${fallback}.`} Environment: ${variable}; config file: "${name}".`
    ),
    Options.mapEffect((value) =>
      Effect.flatMap(currentSettings, (s) => {
        const env = s.env[variable]
        const [source, raw]: [string, unknown] = Option.isSome(value)
          ? [`--${flag}`, value.value]
          : env !== undefined && env !== ""
          ? [variable, fromEnv(kind, env)]
          : [`${s.file}: ${name}`, s.config[name]]
        return Either.match(decode(raw === undefined ? {} : { [name]: raw }), {
          onLeft: (error) => fail(`${source}: ${issueText(error).text}`),
          onRight: (decoded) => Effect.succeed(decoded[name])
        })
      })
    )
  )
}

export const aspect = jobOption("aspect")
export const size = jobOption("size")
export const fps = jobOption("fps")
export const captions = jobOption("captions")
export const captionPosition = jobOption("captionPosition")
export const captionSize = jobOption("captionSize")
export const captionColor = jobOption("captionColor")
export const captionStroke = jobOption("captionStroke")
export const captionStrokeWidth = jobOption("captionStrokeWidth")
export const voice = jobOption("voice")
export const voiceRate = jobOption("voiceRate")
export const musicVolume = jobOption("musicVolume")
export const maxClipSeconds = jobOption("maxClipSeconds")
export const encoder = jobOption("encoder")
export const segments = jobOption("segments")
export const seed = jobOption("seed")
export const encodeAware = jobOption("encodeAware")
export const narration = jobOption("narration")
export const loudness = jobOption("loudness")
export const qc = jobOption("qc")

/** `--size 720x1280`: an explicit output size, overriding `--aspect`. */
export const parseSize = (text: string): { width: number; height: number } | undefined => {
  const m = /^(\d{2,5})x(\d{2,5})$/.exec(text.trim())
  if (m === null) return undefined
  const width = Number(m[1]), height = Number(m[2])
  // Even sizes: H.264 with 4:2:0 chroma needs them.
  return width % 2 === 0 && height % 2 === 0 && width <= 7680 && height <= 7680 ? { width, height } : undefined
}

export const music = Options.file("music", { exists: "yes" }).pipe(
  Options.optional,
  Options.withDescription("A music track mixed under the narration, ducked while the voice speaks.")
)
export const topology = Options.choice("topology", ["star", "mesh"] as const).pipe(
  Options.withDefault(JOB_DEFAULTS.topology),
  Options.withDescription("How the agents are linked: star (every message through the director) or mesh (direct).")
)

/** `--state`, else REELSWARM_STATE, else the config file's `state`, else `.reelswarm`. */
export const state = Options.directory("state").pipe(
  Options.optional,
  Options.withDescription(
    `Where the swarm keeps its SQLite file, log, work files and pending jobs. Default: ${JOB_DEFAULTS.state}. ` +
      `Environment: REELSWARM_STATE; config file: "state".`
  ),
  Options.mapEffect((given) =>
    Option.isSome(given)
      ? Effect.succeed(given.value)
      : Effect.map(currentSettings, (s) => s.env.REELSWARM_STATE || s.config.state || JOB_DEFAULTS.state)
  )
)

/** Read before the command line is parsed (config.ts); declared so every command accepts it and its help shows it. */
export const config = Options.file("config").pipe(
  Options.optional,
  Options.withDescription("The config file to read instead of ./reelswarm.config.json (it must exist).")
)

export const json = Options.boolean("json").pipe(
  Options.withDescription("Print one JSON document on stdout and nothing else (progress and logs stay on stderr).")
)

/**
 * A server option: the flag, else `REELSWARM_<NAME>`, else the config file's value (`pick`), else
 * the default. For options that are not job options (`serve`'s bind, the host's slots).
 */
const setting = <A>(
  given: Options.Options<Option.Option<A>>,
  variable: string,
  pick: (s: Settings) => A | undefined,
  parse: (text: string) => A | undefined,
  fallback: A
): Options.Options<A> =>
  given.pipe(
    Options.mapEffect((value) =>
      Option.isSome(value) ? Effect.succeed(value.value) : Effect.flatMap(currentSettings, (s) => {
        const env = s.env[variable]
        if (env === undefined || env === "") return Effect.succeed(pick(s) ?? fallback)
        const parsed = parse(env)
        return parsed === undefined ? fail(`${variable}: cannot use ${JSON.stringify(env)}`) : Effect.succeed(parsed)
      })
    )
  )

const wholeNumber = (min: number, max: number) => (text: string) => {
  const n = Number(text)
  return /^\d+$/.test(text.trim()) && n >= min && n <= max ? n : undefined
}

/** Jobs a host (serve, mcp) runs at once. */
export const concurrency = setting(
  Options.integer("concurrency").pipe(
    Options.optional,
    Options.withDescription("Jobs running at once; the others wait in the queue. Default 1. Environment: REELSWARM_CONCURRENCY.")
  ),
  "REELSWARM_CONCURRENCY",
  () => undefined,
  wholeNumber(1, 64),
  1
)

/**
 * A cache size (cache-size.ts): the flag, else REELSWARM_CACHE_MAX, else the config file's
 * `cacheMax`, else 2 GB; a bad one is bad usage naming where it came from and the value.
 */
const cacheSize = (flag: string, description: string): Options.Options<number> =>
  Options.text(flag).pipe(
    Options.withPseudoName("SIZE"),
    Options.optional,
    Options.withDescription(
      `${description} Bytes, or with KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB. Default: ${DEFAULT_CACHE_MAX_TEXT}. ` +
        `Environment: REELSWARM_CACHE_MAX; config file: "cacheMax".`
    ),
    Options.mapEffect((given) =>
      Effect.flatMap(currentSettings, (s) => {
        const env = s.env.REELSWARM_CACHE_MAX
        if (Option.isNone(given) && (env === undefined || env === "")) return Effect.succeed(s.config.cacheMax ?? DEFAULT_CACHE_MAX)
        const [source, text] = Option.isSome(given) ? [`--${flag}`, given.value] : ["REELSWARM_CACHE_MAX", env!]
        const bytes = parseByteSize(text)
        return bytes === undefined ? fail(`${source}: expected ${SIZE_WANTED}, got ${JSON.stringify(text)}`) : Effect.succeed(bytes)
      })
    )
  )

/** The most the state directory's cache may hold: after every job, what is over it goes (state-cache.ts). */
export const cacheMax = cacheSize(
  "cache-max",
  "The most the state directory's cache (narrations, render folders, drawn samples, footage probes, analyses) may hold: " +
    "after each job the least recently used artifacts no pending job needs are deleted until it fits."
)

/** `cache prune --max-size`: the size to prune to, the cache's cap unless given. */
export const pruneMaxSize = cacheSize("max-size", "Prune the cache to this size.")

/** Encoder agents a host's jobs share. */
export const encoderSlots = setting(
  Options.integer("encoder-slots").pipe(
    Options.optional,
    Options.withDescription(
      "Encoder agents shared by every job's renders (a job's --segments beyond them wait for a slot). Default 2. Environment: REELSWARM_ENCODER_SLOTS."
    )
  ),
  "REELSWARM_ENCODER_SLOTS",
  () => undefined,
  wholeNumber(1, 64),
  2
)

/** `serve --host`: the config file's `serve.host`, REELSWARM_HOST. */
export const serveHost = setting(
  Options.text("host").pipe(
    Options.optional,
    Options.withDescription(
      "The address to listen on. Anything but loopback (127.0.0.1, ::1, localhost) needs --token or --token-file. " +
        `Default 127.0.0.1. Environment: REELSWARM_HOST; config file: "serve.host".`
    )
  ),
  "REELSWARM_HOST",
  (s) => s.config.serve?.host,
  (text) => text.trim(),
  "127.0.0.1"
)

/** `serve --port`: the config file's `serve.port`, REELSWARM_PORT. */
export const servePort = setting(
  Options.integer("port").pipe(
    Options.optional,
    Options.withDescription(
      `The port to listen on (0: any free port). Default 7878. Environment: REELSWARM_PORT; config file: "serve.port".`
    )
  ),
  "REELSWARM_PORT",
  (s) => s.config.serve?.port,
  wholeNumber(0, 65535),
  7878
)

/** `serve --token-file`: the config file's `serve.tokenFile`. */
export const serveTokenFile = setting(
  Options.file("token-file", { exists: "yes" }).pipe(
    Options.map(Option.some),
    Options.optional,
    Options.withDescription(
      `Read the token from this file (its first line), so it stays out of the process list. Config file: "serve.tokenFile".`
    )
  ),
  "REELSWARM_TOKEN_FILE",
  (s) => Option.fromNullable(s.config.serve?.tokenFile),
  (text) => Option.some(text),
  Option.none<string>()
)
