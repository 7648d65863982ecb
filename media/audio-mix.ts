/**
 * The soundtrack, mixed once: narration, plus optional music ducked under the voice
 * (sidechaincompress keyed by the narration), loudness-normalized (loudnorm, EBU R128), then padded
 * or trimmed to exactly the video's duration. Used both inside the single pass and as the separate
 * audio file a stitched render is muxed with, so both carry the same sound.
 */

export interface AudioMixSpec {
  readonly narration: string
  readonly music?: { readonly path: string; readonly volume?: number | undefined } | undefined
  /** Exact output duration in seconds. */
  readonly durationSeconds: number
  /** Integrated loudness target, LUFS. Default -16 (the usual target for phone playback). */
  readonly loudness?: number | undefined
}

export interface AudioGraph {
  /** Input arguments, in order (narration first, then music). */
  readonly inputArgs: ReadonlyArray<string>
  /** Filter graph chains joined with ';', producing `[<outLabel>]`. */
  readonly filter: string
  readonly outLabel: string
}

const SAMPLE_RATE = 48_000
const FORMAT = `aformat=sample_fmts=fltp:sample_rates=${SAMPLE_RATE}:channel_layouts=stereo`

/** AAC at 192 kb/s, 48 kHz stereo. */
export const AUDIO_CODEC_ARGS: ReadonlyArray<string> = ["-c:a", "aac", "-b:a", "192k", "-ar", String(SAMPLE_RATE), "-ac", "2"]

/** The mixing graph, reading narration from input `firstInput` and music from the next one (pure). */
export const audioMixGraph = (spec: AudioMixSpec, firstInput: number, outLabel = "aout"): AudioGraph => {
  const loudness = spec.loudness ?? -16
  const finish = [
    `loudnorm=I=${loudness}:TP=-1.5:LRA=11`,
    `aresample=${SAMPLE_RATE}`,
    "apad",
    `atrim=end=${spec.durationSeconds.toFixed(6)}`,
    "asetpts=PTS-STARTPTS"
  ].join(",")
  const narrationIn = `[${firstInput}:a:0]`
  if (spec.music === undefined) {
    return {
      inputArgs: ["-i", spec.narration],
      filter: `${narrationIn}${FORMAT},${finish}[${outLabel}]`,
      outLabel
    }
  }
  const volume = spec.music.volume ?? 0.25
  return {
    inputArgs: ["-i", spec.narration, "-stream_loop", "-1", "-i", spec.music.path],
    filter: [
      `${narrationIn}${FORMAT},asplit=2[mix_voice][mix_key]`,
      `[${firstInput + 1}:a:0]${FORMAT},volume=${volume}[mix_music]`,
      "[mix_music][mix_key]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[mix_ducked]",
      `[mix_voice][mix_ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0,${finish}[${outLabel}]`
    ].join(";"),
    outLabel
  }
}
