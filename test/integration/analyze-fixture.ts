/**
 * Videos made for the analysis tests (lavfi, 640x360, 25 fps, mono AAC), with what is in them.
 *
 * The clip (the same every time: fixed seeds): five shots cut at known frames — a moving light
 * gradient (frames 0–49), black (50–74), a zooming Mandelbrot (75–124), a still test card repeated
 * (125–149: frozen), and "HELLO WORLD" in large white letters on a black box over a moving Game of
 * Life (150–224); its sound is a loud 440 Hz sine (amplitude 0.5: −9.7 LUFS, −6 dBTP) for 4 s, 2 s
 * of silence, then the same sine 20 dB quieter for 3 s.
 *
 * The sync clip: 3 s of black with one white frame at 1 s and at 2 s, each with a 60 ms beep in
 * silence; its audio stream starts `audioDelay` seconds late (the container's own offset).
 */
import { Effect } from "effect"
import { join } from "node:path"
import { runFfmpeg } from "../../media/index.ts"

export const FPS = 25
export const FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

export const CLIP = {
  frames: 225,
  cutFrames: [50, 75, 125, 150],
  black: { startFrame: 50, endFrame: 75 },
  frozen: { startFrame: 125, endFrame: 150 },
  words: ["HELLO", "WORLD"],
  loud: { start: 0, end: 4, lufs: -9.7, truePeak: -6 },
  silence: { start: 4, end: 6 },
  quiet: { start: 6, end: 9, belowLoud: 20 }
} as const

const size = "640x360"

export const makeAnalysisClip = (dir: string, name = "clip.mp4") => {
  const output = join(dir, name)
  const video = [
    `gradients=s=${size}:r=${FPS}:speed=0.05:n=2:c0=0xf0d080:c1=0xc0a040:seed=1,trim=end_frame=50,setpts=PTS-STARTPTS`,
    `color=c=black:s=${size}:r=${FPS},trim=end_frame=25,setpts=PTS-STARTPTS`,
    `mandelbrot=s=${size}:r=${FPS},trim=end_frame=50,setpts=PTS-STARTPTS`,
    `testsrc2=s=${size}:r=${FPS},trim=end_frame=1,loop=loop=24:size=1,setpts=N/${FPS}/TB`,
    `life=s=${size}:r=${FPS}:mold=10:ratio=0.2:seed=1:life_color=#404040:death_color=#202020,trim=end_frame=75,setpts=PTS-STARTPTS,` +
    `drawtext=fontfile=${FONT}:text='HELLO WORLD':fontsize=64:fontcolor=white:box=1:boxcolor=black:boxborderw=20:x=(w-tw)/2:y=(h-th)/2`
  ]
  const audio = [
    "sine=f=440:r=48000:d=4,volume=4",
    "anullsrc=r=48000:cl=mono,atrim=end=2",
    "sine=f=440:r=48000:d=3,volume=0.4"
  ]
  return runFfmpeg({
    args: [
      ...[...video, ...audio].flatMap((source) => ["-f", "lavfi", "-i", source]),
      "-filter_complex",
      "[0:v][1:v][2:v][3:v][4:v]concat=n=5:v=1:a=0,format=yuv420p[v];[5:a][6:a][7:a]concat=n=3:v=0:a=1[a]",
      "-map",
      "[v]",
      "-map",
      "[a]",
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-crf",
      "18",
      "-c:a",
      "aac",
      "-b:a",
      "128k"
    ],
    output
  }).pipe(Effect.as(output))
}

export const SYNC = { flashTimes: [1, 2] } as const

export const makeSyncClip = (dir: string, audioDelay: number) => {
  const output = join(dir, `sync-${Math.round(audioDelay * 1000)}.mp4`)
  // Inside single quotes a filter argument's commas need no escaping.
  const flash = SYNC.flashTimes.map((t) => `eq(N,${t * FPS})`).join("+")
  const beeps = SYNC.flashTimes.map((t) => `between(t,${t},${t + 0.06})`).join("+")
  return runFfmpeg({
    args: [
      "-f",
      "lavfi",
      "-i",
      `color=c=black:s=${size}:r=${FPS}:d=3,format=yuv420p,geq=lum='if(${flash},235,16)':cb=128:cr=128`,
      "-itsoffset",
      String(audioDelay),
      "-f",
      "lavfi",
      "-i",
      `aevalsrc='0.5*sin(2*PI*1000*t)*(${beeps})':s=48000:d=3`,
      "-map",
      "0:v",
      "-map",
      "1:a",
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-crf",
      "18",
      "-c:a",
      "aac"
    ],
    output
  }).pipe(Effect.as(output))
}
