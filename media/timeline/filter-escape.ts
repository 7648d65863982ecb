/**
 * Filter-graph escaping. A value inside a filter option goes through two parsers: the graph parser
 * (which splits on `[ ] , ;` and understands `\` and `'`) and then the option parser (which splits on
 * `:` and `=` and understands `\` and `'` again). So a value is escaped for the option first, then the
 * result for the graph. Bytes outside ASCII (CJK, Arabic, emoji) pass through untouched.
 */

/** Level 1: a value inside one filter's options (`\`, `'`, `:`). */
export const escapeFilterOption = (value: string): string => value.replace(/[\\':]/g, (c) => `\\${c}`)

/** Level 2: text placed in a filter graph description (`\`, `'`, `[`, `]`, `,`, `;`). */
export const escapeFilterGraph = (value: string): string => value.replace(/[\\'[\],;]/g, (c) => `\\${c}`)

/** A file path as the value of a filter option inside a filter graph (e.g. `subtitles=filename=…`). */
export const filterGraphPath = (path: string): string => escapeFilterGraph(escapeFilterOption(path))

/** A path in an ffconcat list (`file '…'`): single quotes close, escape, reopen. */
export const concatListPath = (path: string): string => `'${path.replace(/'/g, "'\\''")}'`
