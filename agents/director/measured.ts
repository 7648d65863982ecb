/**
 * Measured sentence lengths from narration word timings, so scenes can be regrouped on what the
 * voice really took (planScenes with durations). Sentence i lasts from its first word's start to
 * the next sentence's first word's start (the first from 0, the last to the end of the narration),
 * so the lengths add up to the narration and scene cuts fall between sentences.
 */
import { Either, Schema } from "effect"
import { wordCount, type WordTiming } from "../../media/index.ts"

/** The narration's timed words do not match the script's words, so sentence lengths cannot be measured. */
export class TimingMismatchError extends Schema.TaggedError<TimingMismatchError>()("TimingMismatchError", {
  expectedWords: Schema.Number,
  timedWords: Schema.Number,
  message: Schema.String
}) {}

export const measuredSentenceDurations = (
  sentences: ReadonlyArray<string>,
  words: ReadonlyArray<Pick<WordTiming, "start" | "end">>,
  narrationSec: number
): Either.Either<ReadonlyArray<number>, TimingMismatchError> => {
  // Words as the narration times them: media's word segmentation, which the TTS providers and captions share.
  const counts = sentences.map((sentence) => wordCount(sentence))
  const expected = counts.reduce((a, b) => a + b, 0)
  if (expected !== words.length) {
    return Either.left(
      new TimingMismatchError({
        expectedWords: expected,
        timedWords: words.length,
        message: `narration has ${words.length} timed words for ${expected} words in ${sentences.length} sentences`
      })
    )
  }
  const starts: Array<number> = []
  let offset = 0
  for (const count of counts) {
    starts.push(count === 0 ? Number.NaN : words[offset]!.start)
    offset += count
  }
  // A sentence with no speakable word takes no time: it starts where the next one does.
  for (let i = starts.length - 1; i >= 0; i--) if (Number.isNaN(starts[i])) starts[i] = starts[i + 1] ?? narrationSec
  return Either.right(
    starts.map((start, i) => Math.max(0, (i + 1 < starts.length ? starts[i + 1]! : narrationSec) - (i === 0 ? 0 : start)))
  )
}
