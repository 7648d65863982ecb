/**
 * What `reelswarm run` checks before any work, each failure a CliError (exit 2) naming what is wrong:
 * the script is text, the voice is auto or one espeak-ng has, `--out` is not one of the inputs nor inside
 * the footage folder, and the output directory is writable with room for the video.
 */
import { Effect, Option } from "effect"
import { closeSync, type Dirent, openSync, readdirSync, realpathSync, rmSync, statfsSync, statSync } from "node:fs"
import { mkdir } from "node:fs/promises"
import { basename, dirname, join, resolve, sep } from "node:path"
import { reportPath } from "../../agents/index.ts"
import { AUTO_VOICE, espeakVoices, fontCoverage, unknownVoicePart } from "../../media/index.ts"
import { CliError } from "./run-job.ts"

/** Node's line without the path it names (the caller names the directory; the probe file's name would only confuse). */
const messageOf = (error: unknown) => ((error as NodeJS.ErrnoException).message ?? String(error)).replace(/, \w+ '[^']*'$/, "")

/** Control characters that have no place in a script (tab, newlines and form feed do). */
const CONTROL = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F]/g

/** Why `bytes` is not a script's text, if it is not: invalid UTF-8, NUL bytes, or mostly control characters. */
export const notTextReason = (bytes: Uint8Array): string | undefined => {
  if (bytes.includes(0)) return "it contains NUL bytes"
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  } catch {
    return "it is not valid UTF-8"
  }
  const controls = text.match(CONTROL)?.length ?? 0
  return controls > 0 && controls * 10 >= text.length ? `${controls} of its ${text.length} characters are control characters` : undefined
}

/** The script's text from its bytes; `source` names it in the message ("the script notes.txt", "the script on stdin"). */
export const scriptText = (bytes: Uint8Array, source: string): Effect.Effect<string, CliError> => {
  const reason = notTextReason(bytes)
  return reason === undefined
    ? Effect.succeed(new TextDecoder("utf-8").decode(bytes))
    : new CliError({ message: `${source} is not text (${reason}): pass a plain-text script in UTF-8` })
}

/**
 * The voice is auto (one per language of the script, chosen by the narration) or one espeak-ng has: a
 * language code (en, en-us), a voice name or file, optionally with a variant (en+f3). espeak-ng itself
 * ignores an unknown variant silently; here it is refused, since it is almost always a typo.
 */
export const checkVoice = (voice: string): Effect.Effect<void, CliError> =>
  Effect.gen(function*() {
    const known = yield* espeakVoices().pipe(
      Effect.mapError((error) => new CliError({ message: `${error.message}, which narration needs` }))
    )
    if (voice.toLowerCase() === AUTO_VOICE) return
    const unknown = unknownVoicePart(known, voice)
    const hint = "`espeak-ng --voices` lists them (en, en-us, de, fr, …; a variant as en+f3, from `espeak-ng --voices=variant`), " +
      "or pass auto for a voice per language of the script"
    if (unknown === "voice") return yield* new CliError({ message: `unknown voice ${voice}: ${hint}` })
    if (unknown === "variant") {
      return yield* new CliError({ message: `unknown voice variant ${voice.split("+")[1]} in ${voice}: ${hint}` })
    }
  })

export interface OutputCheck {
  readonly out: string
  /** The footage folder, or the images shown instead of one. */
  readonly footage?: string | undefined
  readonly images?: ReadonlyArray<string> | undefined
  readonly script?: string | undefined
  readonly music?: string | undefined
  /** The recorded narration. */
  readonly narration?: string | undefined
  readonly width: number
  readonly height: number
  readonly fps: number
  /** The script's words, for the estimate of the video's length. */
  readonly words: number
}

/** `path` with its existing part resolved through symlinks; the part that does not exist yet kept as written. */
const realPath = (path: string): string => {
  const absolute = resolve(path)
  try {
    return realpathSync(absolute)
  } catch {
    const parent = dirname(absolute)
    return parent === absolute ? absolute : join(realPath(parent), basename(absolute))
  }
}

const identity = (path: string): string | undefined =>
  Option.getOrUndefined(Option.map(Option.liftThrowable(() => statSync(path))(), (s) => `${s.dev}:${s.ino}`))

/** Every file under `dir`, as the footage index would see them (hidden entries skipped). */
const filesUnder = (dir: string): Array<string> => {
  const entries: Array<Dirent> = Option.getOrElse(Option.liftThrowable(() => readdirSync(dir, { withFileTypes: true }))(), () => [])
  return entries.filter((e) => !e.name.startsWith(".")).flatMap((e) => {
    const path = join(dir, e.name)
    return e.isDirectory() ? filesUnder(path) : [path]
  })
}

