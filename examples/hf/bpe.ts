// A byte-level BPE tokenizer (GPT-2's kind) trained on a text, written as Hugging Face's
// tokenizer.json so that any tokenizers library loads it: Python's `tokenizers`,
// transformers' PreTrainedTokenizerFast, and torchlora's hf_tokenizer. No npm package trains
// tokenizers, and the example must make its own model from scratch, so this one is here.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** GPT-2's pre-tokenizer: contractions, letters, digits, other symbols, each with its leading space. */
const WORDS = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's printable stand-in for each byte (bytes_to_unicode), so every token is visible text. */
function byteSymbols(): string[] {
  const symbols: string[] = new Array(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
    symbols[byte] = String.fromCodePoint(printable ? byte : next++);
  }
  return symbols;
}

export interface TrainedBpe {
  vocab: Map<string, number>;
  merges: [string, string][];
}

/**
 * Learns `merges` merges from `text`: counts each pre-tokenized word once per occurrence,
 * then repeatedly joins the most frequent adjacent pair (ties: the pair first seen), as
 * byte-level BPE training does.
 */
export function trainBpe(text: string, merges: number): TrainedBpe {
  const symbols = byteSymbols();
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const [word] of text.matchAll(WORDS)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const words = [...counts].map(([word, count]) => ({ parts: [...encoder.encode(word)].map((b) => symbols[b]!), count }));
  const vocab = new Map(symbols.map((symbol, id) => [symbol, id]));
  const learned: [string, string][] = [];
  const key = (a: string, b: string): string => `${a}\u0000${b}`;
  // Pair counts and, for each pair, the words it occurs in: a merge touches only those.
  const pairs = new Map<string, number>();
  const where = new Map<string, Set<number>>();
  const add = (index: number, sign: number): void => {
    const { parts, count } = words[index]!;
    for (let i = 0; i + 1 < parts.length; i++) {
      const pair = key(parts[i]!, parts[i + 1]!);
      pairs.set(pair, (pairs.get(pair) ?? 0) + sign * count);
      if (sign > 0) (where.get(pair) ?? where.set(pair, new Set()).get(pair)!).add(index);
    }
  };
  words.forEach((_, index) => add(index, 1));
  while (learned.length < merges) {
    let best: string | undefined;
    let bestCount = 1; // a pair seen once teaches nothing
    for (const [pair, count] of pairs) if (count > bestCount) [best, bestCount] = [pair, count];
    if (best === undefined) break;
    const [a, b] = best.split('\u0000') as [string, string];
    const joined = a + b;
    learned.push([a, b]);
    vocab.set(joined, vocab.size);
    for (const index of where.get(best) ?? []) {
      add(index, -1);
      const { parts } = words[index]!;
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (parts[i] === a && parts[i + 1] === b) merged.push(joined), i++;
        else merged.push(parts[i]!);
      }
      words[index]!.parts = merged;
      add(index, 1);
    }
    pairs.delete(best);
    where.delete(best);
  }
  return { vocab, merges: learned };
}

/**
 * Writes tokenizer.json and tokenizer_config.json into `dir`: the trained BPE after GPT-2's
 * byte-level pre-tokenizer and decoder, and `eos` as the one special token (id vocab size),
 * which also serves as beginning and padding.
 */
export function saveBpe(dir: string, { vocab, merges }: TrainedBpe, eos = '<|endoftext|>', maxLength = 1024): number {
  const eosId = vocab.size;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: eosId, content: eos, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: Object.fromEntries(vocab), merges,
    },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  const config = {
    tokenizer_class: 'PreTrainedTokenizerFast', model_max_length: maxLength,
    bos_token: eos, eos_token: eos, pad_token: eos, unk_token: null, clean_up_tokenization_spaces: false,
  };
  writeFileSync(join(dir, 'tokenizer_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return eosId;
}
