/**
 * media/'s files go through FileSystem: a path that cannot be written is a typed failure naming the
 * path, never a defect. `/etc/passwd/…` fails for every user, root included (ENOTDIR: a file is
 * where a folder should be), where a read-only folder would not stop root.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { writeFileAtomic } from "../../../media/atomic-file.ts"
import { writeAss } from "../../../media/captions.ts"
import { generateSampleLibrary, indexFolder } from "../../../media/footage/index.ts"

const blocked = "/etc/passwd/reelswarm"

describe("file errors are typed failures naming the path", () => {
  it.effect("an atomic write under a file is a PlatformError with the path, not a defect", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(writeFileAtomic(`${blocked}/plan.json`, "{}"))
      expect(error).toMatchObject({ _tag: "SystemError", module: "FileSystem" })
      expect(error.message).toContain(blocked)
    }))

  it.effect("captions, the sample library and the footage index say which path failed", () =>
    Effect.gen(function*() {
      const captions = yield* Effect.flip(
        writeAss(`${blocked}/captions.ass`, { words: [{ word: "hi", start: 0, end: 1 }] }, { width: 1080, height: 1920, style: "lines" })
      )
      expect(captions).toMatchObject({ _tag: "CaptionError", reason: "io" })
      expect(captions.message).toContain(`${blocked}/captions.ass`)
      expect(captions.detail).toContain("ENOTDIR")

      const library = yield* Effect.flip(generateSampleLibrary(blocked, { only: ["mandelbrot-zoom"] }))
      expect(library).toMatchObject({ _tag: "FootageError", reason: "io" })
      expect(library.message).toContain(blocked)

      const index = yield* Effect.flip(indexFolder(blocked))
      expect(index).toMatchObject({ _tag: "FootageError", reason: "io" })
      expect(index.message).toContain(blocked)
      expect(index.detail).toContain("ENOTDIR")
    }))
})
