import { describe, expect, it } from "@effect/vitest"
import { detectLanguage, languageRuns, parseVoiceTable, planVoices, speaksScript, voiceForLanguage } from "../../../media/index.ts"

describe("the language of a text", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["zh", "我们今天学习数学，数学很有意思。"],
    ["ja", "東京は日本の首都です。"],
    ["ko", "안녕하세요, 세계. 오늘은 좋은 날입니다."],
    ["ar", "مرحبا بالعالم، كيف حالك اليوم؟"],
    ["fa", "سلام دنیا، امروز چطوری؟"],
    ["ur", "ہیلو دنیا، آپ کیسے ہیں؟"],
    ["he", "שלום עולם, מה שלומך היום?"],
    ["hi", "नमस्ते दुनिया, आप कैसे हैं।"],
    ["ru", "Привет, мир! Как дела сегодня?"],
    ["uk", "Привіт, світе! Як справи сьогодні?"],
    ["bg", "Здравей, свят! Това е ъгълът на България."],
    ["el", "Γειά σου κόσμε, τι κάνεις σήμερα;"],
    ["th", "สวัสดีชาวโลก วันนี้อากาศดี"],
    ["en", "The quick brown fox jumps over the lazy dog and runs into the forest."],
    ["de", "Der schnelle braune Fuchs springt über den faulen Hund und läuft in den Wald."],
    ["fr", "Le renard brun rapide saute par-dessus le chien paresseux et court dans la forêt."],
    ["es", "El rápido zorro marrón salta sobre el perro perezoso y corre hacia el bosque."],
    ["it", "La volpe marrone veloce salta sopra il cane pigro e corre verso la foresta."],
    ["pt", "A raposa marrom rápida pula sobre o cão preguiçoso e corre para a floresta."],
    ["nl", "De snelle bruine vos springt over de luie hond en rent naar het bos."]
  ]

  it.each(cases)("tells %s by its script, its letters or its words", (language, text) => {
    const guess = detectLanguage(text)
    expect(guess.language).toBe(language)
    expect(guess.confidence).toBeGreaterThan(0.5)
  })

  it("is the language of most letters, with a confidence that says how mixed the text is", () => {
    expect(detectLanguage("My friend 王小明 said hello to everyone in the room.")).toMatchObject({ language: "en", script: "Latin" })
    expect(detectLanguage("我的朋友 Anna 说你好。")).toMatchObject({ language: "zh", script: "Han" })
    expect(detectLanguage("我们学习").confidence).toBeGreaterThan(detectLanguage("我们学习 with friends").confidence)
    // Nothing to go on: English, with no confidence.
    expect(detectLanguage("1, 2, 3 …")).toEqual({ language: "en", confidence: 0, script: "Common" })
  })

  it("cuts a text where its script changes, digits and punctuation going with the run before", () => {
    expect(languageRuns("My friend 王小明 said hello.").map((run) => [run.text, run.language])).toEqual([
      ["My friend ", "en"],
      ["王小明 ", "zh"],
      ["said hello.", "en"]
    ])
    // A Japanese text's kanji are Japanese, not Chinese; its Latin is decided apart.
    expect(languageRuns("東京は2024年。Tokyo is big.").map((run) => [run.text, run.script, run.language])).toEqual([
      ["東京", "Han", "ja"],
      ["は2024", "Hiragana", "ja"],
      ["年。", "Han", "ja"],
      ["Tokyo is big.", "Latin", "en"]
    ])
  })
})

/** The rows of espeak-ng 1.51's `--voices` that matter here. */
const VOICES = parseVoiceTable(`Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  ar              --/M      Arabic             sem/ar
 5  cmn             --/M      Chinese_(Mandarin,_latin_as_English) sit/cmn              (zh-cmn 5)(zh 5)
 5  cmn-latn-pinyin --/M      Chinese_(Mandarin,_latin_as_Pinyin) sit/cmn-Latn-pinyin  (zh-cmn 5)(zh 5)
 5  de              --/M      German             gmw/de
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  fr-fr           --/M      French_(France)    roa/fr               (fr 5)
 5  he              --/M      Hebrew             sem/he
 5  hi              --/M      Hindi              inc/hi
 5  ja              --/M      Japanese           jpx/ja
 5  ko              --/M      Korean             ko
 5  ru              --/M      Russian            zle/ru
`)
const installed = { voices: VOICES, names: new Set(VOICES.flatMap((v) => [v.language, ...v.others])), variants: new Set<string>() }

