// Third-party check of Switchyard's GGUF files with huggingface.js's parser (@huggingface/gguf).
// Not part of CI. Setup, outside the repository:
//   mkdir -p /tmp/ggufnpm && npm install --prefix /tmp/ggufnpm @huggingface/gguf@0.4.6
// Usage:
//   GGUF_JS_DIR=/tmp/ggufnpm node scripts/check-gguf.mjs FILE.gguf            → metadata + tensor infos as JSON
//   GGUF_JS_DIR=/tmp/ggufnpm node scripts/check-gguf.mjs FILE.gguf --rewrite OUT.gguf
//       → also rebuilds the header with its writer (buildGgufHeader) from the parsed typed metadata,
//         appends the original data section, writes OUT.gguf and reports whether the bytes are identical.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const base = process.env.GGUF_JS_DIR ? path.join(path.resolve(process.env.GGUF_JS_DIR), "index.js") : import.meta.url;
const require = createRequire(base);
const { gguf, buildGgufHeader } = require("@huggingface/gguf");

const [file, flag, out] = process.argv.slice(2);
if (!file) {
  console.error("usage: node scripts/check-gguf.mjs FILE.gguf [--rewrite OUT.gguf]");
  process.exit(2);
}
const parsed = await gguf(path.resolve(file), { allowLocalFile: true, typedMetadata: true });
const json = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x), 1);

// Long arrays (token lists) abbreviated so the output stays readable.
const metadata = {};
for (const [k, v] of Object.entries(parsed.typedMetadata)) {
  const value = Array.isArray(v.value) && v.value.length > 16 ? [...v.value.slice(0, 16), `… ${v.value.length} items`] : v.value;
  metadata[k] = { type: v.type, subType: v.subType, value };
}
const report = {
  file: path.basename(file),
  littleEndian: parsed.littleEndian,
  tensorDataOffset: parsed.tensorDataOffset,
  metadata,
  tensors: parsed.tensorInfos.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype, offset: t.offset })),
};

if (flag === "--rewrite") try {
  const bytes = readFileSync(file);
  const blob = new Blob([bytes]);
  const header = await buildGgufHeader(blob, parsed.typedMetadata, {
    littleEndian: parsed.littleEndian,
    tensorInfoByteRange: parsed.tensorInfoByteRange,
    alignment: Number(parsed.metadata["general.alignment"] ?? 32),
  });
  const head = new Uint8Array(await header.arrayBuffer());
  const data = bytes.subarray(Number(parsed.tensorDataOffset));
  const rebuilt = Buffer.concat([head, data]);
  writeFileSync(out, rebuilt);
  report.rewrite = { out: path.basename(out), identical: Buffer.compare(rebuilt, bytes) === 0, headerBytes: head.length, originalHeaderBytes: Number(parsed.tensorDataOffset) };
} catch (e) {
  report.rewrite = { error: String(e.message ?? e) };
}
console.log(json(report));
