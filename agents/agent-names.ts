/**
 * The video swarm's agents by role: the name each one registers under unless told otherwise, and
 * the name the others (and the production workflow) address it by. Encoders are one per slot.
 */
export const AGENT_NAMES = {
  monitor: "monitor",
  director: "director",
  shotMatcher: "shot-matcher",
  renderer: "renderer"
} as const

/** The encoder agent driving slot `slot` (0, 1, …). */
export const encoderName = (slot: number): string => `encoder-${slot}`
