/**
 * `reelswarm footage index|search|sample`: a footage folder as the swarm sees it. `index` probes
 * every clip and image (media's footage index, its probe cache in `<state>/footage-index`, the one
 * jobs use); `search` ranks the folder's clips for a query as the shot matcher would for a scene
 * (BM25 over tags and file names with stemming and synonyms, orientation and duration fit);
 * `sample` draws the procedural sample clips (fractals, automata, gradients …) into a folder.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Schema } from "effect"
import { join } from "node:path"
import { rankShots } from "../../agents/index.ts"
import { type FootageClip, FootageIndexCache, generateSampleLibrary, indexFolder, SAMPLE_CLIPS } from "../../media/index.ts"
import { described, printLine } from "./examples.ts"
import * as job from "./job-options.ts"
import { handleVerbose, verbose } from "./logging.ts"
import { CliError } from "./run-job.ts"

/** Generating the sample clips failed (ffmpeg): exit code 1. */
export class FootageFailedError extends Schema.TaggedError<FootageFailedError>()("FootageFailedError", { message: Schema.String }) {}

const folder = Args.directory({ name: "FOLDER", exists: "yes" }).pipe(Args.withDescription("The footage folder."))

/** The folder's index, its probe cache in the state directory; a folder that cannot be read is bad input. */
const indexOf = (dir: string, state: string) =>
  indexFolder(dir).pipe(
    Effect.provide(FootageIndexCache.layer(join(state, "footage-index"))),
    Effect.mapError((e) => new CliError({ message: `${e.message}${e.detail === undefined ? "" : ` (${e.detail})`}` }))
  )

const clipJson = (clip: FootageClip) => ({
  path: clip.path,
  kind: clip.kind,
  durationSec: clip.durationSec,
  width: clip.width,
  height: clip.height,
  fps: clip.fps,
  orientation: clip.orientation,
  tags: clip.tags
})

