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
  /** Integrated loudness target, LUFS. Default DEFAULT_LOUDNESS_LUFS. */
  readonly loudness?: number | undefined
}

export interface AudioGraph {
  /** Input arguments, in order (narration first, then music). */
  readonly inputArgs: ReadonlyArray<string>
  /** Filter graph chains joined with ';', producing `[<outLabel>]`. */
  readonly filter: string
  readonly outLabel: string
}

/** -14 LUFS integrated: what YouTube, TikTok, Instagram and Spotify normalise playback to, so a video made at it is played as made. */
export const DEFAULT_LOUDNESS_LUFS = -14

/**
 * loudnorm's true-peak ceiling. The AAC encode after it overshoots by a few tenths of a dB (the demo:
 * -1.5 before, -1.2 dBTP after), so this sits a margin under the -1 dBTP that platforms and `--qc` allow.
 */
const TRUE_PEAK_DBTP = -2

const SAMPLE_RATE = 48_000
const FORMAT = `aformat=sample_fmts=fltp:sample_rates=${SAMPLE_RATE}:channel_layouts=stereo`

/** AAC at 192 kb/s, 48 kHz stereo. */
export const AUDIO_CODEC_ARGS: ReadonlyArray<string> = ["-c:a", "aac", "-b:a", "192k", "-ar", String(SAMPLE_RATE), "-ac", "2"]

/** The mixing graph, reading narration from input `firstInput` and music from the next one (pure). */
export const audioMixGraph = (spec: AudioMixSpec, firstInput: number, outLabel = "aout"): AudioGraph => {
  const loudness = spec.loudness ?? DEFAULT_LOUDNESS_LUFS
  const finish = [
    `loudnorm=I=${loudness}:TP=${TRUE_PEAK_DBTP}:LRA=11`,
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
