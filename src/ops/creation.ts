// Tensor creation, named as in R torch, through libtorch's factory operators. Random
// functions draw from libtorch's generator, so `torch_manual_seed(s)` followed by the same
// calls gives Python PyTorch's exact values.
import { currentDefaultDevice, type DeviceLike } from '../core/device.js';
import { dtypeCode, dtypeName, isComplexDtype, type DType, type DTypeLike } from '../core/dtype.js';
import { native } from '../core/native.js';
import { atenOp, type TensorOp } from './aten.js';
import { generatorOf, type torch_Generator } from './random.js';
import { tensorFrom, Tensor, type NestedArray } from './tensor.js';
import {
  checkBoolean, checkDevice, checkFinite, checkInteger, checkNumber, checkNonNegativeInteger, checkOptions, checkScalar, fail, failRange, namedArguments, optionKeys, shapeFrom,
} from '../core/validate.js';

/** Options every creation function takes. */
export interface TensorOptions {
  dtype?: DTypeLike;
  device?: DeviceLike;
  requires_grad?: boolean;
}

/** The options of a random function: those of every creation function, and the generator to draw from. */
export interface RandomOptions extends TensorOptions {
  /** A torch_generator() to draw from instead of the default generator. */
  generator?: torch_Generator | null;
}

/** A shape, as an array or spread, optionally followed by options: `(2, 3)`, `([2, 3])`, `(2, 3, { dtype })`. */
export type SizeArgs<O = TensorOptions> = number[] | [number[]] | [number[], O] | [...number[], O];

interface ResolvedOptions {
  dtype: number | null;
  device: string | null;
  requiresGrad: boolean;
  generator: unknown;
}

const TENSOR_OPTION_KEYS = optionKeys<TensorOptions>({ dtype: true, device: true, requires_grad: true });
const RANDOM_OPTION_KEYS = optionKeys<RandomOptions>({ dtype: true, device: true, requires_grad: true, generator: true });
const TORCH_TENSOR_KEYS = optionKeys<TensorOptions & { shape?: number[] }>({ dtype: true, device: true, requires_grad: true, shape: true });

// A device left out is with_device()'s, or the CPU (null).
function resolve(given: RandomOptions | undefined, where = 'creation', keys = TENSOR_OPTION_KEYS): ResolvedOptions {
  const options = checkOptions(given, keys, where);
  return {
    dtype: options.dtype === undefined ? null : dtypeCode(options.dtype),
    device: options.device === undefined ? currentDefaultDevice() : checkDevice(options.device),
    requiresGrad: options.requires_grad === undefined ? false : checkBoolean(options.requires_grad, 'requires_grad'),
    generator: generatorOf(options.generator),
  };
}

function splitSize(args: unknown[], where: string, keys = TENSOR_OPTION_KEYS): [number[], ResolvedOptions] {
  const last = args[args.length - 1];
  const hasOptions = typeof last === 'object' && last !== null && !Array.isArray(last);
  const sizeArgs = hasOptions ? args.slice(0, -1) : args;
  return [shapeFrom(sizeArgs), resolve(hasOptions ? (last as TensorOptions) : undefined, where, keys)];
}

// The factories take (..., *, ScalarType? dtype, Layout? layout, Device? device, bool? pin_memory):
// a dtype code or null, the default layout, a device string or null, the default pinning.
// The random factories' `generator` overloads take (..., *, Generator? generator, ...): null
// draws from the default generator.
const RANDN = atenOp('randn', 'generator');
const RAND = atenOp('rand', 'generator');
const ZEROS = atenOp('zeros');
const ONES = atenOp('ones');
const EMPTY = atenOp('empty', 'memory_format');
const FULL = atenOp('full');
const ARANGE = atenOp('arange', 'start_step');
const RANDINT = atenOp('randint', 'low_generator');
const RANDPERM = atenOp('randperm', 'generator');
const EYE = atenOp('eye', 'm');
// randint and randperm make int64 unless told otherwise.
const INT64 = dtypeCode('int64');

