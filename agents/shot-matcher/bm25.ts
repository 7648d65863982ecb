/**
 * Okapi BM25 over pre-tokenized documents, with weighted query terms so that synonyms can count
 * for less than the words a scene actually says. idf is the non-negative Lucene variant,
 * ln(1 + (N − n + ½) / (n + ½)), so a term found in every document still scores a little.
 * The index is flat: terms numbered, every term's postings end to end in typed arrays, so a library of
 * 10,000 clips, each with a term of its own (a take number), costs a few allocations, not one per term.
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

/** The documents holding any term of a query, ascending, with their scores. */
export interface Bm25Scores {
  readonly docs: Int32Array
  readonly scores: Float64Array
}

export interface Bm25Index {
  readonly size: number
  readonly idf: (term: string) => number
  /** Scores document `doc` (its position in the input) against a query. */
  readonly score: (doc: number, query: ReadonlyArray<WeightedTerm>) => Bm25Score
  /**
   * Every document's score for a query at once, through the terms' postings, so only the documents
   * holding a query term are visited; each score is what `score` gives that document, to the last bit.
   */
  readonly scoreAll: (query: ReadonlyArray<WeightedTerm>) => Bm25Scores
}

/** Terms by number, in order of first use, and every document's terms as numbers, end to end. */
const numberTerms = (documents: ReadonlyArray<ReadonlyArray<string>>) => {
  const termIds = new Map<string, number>()
  let length = 0
  for (const terms of documents) length += terms.length
  const docTerms = new Int32Array(length)
  const docStart = new Int32Array(documents.length + 1)
  for (let doc = 0, at = 0; doc < documents.length; doc++) {
    for (const term of documents[doc]!) {
      let id = termIds.get(term)
      if (id === undefined) termIds.set(term, id = termIds.size)
      docTerms[at++] = id
    }
    docStart[doc + 1] = at
  }
  return { termIds, docTerms, docStart }
}

/** The saturated, length-normalised frequency of a term found `tf` times in a document. */
const saturated = (tf: number, lengthNorm: number, k1: number) => (tf * (k1 + 1)) / (tf + k1 * lengthNorm)

/** What a term adds to a document's score: the one formula both scorers use. */
const termValue = (weight: number, termIdf: number, saturatedTf: number) => weight * termIdf * saturatedTf

/**
 * Per term, its postings: the documents holding it (ascending) with the term's saturated frequency in
 * each (no query changes it), all terms' end to end from `postStart[term]`; its document frequency is
 * their number.
 */
const postingsOf = (terms: number, docTerms: Int32Array, docStart: Int32Array, lengthNorms: Float64Array, k1: number) => {
  const n = docStart.length - 1
  const tf = new Int32Array(terms)
  const postStart = new Int32Array(terms + 1)
  for (let doc = 0; doc < n; doc++) {
    for (let i = docStart[doc]!; i < docStart[doc + 1]!; i++) if (tf[docTerms[i]!]!++ === 0) postStart[docTerms[i]! + 1]!++
    for (let i = docStart[doc]!; i < docStart[doc + 1]!; i++) tf[docTerms[i]!] = 0
  }
  for (let term = 0; term < terms; term++) postStart[term + 1] = postStart[term + 1]! + postStart[term]!
  const postDocs = new Int32Array(postStart[terms]!)
  const postSaturated = new Float64Array(postStart[terms]!)
  const filled = postStart.slice(0, terms)
  for (let doc = 0; doc < n; doc++) {
    for (let i = docStart[doc]!; i < docStart[doc + 1]!; i++) tf[docTerms[i]!]!++
    for (let i = docStart[doc]!; i < docStart[doc + 1]!; i++) {
      const term = docTerms[i]!
      if (tf[term] === 0) continue
      const at = filled[term]!++
      postDocs[at] = doc
      postSaturated[at] = saturated(tf[term]!, lengthNorms[doc]!, k1)
      tf[term] = 0
    }
  }
  return { postStart, postDocs, postSaturated }
}

