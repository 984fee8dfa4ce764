// Data loading as R torch names it (`dataset()`, `tensor_dataset()`, `dataloader()`), with
// PyTorch's DataLoader semantics (1.13's and 2.13's alike): the same batches, PyTorch's default
// collation but for arrays of numbers, which collate as R's vectors (collate.ts), and a
// shuffle that draws from the default generator exactly as Python's DataLoader and
// RandomSampler do (native/data/data.cc), so after the same torch_manual_seed the order is
// PyTorch's. Indices are 0-based, as in PyTorch (R torch's are 1-based).
import { native } from '../core/native.js';
import { torch_empty, torch_randperm, torch_tensor } from '../ops/creation.js';
import { generatorOf, type torch_Generator } from '../ops/random.js';
import { type Tensor, checkTensor, tensorFrom } from '../ops/tensor.js';
import { utils_data_default_collate } from './collate.js';
import { isIterableDataset, samplesOf, type IterableDataset } from './iterable.js';
import { checkBoolean, checkFunction, checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { positionalOptions, type Positional } from '../nn/options.js';

export { utils_data_default_collate };

/**
 * What a dataloader needs from a dataset: `.getitem(i)` for a 0-based index and `.length()`;
 * optionally `.getbatch(indices)`, which then replaces the per-item calls.
 */
export interface Dataset<T = unknown, G = unknown> {
  '.getitem'(index: number): T;
  '.length'(): number;
  '.getbatch'?(indices: number[]): G;
}

/** Arrays of numbers (or of booleans), nested to any depth: collated whole into one tensor, as R does. */
type NestedNumbers = readonly (number | NestedNumbers)[];
type NestedBooleans = readonly (boolean | NestedBooleans)[];

/**
 * What `utils_data_default_collate` makes of samples of type `T`: Tensors, numbers, booleans
 * and bigints become one Tensor, and so do arrays of numbers or booleans (nested too) and typed
 * arrays; strings an array; other arrays and objects are collated member by member.
 */
export type Collated<T> = T extends Tensor | number | boolean | bigint | NestedNumbers | NestedBooleans | ArrayBufferView ? Tensor : T extends string ? string[]
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Collated<T[K]> } : T extends object ? { [K in keyof T]: Collated<T[K]> } : unknown;

/** A dataset definition for `dataset()`: `initialize` and the dataset methods; other members become methods. */
export type dataset_definition<A extends unknown[], T, G = never> = {
  initialize?: (...args: A) => void;
  '.getitem'?: (index: number) => T;
  '.length': () => number;
  '.getbatch'?: (indices: number[]) => G;
  [method: string]: unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} & ThisType<Dataset<T, G> & Record<string, any>>;

/** Makes a dataset with the arguments of its `initialize`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type dataset_generator<A extends unknown[], T, G = never> = ((...args: A) => Dataset<T, G> & Record<string, any>) & { readonly classname: string };

/**
 * R torch's `dataset()`: returns a generator; each call makes a dataset object, runs
 * `initialize` with `this` bound to it, and the other members are its methods. A dataset has
 * `.getitem(i)` (0-based) and `.length()`, or `.getbatch(indices)` and `.length()`.
 *
 * @example
 * const squares = dataset('squares', {
 *   initialize(n: number) { this.x = torch_arange(0, n); },
 *   '.getitem'(i: number) { return { x: this.x.index(i), y: this.x.index(i).square() }; },
 *   '.length'() { return this.x.shape[0]; },
 * });
 * const ds = squares(10);
 */
export function dataset<A extends unknown[], T, G = never>(definition: dataset_definition<A, T, G>): dataset_generator<A, T, G>;
export function dataset<A extends unknown[], T, G = never>(name: string, definition: dataset_definition<A, T, G>): dataset_generator<A, T, G>;
export function dataset(first: unknown, second?: unknown): dataset_generator<unknown[], unknown> {
  const [name, definition] = typeof first === 'string' ? [first, second] : ['dataset', first];
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) fail('a definition object', 'definition', definition);
  const members = definition as Record<string, unknown>;
  for (const [key, value] of Object.entries(members)) checkFunction(value, `definition[${JSON.stringify(key)}]`);
  if (members['.length'] === undefined) fail('a function', 'definition[".length"]', undefined);
  if (members['.getitem'] === undefined && members['.getbatch'] === undefined) fail('a function', 'definition[".getitem"]', undefined);
  const { initialize, ...methods } = members as { initialize?: (...args: unknown[]) => void };
  const prototype = Object.create(Object.prototype, { [Symbol.toStringTag]: { value: name } }) as Record<string, unknown>;
  Object.assign(prototype, methods);
  const generator = (...args: unknown[]): Dataset => {
    const instance = Object.create(prototype) as Dataset;
    initialize?.apply(instance, args);
    return instance;
  };
  return Object.assign(generator, { classname: name }) as dataset_generator<unknown[], unknown>;
}