const index = Command.make(
  "index",
  { folder, state: job.state, config: job.config, json: job.json, verbose },
  (o) =>
    Effect.gen(function*() {
      const found = yield* indexOf(o.folder, o.state)
      if (o.json) {
        return printLine(JSON.stringify(
          {
            folder: found.root,
            clips: found.clips.map(clipJson),
            warnings: found.warnings,
            cached: found.cached,
            probed: found.probed
          },
          null,
          2
        ))
      }
      const lines = found.clips.map((c) =>
        `${c.path}  ${c.kind} ${c.width}x${c.height}${c.kind === "video" ? ` ${c.durationSec.toFixed(1)} s` : ""}  ${c.tags.join(", ")}`
      )
      const warned = found.warnings.map((w) => `skipped ${w.file}: ${w.message}`)
      printLine(
        [...lines, ...warned, `${found.clips.length} clips (${found.probed} probed, ${found.cached} from the cache)`].join("\n")
      )
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described(
      "Index a footage folder: duration, size, frame rate, orientation and tags of every clip and image (probes are cached in the state).",
      ["reelswarm footage index ./footage", "reelswarm footage index ./footage --json | jq '.clips | length'"]
    )
  )
)

/** The words of a query, for the matcher (which stems them and adds synonyms). */
const keywordsOf = (query: string) => query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []

const search = Command.make(
  "search",
  {
    folder,
    query: Args.text({ name: "QUERY" }).pipe(Args.withDescription("What the scene shows, in words: \"stars over a desert\".")),
    limit: Options.integer("limit").pipe(Options.withDefault(10), Options.withDescription("How many clips to print.")),
    seconds: Options.float("seconds").pipe(
      Options.withDefault(5),
      Options.withDescription("The scene's length: a clip shorter than this fits less well.")
    ),
    aspect: job.aspect,
    seed: job.seed,
    state: job.state,
    config: job.config,
    json: job.json,
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      const keywords = keywordsOf(o.query)
      if (keywords.length === 0) return yield* new CliError({ message: "the query has no words" })
      const found = yield* indexOf(o.folder, o.state)
      // One scene per clip, all alike: the matcher gives every clip to one of them, so each pick is one clip's score for the query.
      const scenes: Parameters<typeof rankShots>[0] = found.clips.map((_, i) => ({ index: i, keywords, estimatedSec: o.seconds }))
      const picks = rankShots(scenes, found.clips, { frame: job.ASPECTS[o.aspect], seed: o.seed })
      const ranked = [...picks].sort((a, b) => b.score.total - a.score.total || a.clip.path.localeCompare(b.clip.path)).slice(0, o.limit)
      if (o.json) {
        return printLine(JSON.stringify(
          {
            query: o.query,
            folder: found.root,
            results: ranked.map((p) => ({
              path: p.clip.path,
              score: p.score,
              matched: p.matched.map((m) => m.term),
              tags: p.clip.tags
            }))
          },
          null,
          2
        ))
      }
      printLine(
        ranked.length === 0
          ? `no clips in ${o.folder}`
          : ranked.map((p) =>
            `${p.score.total.toFixed(3)}  ${p.clip.path}${p.matched.length === 0 ? "" : `  (${p.matched.map((m) => m.term).join(", ")})`}`
          ).join("\n")
      )
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described("Rank a folder's clips for a query, best first, as the shot matcher scores them for a scene.", [
      "reelswarm footage search ./footage \"spiral galaxy\"",
      "reelswarm footage search ./footage \"cells growing\" --aspect 16:9 --limit 3 --json"
    ])
  )
)

const sample = Command.make(
  "sample",
  {
    out: Args.directory({ name: "FOLDER" }).pipe(Args.withDescription("Where to write the clips (created if missing).")),
    size: Options.text("size").pipe(Options.withDefault("1080x1920"), Options.withDescription("Clip size as WIDTHxHEIGHT.")),
    seconds: Options.integer("seconds").pipe(Options.withDefault(4), Options.withDescription("Length of each clip.")),
    fps: Options.integer("fps").pipe(Options.withDefault(30), Options.withDescription("Frame rate of the clips.")),
    only: Options.text("only").pipe(
      Options.repeated,
      Options.withDescription(`Only this clip (repeat it for several): ${SAMPLE_CLIPS.map((s) => s.name).join(", ")}.`)
    ),
    json: Options.boolean("json").pipe(Options.withDescription("Print the clips written as one JSON document.")),
    verbose
  },
  (o) =>
    Effect.gen(function*() {
      const size = job.parseSize(o.size)
      if (size === undefined) return yield* new CliError({ message: `--size must be WIDTHxHEIGHT with even numbers, got ${o.size}` })
      const clips = yield* generateSampleLibrary(o.out, {
        ...size,
        durationSec: o.seconds,
        fps: o.fps,
        ...(o.only.length === 0 ? {} : { only: o.only })
      }).pipe(
        Effect.mapError((e) =>
          e.reason === "invalid-options"
            ? new CliError({ message: e.message })
            : new FootageFailedError({
              message: `${e.message}${e.detail === undefined ? "" : `: ${e.detail.split("\n").slice(-3).join(" ")}`}`
            })
        )
      )
      if (o.json) return printLine(JSON.stringify({ folder: o.out, clips: clips }, null, 2))
      printLine(clips.map((c) => `${c.generated ? "wrote" : "kept "} ${c.file}  ${c.tags.join(", ")}`).join("\n"))
    })
).pipe(
  handleVerbose,
  Command.withDescription(
    described("Draw the procedural sample clips (fractals, automata, gradients …, tagged by what they show) into a folder.", [
      "reelswarm footage sample ./samples",
      "reelswarm footage sample ./samples --size 720x1280 --seconds 3 --only mandelbrot-zoom"
    ])
  )
)

export const footage = Command.make("footage").pipe(
  Command.withDescription(
    described("Footage folders: index them, search them as the shot matcher does, or draw the sample clips.", [
      "reelswarm footage sample ./footage",
      "reelswarm footage index ./footage",
      "reelswarm footage search ./footage \"mandelbrot zoom\""
    ])
  ),
  Command.withSubcommands([index, search, sample])
)
