/**
 * Content-aware encoding (pure). A scene's chosen shot is described by its spatial and temporal
 * information over the frames the scene uses (ITU-T P.910 SI/TI: the standard deviation of the Sobel
 * gradient of a frame's luma, and of the difference between consecutive frames), measured on frames
 * scaled to `CHARACTER_ANALYSIS_WIDTH`; the two numbers put it in one of three classes, and each
 * class gets the libx264 settings that measured best for it (docs/media.md, bench/encode-aware.ts).
 *
 * The settings travel as x264 zones, one per scene, each zone starting on a scene's closed GOP: the
 * options x264 can change inside an encode (`x264_encoder_reconfig`: motion search, sub-pel refinement,
 * reference count up to the encode's own, psy-rd, deblocking) and the scene's constant QP. A segment's
 * command gets the zones of its own scenes, renumbered from its first frame, and the same global
 * options as every other command of the plan, so `--segments k` still decodes to the single pass's
 * frames (test/integration/media/encode-aware.test.ts).
 */
import { Schema } from "effect"

export const ContentClass = Schema.Literal("high-motion", "text-graphics", "calm")
export type ContentClass = typeof ContentClass.Type

/** What a shot shows over the frames a scene uses: mean SI and mean TI, P.910's scale (8-bit luma). */
export const ShotCharacter = Schema.Struct({
  si: Schema.Number,
  ti: Schema.Number
})
export type ShotCharacter = typeof ShotCharacter.Type

/** SI/TI are measured on frames scaled to this width (never up): the thresholds below are on this scale. */
export const CHARACTER_ANALYSIS_WIDTH = 640

/**
 * The class boundaries, on SI/TI measured at CHARACTER_ANALYSIS_WIDTH (docs/media.md has the measured
 * table). Flat colour with hard edges (cells, fractal outlines, text, UI) has the highest SI: the
 * procedural library's automata, Game of Life and Sierpinski clips measure 140–441, a scrolling
 * code screen 222, while camera-like footage, fractal zooms and even television static stay at or
 * under 114. Among the rest, TI tells motion: the Mandelbrot zooms and static measure 21–46, a
 * slow pan with film grain 6, drifting gradients and plasma 3–13.
 */
export const CONTENT_THRESHOLDS = {
  /** SI at or above: text or graphics. */
  textGraphicsSi: 130,
  /** TI at or above (SI below textGraphicsSi): high motion. */
  highMotionTi: 20
} as const

/** The class of a shot with this SI/TI (pure). */
export const classifyContent = (character: ShotCharacter): ContentClass =>
  character.si >= CONTENT_THRESHOLDS.textGraphicsSi
    ? "text-graphics"
    : character.ti >= CONTENT_THRESHOLDS.highMotionTi
    ? "high-motion"
    : "calm"

/**
 * The procedural sample library's clips (media/footage/sample-library.ts), measured once: SI/TI of
 * each drawn at 640x1136, 25 fps, 4 s (the analysis size of a 1080x1920 render), means over the
 * frames. Their graphs are deterministic (fixed seeds and colours), so a lavfi shot's class is
 * looked up here instead of generating every frame of the scene a second time before the render.
 * `bench/encode-aware.ts --table` measures them again.
 */
export const SAMPLE_CLIP_CHARACTER: Readonly<Record<string, ShotCharacter>> = {
  "mandelbrot-zoom": { si: 75.8, ti: 30.4 },
  "mandelbrot-overview": { si: 48, ti: 9.3 },
  "mandelbrot-spiral": { si: 51.9, ti: 21.2 },
  "life-conway": { si: 196.3, ti: 59.2 },
  "life-mold": { si: 246.8, ti: 79.6 },
  "life-highlife": { si: 204.8, ti: 68.1 },
  "life-seeds": { si: 140.4, ti: 62.1 },
  "rule-110": { si: 277.3, ti: 109.2 },
  "rule-30": { si: 290.9, ti: 117.9 },
  "rule-90": { si: 235.9, ti: 92.8 },
  "rule-184": { si: 319.9, ti: 156.6 },
  "rule-150": { si: 250.1, ti: 94 },
  "sierpinski-triangle": { si: 353.4, ti: 41.1 },
  "sierpinski-carpet": { si: 441.4, ti: 59.4 },
  "plasma": { si: 3.4, ti: 3.2 },
  "ripples": { si: 8.2, ti: 13.1 },
  "spiral": { si: 9, ti: 6.5 },
  "gradients": { si: 2.8, ti: 2 },
  "noise": { si: 113.8, ti: 46.3 },
  "test-pattern": { si: 66.7, ti: 14.6 },
  "color-bars": { si: 65.6, ti: 0 },
  "spectrum": { si: 3.8, ti: 0 }
}