describe("the voice for each run of language", () => {
  it("maps a language to an installed voice: Chinese to the Mandarin pinyin voice, a missing language to none", () => {
    expect(voiceForLanguage(installed, "zh")).toBe("cmn-latn-pinyin")
    expect(voiceForLanguage(installed, "fr")).toBe("fr")
    expect(voiceForLanguage(installed, "en")).toBe("en")
    expect(voiceForLanguage(installed, "ja")).toBe("ja")
    expect(voiceForLanguage(installed, "th")).toBeUndefined()
  })

  it("knows which scripts a voice speaks", () => {
    expect(speaksScript(installed, "en", "Han")).toBe(false)
    expect(speaksScript(installed, "en+f3", "Latin")).toBe(true)
    expect(speaksScript(installed, "zh", "Han")).toBe(true)
    expect(speaksScript(installed, "ru", "Latin")).toBe(true)
    // espeak-ng's Japanese spells Latin out and reads kanji as letter names.
    expect(speaksScript(installed, "ja", "Latin")).toBe(false)
    expect(speaksScript(installed, "ja", "Han")).toBe(false)
    // espeak-ng switches to Hindi or Korean by itself; English voices read Greek letters by name.
    expect(speaksScript(installed, "en", "Devanagari")).toBe(true)
    expect(speaksScript(installed, "en", "Hangul")).toBe(true)
    expect(speaksScript(installed, "en", "Greek")).toBe(false)
    expect(speaksScript(installed, "de", "Greek")).toBe(true)
    expect(speaksScript(installed, "en", "Arabic")).toBe(false)
  })

  it("auto speaks each run in its language's voice", () => {
    const plan = planVoices(installed, "My friend 王小明 said hello. Привет!")
    expect(plan.voice).toBe("en")
    // The main voice first, then the others by how much they speak.
    expect(plan.voices).toEqual(["en", "ru", "cmn-latn-pinyin"])
    expect(plan.runs.map((run) => [run.voice, run.text])).toEqual([
      ["en", "My friend "],
      ["cmn-latn-pinyin", "王小明 "],
      ["en", "said hello. "],
      ["ru", "Привет!"]
    ])
    expect(plan.warnings).toEqual([])
    expect(planVoices(installed, "我们今天学习数学。").voices).toEqual(["cmn-latn-pinyin"])
    // A sentence of the text keeps the text's choices (here: its Latin is German).
    const german = planVoices(installed, "Der Hund und die Katze sind im Haus. 北京 ist groß.")
    expect(german.runsOf("北京 ist groß.").map((run) => run.voice)).toEqual(["cmn-latn-pinyin", "de"])
  })

  it("a named voice speaks everything, and each script it cannot speak is a warning", () => {
    const plan = planVoices(installed, "我们今天学习数学。", "en")
    expect(plan.runs.map((run) => run.voice)).toEqual(["en"])
    expect(plan.warnings).toEqual([
      expect.objectContaining({ voice: "en", script: "Han", characters: "我们今天学习数" })
    ])
    expect(planVoices(installed, "Hello world.", "en-us").warnings).toEqual([])
  })

  it("speaks a Japanese text's kanji with the Mandarin voice, and a language with no voice with the main one, each with a warning", () => {
    const japanese = planVoices(installed, "東京は日本の首都です。")
    expect(japanese.runs.map((run) => [run.voice, run.text])).toEqual([
      ["cmn-latn-pinyin", "東京"],
      ["ja", "は"],
      ["cmn-latn-pinyin", "日本"],
      ["ja", "の"],
      ["cmn-latn-pinyin", "首都"],
      ["ja", "です。"]
    ])
    expect(japanese.warnings).toEqual([expect.objectContaining({ voice: "ja", script: "Han", characters: "東京日本首都" })])
    const thai = planVoices(installed, "Hello สวัสดี")
    expect(thai.runs.map((run) => run.voice)).toEqual(["en"])
    expect(thai.warnings).toEqual([expect.objectContaining({ script: "Thai" })])
  })
})
