// R torch's `iterable_dataset()` (PyTorch's IterableDataset: samples come from an iterator,
// not by index) and `dataset_subset()` (PyTorch's Subset). The dataloader reads both
// (data.ts): an iterable dataset in its own order, batch_size samples at a time.
import { checkFunction, checkNonNegativeInteger, fail, failRange } from '../core/validate.js';
import type { Dataset } from './data.js';

/**
 * What a dataloader needs from an iterable dataset: `.iter()`, which starts a pass and
 * returns an iterator (a generator method does), or an iterable; optionally `.length()`.
 */
export interface IterableDataset<T = unknown> {
  '.iter'(): Iterator<T> | Iterable<T>;
  '.length'?(): number;
}

/** An iterable dataset definition for `iterable_dataset()`: `initialize`, `.iter` and other methods. */
export type iterable_dataset_definition<A extends unknown[], T> = {
  initialize?: (...args: A) => void;
  '.iter': () => Iterator<T> | Iterable<T>;
  '.length'?: () => number;
  [method: string]: unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} & ThisType<IterableDataset<T> & Record<string, any>>;

/** Makes an iterable dataset with the arguments of its `initialize`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type iterable_dataset_generator<A extends unknown[], T> = ((...args: A) => IterableDataset<T> & Record<string, any>) & { readonly classname: string };

/**
 * R torch's `iterable_dataset()`: returns a generator; each call makes a dataset object, runs
 * `initialize` with `this` bound to it, and the other members are its methods. `.iter()`
 * starts a pass over the samples and returns an iterator (R's returns a function that
 * returns `coro::exhausted()` at the end; here a generator method ends by returning).
 *
 * @example
 * const counter = iterable_dataset('counter', {
 *   initialize(n: number) { this.n = n; },
 *   *'.iter'() { for (let i = 1; i <= this.n; i++) yield [i, i * i]; },
 * });
 * for (const batch of dataloader(counter(10), { batch_size: 4 })) { ... } // batch: float32 [4, 2]
 */
export function iterable_dataset<A extends unknown[], T>(definition: iterable_dataset_definition<A, T>): iterable_dataset_generator<A, T>;
export function iterable_dataset<A extends unknown[], T>(name: string, definition: iterable_dataset_definition<A, T>): iterable_dataset_generator<A, T>;
export function iterable_dataset(first: unknown, second?: unknown): iterable_dataset_generator<unknown[], unknown> {
  const [name, definition] = typeof first === 'string' ? [first, second] : ['iterable_dataset', first];
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) fail('a definition object', 'definition', definition);
  const members = definition as Record<string, unknown>;
  for (const [key, value] of Object.entries(members)) checkFunction(value, `definition[${JSON.stringify(key)}]`);
  if (members['.iter'] === undefined) fail('a function', 'definition[".iter"]', undefined);
  const { initialize, ...methods } = members as { initialize?: (...args: unknown[]) => void };
  const prototype = Object.create(Object.prototype, { [Symbol.toStringTag]: { value: name } }) as Record<string, unknown>;
  Object.assign(prototype, methods);
  const generator = (...args: unknown[]): IterableDataset => {
    const instance = Object.create(prototype) as IterableDataset;
    initialize?.apply(instance, args);
    return instance;
  };
  return Object.assign(generator, { classname: name }) as iterable_dataset_generator<unknown[], unknown>;
}

/** Whether `value` is an iterable dataset (it has `.iter()`). @internal */
export function isIterableDataset(value: unknown): value is IterableDataset {
  return typeof value === 'object' && value !== null && typeof (value as IterableDataset)['.iter'] === 'function';
}

/** One pass over an iterable dataset's samples. @internal */
export function samplesOf(ds: IterableDataset): Iterator<unknown> {
  const started = ds['.iter']() as Partial<Iterator<unknown> & Iterable<unknown>>;
  if (typeof started === 'object' && started !== null) {
    if (typeof started.next === 'function') return started as Iterator<unknown>;
    if (typeof started[Symbol.iterator] === 'function') return started[Symbol.iterator]!();
  }
  return fail('an iterator or an iterable', 'dataset[".iter"]()', started);
}

/** A subset of a dataset: made by `dataset_subset`. */
export interface DatasetSubset<T = unknown> extends Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: number[];
}

/**
 * R torch's `dataset_subset(dataset, indices)` (PyTorch's Subset): item `i` is the dataset's
 * item `indices[i]`. Indices are 0-based (R's are 1-based); a dataset with `.getbatch` keeps
 * reading whole batches.
 *
 * @example
 * const validation = dataset_subset(ds, [0, 2, 4]);
 * validation['.length'](); // 3
 */
export function dataset_subset<T>(dataset: Dataset<T>, indices: number[]): DatasetSubset<T> {
  const ds = dataset as Partial<Dataset<T>>;
  if (typeof dataset !== 'object' || dataset === null || typeof ds['.length'] !== 'function'
    || (typeof ds['.getitem'] !== 'function' && typeof ds['.getbatch'] !== 'function')) {
    fail('a dataset (with .length() and .getitem() or .getbatch())', 'dataset', dataset);
  }
  if (!Array.isArray(indices)) fail('an array of indices', 'indices', indices);
  const size = dataset['.length']();
  const kept = indices.map((index, i) => {
    if (checkNonNegativeInteger(index, `indices[${i}]`) >= size) failRange(`an index below ${size} (the dataset's length)`, `indices[${i}]`, index);
    return index;
  });
  const at = (i: number): number => {
    if (checkNonNegativeInteger(i, 'index') >= kept.length) failRange(`an index below ${kept.length}`, 'index', i);
    return kept[i]!;
  };
  const subset = { dataset, indices: kept, '.length': () => kept.length } as DatasetSubset<T>;
  if (typeof ds['.getitem'] === 'function') subset['.getitem'] = (i: number) => dataset['.getitem'](at(i));
  if (typeof ds['.getbatch'] === 'function') {
    subset['.getbatch'] = (batch: number[]) => {
      if (!Array.isArray(batch)) fail('an array of indices', 'indices', batch);
      return dataset['.getbatch']!(batch.map(at));
    };
  }
  return subset;
}
