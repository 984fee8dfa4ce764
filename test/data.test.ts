// Data: dataset() generators, tensor_dataset, the default collation, and the dataloader's
// batches, length, shuffling (a permutation per epoch, reproduced by the seed), iteration with
// for...of and for await...of, .getbatch, and argument checks. The order PyTorch gives after
// a seed is checked in test/parity/data.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  dataloader, dataset, tensor_dataset, torch_arange, torch_manual_seed, torch_randn, torch_tensor, utils_data_default_collate, type Tensor,
} from '../src/index.js';

const values = (t: unknown): number[] => Array.from((t as Tensor).to_typed_array(), Number);

describe('datasets', () => {
  it('dataset() makes a generator whose initialize and methods share `this`', () => {
    const squares = dataset('squares', {
      initialize(n: number) { this.n = n; },
      '.getitem'(i: number) { return this.square(i); },
      '.length'() { return this.n as number; },
      square(i: number) { return i * i; },
    });
    expect(squares.classname).toBe('squares');
    const ds = squares(4);
    expect(ds['.length']()).toBe(4);
    expect(ds['.getitem'](3)).toBe(9);
    expect(String(ds)).toBe('[object squares]');
  });

  it('tensor_dataset gives rows, one per tensor', () => {
    const x = torch_arange(0, 6).reshape(3, 2);
    const y = torch_tensor([10, 11, 12]);
    const ds = tensor_dataset(x, y);
    expect(ds['.length']()).toBe(3);
    const [row, label] = ds['.getitem'](1);
    expect(values(row)).toEqual([2, 3]);
    expect(values(label)).toEqual([11]);
    const [rows, labels] = ds['.getbatch']([2, 0]);
    expect(values(rows)).toEqual([4, 5, 0, 1]);
    expect(values(labels)).toEqual([12, 10]);
  });

  it('refuses what it cannot use', () => {
    expect(() => tensor_dataset()).toThrow(TypeError);
    expect(() => tensor_dataset(torch_randn(3), torch_randn(4))).toThrow(/first dimension of 3/);
    expect(() => tensor_dataset(torch_tensor(1))).toThrow(TypeError);
    expect(() => tensor_dataset(torch_randn(3))['.getitem'](3)).toThrow(RangeError);
    expect(() => dataset({ '.getitem': () => 1 } as never)).toThrow(/\.length/);
    expect(() => dataset({ '.length': () => 1 })).toThrow(/\.getitem/);
    expect(() => dataset({ '.length': () => 1, '.getitem': 3 } as never)).toThrow(TypeError);
  });
});

describe('utils_data_default_collate', () => {
  it('collates as PyTorch\'s default_collate', () => {
    const batch = utils_data_default_collate([
      { x: torch_tensor([1, 2]), label: 1, weight: 0.5, flag: true, name: 'a', pair: [1, 2n] },
      { x: torch_tensor([3, 4]), label: 2, weight: 1, flag: false, name: 'b', pair: [3, 4n] },
    ]) as Record<string, unknown>;
    expect((batch.x as Tensor).shape).toEqual([2, 2]);
    expect(values(batch.x)).toEqual([1, 2, 3, 4]);
    expect((batch.label as Tensor).dtype).toBe('int64');
    expect((batch.weight as Tensor).dtype).toBe('float64');
    expect(values(batch.weight)).toEqual([0.5, 1]);
    expect((batch.flag as Tensor).dtype).toBe('bool');
    expect(batch.name).toEqual(['a', 'b']);
    const [first, second] = batch.pair as Tensor[];
    expect(values(first)).toEqual([1, 3]);
    expect(second!.dtype).toBe('int64');
  });

  it('refuses mixed or unknown samples', () => {
    expect(() => utils_data_default_collate([])).toThrow(TypeError);
    expect(() => utils_data_default_collate([1, 'a'])).toThrow(/batch\[1\]/);
    expect(() => utils_data_default_collate([[1, 2], [1]])).toThrow(/length 2/);
    expect(() => utils_data_default_collate([new Map()])).toThrow(TypeError);
  });
});

describe('dataloader', () => {
  const ds = tensor_dataset(torch_arange(0, 10));

  it('batches in order, with a smaller last batch unless drop_last', () => {
    const loader = dataloader(ds, { batch_size: 4 });
    expect(loader.length).toBe(3);
    expect([...loader].map(([x]) => values(x))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const dropping = dataloader(ds, { batch_size: 4, drop_last: true });
    expect(dropping.length).toBe(2);
    expect([...dropping]).toHaveLength(2);
    expect(dataloader(ds).length).toBe(10);
  });

  it('shuffles into a new permutation each epoch, the same ones after the same seed', () => {
    const loader = dataloader(ds, { batch_size: 3, shuffle: true });
    const epoch = (): number[] => [...loader].flatMap(([x]) => values(x));
    torch_manual_seed(1);
    const first = [epoch(), epoch()];
    for (const order of first) expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first[0]).not.toEqual(first[1]);
    torch_manual_seed(1);
    expect([epoch(), epoch()]).toEqual(first);
  });

  it('for await...of gives the same batches as for...of', async () => {
    const loader = dataloader(ds, { batch_size: 4, shuffle: true });
    torch_manual_seed(5);
    const sync = [...loader].map(([x]) => values(x));
    torch_manual_seed(5);
    const batches: number[][] = [];
    for await (const [x] of loader) batches.push(values(x));
    expect(batches).toEqual(sync);
  });

  it('asks a dataset with .getbatch for whole batches and applies collate_fn', () => {
    const asked: number[][] = [];
    const batched = dataset({
      '.getbatch'(indices: number[]) { asked.push(indices); return indices.map((i) => i * 10); },
      '.length'() { return 5; },
    });
    expect([...dataloader(batched(), { batch_size: 2 })]).toEqual([[0, 10], [20, 30], [40]]);
    expect(asked).toEqual([[0, 1], [2, 3], [4]]);
    const summed = dataloader(batched(), { batch_size: 5, collate_fn: (batch: number[]) => batch.reduce((a, b) => a + b) });
    expect([...summed]).toEqual([100]);
  });

  it('refuses bad arguments before any batch', () => {
    expect(() => dataloader({} as never)).toThrow(/Expected a dataset/);
    expect(() => dataloader(ds, { batch_size: 0 })).toThrow(RangeError);
    expect(() => dataloader(ds, { shuffle: 1 as never })).toThrow(TypeError);
    expect(() => dataloader(ds, { batchsize: 2 } as never)).toThrow(/Expected one of batch_size, shuffle, drop_last, sampler, collate_fn, generator for dataloader options/);
    expect(() => dataloader(ds, { collate_fn: 3 as never })).toThrow(TypeError);
    const broken = dataset({ '.getitem': () => 1, '.length': () => -1 });
    expect(() => dataloader(broken()).length).toThrow(/non-negative integer/);
  });
});