/** A dataset of tensors that share their first dimension; items are arrays of rows. Made by `tensor_dataset`. */
export interface TensorDataset extends Dataset<Tensor[], Tensor[]> {
  readonly tensors: Tensor[];
  '.getbatch'(indices: number[]): Tensor[];
}

/**
 * R torch's `tensor_dataset(...)` (PyTorch's TensorDataset): item `i` is `[t1[i], t2[i], ...]`;
 * a batch is `[t1[indices], t2[indices], ...]`, rows gathered at once.
 *
 * @example
 * const ds = tensor_dataset(x, y);
 * for (const [xb, yb] of dataloader(ds, { batch_size: 32, shuffle: true })) { ... }
 */
export function tensor_dataset(...tensors: Tensor[]): TensorDataset {
  if (tensors.length === 0) fail('at least one Tensor', 'tensors', tensors);
  tensors.forEach((tensor, i) => {
    checkTensor(tensor, `tensors[${i}]`);
    if (tensor.dim() === 0) fail('a Tensor with at least one dimension', `tensors[${i}]`, tensor);
  });
  const size = tensors[0]!.shape[0]!;
  tensors.forEach((tensor, i) => {
    if (tensor.shape[0] !== size) failRange(`a first dimension of ${size} (as tensors[0])`, `tensors[${i}]`, `shape [${tensor.shape.join(', ')}]`);
  });
  return {
    tensors: [...tensors],
    '.getitem': (index: number) => {
      checkIndex(index, size);
      return tensors.map((tensor) => tensor.index(index));
    },
    '.getbatch': (indices: number[]) => {
      if (!Array.isArray(indices)) fail('an array of indices', 'indices', indices);
      indices.forEach((index, i) => checkIndex(index, size, `indices[${i}]`));
      const rows = torch_tensor(indices, { dtype: 'int64' });
      try {
        return tensors.map((tensor) => tensor.index(rows));
      } finally {
        rows.dispose(); // the batch holds its own rows (and a graph its own reference to these indices)
      }
    },
    '.length': () => size,
  };
}

function checkIndex(index: unknown, size: number, name = 'index'): number {
  if (checkNonNegativeInteger(index, name) >= size) failRange(`an index below ${size}`, name, index);
  return index as number;
}

// ---------------------------------------------------------------- the loader

/** The indices a loader reads, in order (PyTorch's `Sampler`): `distributed_sampler`, or your own. */
export interface Sampler extends Iterable<number> {
  /** How many indices one pass yields. */
  readonly length: number;
}

/** Options of `dataloader`. */
const DATALOADER_KEYS = optionKeys<DataLoaderOptions>({ batch_size: true, shuffle: true, drop_last: true, sampler: true, collate_fn: true, generator: true });

export interface DataLoaderOptions<B = unknown> {
  /** Samples per batch (1). */
  batch_size?: number;
  /** A new random order every epoch, drawn from the default generator as PyTorch draws it (false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batch_size (false). */
  drop_last?: boolean;
  /** The indices to read, in order, instead of all of them (`distributed_sampler`); not with `shuffle`. */
  sampler?: Sampler;
  /**
   * Makes a batch from the array of samples (`utils_data_default_collate`); for a dataset
   * with `.getbatch`, from what `.getbatch` returned (default: that, unchanged).
   */
  collate_fn?: (batch: any) => B; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** A torch_generator() for the epoch's draws instead of the default generator, as PyTorch's `generator`. */
  generator?: torch_Generator | null;
}

/**
 * Batches of a dataset, iterable with `for...of` and `for await...of`; each iteration is one
 * epoch (reshuffled when `shuffle` is on). Made by `dataloader`.
 */
export class DataLoader<B = unknown> implements Iterable<B>, AsyncIterable<B> {
  readonly batch_size: number;
  readonly shuffle: boolean;
  readonly drop_last: boolean;
  readonly sampler: Sampler | null;
  readonly generator: torch_Generator | null;
  private readonly collate: (batch: unknown) => B;

