/**
 * JSON files read back from disk (caches, plans, markers), decoded with a Schema rather than
 * trusted: a file that is missing, half written, or from another version is a typed error naming
 * the file and, field by field, what is wrong in it. Each caller decides what that means: a miss
 * for a cache, a failure for state.
 */
import { Effect, ParseResult, Schema } from "effect"
import { mediaFileSystem } from "./file-system.ts"

export class JsonFileError extends Schema.TaggedError<JsonFileError>()("JsonFileError", {
  file: Schema.String,
  /** `unreadable`: the file could not be read (missing, no permission); `invalid`: it is not what it should be. */
  reason: Schema.Literal("unreadable", "invalid"),
  message: Schema.String
}) {}

const MAX_ISSUES = 5

/** One line per issue: `totalFrames: Expected number, actual "120"`. */
const describeIssues = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const lines = issues.slice(0, MAX_ISSUES).map((
    issue
  ) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
  return issues.length > MAX_ISSUES ? `${lines.join("; ")}; and ${issues.length - MAX_ISSUES} more` : lines.join("; ")
}

/** Reads `file` as JSON and decodes it with `schema`. */
export const readJsonFile = <A, I>(schema: Schema.Schema<A, I>, file: string): Effect.Effect<A, JsonFileError> => {
  const decode = Schema.decodeUnknown(Schema.parseJson(schema), { errors: "all" })
  return mediaFileSystem.pipe(
    Effect.flatMap((fs) => fs.readFileString(file)),
    Effect.mapError((error) => new JsonFileError({ file, reason: "unreadable", message: `cannot read ${file}: ${error.message}` })),
    Effect.flatMap((text) =>
      Effect.mapError(decode(text), (error) => new JsonFileError({ file, reason: "invalid", message: `${file}: ${describeIssues(error)}` }))
    )
  )
}
