// The dataloader's default collation (`utils_data_default_collate`): PyTorch's default_collate
// for tensors, numbers, booleans, strings and containers, and R torch's rule for vectors: an
// array of numbers (or booleans), nested to any depth but rectangular, or a TypedArray, is one
// value, not a list, so a batch of them becomes one tensor with the batch first.
import { torch_tensor } from '../ops/creation.js';
import { torch_stack } from '../ops/functions.js';
import { Tensor } from '../ops/tensor.js';
import { fail } from '../core/validate.js';

type Leaf = 'number' | 'boolean';

/** A TypedArray (not a DataView): R's integer and double vectors have their dtype in it. */
function isTypedArray(value: unknown): value is ArrayLike<number | bigint> {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

// The shape and leaf type of a non-empty rectangular nested array of numbers or of booleans, else null.
function vectorShape(value: unknown): { shape: number[]; leaf: Leaf } | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const first = value[0];
  if (typeof first === 'number' || typeof first === 'boolean') {
    const leaf = typeof first as Leaf;
    return value.every((item) => typeof item === leaf) ? { shape: [value.length], leaf } : null;
  }
  const inner = vectorShape(first);
  if (inner === null) return null;
  const same = value.every((item) => {
    const shape = vectorShape(item);
    return shape !== null && shape.leaf === inner.leaf && shape.shape.join() === inner.shape.join();
  });
  return same ? { shape: [value.length, ...inner.shape], leaf: inner.leaf } : null;
}

const describeShape = (shape: number[]): string => (shape.length === 1 ? `length ${shape[0]}` : `shape [${shape.join(', ')}]`);

/**
 * The default collation. Tensors are stacked along a new first dimension. An array of
 * numbers (nested arrays too) is R torch's numeric vector: the batch becomes one float32
 * tensor of shape `[batch, ...its shape]` (as R's `torch_tensor` of each, stacked), and an
 * array of booleans one bool tensor; a TypedArray keeps its dtype (`Int32Array` is R's
 * integer vector). Numbers become a tensor (int64 when every one is an integer, else
 * float64, as PyTorch does for Python's ints and floats); booleans a bool tensor; bigints
 * int64; strings stay an array; other arrays are collated position by position and plain
 * objects key by key (R's lists, PyTorch's tuples and dicts).
 *
 * @example
 * utils_data_default_collate([[x0, 0], [x1, 1]]);              // [stack([x0, x1]), tensor([0, 1])]
 * utils_data_default_collate([{ x: [1, 2, 3] }, { x: [4, 5, 6] }]); // { x: float32 tensor of shape [2, 3] }
 */
export function utils_data_default_collate(batch: unknown[]): unknown {
  if (!Array.isArray(batch) || batch.length === 0) fail('a non-empty array of samples', 'batch', batch);
  const first = batch[0];
  const same = (test: (value: unknown) => boolean, what: string): void => {
    batch.forEach((value, i) => { if (!test(value)) fail(`${what} (as batch[0])`, `batch[${i}]`, value); });
  };
  if (first instanceof Tensor) {
    same((value) => value instanceof Tensor, 'a Tensor');
    return torch_stack(batch as Tensor[]);
  }
  if (isTypedArray(first)) {
    same((value) => isTypedArray(value) && value.constructor === first.constructor && value.length === first.length,
      `a ${first.constructor.name} of length ${first.length}`);
    const tensors = batch.map((value) => torch_tensor(value as never));
    try {
      return torch_stack(tensors);
    } finally {
      tensors.forEach((tensor) => tensor.dispose());
    }
  }
  const vector = vectorShape(first);
  if (vector !== null) {
    const what = `an array of ${vector.leaf === 'number' ? 'numbers' : 'booleans'} of ${describeShape(vector.shape)}`;
    same((value) => {
      const shape = vectorShape(value);
      return shape !== null && shape.leaf === vector.leaf && shape.shape.join() === vector.shape.join();
    }, what);
    return torch_tensor(batch as number[][], { dtype: vector.leaf === 'number' ? 'float32' : 'bool' });
  }
  if (typeof first === 'number') {
    same((value) => typeof value === 'number', 'a number');
    return torch_tensor(batch as number[], { dtype: (batch as number[]).every(Number.isInteger) ? 'int64' : 'float64' });
  }
  if (typeof first === 'boolean') {
    same((value) => typeof value === 'boolean', 'a boolean');
    return torch_tensor(batch as boolean[], { dtype: 'bool' });
  }
  if (typeof first === 'bigint') {
    same((value) => typeof value === 'bigint', 'a bigint');
    return torch_tensor(BigInt64Array.from(batch as bigint[]));
  }
  if (typeof first === 'string') {
    same((value) => typeof value === 'string', 'a string');
    return [...batch];
  }
  if (Array.isArray(first)) {
    same((value) => Array.isArray(value) && value.length === first.length, `an array of length ${first.length}`);
    return first.map((_, i) => utils_data_default_collate(batch.map((sample) => (sample as unknown[])[i])));
  }
  if (typeof first === 'object' && first !== null && Object.getPrototypeOf(first) === Object.prototype) {
    const keys = Object.keys(first);
    same((value) => typeof value === 'object' && value !== null && keys.every((key) => Object.hasOwn(value, key)), `an object with keys ${keys.join(', ')}`);
    return Object.fromEntries(keys.map((key) => [key, utils_data_default_collate(batch.map((sample) => (sample as Record<string, unknown>)[key]))]));
  }
  return fail('Tensors, numbers, booleans, bigints, strings, arrays, TypedArrays or plain objects', 'batch[0]', first);
}
