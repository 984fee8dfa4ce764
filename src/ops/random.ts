// Random number generators, as R torch's `torch_generator()` and PyTorch's torch.Generator:
// an object with its own seed and state, passed as `generator` to a random function so that
// it draws from it instead of the default generator; and the default generator's state
// (`torch_get_rng_state` / `torch_set_rng_state`). A generator seeded as in Python gives
// Python's numbers.
import { native, type GeneratorId } from '../core/native.js';
import { currentDefaultDevice, type DeviceLike } from '../core/device.js';
import { dtypeCode, type DTypeLike } from '../core/dtype.js';
import {
  checkDevice, checkFinite, checkInteger, checkOptions, fail, failRange, namedArguments, optionKeys, shapeFrom,
} from '../core/validate.js';
import { atenOp } from './aten.js';
import { checkTensor, tensorFrom, type Tensor } from './tensor.js';

const MAX_SEED = 2n ** 64n;

/** A seed as libtorch takes it: a non-negative integer below 2^64, as a number or a bigint. */
function checkSeed(seed: unknown, name = 'seed'): bigint {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) fail('a non-negative integer or bigint', name, seed);
    seed = BigInt(seed);
  }
  if (typeof seed !== 'bigint') fail('a non-negative integer or bigint', name, seed);
  if (seed < 0n || seed >= MAX_SEED) failRange('a seed in [0, 2^64)', name, seed);
  return seed;
}

function checkState(state: unknown, name: string): Tensor {
  const tensor = checkTensor(state, name);
  if (tensor.dtype !== 'uint8' || tensor.dim() !== 1) fail('a 1-dimensional uint8 tensor (from get_state())', name, state);
  return tensor;
}

/**
 * A CPU random number generator (R torch's `torch_generator()`, PyTorch's `torch.Generator`).
 * Seeds are unsigned 64-bit integers: `current_seed()` returns a bigint; the setters take a
 * number or a bigint.
 *
 * @example
 * const g = torch_generator();
 * g.set_current_seed(42);
 * torch_randn(3, { generator: g }); // torch.randn(3, generator=torch.Generator().manual_seed(42))
 */
export class torch_Generator {
  /** @internal The addon's generator. */
  readonly handle: GeneratorId;

  /** @internal Use torch_generator(). */
  constructor(handle: GeneratorId) {
    this.handle = handle;
  }

  /** The seed last set (R's `$current_seed()`, Python's `initial_seed()`). @example g.current_seed() // 67280421310721n */
  current_seed(): bigint {
    return native.generatorSeed(this.handle);
  }

  /** Seeds the generator; its state restarts (R's `$set_current_seed(seed)`). @example g.set_current_seed(1) */
  set_current_seed(seed: number | bigint): void {
    native.generatorSetSeed(this.handle, checkSeed(seed));
  }

  /** Python's `manual_seed(seed)`: seeds the generator and returns it. @example torch_generator().manual_seed(0) */
  manual_seed(seed: number | bigint): this {
    this.set_current_seed(seed);
    return this;
  }

  /** Python's `initial_seed()`: the seed last set. @example g.initial_seed() */
  initial_seed(): bigint {
    return this.current_seed();
  }

  /** The state, a uint8 tensor that `set_state` takes back (Python's layout: one may pass it either way). @example const s = g.get_state() */
  get_state(): Tensor {
    return tensorFrom(native.generatorGetState(this.handle));
  }

  /** Restores a state from `get_state()`. @example g.set_state(s) */
  set_state(new_state: Tensor): this {
    native.generatorSetState(this.handle, checkState(new_state, 'new_state').h);
    return this;
  }

  /** `<torch_generator>` with its seed. */
  toString(): string {
    return `<torch_generator> (current seed: ${this.current_seed()})`;
  }
}

/**
 * A new CPU generator, seeded with PyTorch's default seed (67280421310721) as
 * `torch.Generator()` is; give `seed` or call `set_current_seed` to seed it.
 *
 * @example const g = torch_generator(); g.set_current_seed(123); torch_rand(2, { generator: g });
 */
export function torch_generator(seed?: number | bigint): torch_Generator {
  return new torch_Generator(native.newGenerator(seed === undefined ? undefined : checkSeed(seed)));
}

/** The `generator` option of a random function: the addon's generator, or null for the default one. @internal */
export function generatorOf(value: unknown, name = 'generator'): GeneratorId | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof torch_Generator)) fail('a torch_generator()', name, value);
  return value.handle;
}