/** Calls a factory with `args` then the options, and sets requires_grad (libtorch refuses it for integer dtypes). */
function create(op: TensorOp, args: unknown[], options: ResolvedOptions, dtype = options.dtype): Tensor {
  const tensor = op.call(...args, dtype, undefined, options.device);
  if (!options.requiresGrad) return tensor;
  try {
    native.setRequiresGrad(tensor.h, true);
  } catch (error) {
    tensor.dispose();
    throw error;
  }
  return tensor;
}

function shaped(op: TensorOp, args: unknown[], where: string): Tensor {
  const [shape, options] = splitSize(args, where);
  return create(op, [shape], options);
}

function drawn(op: TensorOp, args: unknown[], where: string): Tensor {
  const [shape, options] = splitSize(args, where, RANDOM_OPTION_KEYS);
  return create(op, [shape, options.generator], options);
}

/** Samples of N(0, 1); `generator` draws from a torch_generator(). @example torch_randn(10000, 1001); torch_randn(2, { generator: g }) */
export function torch_randn(...args: SizeArgs<RandomOptions>): Tensor { return drawn(RANDN, args, 'torch_randn'); }
/** Samples of U(0, 1); `generator` draws from a torch_generator(). @example torch_rand(2, 3) */
export function torch_rand(...args: SizeArgs<RandomOptions>): Tensor { return drawn(RAND, args, 'torch_rand'); }
/** Zeros. @example torch_zeros(1, 1000) */
export function torch_zeros(...args: SizeArgs): Tensor { return shaped(ZEROS, args, 'torch_zeros'); }
/** Ones. @example torch_ones([2, 2], { dtype: 'float64' }) */
export function torch_ones(...args: SizeArgs): Tensor { return shaped(ONES, args, 'torch_ones'); }
/** Uninitialised memory (fill it before reading). @example torch_empty(3) */
export function torch_empty(...args: SizeArgs): Tensor { return shaped(EMPTY, args, 'torch_empty'); }

/**
 * A tensor of `size` filled with `value`: float32 for a number (JavaScript cannot tell `1`
 * from `1.0`; give `dtype` for integers), bool for a boolean.
 *
 * @example torch_full([2, 2], 7); torch_full([3], -1, { dtype: 'int64' })
 */
export function torch_full(size: number | number[], value: number | boolean, options?: TensorOptions): Tensor {
  const shape = shapeFrom([size]);
  const resolved = resolve(options, 'torch_full');
  checkScalar(value, 'value');
  const dtype = resolved.dtype ?? (typeof value === 'number' ? native.getDefaultDtype() : null);
  return create(FULL, [shape, value], resolved, dtype);
}

/**
 * Values from `start` up to, not including, `end` (PyTorch's `arange`; R torch's
 * `torch_arange` includes `end`). Integer arguments give int64, as in PyTorch.
 *
 * @example torch_arange(0, 5) // 0, 1, 2, 3, 4
 */
export function torch_arange(start: number | Tensor, end?: number | Tensor, step: number | Tensor = 1, options?: TensorOptions): Tensor {
  // A one-element tensor as a bound is its value, as in PyTorch.
  const bound = (value: number | Tensor, name: string): number => (value instanceof Tensor ? checkNumber(value.item(), name) : value);
  start = bound(start, 'start');
  step = bound(step, 'step');
  if (end !== undefined) end = bound(end, 'end');
  const [from, to] = end === undefined ? [0, start] : [start, end];
  checkFinite(from, 'start');
  checkFinite(to, 'end');
  if (checkFinite(step, 'step') === 0) throw new RangeError('Expected a non-zero step for torch_arange but received 0');
  const resolved = resolve(options, 'torch_arange');
  return create(ARANGE, [from, to, step], resolved);
}

/**
 * Integers drawn uniformly from [low, high) (int64 unless `dtype` says otherwise); `generator`
 * draws from a torch_generator().
 *
 * @example const idx = torch_randint(0, n, [128]); // a batch of row indices
 */
export function torch_randint(low: number, high: number, size: number | number[], options?: RandomOptions): Tensor {
  checkInteger(low, 'low');
  checkInteger(high, 'high');
  if (high <= low) throw new RangeError(`Expected high > low for torch_randint but received low=${low}, high=${high}`);
  const shape = shapeFrom([size]);
  const resolved = resolve(options, 'torch_randint', RANDOM_OPTION_KEYS);
  return create(RANDINT, [low, high, shape, resolved.generator], resolved, resolved.dtype ?? INT64);
}

