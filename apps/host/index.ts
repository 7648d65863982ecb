/** The job host: what `reelswarm serve` runs its faces on (contract.ts), and how a request becomes a job. */
export * from "./contract.ts"
export { type JobHostOptions, layer, makeJobHost, servedDir } from "./host.ts"
export * from "./job-request.ts"
export { type JobTarget, toJobSpec } from "./job-spec.ts"
export { makeThumbnails, sceneStarts } from "./thumbnails.ts"
