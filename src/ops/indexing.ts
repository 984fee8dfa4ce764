// R's and PyTorch's indexing: the items `x.index(...)` and `x.index_put_(...)` take (numbers,
// slices, index and mask tensors, integer and boolean arrays, null, "..."), 0-based as in
// PyTorch, decoded into what native/ops/indexing.cc reads.
import { dtypeCode } from '../core/dtype.js';
import { native, type NativeIndex } from '../core/native.js';
import { checkBoolean, checkInteger, fail } from '../core/validate.js';
import { Tensor, tensorFrom } from './tensor.js';

/**
 * One index item for `index()` and `index_put_()`, 0-based as in PyTorch:
 * a number (negative counts from the end), a slice (`slice(0, 5)` or the string `"0:5"`),
 * an index or mask Tensor, an array of integers (an index tensor), an array of booleans (a
 * mask, as R's logical vectors), `null` (a new axis), or `"..."`.
 */
export type IndexItem = number | string | Slice | Tensor | number[] | boolean[] | null;

/** A Python-style slice `start:stop:step`; `null` means the end. */
export class Slice {
  constructor(readonly start: number | null = null, readonly stop: number | null = null, readonly step: number | null = null) {
    if (start !== null) checkInteger(start, 'start');
    if (stop !== null) checkInteger(stop, 'stop');
    if (step !== null) {
      checkInteger(step, 'step');
      if (step <= 0) throw new RangeError(`Expected a positive step for slice but received ${step}`);
    }
  }
}

/**
 * `slice(start, stop, step)` is Python's `start:stop:step`, for `index()`.
 *
 * @example
 * delta_theta.index(slice(0, 5), slice(0, 5)); // R: delta_theta[1:5, 1:5]
 */
export function slice(start: number | null = null, stop: number | null = null, step: number | null = null): Slice {
  return new Slice(start, stop, step);
}

function parseSliceString(text: string): NativeIndex {
  if (text === '...') return '...';
  const parts = text.split(':');
  const bound = (part: string | undefined, what: string): number | null => {
    if (part === undefined || part.trim() === '') return null;
    const value = Number(part);
    if (!Number.isInteger(value)) throw new TypeError(`Expected an integer ${what} in slice "${text}" but received ${JSON.stringify(part)}`);
    return value;
  };
  if (parts.length < 2 || parts.length > 3) {
    throw new TypeError(`Expected a slice such as "0:5", "::2" or "..." for index but received ${JSON.stringify(text)}`);
  }
  const step = bound(parts[2], 'step');
  if (step !== null && step <= 0) throw new RangeError(`Expected a positive step in slice "${text}" but received ${step}`);
  return [bound(parts[0], 'start'), bound(parts[1], 'stop'), step];
}

export function toNativeIndex(item: IndexItem, position: number): NativeIndex {
  if (typeof item === 'number') return checkInteger(item, `index[${position}]`);
  if (item === null || item instanceof Tensor) return item;
  if (typeof item === 'string') return parseSliceString(item);
  if (item instanceof Slice) return [item.start, item.stop, item.step];
  if (Array.isArray(item)) {
    if (item.length > 0 && typeof item[0] === 'boolean') return maskTensor(item, position);
    // A plain loop, not forEach: forEach skips the holes of a sparse array.
    const values: number[] = [];
    for (let i = 0; i < item.length; i++) values.push(checkInteger(item[i], `index[${position}][${i}]`));
    return indexTensor(values);
  }
  return fail('a number, a slice, a Tensor, an array of integers, null or "..."', `index[${position}]`, item);
}

// An array of booleans is a mask, as R's logical index vectors are.
function maskTensor(item: unknown[], position: number): Tensor {
  const bytes = new Uint8Array(item.length);
  for (let i = 0; i < item.length; i++) bytes[i] = checkBoolean(item[i], `index[${position}][${i}]`) ? 1 : 0;
  return tensorFrom(native.fromBuffer(bytes, [item.length], dtypeCode('bool'), null, false));
}

function indexTensor(values: number[]): Tensor {
  return tensorFrom(native.fromBuffer(BigInt64Array.from(values, (v) => BigInt(v)), [values.length], dtypeCode('int64'), null, false));
}

