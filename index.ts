/**
 * reelswarm, embedded: the actor runtime (Effect API and Promise facade) and its topologies.
 * The memory, media and video-swarm layers are under their own entry points (see README).
 */
export * from "./runtime/index.ts"
export * from "./topologies/index.ts"
