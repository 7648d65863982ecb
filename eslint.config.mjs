// @ts-check
// The rules that catch bugs, with type information (about 50 s on 2 cores); style is dprint's job (dprint.json).
import js from "@eslint/js"
import { defineConfig } from "eslint/config"
import tseslint from "typescript-eslint"

export default defineConfig(
  { ignores: ["node_modules/", "dist/", "out/", ".reelswarm/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      // tsc's noUnusedLocals and noUnusedParameters already report these (and honour `_` names).
      "@typescript-eslint/no-unused-vars": "off",
      // `any` appears only where it is meant: variance escape hatches such as `AgentDefinition.Any`
      // and `Schema.Schema<any, any, never>`; the no-unsafe-* rules still stop an `any` from leaking into values.
      "@typescript-eslint/no-explicit-any": "off",
      // `declare namespace AgentDefinition { type Any }` is Effect's idiom for companion types.
      "@typescript-eslint/no-namespace": ["error", { allowDeclarations: true }],
      // Stripping control characters from captions and names is the point of those patterns.
      "no-control-regex": "off",
      // An `async` callback without `await` is how a Promise API is satisfied; it hides no bug.
      "@typescript-eslint/require-await": "off"
    }
  },
  {
    // Tests poke at JSON.parse results and fake request bodies, which are `any` by nature.
    files: ["test/**"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off"
    }
  },
  {
    // bin/ and scripts/ are plain Node scripts outside tsconfig.json.
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { console: "readonly", process: "readonly", URL: "readonly" } }
  }
)
