// Argument checks by schema type that src/core/validate.ts has no need for: used by the
// generated ops (src/ops/generated/) and by aten().
import type { TensorId } from '../core/native.js';
import { checkDims, checkInteger, fail } from '../core/validate.js';
import { checkTensor } from './tensor.js';

export function checkString(value: unknown, name: string): string {
  if (typeof value !== 'string') fail('a string', name, value);
  return value;
}

/** An `int[1]` argument: one dimension or a list of them. */
export function dimList(value: unknown, name: string): number[] {
  return typeof value === 'number' ? [checkInteger(value, name)] : checkDims(value, name);
}

/** A `Tensor[]` argument, as the ids the addon takes. */
export function tensorIds(value: unknown, name: string): TensorId[] {
  if (!Array.isArray(value)) fail('an array of Tensors', name, value);
  return value.map((item, i) => checkTensor(item, `${name}[${i}]`).h);
}
