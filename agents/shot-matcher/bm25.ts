/**
 * Okapi BM25 over pre-tokenized documents, with weighted query terms so that synonyms can count
 * for less than the words a scene actually says. idf is the non-negative Lucene variant,
 * ln(1 + (N − n + ½) / (n + ½)), so a term found in every document still scores a little.
 */

export interface Bm25Options {
  /** Term-frequency saturation. Default 1.2. */
  readonly k1?: number
  /** Length normalisation, 0 (none) to 1 (full). Default 0.75. */
  readonly b?: number
}

export interface WeightedTerm {
  readonly term: string
  readonly weight: number
}

export interface TermContribution {
  readonly term: string
  readonly value: number
}

export interface Bm25Score {
  readonly score: number
  /** The query terms the document contains, with what each added; query order. */
  readonly contributions: ReadonlyArray<TermContribution>
}

export interface Bm25Index {
  readonly size: number
  readonly idf: (term: string) => number
  /** Scores document `doc` (its position in the input) against a query. */
  readonly score: (doc: number, query: ReadonlyArray<WeightedTerm>) => Bm25Score
}

export const makeBm25 = (documents: ReadonlyArray<ReadonlyArray<string>>, options: Bm25Options = {}): Bm25Index => {
  const k1 = options.k1 ?? 1.2
  const b = options.b ?? 0.75
  const frequencies = documents.map((terms) => {
    const counts = new Map<string, number>()
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1)
    return counts
  })
  const documentFrequency = new Map<string, number>()
  for (const counts of frequencies) {
    for (const term of counts.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1)
  }
  const n = documents.length
  const averageLength = n === 0 ? 0 : documents.reduce((sum, terms) => sum + terms.length, 0) / n

  const idf = (term: string): number => {
    const containing = documentFrequency.get(term) ?? 0
    return Math.log(1 + (n - containing + 0.5) / (containing + 0.5))
  }

  const score = (doc: number, query: ReadonlyArray<WeightedTerm>): Bm25Score => {
    const counts = frequencies[doc]
    if (counts === undefined) throw new RangeError(`bm25: no document ${doc} among ${n}`)
    const lengthNorm = averageLength === 0 ? 1 : 1 - b + (b * documents[doc]!.length) / averageLength
    const contributions: Array<TermContribution> = []
    let total = 0
    for (const { term, weight } of query) {
      const tf = counts.get(term) ?? 0
      if (tf === 0) continue
      const value = weight * idf(term) * ((tf * (k1 + 1)) / (tf + k1 * lengthNorm))
      contributions.push({ term, value })
      total += value
    }
    return { score: total, contributions }
  }

  return { size: n, idf, score }
}
