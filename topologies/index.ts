export { mesh } from "./mesh.ts"
export { star, type StarOptions } from "./star.ts"