/** A random permutation of 0..n-1 (int64); `generator` draws from a torch_generator(). @example torch_randperm(10) */
export function torch_randperm(n: number, options?: RandomOptions): Tensor {
  checkNonNegativeInteger(n, 'n');
  const resolved = resolve(options, 'torch_randperm', RANDOM_OPTION_KEYS);
  return create(RANDPERM, [n, resolved.generator], resolved, resolved.dtype ?? INT64);
}

/** The n×m identity matrix. @example torch_eye(3) */
export function torch_eye(n: number, m: number = n, options?: TensorOptions): Tensor {
  checkNonNegativeInteger(n, 'n');
  checkNonNegativeInteger(m, 'm');
  const resolved = resolve(options, 'torch_eye');
  return create(EYE, [n, m], resolved);
}

const EMPTY_STRIDED = atenOp('empty_strided');
/**
 * Uninitialised memory of `size` laid out with `stride` (elements between neighbours along
 * each dimension). @example torch_empty_strided([2, 3], [1, 2]) // column-major
 */
export function torch_empty_strided(size: number[], stride: number[], options?: TensorOptions): Tensor {
  const shape = shapeFrom([size]);
  const steps = shapeFrom([stride], 'stride');
  if (steps.length !== shape.length) throw new RangeError(`Expected ${shape.length} strides for torch_empty_strided but received ${steps.length}`);
  return create(EMPTY_STRIDED, [shape, steps], resolve(options, 'torch_empty_strided'));
}

const MESHGRID = atenOp('meshgrid', 'indexing');
/**
 * Grids from 1-d tensors: with n tensors, n tensors of shape (len0, len1, ...) ("ij", the
 * default, as in R torch and PyTorch) or (len1, len0, ...) ("xy", as NumPy's default).
 *
 * @example const [rows, cols] = torch_meshgrid([torch_arange(3), torch_arange(4)]); torch_meshgrid([x, y], 'xy')
 */
export function torch_meshgrid(tensors: Tensor[], indexing: 'ij' | 'xy' | { indexing?: 'ij' | 'xy' } = 'ij'): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) fail('a non-empty array of Tensors', 'tensors', tensors);
  tensors.forEach((tensor, i) => { if (!(tensor instanceof Tensor)) fail('a Tensor', `tensors[${i}]`, tensor); });
  const named = namedArguments(indexing, new Set(['indexing']), 'torch_meshgrid');
  const mode = named === null ? indexing : named.indexing ?? 'ij';
  if (mode !== 'ij' && mode !== 'xy') fail('"ij" or "xy"', 'indexing', mode);
  return MESHGRID.call<Tensor[]>(tensors, mode);
}

type TypedArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array | Uint16Array;

const TYPED_DTYPES: [new (...args: never[]) => TypedArray, DType][] = [
  [Float32Array, 'float32'], [Float64Array, 'float64'], [Int32Array, 'int32'], [Int16Array, 'int16'],
  [Int8Array, 'int8'], [Uint8Array, 'uint8'], [BigInt64Array, 'int64'],
];

// A Uint16Array holds the raw bits of float16 or bfloat16 values (what to_typed_array() gives
// for those dtypes); JavaScript has no typed array of either, so `dtype` must say which. So
// for complex: a Float32Array (Float64Array) with dtype complex64 (complex128) holds (re, im) pairs.
function typedDtype(data: TypedArray, dtype: number | null): DType {
  const name = dtype === null ? null : dtypeName(dtype);
  if ((data instanceof Float32Array && name === 'complex64') || (data instanceof Float64Array && name === 'complex128')) {
    if (data.length % 2 !== 0) failRange(`an even length ((re, im) pairs of ${name})`, 'data', `an array of length ${data.length}`);
    return name;
  }
  if (data instanceof Uint16Array) {
    const name = dtype === null ? null : dtypeName(dtype);
    if (name !== 'float16' && name !== 'bfloat16') fail('"float16" or "bfloat16" (a Uint16Array holds their raw bits)', 'dtype', name ?? undefined);
    return name;
  }
  for (const [type, name] of TYPED_DTYPES) if (data instanceof type) return name;
  return fail('a Float32Array, Float64Array, Int32Array, Int16Array, Int8Array, Uint8Array, BigInt64Array or Uint16Array', 'data', data);
}

