// What the layers' options share: where and as what parameters are made, and probabilities.
import { type DTypeLike } from '../dtype.js';
import { checkFinite, failRange } from '../validate.js';

/** Where and as what a layer makes its parameters. */
export interface FactoryOptions {
  dtype?: DTypeLike;
  device?: string;
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
