/** Mesh: every agent reaches every other directly; an envelope takes one hop. The runtime's `direct` routing, named. */
import { direct, type Topology } from "../runtime/index.ts"

export const mesh: Topology = { ...direct, name: "mesh" }