  /** @internal Use dataloader. */
  constructor(readonly dataset: Dataset | IterableDataset, options?: DataLoaderOptions<B>) {
    checkDataset(dataset);
    const { batch_size = 1, shuffle = false, drop_last = false, sampler, collate_fn, generator = null } = checkOptions(options, DATALOADER_KEYS, 'dataloader');
    generatorOf(generator);
    this.generator = generator;
    this.batch_size = checkPositiveInteger(batch_size, 'batch_size');
    this.shuffle = checkBoolean(shuffle, 'shuffle');
    this.sampler = sampler === undefined ? null : checkSampler(sampler);
    if (this.sampler !== null && this.shuffle) fail('shuffle: false with a sampler (the sampler chooses the order)', 'shuffle', shuffle);
    this.drop_last = checkBoolean(drop_last, 'drop_last');
    if (isIterableDataset(dataset) && (this.shuffle || this.sampler !== null)) {
      fail('neither shuffle nor sampler with an iterable dataset (it gives its samples in its own order)', this.shuffle ? 'shuffle' : 'sampler', this.shuffle ? true : sampler);
    }
    const batched = !isIterableDataset(dataset) && typeof dataset['.getbatch'] === 'function';
    const identity = (batch: unknown): B => batch as B;
    this.collate = collate_fn === undefined
      ? (batched ? identity : utils_data_default_collate as (batch: unknown) => B)
      : checkFunction(collate_fn, 'collate_fn') as (batch: unknown) => B;
  }

  /** The number of batches in an epoch. @example dataloader(ds, { batch_size: 4 }).length */
  get length(): number {
    const size = this.sampler === null ? datasetLength(this.dataset) : this.sampler.length;
    return this.drop_last ? Math.floor(size / this.batch_size) : Math.ceil(size / this.batch_size);
  }

  /**
   * One epoch. Like PyTorch's DataLoader iterator, it draws one seed from the default
   * generator when it starts (the workers' base seed, unused here) and, when shuffling, one
   * more at the first batch to seed a fresh generator for `torch_randperm`. With a
   * `generator`, both come from it, and the order is its `torch_randperm`, as in PyTorch.
   */
  [Symbol.iterator](): Iterator<B> {
    if (this.generator === null) native.randomSeed();
    else torch_empty([], { dtype: 'int64', device: 'cpu' }).random_({ generator: this.generator }).dispose();
    return this.batches();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    for (const batch of this) yield batch;
  }

  private *batches(): Generator<B> {
    if (isIterableDataset(this.dataset)) {
      yield* this.streamed(this.dataset);
      return;
    }
    const order = this.sampler !== null ? [...this.sampler]
      : this.shuffle ? permutation(datasetLength(this.dataset), this.generator) : Array.from({ length: datasetLength(this.dataset) }, (_, i) => i);
    const size = order.length;
    // Python's RandomSampler, given a generator, ends with one more randperm from it (of the
    // remainder it takes, none here), run when the batch sampler asks past the last index.
    const generator = this.shuffle && this.sampler === null ? this.generator : null;
    for (let start = 0; start <= size; start += this.batch_size) {
      if (generator !== null && start + this.batch_size > size) torch_randperm(size, { generator }).dispose();
      const indices = order.slice(start, start + this.batch_size);
      if (indices.length === 0 || (this.drop_last && indices.length < this.batch_size)) break;
      yield this.collate(this.fetch(indices));
    }
  }

  // An iterable dataset's samples, batch_size at a time, in its order.
  private *streamed(dataset: IterableDataset): Generator<B> {
    const samples = samplesOf(dataset);
    let batch: unknown[] = [];
    for (let next = samples.next(); next.done !== true; next = samples.next()) {
      batch.push(next.value);
      if (batch.length === this.batch_size) {
        yield this.collate(batch);
        batch = [];
      }
    }
    if (batch.length > 0 && !this.drop_last) yield this.collate(batch);
  }

  private fetch(indices: number[]): unknown {
    const dataset = this.dataset as Dataset;
    if (typeof dataset['.getbatch'] === 'function') return dataset['.getbatch'](indices);
    return indices.map((index) => dataset['.getitem'](index));
  }
}

// RandomSampler.__iter__: without a generator, a seed from the default generator, then
// randperm on a fresh generator seeded with it; with one, randperm on it.
function permutation(size: number, generator: torch_Generator | null): number[] {
  if (generator === null) return seededPermutation(size, native.randomSeed());
  const out = torch_randperm(size, { generator });
  try {
    return Array.from(out.to_typed_array() as BigInt64Array, Number);
  } finally {
    out.dispose();
  }
}

