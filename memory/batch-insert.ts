/**
 * Many rows in few statements. One @effect/sql statement per row costs more than SQLite's own work, so
 * rows go out as multi-row `VALUES (…),(…)` statements. Statement sizes are powers of two up to 1024
 * rows (a batch of n rows takes at most log2(n) + 1 statements), so at most eleven distinct SQL texts
 * exist and each stays in the prepared-statement cache.
 * Inside a transaction the statements go straight to the transaction's connection (no statement
 * compilation or span per chunk: the transaction already has one).
 */
import { type SqlClient, TransactionConnection } from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"

/** SQLite's bound-parameter limit in the better-sqlite3 build (SQLITE_MAX_VARIABLE_NUMBER). */
const maxParameters = 32_766
const ladder = [1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1] as const

const texts = new Map<string, string>()

const statementText = (head: string, width: number, rows: number, tail: string): string => {
  const cacheKey = `${rows}\u0000${head}\u0000${tail}`
  let text = texts.get(cacheKey)
  if (text === undefined) {
    const tuple = `(${Array.from({ length: width }, () => "?").join(",")})`
    text = `${head} ${Array.from({ length: rows }, () => tuple).join(",")} ${tail}`
    texts.set(cacheKey, text)
  }
  return text
}

/**
 * Runs `head VALUES-tuples tail` over `rows` (each `width` values) and returns the rowid of the last row
 * inserted. Call it inside a transaction when the rows must land together.
 */
export const insertRows = (
  sql: SqlClient,
  head: string,
  width: number,
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  tail = ""
): Effect.Effect<number, SqlError> =>
  Effect.flatMap(Effect.serviceOption(TransactionConnection), (transaction) => {
    const execute = Option.match(transaction, {
      onNone: () => (text: string, params: ReadonlyArray<unknown>) => sql.unsafe(text, params).raw,
      onSome: ([connection]) => (text: string, params: ReadonlyArray<unknown>) => connection.executeRaw(text, params)
    })
    const sizes: Array<number> = []
    let remaining = rows.length
    for (const step of ladder) {
      const size = Math.min(step, Math.floor(maxParameters / width))
      while (remaining >= size) {
        sizes.push(size)
        remaining -= size
      }
    }
    let offset = 0
    let lastRowid = 0
    return Effect.forEach(sizes, (size) => {
      // better-sqlite3 binds an array argument's elements in order, so the rows need no flattening.
      const params = rows.slice(offset, offset + size)
      offset += size
      return Effect.map(
        execute(statementText(head, width, size, tail), params),
        (result) => {
          lastRowid = Number((result as { lastInsertRowid: number | bigint }).lastInsertRowid)
        }
      )
    }, { discard: true }).pipe(Effect.map(() => lastRowid))
  })
