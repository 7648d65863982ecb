/**
 * media/'s HTTP providers (Pexels, ElevenLabs) go through @effect/platform's `HttpClient`: the client
 * in the environment when there is one (an app's, a test's), a fetch-based one otherwise. Answers
 * other than 2xx are failures; transport errors, timeouts, 408, 429 and 5xx are retried with backoff,
 * a refusal (401, 403, 404, 422 …) is not.
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import type { HttpClientError } from "@effect/platform/HttpClientError"
import { Effect, Option, Schedule } from "effect"

let fetchClient: HttpClient.HttpClient | undefined
const fetchDefault = () => (fetchClient ??= Effect.runSync(Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer)))

/** Retries of a transient failure: 4 more attempts, 250 ms, 500 ms, 1 s, 2 s apart. */
const TRANSIENT_RETRIES = { schedule: Schedule.exponential("250 millis"), times: 4 } as const

/** The environment's HttpClient (or fetch), keeping only 2xx answers and retrying transient failures. */
export const providerHttpClient: Effect.Effect<HttpClient.HttpClient> = Effect.map(
  Effect.serviceOption(HttpClient.HttpClient),
  (client) => Option.getOrElse(client, fetchDefault).pipe(HttpClient.filterStatusOk, HttpClient.retryTransient(TRANSIENT_RETRIES))
)

/** What went wrong, for a typed error: the status when the server answered, and an excerpt of its body. */
export const describeHttpError = (
  error: HttpClientError
): Effect.Effect<{ readonly status: number | undefined; readonly detail: string }> =>
  error._tag === "ResponseError"
    ? error.response.text.pipe(
      Effect.orElseSucceed(() => ""),
      Effect.map((body) => ({ status: error.response.status, detail: body.slice(0, 500) }))
    )
    : Effect.succeed({ status: undefined, detail: error.message })
