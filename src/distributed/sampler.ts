// torch.utils.data.distributed.DistributedSampler: each rank reads its own shard of a dataset,
// in an order every rank agrees on without talking (a permutation seeded with seed + epoch).
import { seededPermutation, type Dataset, type Sampler } from '../data/data.js';
import { checkBoolean, checkOptions, fail, failRange, optionKeys } from '../core/validate.js';
import { defaultGroup } from './process_group.js';

/** Options of `distributed_sampler` (PyTorch's names and defaults). */
export interface DistributedSamplerOptions {
  /** The number of shards (the default group's world size). */
  num_replicas?: number;
  /** This rank's shard (the default group's rank). */
  rank?: number;
  /** A new permutation every epoch, seeded with seed + epoch (true). */
  shuffle?: boolean;
  /** The base of the permutation's seed; must be equal on every rank (0). */
  seed?: number;
  /** Drop the tail that does not divide evenly, instead of padding with the first indices (false). */
  drop_last?: boolean;
}

const SAMPLER_KEYS = optionKeys<DistributedSamplerOptions>({ num_replicas: true, rank: true, shuffle: true, seed: true, drop_last: true });

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail('an integer', name, value);
  if ((value as number) < 0 || !Number.isSafeInteger(value)) failRange('a non-negative safe integer', name, value);
  return value as number;
}

/** The shard of one rank; made by `distributed_sampler`. */
export class DistributedSampler implements Sampler {
  readonly num_replicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly drop_last: boolean;
  private epoch = 0;

  /** @internal Use distributed_sampler. */
  constructor(readonly dataset: Dataset, options?: DistributedSamplerOptions) {
    if (typeof dataset !== 'object' || dataset === null || typeof dataset['.length'] !== 'function') fail('a dataset', 'dataset', dataset);
    const { num_replicas, rank, shuffle = true, seed = 0, drop_last = false } = checkOptions(options, SAMPLER_KEYS, 'distributed_sampler');
    this.num_replicas = num_replicas ?? defaultGroup('distributed_sampler').world_size;
    if (nonNegative(this.num_replicas, 'num_replicas') === 0) failRange('a positive number', 'num_replicas', num_replicas);
    this.rank = rank ?? defaultGroup('distributed_sampler').rank;
    if (nonNegative(this.rank, 'rank') >= this.num_replicas) failRange(`a rank from 0 to num_replicas - 1 = ${this.num_replicas - 1}`, 'rank', rank);
    this.shuffle = checkBoolean(shuffle, 'shuffle');
    this.seed = nonNegative(seed, 'seed');
    this.drop_last = checkBoolean(drop_last, 'drop_last');
  }

  private get size(): number {
    return this.dataset['.length']();
  }

  /** The number of indices this rank reads per epoch. @example sampler.length */
  get length(): number {
    const size = this.size;
    return this.drop_last && size % this.num_replicas !== 0
      ? Math.ceil((size - this.num_replicas) / this.num_replicas)
      : Math.ceil(size / this.num_replicas);
  }

  /** Chooses the epoch, whose number seeds the shuffle: call it before each epoch. @example sampler.set_epoch(epoch) */
  set_epoch(epoch: number): void {
    this.epoch = nonNegative(epoch, 'epoch');
  }

  /** This rank's indices for the current epoch (0-based). */
  *[Symbol.iterator](): Iterator<number> {
    const size = this.size;
    let indices = this.shuffle ? seededPermutation(size, BigInt(this.seed + this.epoch)) : Array.from({ length: size }, (_, i) => i);
    const total = this.length * this.num_replicas;
    if (this.drop_last) indices = indices.slice(0, total);
    else while (indices.length < total && size > 0) indices = indices.concat(indices.slice(0, total - indices.length));
    for (let i = this.rank; i < total; i += this.num_replicas) yield indices[i]!;
  }
}

/**
 * PyTorch's `DistributedSampler(dataset)`: the indices of this rank's shard, for the
 * dataloader's `sampler` option. Every rank gets `ceil(n / world_size)` indices (the last ones
 * padded from the start, unless `drop_last`); with `shuffle`, call `set_epoch(epoch)` before
 * each epoch so the order changes, identically on every rank.
 *
 * @example
 * const sampler = distributed_sampler(ds);
 * const loader = dataloader(ds, { batch_size: 32, sampler });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   sampler.set_epoch(epoch);
 *   for (const [x, y] of loader) { ... }
 * }
 */
export function distributed_sampler(dataset: Dataset, options?: DistributedSamplerOptions): DistributedSampler {
  return new DistributedSampler(dataset, options);
}
