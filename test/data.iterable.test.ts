// R torch's vector collation (arrays of numbers become one tensor, batch first), iterable
// datasets read by the dataloader, and dataset_subset. Expected values are the arrays
// themselves (the collated tensor holds them in batch order) and R's documented behaviour.
import { describe, expect, it } from 'vitest';
import {
  dataloader, dataset, dataset_subset, iterable_dataset, tensor_dataset, torch_arange, utils_data_default_collate, type Tensor,
} from '../src/index.js';

const values = (t: unknown): number[] => Array.from((t as Tensor).to_typed_array() as ArrayLike<number | bigint>, Number);

describe('collating arrays of numbers as R torch does', () => {
  it('a batch of arrays of numbers is one float32 tensor, batch first', () => {
    const batch = utils_data_default_collate([[1, 2, 3], [4, 5, 6]]) as Tensor;
    expect(batch.dtype).toBe('float32');
    expect(batch.shape).toEqual([2, 3]);
    expect(values(batch)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('nested arrays keep their shape; booleans become bool; TypedArrays keep their dtype', () => {
    const matrices = utils_data_default_collate([[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]]) as Tensor;
    expect(matrices.shape).toEqual([3, 2, 2]);
    expect(values(matrices)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const flags = utils_data_default_collate([[true, false], [false, false]]) as Tensor;
    expect(flags.dtype).toBe('bool');
    expect(flags.shape).toEqual([2, 2]);
    const ints = utils_data_default_collate([Int32Array.from([1, 2]), Int32Array.from([3, 4])]) as Tensor;
    expect(ints.dtype).toBe('int32');
    expect(values(ints)).toEqual([1, 2, 3, 4]);
    const doubles = utils_data_default_collate([Float64Array.from([0.1]), Float64Array.from([0.2])]) as Tensor;
    expect(doubles.dtype).toBe('float64');
    expect(doubles.shape).toEqual([2, 1]);
    expect(values(doubles)).toEqual([0.1, 0.2]);
  });

  it('inside objects and lists, next to scalars, which keep PyTorch\'s dtypes', () => {
    const batch = utils_data_default_collate([
      { x: [1, 2], y: 0, z: [[0.5], 3] },
      { x: [3, 4], y: 1, z: [[1.5], 4] },
    ]) as { x: Tensor; y: Tensor; z: [Tensor, Tensor] };
    expect(batch.x.shape).toEqual([2, 2]);
    expect(values(batch.x)).toEqual([1, 2, 3, 4]);
    expect(batch.y.dtype).toBe('int64');
    // [[0.5], 3] mixes an array and a number: a list, collated position by position.
    expect(batch.z[0].shape).toEqual([2, 1]);
    expect(values(batch.z[0])).toEqual([0.5, 1.5]);
    expect(values(batch.z[1])).toEqual([3, 4]);
  });

  it('refuses arrays of different shapes or kinds', () => {
    expect(() => utils_data_default_collate([[1, 2], [1]])).toThrow(/length 2/);
    expect(() => utils_data_default_collate([[[1, 2]], [[1, 2, 3]]])).toThrow(/shape \[1, 2\]/);
    expect(() => utils_data_default_collate([[1, 2], [true, false]])).toThrow(/batch\[1\]/);
    expect(() => utils_data_default_collate([Int32Array.from([1]), Float32Array.from([1])])).toThrow(/Int32Array/);
  });

  it('a dataloader over a dataset of arrays gives tensors', () => {
    const rows = dataset({ '.getitem': (i: number) => ({ x: [i, 2 * i], y: i % 2 }), '.length': () => 5 });
    const batches = [...dataloader(rows(), { batch_size: 2 })] as { x: Tensor; y: Tensor }[];
    expect(batches.map((b) => b.x.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(values(batches[1]!.x)).toEqual([2, 4, 3, 6]);
  });
});

describe('iterable_dataset', () => {
  const counter = iterable_dataset('counter', {
    initialize(n: number) { this.n = n; },
    *'.iter'() { for (let i = 1; i <= (this.n as number); i++) yield [i, i * i]; },
    '.length'() { return this.n as number; },
  });

  it('is read in its order, batch_size samples at a time, each pass afresh', () => {
    const loader = dataloader(counter(5), { batch_size: 2 });
    expect(counter.classname).toBe('counter');
    expect(loader.length).toBe(3);
    for (let epoch = 0; epoch < 2; epoch++) {
      const batches = [...loader] as Tensor[];
      expect(batches.map((b) => b.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
      expect(values(batches[2])).toEqual([5, 25]);
    }
    const dropped = [...dataloader(counter(5), { batch_size: 2, drop_last: true })];
    expect(dropped.length).toBe(2);
  });

  it('takes an iterable from .iter, and has no length without .length', () => {
    const listed = iterable_dataset({ '.iter'() { return [[1], [2], [3]]; } });
    const loader = dataloader(listed(), { batch_size: 3 });
    expect(values([...loader][0])).toEqual([1, 2, 3]);
    expect(() => loader.length).toThrow(/\.length/);
  });

  it('refuses shuffle and a sampler, a bad definition, and a bad .iter result', () => {
    expect(() => dataloader(counter(3), { shuffle: true })).toThrow(/iterable dataset/);
    expect(() => dataloader(counter(3), { sampler: Object.assign([0, 1], { length: 2 }) })).toThrow(/iterable dataset/);
    expect(() => iterable_dataset({} as never)).toThrow(/\.iter/);
    const broken = iterable_dataset({ '.iter'() { return 3 as never; } });
    expect(() => [...dataloader(broken())]).toThrow(/iterator or an iterable/);
  });
});

describe('dataset_subset', () => {
  it('reads the dataset\'s items at its indices (0-based)', () => {
    const squares = dataset({ '.getitem': (i: number) => i * i, '.length': () => 10 });
    const subset = dataset_subset(squares(), [3, 1, 4]);
    expect(subset['.length']()).toBe(3);
    expect([0, 1, 2].map((i) => subset['.getitem'](i))).toEqual([9, 1, 16]);
    expect(values([...dataloader(subset, { batch_size: 3 })][0])).toEqual([9, 1, 16]);
  });

  it('keeps reading whole batches from a dataset with .getbatch', () => {
    const subset = dataset_subset(tensor_dataset(torch_arange(0, 10)), [8, 2, 5]);
    const [batch] = [...dataloader(subset, { batch_size: 3 })] as Tensor[][];
    expect(values(batch![0])).toEqual([8, 2, 5]);
  });

  it('checks its indices', () => {
    const ds = tensor_dataset(torch_arange(0, 4));
    expect(() => dataset_subset(ds, [4])).toThrow(/below 4/);
    expect(() => dataset_subset(ds, [-1])).toThrow(RangeError);
    expect(() => dataset_subset(ds, 2 as never)).toThrow(TypeError);
    expect(() => dataset_subset({} as never, [0])).toThrow(/dataset/);
    expect(() => dataset_subset(ds, [1])['.getbatch']!([1])).toThrow(/below 1/);
  });
});
