// The kinds of layer LoRA wraps, as the model-level functions see them.
import type { nn_Module } from '../nn/module.js';
import type { Tensor } from '../core/tensor.js';
import { fail } from '../core/validate.js';
import { LoraLayer } from './layer.js';
import type { LoraLayerOptions } from './settings.js';

/**
 * A kind of layer LoRA supports, as the model-level functions see it: which plain layers it
 * takes, how it wraps one, and the adapter tensors' shapes (so files are checked before
 * anything is wrapped).
 */
export interface LoraKind<Base extends nn_Module & { weight: Tensor } = any> {
  /** The plain layer's generator, for `instanceof` (`nn_linear`). */
  readonly base: { readonly prototype: Base };
  readonly label: string;
  wrap(base: Base, options: LoraLayerOptions): LoraLayer;
  /** min(in, out): the largest rank an update can have. */
  max_rank(base: Base): number;
  /** The adapter's tensors by PEFT key suffix, with their shapes for rank r. */
  shapes(base: Base, r: number): Record<string, number[]>;
  /** Throws if this base cannot take an adapter (a grouped convolution). */
  check?(base: Base): void;
}

/** Refuses a module that is already a LoRA layer where a plain one is needed. */
export function checkBase<T>(value: unknown, kind: { readonly prototype: T }, what: string, name: string): T {
  if (value instanceof LoraLayer) fail(`${what} (this one already has LoRA: call add_adapter() on it)`, name, value);
  if (!(value instanceof (kind as unknown as new () => T))) fail(what, name, value);
  return value as T;
}