// Walks nested arrays, checking they are rectangular, and returns the shape and the values.
function flatten(data: NestedArray, shape: number[] = [], values: (number | boolean)[] = [], depth = 0): [number[], (number | boolean)[]] {
  if (!Array.isArray(data)) {
    if (typeof data !== 'number' && typeof data !== 'boolean') fail('numbers or booleans', 'data', data);
    if (depth !== shape.length) throw new TypeError('Expected rectangular nested arrays for data but received ragged ones');
    values.push(data);
    return [shape, values];
  }
  if (depth === shape.length) {
    // A value was already found one level up, as in [1, [2, 3]]: the nesting depth is fixed.
    if (values.length > 0) throw new TypeError('Expected rectangular nested arrays for data but received ragged ones');
    shape.push(data.length);
  } else if (shape[depth] !== data.length) throw new TypeError(`Expected rectangular nested arrays for data but dimension ${depth} has lengths ${shape[depth]} and ${data.length}`);
  for (const item of data) flatten(item, shape, values, depth + 1);
  if (data.length === 0 && depth + 1 < shape.length) throw new TypeError('Expected rectangular nested arrays for data but received ragged ones');
  return [shape, values];
}

// What each integer dtype holds, [low, high): a value outside is refused, as PyTorch refuses
// it ("value cannot be converted ... without overflow"), instead of wrapping around.
const INTEGER_RANGES: Partial<Record<DType, [number, number, string]>> = {
  int64: [-(2 ** 63), 2 ** 63, '[-2^63, 2^63)'], int32: [-(2 ** 31), 2 ** 31, '[-2^31, 2^31)'], int16: [-(2 ** 15), 2 ** 15, '[-32768, 32767]'],
  int8: [-128, 128, '[-128, 127]'], uint8: [0, 256, '[0, 255]'],
};

// Numbers become integers toward zero, as PyTorch converts them.
function checkedIntegers(values: (number | boolean)[], dtype: DType): number[] {
  const [low, high, range] = INTEGER_RANGES[dtype]!;
  return values.map((value, i) => {
    const integer = Math.trunc(Number(value));
    if (!(integer >= low && integer < high)) failRange(`a value that ${dtype} holds, in ${range}`, `data (element ${i})`, value);
    return integer;
  });
}

function bufferFor(values: (number | boolean)[], dtype: DType): ArrayBufferView {
  switch (dtype) {
    case 'float64': return Float64Array.from(values, Number);
    case 'int64': return BigInt64Array.from(checkedIntegers(values, dtype), BigInt);
    case 'int32': return Int32Array.from(checkedIntegers(values, dtype));
    case 'int16': return Int16Array.from(checkedIntegers(values, dtype));
    case 'int8': return Int8Array.from(checkedIntegers(values, dtype));
    case 'uint8': return Uint8Array.from(checkedIntegers(values, dtype));
    case 'bool': return Uint8Array.from(values, (v) => (Number(v) !== 0 ? 1 : 0));
    default: return Float32Array.from(values, Number);
  }
}

// torch_tensor(<a Tensor>): a copy in new storage, detached from the graph, as R's and
// PyTorch's `torch.tensor(t)` (`t.clone().detach()`), in `dtype` and on `device` if given.
function copyOf(data: Tensor, options: TensorOptions): Tensor {
  const resolved = resolve(options, 'torch_tensor');
  const detached = data.detach();
  const copy = detached.to({ ...(options.dtype === undefined ? {} : { dtype: options.dtype }), ...(resolved.device === null ? {} : { device: resolved.device }), copy: true });
  detached.dispose();
  return resolved.requiresGrad ? copy.requires_grad_() : copy;
}