/**
 * Adds what a query term (its weight and idf) gives each document of its postings `[from, to)` to
 * `sums`, noting each document first seen in `touched` (then holding `m`); returns the new `m`.
 */
const addPostings = (
  into: {
    readonly postDocs: Int32Array
    readonly postSaturated: Float64Array
    readonly sums: Float64Array
    readonly seen: Uint8Array
    readonly touched: Int32Array
  },
  from: number,
  to: number,
  weight: number,
  termIdf: number,
  m: number
) => {
  const { postDocs, postSaturated, seen, sums, touched } = into
  for (let at = from; at < to; at++) {
    const doc = postDocs[at]!
    if (seen[doc] === 0) {
      seen[doc] = 1
      touched[m++] = doc
    }
    sums[doc] = sums[doc]! + termValue(weight, termIdf, postSaturated[at]!)
  }
  return m
}

/** The `m` documents marked in `seen`, ascending. */
const seenInOrder = (seen: Uint8Array, m: number) => {
  const docs = new Int32Array(m)
  for (let doc = 0, at = 0; at < m; doc++) if (seen[doc] === 1) docs[at++] = doc
  return docs
}

export const makeBm25 = (documents: ReadonlyArray<ReadonlyArray<string>>, options: Bm25Options = {}): Bm25Index => {
  const k1 = options.k1 ?? 1.2
  const b = options.b ?? 0.75
  const n = documents.length
  const { docStart, docTerms, termIds } = numberTerms(documents)
  const averageLength = n === 0 ? 0 : docTerms.length / n
  const lengthNorms = new Float64Array(n)
  for (let doc = 0; doc < n; doc++) {
    lengthNorms[doc] = averageLength === 0 ? 1 : 1 - b + (b * (docStart[doc + 1]! - docStart[doc]!)) / averageLength
  }
  const { postDocs, postSaturated, postStart } = postingsOf(termIds.size, docTerms, docStart, lengthNorms, k1)

  const idfOf = (id: number | undefined): number => {
    const containing = id === undefined ? 0 : postStart[id + 1]! - postStart[id]!
    return Math.log(1 + (n - containing + 0.5) / (containing + 0.5))
  }
  const idf = (term: string): number => idfOf(termIds.get(term))

  const score = (doc: number, query: ReadonlyArray<WeightedTerm>): Bm25Score => {
    if (!(doc >= 0 && doc < n && Number.isInteger(doc))) throw new RangeError(`bm25: no document ${doc} among ${n}`)
    const contributions: Array<TermContribution> = []
    let total = 0
    for (const { term, weight } of query) {
      const id = termIds.get(term)
      let frequency = 0
      for (let i = docStart[doc]!; i < docStart[doc + 1]!; i++) if (docTerms[i] === id) frequency++
      if (frequency === 0) continue
      const value = termValue(weight, idfOf(id), saturated(frequency, lengthNorms[doc]!, k1))
      contributions.push({ term, value })
      total += value
    }
    return { score: total, contributions }
  }

  // Summed term by term in query order, as `score` sums a document's terms.
  const sums = new Float64Array(n)
  const seen = new Uint8Array(n)
  const touched = new Int32Array(n)
  const scoreAll = (query: ReadonlyArray<WeightedTerm>): Bm25Scores => {
    let m = 0
    for (const { term, weight } of query) {
      const id = termIds.get(term)
      if (id === undefined) continue
      m = addPostings({ postDocs, postSaturated, sums, seen, touched }, postStart[id]!, postStart[id + 1]!, weight, idfOf(id), m)
    }
    // Ascending: sorted when few, read off `seen` in order when many (a sort of thousands costs more).
    const docs = m * 32 < n ? touched.slice(0, m).sort() : seenInOrder(seen, m)
    const scores = new Float64Array(m)
    for (let i = 0; i < m; i++) {
      const doc = docs[i]!
      scores[i] = sums[doc]!
      sums[doc] = 0
      seen[doc] = 0
    }
    return { docs, scores }
  }

  return { size: n, idf, score, scoreAll }
}
