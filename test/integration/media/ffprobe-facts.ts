/** What the footage index keeps about a file, as ffprobe (media/probe.ts) gives it: the header readers' tests compare against this. */
import { Effect } from "effect"
import { probe } from "../../../media/probe.ts"

export const ffprobeFacts = (file: string) =>
  Effect.map(probe(file), (info) => ({
    durationSec: info.duration,
    width: info.width,
    height: info.height,
    fps: info.fps,
    hasAudio: info.hasAudio,
    isImage: info.isImage
  }))