/** torch.randperm(size, generator=g) after g.manual_seed(seed), g a fresh torch.Generator(). @internal */
export function seededPermutation(size: number, seed: bigint): number[] {
  const out = tensorFrom(native.randpermSeeded(size, seed));
  try {
    return Array.from(out.to_typed_array() as BigInt64Array, Number);
  } finally {
    out.dispose();
  }
}

function checkSampler(value: unknown): Sampler {
  const sampler = value as Sampler;
  if (typeof value !== 'object' || value === null || typeof sampler[Symbol.iterator] !== 'function' || typeof sampler.length !== 'number') {
    fail('a sampler (iterable indices with a length)', 'sampler', value);
  }
  return sampler;
}

function checkDataset(value: unknown): Dataset | IterableDataset {
  if (isIterableDataset(value)) return value;
  const ds = value as Dataset;
  if (typeof value !== 'object' || value === null || typeof ds['.length'] !== 'function'
    || (typeof ds['.getitem'] !== 'function' && typeof ds['.getbatch'] !== 'function')) {
    fail('a dataset (with .length() and .getitem() or .getbatch(), or an iterable dataset with .iter())', 'dataset', value);
  }
  return ds;
}

function datasetLength(ds: Dataset | IterableDataset): number {
  if (typeof ds['.length'] !== 'function') fail('a dataset with .length() (this iterable dataset has none, so its batches cannot be counted)', 'dataset', ds);
  const size = ds['.length']();
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail('a non-negative integer', 'dataset[".length"]()', size);
  return size;
}

/**
 * R torch's `dataloader(dataset, ...)`: batches of `batch_size` samples, in order or
 * shuffled, collated by `collate_fn`. `torch_manual_seed(s)` before iterating gives the
 * order Python's `DataLoader(..., shuffle=True)` gives after `torch.manual_seed(s)`. An
 * iterable dataset (`iterable_dataset`) is read in its own order, neither shuffled nor sampled.
 *
 * @example
 * const loader = dataloader(tensor_dataset(x, y), { batch_size: 32, shuffle: true }); // or (ds, 32, true), as R and PyTorch
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for (const [xb, yb] of loader) { ... }
 * }
 */
export function dataloader<T, G, B>(dataset: Dataset<T, G>, options: DataLoaderOptions<B> & { collate_fn: (batch: [G] extends [never] ? T[] : G) => B }): DataLoader<B>;
export function dataloader<B>(dataset: IterableDataset, options: DataLoaderOptions<B> & { collate_fn: (batch: any) => B }): DataLoader<B>; // eslint-disable-line @typescript-eslint/no-explicit-any
export function dataloader(dataset: TensorDataset, options?: Omit<DataLoaderOptions, 'collate_fn'>): DataLoader<Tensor[]>;
export function dataloader<T, G = never>(dataset: Dataset<T, G>, options?: Omit<DataLoaderOptions, 'collate_fn'>): DataLoader<LoaderBatch<T, G>>;
export function dataloader(dataset: IterableDataset, options?: Omit<DataLoaderOptions, 'collate_fn'>): DataLoader<unknown>;
// R's and PyTorch's positional batch_size and shuffle: dataloader(ds, 32, true).
export function dataloader(dataset: TensorDataset, batch_size: number, ...rest: Positional<[shuffle: boolean], Omit<DataLoaderOptions, 'collate_fn' | 'batch_size'>>): DataLoader<Tensor[]>;
export function dataloader<T, G = never>(
  dataset: Dataset<T, G>, batch_size: number, ...rest: Positional<[shuffle: boolean], Omit<DataLoaderOptions, 'collate_fn' | 'batch_size'>>
): DataLoader<LoaderBatch<T, G>>;
export function dataloader<B>(dataset: Dataset<unknown, unknown> | IterableDataset, ...args: unknown[]): DataLoader<B> {
  if (typeof args[0] !== 'number') {
    if (args.length > 1) fail('nothing after an options object', 'dataloader arguments', args[1]);
    return new DataLoader<B>(dataset, args[0] as DataLoaderOptions<B> | undefined);
  }
  return new DataLoader<B>(dataset, positionalOptions<DataLoaderOptions<B>>(args, ['batch_size', 'shuffle'], DATALOADER_KEYS, 'dataloader'));
}

/** A dataloader's batch without `collate_fn`: what `.getbatch` returns, else the collated items. */
export type LoaderBatch<T, G = never> = [G] extends [never] ? Collated<T> : unknown extends G ? unknown : G;
