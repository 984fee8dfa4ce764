// What the layers' options share: where and as what parameters are made, and probabilities.
import { type DeviceLike } from '../core/device.js';
import { type DTypeLike } from '../core/dtype.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkFinite, failRange } from '../core/validate.js';

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
