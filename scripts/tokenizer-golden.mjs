// Golden token ids for the tokenizer tests, computed by transformers.js (@huggingface/transformers,
// pure JavaScript tokenizers that follow Hugging Face tokenizers).
//
//   npm install --prefix /tmp/tjs @huggingface/transformers@4.3.1 --ignore-scripts   # once, outside the repo
//   TRANSFORMERS_JS=/tmp/tjs node scripts/tokenizer-golden.mjs \
//       tests/Switchyard.Tests/Data/Fixtures > tests/Switchyard.Tests/Data/Fixtures/tokenizer-golden.json
//   TRANSFORMERS_JS=/tmp/tjs node scripts/tokenizer-golden.mjs --folder <model folder> [name]
//
// The first form reads every <name>.tokenizer.json.gz (+ <name>.tokenizer_config.json.gz) in the fixtures
// folder; the second one plain folder holding tokenizer.json (+ tokenizer_config.json), such as one written
// by Switchyard's TokenizerFiles.Write. Strings come from tokenizer-strings.json in the fixtures folder
// (or --strings FILE). Output: JSON with, per tokenizer and string, the ids without and with special tokens
// and the decoded text (special tokens skipped, no clean-up of spaces).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const home = process.env.TRANSFORMERS_JS;
if (!home) throw new Error('set TRANSFORMERS_JS to the folder where @huggingface/transformers is installed');
const require = createRequire(path.join(path.resolve(home), 'noop.js'));
const entry = require.resolve('@huggingface/transformers');
const tjs = await import(pathToFileURL(entry).href);
// The package's root folder is the one above the resolved entry that holds package.json.
let pkgDir = path.dirname(entry);
while (!fs.existsSync(path.join(pkgDir, 'package.json'))) pkgDir = path.dirname(pkgDir);
const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
const { AutoTokenizer, env } = tjs;
env.allowRemoteModels = false;

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const defaultFixtures = path.join(scriptDir, '..', 'tests', 'Switchyard.Tests', 'Data', 'Fixtures');
let stringsFile = null;
const si = args.indexOf('--strings');
if (si >= 0) { stringsFile = args[si + 1]; args.splice(si, 2); }

// Model folders to load: name -> folder.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenizer-golden-'));
const models = {};
let fixtures = defaultFixtures;
if (args[0] === '--folder') {
  const name = args[2] ?? path.basename(path.resolve(args[1]));
  fs.cpSync(args[1], path.join(work, name), { recursive: true });
  models[name] = name;
} else {
  fixtures = args[0] ?? defaultFixtures;
  for (const f of fs.readdirSync(fixtures).sort()) {
    const m = /^(.+)\.tokenizer\.json\.gz$/.exec(f);
    if (!m) continue;
    const dir = path.join(work, m[1]);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), zlib.gunzipSync(fs.readFileSync(path.join(fixtures, f))));
    const config = path.join(fixtures, `${m[1]}.tokenizer_config.json.gz`);
    if (fs.existsSync(config)) fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), zlib.gunzipSync(fs.readFileSync(config)));
    models[m[1]] = m[1];
  }
}
env.localModelPath = work + path.sep;
const strings = JSON.parse(fs.readFileSync(stringsFile ?? path.join(fixtures, 'tokenizer-strings.json'), 'utf8'));

const out = { generator: `@huggingface/transformers ${version} (node ${process.versions.node})`, tokenizers: {} };
for (const [name, id] of Object.entries(models)) {
  const tok = await AutoTokenizer.from_pretrained(id);
  out.tokenizers[name] = strings.map(text => {
    const ids = tok.encode(text, { add_special_tokens: false });
    const withSpecial = tok.encode(text, { add_special_tokens: true });
    const decoded = ids.length === 0 ? '' : tok.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
    return { text, ids, withSpecial, decoded };
  });
}
fs.rmSync(work, { recursive: true, force: true });

// One line per string keeps the file diffable.
const lines = ['{', `  "generator": ${JSON.stringify(out.generator)},`, '  "tokenizers": {'];
const names = Object.keys(out.tokenizers);
names.forEach((name, i) => {
  lines.push(`    ${JSON.stringify(name)}: [`);
  const rows = out.tokenizers[name];
  rows.forEach((r, j) => lines.push(`      ${JSON.stringify(r)}${j + 1 < rows.length ? ',' : ''}`));
  lines.push(`    ]${i + 1 < names.length ? ',' : ''}`);
});
lines.push('  }', '}');
process.stdout.write(lines.join('\n') + '\n');