/** The x264 options a class sets inside its zones; every class names the same options. */
export type X264ZoneOptions = Readonly<Record<"me" | "subme" | "ref" | "mixed-refs" | "psy-rd" | "deblock", string>>

export interface X264ClassSettings {
  /** Added to the encode's constant QP for the class's frames (x264 keeps a zone's QP within the encode's I…B QPs). */
  readonly qpOffset: number
  readonly options: X264ZoneOptions
}

/**
 * What the render uses for frames of no class (a scene whose shot could not be measured): veryfast's
 * own values, so such a scene encodes as it would without content-aware encoding.
 */
export const X264_UNCLASSED: X264ClassSettings = {
  qpOffset: 0,
  options: { me: "hex", subme: "2", ref: "1", "mixed-refs": "0", "psy-rd": "1.0", deblock: "0" }
}

/**
 * Per class, measured with libx264 veryfast at constant QP on the procedural library and two
 * synthetic clips, bytes at the fixed encode's SSIM (docs/media.md, bench/encode-aware.ts). Pictures
 * that repeat exact pixels under motion, text and graphics (cells, outlines, a scrolling screen) and
 * calm ones (gradients, ripples, a slow grainy pan) alike, pay for an uneven multi-hexagon search
 * over three reference frames with RD sub-pel refinement (subme 7) and no psy-rd. Busy natural
 * motion (a fractal zoom, static) gains little from more references or a wider search for much more
 * CPU (2.9x on static): it gets the RD refinement and a lighter deblocking (−1), which keeps texture.
 * Every class keeps the encode's QP: a QP offset measured per class (the largest that keeps every
 * measured clip of the class at or above the fixed SSIM) came out 0 for all three.
 */
export const X264_CLASS_SETTINGS: Readonly<Record<ContentClass, X264ClassSettings>> = {
  "high-motion": {
    qpOffset: 0,
    options: { me: "hex", subme: "7", ref: "1", "mixed-refs": "0", "psy-rd": "0", deblock: "-1" }
  },
  "text-graphics": {
    qpOffset: 0,
    options: { me: "umh", subme: "7", ref: "3", "mixed-refs": "1", "psy-rd": "0", deblock: "0" }
  },
  calm: {
    qpOffset: 0,
    options: { me: "umh", subme: "7", ref: "3", "mixed-refs": "1", "psy-rd": "0", deblock: "0" }
  }
}

/** The most reference frames a zone asks for: the encode's own count (x264 never raises it inside a zone). */
export const X264_CONTENT_AWARE_REFS = Math.max(
  ...[X264_UNCLASSED, ...Object.values(X264_CLASS_SETTINGS)].map((s) => Number(s.options.ref))
)

/** Frames [start, end] (inclusive, numbered from the encode's first frame) and their class; none: unclassed. */
export interface ContentZone {
  readonly start: number
  readonly end: number
  readonly contentClass?: ContentClass | undefined
}

/**
 * libx264's `-x264-params` value for an encode at constant QP `qp` with these zones (pure): the
 * reference count every zone may use, then one zone per entry (`start,end,q=N,opt=v,…`, zones joined
 * by `/`). No value holds a colon, which would end the parameter in ffmpeg's `-x264-params`.
 */
export const x264ZoneParams = (qp: number, zones: ReadonlyArray<ContentZone>): string => {
  const zone = (z: ContentZone) => {
    const settings = z.contentClass === undefined ? X264_UNCLASSED : X264_CLASS_SETTINGS[z.contentClass]
    const q = Math.max(0, Math.min(51, qp + settings.qpOffset))
    const options = Object.entries(settings.options).map(([k, v]) => `${k}=${v}`)
    return [z.start, z.end, `q=${q}`, ...options].join(",")
  }
  const list = zones.filter((z) => z.end >= z.start).map(zone)
  return [`ref=${X264_CONTENT_AWARE_REFS}`, ...(list.length === 0 ? [] : [`zones=${list.join("/")}`])].join(":")
}
