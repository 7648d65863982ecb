/** The protocol the codec tests encode: a tell (`Scene`) and a request (`Render`). */
import { Schema } from "effect"
import { payloadCodec } from "../../../runtime/codec.ts"

export class Scene extends Schema.TaggedClass<Scene>()("Scene", { index: Schema.Number, text: Schema.String }) {}
export class Render extends Schema.TaggedRequest<Render>()("Render", {
  success: Schema.String,
  failure: Schema.Never,
  payload: { scenes: Schema.Array(Schema.Number) }
}) {}
export const Protocol = Schema.Union(Scene, Render)
export const payloads = payloadCodec(Protocol)