const isInside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep)

/** About what the video takes on disk: the output and its partial file, at a generous 0.1 bit per pixel. */
export const estimatedOutputBytes = (check: Pick<OutputCheck, "width" | "height" | "fps" | "words">): number => {
  // espeak-ng's default rate is 175 words a minute; a second of margin per scene boundary is folded into the 2 s.
  const seconds = check.words / (175 / 60) + 2
  return Math.ceil(2 * (check.width * check.height * check.fps * seconds * 0.1) / 8) + 16 * 1024 * 1024
}

const megabytes = (bytes: number) => `${Math.ceil(bytes / (1024 * 1024))} MB`

/**
 * `--out` (and its report beside it) is none of the inputs, by real path and by inode, and is not
 * inside the footage folder (the next run would index it as footage); its directory exists (it is
 * created if need be), can be written, and has room for the video.
 */
export const checkOutput = (check: OutputCheck): Effect.Effect<void, CliError> =>
  Effect.gen(function*() {
    const footage = check.footage === undefined ? undefined : realPath(check.footage)
    const targets = [check.out, reportPath(check.out)]
    for (const target of targets) {
      if (footage !== undefined && isInside(realPath(target), footage)) {
        return yield* new CliError({
          message:
            `--out ${check.out} is inside the footage folder ${check.footage}: the next run would take it for footage; write it elsewhere`
        })
      }
    }
    const inputs: Array<[string, string]> = [
      ...(check.script === undefined ? [] : [["the script", check.script] as [string, string]]),
      ...(check.music === undefined ? [] : [["the music", check.music] as [string, string]]),
      ...(check.narration === undefined ? [] : [["the narration recording", check.narration] as [string, string]]),
      ...(check.images ?? []).map((file): [string, string] => ["the image", file]),
      ...(check.footage === undefined ? [] : filesUnder(check.footage)).map((file): [string, string] => ["the footage clip", file])
    ]
    for (const target of targets) {
      const real = realPath(target)
      const id = identity(target)
      for (const [what, input] of inputs) {
        if (real === realPath(input) || (id !== undefined && id === identity(input))) {
          return yield* new CliError({
            message: `${
              target === check.out ? "--out" : "the report beside --out,"
            } ${target} is ${what} ${input}: refusing to overwrite an input; write it elsewhere`
          })
        }
      }
    }

    const dir = dirname(resolve(check.out))
    yield* Effect.tryPromise({
      try: () => mkdir(dir, { recursive: true }),
      catch: (error) => new CliError({ message: `cannot create the output directory ${dir}: ${messageOf(error)}` })
    })
    yield* Effect.try({
      try: () => {
        const probe = join(dir, `.reelswarm-write-check-${process.pid}`)
        closeSync(openSync(probe, "wx"))
        rmSync(probe, { force: true })
      },
      catch: (error) => new CliError({ message: `the output directory ${dir} is not writable: ${messageOf(error)}` })
    })
    const stats = Option.getOrUndefined(Option.liftThrowable(() => statfsSync(dir))())
    const needed = estimatedOutputBytes(check)
    const free = stats === undefined ? undefined : stats.bavail * stats.bsize
    if (free !== undefined && free < needed) {
      return yield* new CliError({
        message: `not enough free disk space in ${dir} for the video: about ${megabytes(needed)} needed, ${megabytes(free)} free`
      })
    }
  })

/** The words of a script, for the estimate of its video's length. */
export const wordCount = (text: string) => text.split(/\s+/).filter((w) => w !== "").length

/** What to install when a script's characters have no font (Debian's packages). */
const FONT_PACKAGES = "fonts-noto-core fonts-noto-cjk fonts-symbola"

/**
 * Burned-in captions need a font for every character of the script (else libass draws boxes).
 * Without fontconfig nothing can be checked: the job goes on, with a warning.
 */
export const checkFonts = (text: string): Effect.Effect<void, CliError> =>
  fontCoverage(text).pipe(
    Effect.flatMap((coverage) => {
      if (coverage.complete) return Effect.void
      const shown = coverage.missing.slice(0, 8).map((m) => `${m.char} ${m.codePoint} (${m.script})`).join(", ")
      const more = coverage.missing.length > 8 ? ` and ${coverage.missing.length - 8} more` : ""
      return new CliError({
        message: `no installed font can draw ${shown}${more} of the script: install one (Debian: apt-get install ${FONT_PACKAGES}), ` +
          "or pass --captions none"
      })
    }),
    Effect.catchTag("FontCoverageError", (error) => Effect.logWarning(`cannot check the script's fonts: ${error.message}`))
  )
