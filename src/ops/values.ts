// A tensor's values as JavaScript values: the TypedArray of each dtype, nested arrays, and the
// typed conversions `item(as)` and `to_array(as, ndim)` make (Python's float(x), int(x),
// bool(x) and tolist(); R's as.numeric, as.integer, as.logical and as_array).
import type { DType } from '../core/dtype.js';
import { fail, failRange } from '../core/validate.js';

/** Nested arrays of numbers or booleans, as `to_array()` returns and `torch_tensor()` takes. */
export type NestedArray = number | boolean | NestedArray[];

/** What `item(as)` and `to_array(as)` convert values to: `number` (booleans become 0 and 1), `boolean` (non-zero is true), or `bigint` (integer dtypes, exact for int64). */
export type ValueKind = 'number' | 'boolean' | 'bigint';
/** The JavaScript type of a `ValueKind`. */
export type ValueOf<K extends ValueKind> = K extends 'number' ? number : K extends 'boolean' ? boolean : bigint;
/** Values of type `T` nested `N` arrays deep (any depth when `N` is `number`). */
export type Nested<T, N extends number = number> = N extends 0 ? T : N extends 1 ? T[] : N extends 2 ? T[][]
  : N extends 3 ? T[][][] : N extends 4 ? T[][][][] : N extends 5 ? T[][][][][] : NestedOf<T>;
/** Values of type `T` nested to any depth. */
export type NestedOf<T> = T | NestedOf<T>[];

export function typedArrayFor(dtype: DType, buffer: ArrayBuffer): ArrayLike<number | bigint> {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'int8': return new Int8Array(buffer);
    case 'uint8': case 'bool': return new Uint8Array(buffer);
    case 'complex64': return new Float32Array(buffer); // (re, im) pairs
    case 'complex128': return new Float64Array(buffer);
    default: return new Uint16Array(buffer); // float16 and bfloat16: raw bits
  }
}

/** The flat values as nested arrays of `shape`, each converted by `toValue`. */
export function nest<T>(flat: ArrayLike<number | bigint>, shape: number[], toValue: (v: number | bigint) => T): NestedOf<T> {
  if (shape.length === 0) return toValue(flat[0]!);
  let offset = 0;
  const build = (dim: number): NestedOf<T>[] => {
    const size = shape[dim]!;
    const result: NestedOf<T>[] = new Array(size);
    for (let i = 0; i < size; i++) result[i] = dim === shape.length - 1 ? toValue(flat[offset++]!) : build(dim + 1);
    return result;
  };
  return build(0);
}

const KINDS = new Set<unknown>(['number', 'boolean', 'bigint']);

/** How a raw value of `dtype` becomes a value of kind `as` (undefined: the dtype's own, number or boolean). */
export function converter(dtype: DType, as: ValueKind | undefined, name: string): (v: number | bigint | boolean) => number | boolean | bigint {
  if (as !== undefined && !KINDS.has(as)) fail('"number", "boolean" or "bigint"', name, as);
  if (as === 'bigint') {
    if (!/^u?int|^bool$/.test(dtype)) fail(`an integer or bool tensor for as: "bigint" (this one is ${dtype}; convert with .long() first, as Python's int() truncates)`, name, as);
    return (v) => BigInt(v);
  }
  if (as === 'boolean') return (v) => v !== 0 && v !== 0n && v !== false; // NaN is true, as in Python
  if (as === undefined && dtype === 'bool') return (v) => v !== 0 && v !== false;
  return (v) => Number(v);
}

export function checkNdim(ndim: unknown, actual: number): void {
  if (ndim === undefined) return;
  if (typeof ndim !== 'number' || !Number.isInteger(ndim) || ndim < 0) fail('a non-negative integer', 'ndim', ndim);
  if (ndim !== actual) failRange(`a tensor with ${ndim} dimensions (to_array's ndim)`, 'this tensor', `one with ${actual}`);
}
