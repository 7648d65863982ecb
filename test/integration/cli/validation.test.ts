/**
 * Bad input is refused before any work, with exit code 2 and the reason, and nothing of the user's
 * is touched: an unknown voice, `--out` that is one of the inputs or inside the footage folder, an
 * output directory that cannot be written or has no room, a script that is not text.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, linkSync, readFileSync } from "node:fs"
import { copyFile, mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { checkVoice, notTextReason } from "../../../apps/cli/validate.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"
import { SCRIPT } from "../agents/library-fixture.ts"
import { footageIn, reelswarm, TINY } from "./cli-fixture.ts"

const tempDir = scopedTempDir("validation")

const digest = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex")

/** An immutable folder (chattr +i) refuses writes even to root; undefined where the file system cannot do it. */
const immutableDir = (dir: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      await mkdir(dir)
      try {
        execFileSync("chattr", ["+i", dir], { stdio: "ignore" })
        return dir
      } catch {
        return undefined
      }
    }),
    (made) => Effect.sync(() => made !== undefined && execFileSync("chattr", ["-i", made], { stdio: "ignore" }))
  )

describe("reelswarm run: early validation", () => {
  it.effect("voices are checked against espeak-ng's own list, variants too", () =>
    Effect.gen(function*() {
      for (const voice of ["en", "en-us", "EN-GB", "de", "fr", "en+f3", "gmw/en-US", "English_(Great_Britain)"]) {
        expect({ voice, ok: Exit.isSuccess(yield* Effect.exit(checkVoice(voice))) }).toEqual({ voice, ok: true })
      }
      for (const voice of ["nosuch", "en+nosuch", "", "en+f3+f4"]) {
        expect({ voice, ok: Exit.isSuccess(yield* Effect.exit(checkVoice(voice))) }).toEqual({ voice, ok: false })
      }
    }))

  it.effect("a script is text: valid UTF-8, no NUL bytes, not mostly control characters", () =>
    Effect.sync(() => {
      expect(notTextReason(Buffer.from("Déjà vu. 日本語の字幕。\n\n\tA new paragraph.\r\n"))).toBeUndefined()
      expect(notTextReason(Buffer.from([0x68, 0x69, 0x00, 0x21]))).toMatch(/NUL/)
      expect(notTextReason(Buffer.from([0x68, 0xff, 0xfe, 0x69]))).toMatch(/not valid UTF-8/)
      expect(notTextReason(Buffer.from("a\u0001\u0002\u0003\u0004b"))).toMatch(/control characters/)
    }))

  it.scoped(
    "bad input exits 2 with the reason before any work, and no input is touched",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const footage = yield* footageIn(dir)
        const clip = join(footage, "life.mp4")
        const clipDigest = digest(clip)
        const script = join(dir, "patterns.txt")
        yield* Effect.promise(() => writeFile(script, SCRIPT))
        const state = join(dir, "state")
        const base = (
          out: string,
          ...more: Array<string>
        ) => ["run", "--footage", footage, "--out", out, ...TINY, "--state", state, ...more]

        // A hard link elsewhere to a clip, a script whose report name is the script, a script named like the output, music as --out.
        const linked = join(dir, "linked.mp4")
        linkSync(clip, linked)
        const jsonScript = join(dir, "notes.json")
        yield* Effect.promise(() => copyFile(script, jsonScript))
        const mp4Script = join(dir, "script.mp4")
        yield* Effect.promise(() => copyFile(script, mp4Script))
        const music = join(dir, "music.mp4")
        yield* Effect.promise(() => copyFile(clip, music))
        const binary = join(dir, "binary.txt")
        yield* Effect.promise(() => writeFile(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0xff])))
        const latin1 = join(dir, "latin1.txt")
        yield* Effect.promise(() => writeFile(latin1, Buffer.from("d\xe9j\xe0 vu", "latin1")))
        const longScript = join(dir, "long.txt")
        yield* Effect.promise(() => writeFile(longScript, "Words and more words. ".repeat(1200)))
        const tooLong = join(dir, "too-long.txt")
        yield* Effect.promise(() => writeFile(tooLong, "Words and more words. ".repeat(2500)))
        const locked = yield* immutableDir(join(dir, "locked"))

        const cases: Array<[ReadonlyArray<string>, RegExp, string?]> = [
          [
            base(join(dir, "a.mp4"), "--script", script, "--voice", "xx-nosuch"),
            /unknown voice xx-nosuch: `espeak-ng --voices` lists them/
          ],
          [base(join(dir, "a.mp4"), "--voice", "en+nosuch"), /unknown voice variant nosuch in en\+nosuch/, SCRIPT],
          [base(clip, "--script", script), /--out .*life\.mp4 is inside the footage folder .*write it elsewhere/],
          [base(join(footage, "new.mp4"), "--script", script), /is inside the footage folder/],
          [base(linked, "--script", script), /--out .*linked\.mp4 is the footage clip .*life\.mp4: refusing to overwrite an input/],
          [base(mp4Script, "--script", mp4Script), /--out .*script\.mp4 is the script .*script\.mp4: refusing to overwrite an input/],
          [base(join(dir, "notes.mp4"), "--script", jsonScript), /the report beside --out, .*notes\.json is the script/],
          [base(music, "--script", script, "--music", music), /--out .*music\.mp4 is the music/],
          [base(join(dir, "b.mp4"), "--script", binary), /the script .*binary\.txt is not text \(it contains NUL bytes\)/],
          [base(join(dir, "b.mp4"), "--script", latin1), /the script .*latin1\.txt is not text \(it is not valid UTF-8\)/],
          [base(join(dir, "b.mp4")), /the script on stdin is not text/, "\u0000\u0001binary"],
          [base(join(dir, "c.mp4"), "--script", tooLong), /the script has 10,000 words .*; the limit is 5,000 words .*split it/],
          [
            // 8K at 120 fps for a 4,800-word script (under the word limit): terabytes.
            [
              "run",
              "--footage",
              footage,
              "--out",
              join(dir, "huge.mp4"),
              "--script",
              longScript,
              "--size",
              "7680x7680",
              "--fps",
              "120",
              "--state",
              state
            ],
            /not enough free disk space in .* for the video: about \d+ MB needed, \d+ MB free/
          ],
          ...(locked === undefined
            ? []
            : [[base(join(locked, "x.mp4"), "--script", script), /the output directory .*locked is not writable: EPERM/] as [
              ReadonlyArray<string>,
              RegExp
            ]])
        ]
        for (const [args, message, stdin] of cases) {
          const outcome = yield* reelswarm(args, stdin === undefined ? {} : { stdin })
          expect({ args, code: outcome.code }).toEqual({ args, code: 2 })
          expect(outcome.stderr).toMatch(message)
          // Refused before any work: no stage started, no job recorded.
          expect(outcome.stderr).not.toMatch(/: started/)
          expect(existsSync(join(state, "jobs"))).toBe(false)
        }
        expect(digest(clip)).toBe(clipDigest)
        expect(digest(linked)).toBe(clipDigest)
        expect(digest(music)).toBe(clipDigest)
        expect(readFileSync(mp4Script, "utf8")).toBe(SCRIPT)
        expect(readFileSync(jsonScript, "utf8")).toBe(SCRIPT)
        for (const name of ["a.mp4", "b.mp4", "huge.mp4", "notes.mp4"]) expect(existsSync(join(dir, name))).toBe(false)
      }),
    300_000
  )
})