/**
 * The default CPU generator's state, as a uint8 tensor (PyTorch's `torch.get_rng_state()`;
 * the same bytes, so a state saved by either restores in the other).
 *
 * @example const state = torch_get_rng_state(); torch_randn(2); torch_set_rng_state(state); // the same draws again
 */
export function torch_get_rng_state(): Tensor {
  return tensorFrom(native.generatorGetState(native.defaultGenerator()));
}

/** Restores the default CPU generator's state from `torch_get_rng_state()`. @example torch_set_rng_state(state) */
export function torch_set_rng_state(state: Tensor): void {
  native.generatorSetState(native.defaultGenerator(), checkState(state, 'state').h);
}

const RANDOM_ = { all: atenOp('random_'), to: atenOp('random_', 'to'), from: atenOp('random_', 'from') };
const RANDOM_KEYS = optionKeys<{ from?: number; to?: number; generator?: torch_Generator | null }>({ from: true, to: true, generator: true });

/**
 * Fills `self` with integers drawn uniformly from [from, to) (PyTorch's `random_`): `(to)`
 * alone draws from [0, to); no bound, from [0, 2^mantissa] for floats or the dtype's range;
 * `generator` draws from a torch_generator(). Returns `self`.
 *
 * @example torch_empty(3).random_(10); x.random_({ from: -5, to: 5, generator: g })
 */
export function torch_random_(self: Tensor, from?: number | { from?: number; to?: number; generator?: torch_Generator | null }, to?: number, generator: torch_Generator | null = null): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(from, RANDOM_KEYS, 'random_');
  if (named !== null) ({ from, to, generator = null } = named);
  const drawFrom = generatorOf(generator);
  if (from === undefined && to === undefined) RANDOM_.all.callInPlace(self.h, drawFrom);
  else if (to === undefined) RANDOM_.to.callInPlace(self.h, checkInteger(from, 'to'), drawFrom);
  else {
    const low = from === undefined ? 0 : checkInteger(from, 'from');
    if (checkInteger(to, 'to') <= low) failRange(`to > from (${low})`, 'to', to);
    RANDOM_.from.callInPlace(self.h, low, to, drawFrom);
  }
  return self;
}

const NORMAL = {
  tensors: atenOp('normal', 'Tensor_Tensor'), tensorMean: atenOp('normal', 'Tensor_float'),
  tensorStd: atenOp('normal', 'float_Tensor'), numbers: atenOp('normal', 'float_float'),
};
/** Options of `torch_normal`: the generator, and for two numbers, the dtype and device of the result. */
export interface NormalOptions {
  generator?: torch_Generator | null;
  dtype?: DTypeLike;
  device?: DeviceLike;
}
const NORMAL_KEYS = optionKeys<NormalOptions>({ generator: true, dtype: true, device: true });

/**
 * Samples of N(mean, std²), as R torch's `torch_normal(mean, std, size, generator)`: `mean`
 * and `std` are numbers or tensors (elementwise, broadcast); two numbers need `size`.
 *
 * @example torch_normal(0, 1, [2, 3]); torch_normal(means, 0.5, undefined, { generator: g })
 */
export function torch_normal(mean: number | Tensor, std: number | Tensor = 1, size?: number | number[], options?: NormalOptions): Tensor {
  const { generator, dtype, device } = checkOptions(options, NORMAL_KEYS, 'torch_normal');
  const drawFrom = generatorOf(generator);
  if (typeof mean === 'number' && typeof std === 'number') {
    if (size === undefined) fail('a size when mean and std are both numbers', 'size', size);
    if (checkFinite(std, 'std') < 0) failRange('a non-negative std', 'std', std);
    return NORMAL.numbers.call(checkFinite(mean, 'mean'), std, shapeFrom([size], 'size'), drawFrom,
      dtype === undefined ? null : dtypeCode(dtype), null, device === undefined ? currentDefaultDevice() : checkDevice(device), null);
  }
  if (size !== undefined) fail('no size when mean or std is a tensor (its shape is the result\'s)', 'size', size);
  if (dtype !== undefined || device !== undefined) fail('no dtype or device when mean or std is a tensor', 'torch_normal options', options);
  if (typeof mean === 'number') return NORMAL.tensorStd.call(checkFinite(mean, 'mean'), checkTensor(std, 'std'), drawFrom);
  if (typeof std === 'number') return NORMAL.tensorMean.call(checkTensor(mean, 'mean'), checkFinite(std, 'std'), drawFrom);
  return NORMAL.tensors.call(checkTensor(mean, 'mean'), checkTensor(std, 'std'), drawFrom);
}
