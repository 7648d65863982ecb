/**
 * Sentence splitting for narration scripts: media's segmentation (the one the narration and the
 * captions use, so the planner counts the same sentences and words as the voice), each sentence
 * tagged with its paragraph. See media/text/segmentation.ts for the rules: Latin, CJK, Arabic and
 * Devanagari full stops, abbreviations per language, initials, numbers, blank lines as paragraphs.
 */
import { splitSentences as segmentSentences } from "../../media/index.ts"
import type { ScriptSentence } from "./scene.ts"

export type { ScriptSentence } from "./scene.ts"

/** Splits a script into sentences, in order, each tagged with its paragraph. */
export const splitSentences = (script: string, language?: string): ReadonlyArray<ScriptSentence> =>
  segmentSentences(script, language === undefined ? {} : { language }).map(({ paragraph, text }) => ({ text, paragraph }))
