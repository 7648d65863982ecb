/**
 * Files that appear whole or not at all: written under a temporary sibling name and renamed, so a
 * reader (or a resumed job) never sees half a file. Promise-level, so each caller maps a failure to
 * its own typed error.
 */
import { randomUUID } from "node:crypto"
import { mkdir, rename, rm, writeFile } from "node:fs/promises"
import { dirname } from "node:path"

/** Writes into a temporary sibling of `file` with `write`, then renames it to `file`. */
export const replaceAtomically = async (file: string, write: (temp: string) => Promise<void>): Promise<void> => {
  await mkdir(dirname(file), { recursive: true })
  const temp = `${file}.${randomUUID()}.tmp`
  try {
    await write(temp)
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

export const writeFileAtomically = (file: string, content: string | Uint8Array): Promise<void> =>
  replaceAtomically(file, (temp) => writeFile(temp, content))
