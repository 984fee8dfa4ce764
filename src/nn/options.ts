// What the layers' options share: where and as what parameters are made, and probabilities.
import { type DeviceLike } from '../core/device.js';
import { type DTypeLike } from '../core/dtype.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkFinite, checkOptions, failRange, isPlainObject } from '../core/validate.js';
import { nn_Module } from './module.js';
import { classnameOf } from './registry.js';

/** Where and as what a layer makes its parameters. */
export interface FactoryOptions {
  dtype?: DTypeLike;
  device?: DeviceLike;
}

/** The keys of FactoryOptions, to spread into a layer's `optionKeys`. */
export const FACTORY_KEYS = { dtype: true, device: true } as const;

export function factory(options: FactoryOptions): FactoryOptions {
  return { dtype: options.dtype, device: options.device };
}

export function checkProbability(value: unknown, name: string): number {
  const p = checkFinite(value, name);
  if (p < 0 || p > 1) failRange('a probability in [0, 1]', name, value);
  return p;
}

/** An input of one of the ranks a layer accepts, else a RangeError naming the rank it got. */
export function checkRank(input: Tensor, ranks: readonly number[], name = 'input'): Tensor {
  checkTensor(input, name);
  const rank = input.dim();
  if (!ranks.includes(rank)) {
    const expected = ranks.length === 1 ? `a ${ranks[0]}-d tensor` : `a ${ranks.slice(0, -1).join('-d, ')}-d or ${ranks.at(-1)}-d tensor`;
    throw new RangeError(`Expected ${expected} for ${name} but received a ${rank}-d tensor of shape [${input.shape.join(', ')}]`);
  }
  return input;
}

type Prefixes<T extends readonly unknown[]> = T extends readonly [...infer Head, unknown] ? T | Prefixes<Head> : [];
/**
 * A function's optional arguments as R and PyTorch take them: any first ones of `P`, in R's
 * order, then optionally an options object `O` with the rest (`[0.5]`, `[0.5, true]`,
 * `[0.5, { inplace: true }]`, `[{ alpha: 0.5 }]`).
 */
export type Positional<P extends readonly unknown[], O> = Prefixes<P> extends infer A ? A extends readonly unknown[] ? A | [...A, O | undefined] : never : never;

/**
 * The options object of a call whose optional arguments came positionally (R's and PyTorch's
 * order, `names`), an options object last, or both: `nnf_elu(x, 0.5, true)`, `nnf_elu(x, 0.5,
 * { inplace: true })` and `nnf_elu(x, { alpha: 0.5, inplace: true })` are one call. The object
 * is checked as every options object is; more positional values than `names`, an argument
 * given twice, or an options object before the last argument is a TypeError.
 */
export function positionalOptions<T extends object>(given: readonly unknown[], names: readonly (keyof T & string)[], accepted: ReadonlySet<string>, where: string): Partial<T> {
  // A base class's constructor called directly (`new ConvolutionTranspose(2, ...)`) hands its options object itself.
  const values: readonly unknown[] = Array.isArray(given) ? given : [given];
  let count = values.length;
  while (count > 0 && values[count - 1] === undefined) count--;
  if (names.length === 0 && count <= 1) return checkOptions(values[0] as Partial<T> | undefined, accepted, where);
  const last = count > 0 ? values[count - 1] : undefined;
  const result: Record<string, unknown> = isPlainObject(last) ? { ...checkOptions(last, accepted, where) } : {};
  if (isPlainObject(last)) count--;
  if (count > names.length) {
    const what = names.length === 0 ? 'no positional arguments' : `at most ${names.length} positional argument${names.length === 1 ? '' : 's'} (${names.join(', ')})`;
    throw new TypeError(`Expected ${what}, then an options object, for ${where} but received ${count} positional arguments`);
  }
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (value === undefined) continue;
    if (isPlainObject(value)) throw new TypeError(`Expected the options object as the last argument for ${where} but received more arguments after it`);
    const name = names[i]!;
    if (name in result) throw new TypeError(`Expected ${name} once for ${where} but received it both positionally and in the options`);
    result[name] = value;
  }
  return result as Partial<T>;
}

/**
 * The base of a module whose constructor takes nothing (`nn_tanh()`, `nn_sigmoid()`): an
 * argument is a TypeError, as PyTorch's `nn.Tanh(3)` is, never silently ignored.
 */
export abstract class ArgumentlessModule extends nn_Module {
  constructor(...args: []) {
    super();
    if (args.length > 0) throw new TypeError(`Expected no arguments for ${classnameOf(this)} but received ${args.length}`);
  }
}
