/** media/: the video craft as plain Effect services; imports nothing from runtime/, agents/, memory/ or apps/. */
export * from "./ffmpeg.ts"
export * from "./probe.ts"
export * from "./hardware.ts"
export * from "./encoders.ts"
export * from "./audio-mix.ts"
export * from "./timeline.ts"
export * from "./captions.ts"
export * from "./tts/index.ts"