/**
 * A tensor from nested arrays or a TypedArray (the values are copied), or a copy of a Tensor
 * (new storage, detached, as R's and PyTorch's `torch_tensor(x)`). Numbers become
 * float32 and booleans bool, as R torch does for doubles and logicals; a TypedArray keeps
 * its own type; `dtype` converts. A Uint16Array is taken as the raw bits of float16 or
 * bfloat16 values, as `to_typed_array()` returns them, and needs `dtype` to say which; a
 * Float32Array (Float64Array) with dtype complex64 (complex128) as (re, im) pairs, as
 * `to_typed_array()` returns those; numbers with a complex dtype are real values.
 *
 * @example
 * torch_tensor([[1, 2], [3, 4]]);
 * torch_tensor(new Float64Array([1, 2]), { dtype: 'float32' });
 * torch_tensor(new Uint16Array([0x3c00]), { dtype: 'float16' }); // 1 as float16
 * torch_tensor(new Float32Array([1, 2]), { dtype: 'complex64' }); // 1+2i
 * torch_tensor(x, { dtype: 'float64' }); // a detached float64 copy of x
 */
export function torch_tensor(data: NestedArray | TypedArray | Tensor, options?: TensorOptions & { shape?: number[] }): Tensor {
  const { shape: givenShape, ...rest } = checkOptions(options, TORCH_TENSOR_KEYS, 'torch_tensor');
  if (data instanceof Tensor) {
    if (givenShape !== undefined) fail('no shape for a Tensor (the copy keeps its shape)', 'torch_tensor options.shape', givenShape);
    return copyOf(data, rest);
  }
  const resolved = resolve(rest, 'torch_tensor');
  let buffer: ArrayBufferView;
  let shape: number[];
  let sourceDtype: DType;
  if (ArrayBuffer.isView(data)) {
    sourceDtype = typedDtype(data as TypedArray, resolved.dtype);
    buffer = data;
    const length = (data as TypedArray).length / (isComplexDtype(sourceDtype) ? 2 : 1);
    shape = givenShape === undefined ? [length] : shapeFrom([givenShape], 'shape');
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== length) throw new RangeError(`Expected a shape of ${length} elements for torch_tensor but received [${shape.join(', ')}]`);
  } else {
    if (givenShape !== undefined) fail('no shape for nested arrays (their nesting is the shape; shape is for a TypedArray)', 'torch_tensor options.shape', givenShape);
    const [nestedShape, values] = flatten(data);
    shape = nestedShape;
    sourceDtype = values.length > 0 && values.every((v) => typeof v === 'boolean') ? 'bool' : dtypeName(native.getDefaultDtype());
    if (values.some((v) => typeof v === 'boolean') && sourceDtype !== 'bool') throw new TypeError('Expected numbers or booleans for data but received a mix of both');
    const target = resolved.dtype === null ? sourceDtype : dtypeName(resolved.dtype);
    // JavaScript has no float16 or bfloat16 array: those are made as float32 and converted
    // below; numbers become complex values with no imaginary part, as in PyTorch.
    sourceDtype = target === 'float16' || target === 'bfloat16' || target === 'complex64' ? 'float32' : target === 'complex128' ? 'float64' : target;
    buffer = bufferFor(values, sourceDtype);
  }
  const out = tensorFrom(native.fromBuffer(buffer, shape, dtypeCode(sourceDtype), resolved.device, false));
  // The dtype asked for, or the one numbers get (the default, which may be float16 or bfloat16).
  const wanted = resolved.dtype ?? (ArrayBuffer.isView(data) || sourceDtype === 'bool' ? null : native.getDefaultDtype());
  if (wanted !== null && wanted !== dtypeCode(sourceDtype)) {
    const converted = out.to({ dtype: dtypeName(wanted) });
    out.dispose();
    return resolved.requiresGrad ? converted.requires_grad_() : converted;
  }
  return resolved.requiresGrad ? out.requires_grad_() : out;
}

/**
 * Seeds libtorch's random generators (CPU, and CUDA where present); the same seed and calls
 * give the same numbers as Python's `torch.manual_seed`.
 *
 * @example torch_manual_seed(1); torch_randn(3, 4).sum().item() // -2.689052104949951 as in PyTorch
 */
export function torch_manual_seed(seed: number): void {
  checkNonNegativeInteger(seed, 'seed');
  native.manualSeed(seed);
}
