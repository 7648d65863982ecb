/**
 * Reading request bodies: JSON (within the server's JSON cap, which the HTTP layer enforces) and
 * uploads (multipart/form-data's first file, or the raw body), and Schema's ParseError as the
 * `{ path, message }` fields a 400 lists.
 */
import { HttpServerRequest, HttpServerResponse, Multipart } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Effect, Option, ParseResult, Stream } from "effect"
import type { FieldError } from "./api.ts"
import type { UnsafeNameError } from "./files.ts"
import { MAX_JSON_BODY_BYTES } from "./security.ts"

export interface HandlerOptions {
  /** The cap of one uploaded file, in bytes. */
  readonly maxUploadBytes: number
}

/** A ParseError as `{ path, message }` per field (Schema's ArrayFormatter), the first message of each path. */
export const parseFields = (error: ParseResult.ParseError): ReadonlyArray<FieldError> =>
  issueFields(ParseResult.ArrayFormatter.formatErrorSync(error))

/** Issues as fields, one per path (a union's members each add one; the first says it best). */
export const issueFields = (
  issues: ReadonlyArray<{ readonly path: ReadonlyArray<PropertyKey>; readonly message: string }>
): ReadonlyArray<FieldError> => {
  const seen = new Map<string, string>()
  for (const issue of issues) {
    const path = issue.path.map(String).join(".")
    if (!seen.has(path)) seen.set(path, issue.message)
  }
  return [...seen].map(([path, message]) => ({ path, message }))
}

export const badRequest = (error: string, fields: ReadonlyArray<FieldError>) =>
  HttpServerResponse.unsafeJson({ error, fields }, { status: 400 })

/** The request's JSON body: parsed, not JSON (a 400 naming no field), or over the JSON cap (a 413; a body without Content-Length is counted as it comes). */
export const jsonBody = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => request.json).pipe(
  Effect.map((value) => ({ _tag: "Json" as const, value })),
  Effect.catchAll((e) =>
    Effect.succeed(
      e.cause instanceof Error && e.cause.message === "maxBytes exceeded"
        ? { _tag: "TooLarge" as const, reason: `the body is over the JSON cap of ${MAX_JSON_BODY_BYTES} bytes` }
        : { _tag: "Invalid" as const, reason: e.message }
    )
  )
)

/**
 * The uploaded file's name and bytes: multipart/form-data's first file (its file name, unless `?name=`
 * says otherwise), or the raw body named by `?name=`.
 */
export const withUpload = <A, E, R>(
  name: string | undefined,
  use: (name: string, body: AsyncIterable<Uint8Array>) => Effect.Effect<A, E, R>
): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E | UnsafeNameError, R | HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const contentType = request.headers["content-type"] ?? ""
    if (contentType.startsWith("multipart/form-data")) {
      const handled = yield* request.multipartStream.pipe(
        Stream.filter(Multipart.isFile),
        Stream.take(1),
        Stream.mapEffect((file): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E, R> =>
          use(name ?? file.name, Stream.toAsyncIterable(file.content))
        ),
        Stream.runHead,
        Effect.catchTag("MultipartError", () => Effect.succeed(Option.some(badRequest("unreadable multipart body", []))))
      )
      return Option.isSome(handled) ? handled.value : badRequest("no file in the multipart body", [{ path: "file", message: "missing" }])
    }
    if (name === undefined) return badRequest("name the file: ?name=<file name>", [{ path: "name", message: "missing" }])
    return yield* use(name, NodeHttpServerRequest.toIncomingMessage(request))
  })
