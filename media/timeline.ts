/**
 * The timeline compiler: scenes + chosen shots + output settings → a frame-exact render plan → ffmpeg
 * commands (pure, see timeline/commands.ts) → renders (Effects, see timeline/render.ts).
 */
export * from "./timeline/commands.ts"
export * from "./timeline/filter-escape.ts"
export * from "./timeline/input.ts"
export * from "./timeline/plan.ts"
export * from "./timeline/render.ts"
export * from "./timeline/shot-character.ts"
export * from "./timeline/video-graph.ts"
