// The Tensor class: one JavaScript object per libtorch tensor, named as in R torch and
// PyTorch. Methods validate their arguments, then make one native call that wraps its
// result straight into a fresh Tensor (no intermediate objects, no copies).
import { torch_Device, type DeviceLike } from '../core/device.js';
import { INSPECT_CUSTOM } from '../core/symbols.js';
import { operator, setTensorMaker, tensorOrScalar, type Op } from '../core/dispatch.js';
import { TensorMethods } from './generated/methods.js';
import { gradFnOf, type AutogradNode } from './autograd_node.js';
import { toNativeIndex, type IndexItem } from './indexing.js';
import { deviceOrDtype, dtypeCode, dtypeName, isComplexDtype, type DType, type DTypeLike } from '../core/dtype.js';
import { native, type TensorId, type TensorIdOrScalar } from '../core/native.js';
import { TENSOR_BRAND, track } from '../core/scope.js';
import { checkNdim, converter, nest, typedArrayFor, type Nested, type NestedArray, type ValueKind, type ValueOf } from './values.js';
import {
  checkBoolean, checkDevice, checkFinite, checkInteger, checkNumber, checkOptions, fail, namedArguments, optionKeys, sameShape,
} from '../core/validate.js';

// The operators the hand-written methods call (the op table's are in src/ops/generated/).
const ADD = tensorOrScalar('add');
const SUB = tensorOrScalar('sub');
const MUL = tensorOrScalar('mul');
const DIV = tensorOrScalar('div');
const MATMUL = operator('matmul');
const CLAMP = operator('clamp');
const LOGICAL_AND = operator('logical_and');
const LOGICAL_OR = operator('logical_or');
const ALLCLOSE = operator('allclose');
const EQUAL = operator('equal');
const FULL = operator('full');
const REAL = operator('real');
const IMAG = operator('imag');
// A complex tensor's conjugation may be a bit on a view of the unconjugated values (conj()).
const RESOLVE_CONJ = operator('resolve_conj');
const IS_CONJ = operator('is_conj');
const VIEW_AS_REAL = operator('view_as_real');

const INTERNAL = Symbol('torchlora.internal');

/** A Tensor, or a number that PyTorch would accept in its place. */
export type TensorOrScalar = Tensor | number | boolean;
export type { NestedArray } from './values.js';

/** Makes an empty Tensor for a native call that fills several (its `h`), and registers it with the open scope. */
export function newTensor(): Tensor {
  const tensor = new Tensor(INTERNAL);
  track(tensor);
  return tensor;
}

/** The Tensor for the id a native call returned, registered with the open scope. */
export function tensorFrom(id: TensorId): Tensor {
  const tensor = newTensor();
  tensor.h = id;
  return tensor;
}

export function checkTensor(value: unknown, name: string): Tensor {
  if (!(value instanceof Tensor)) fail('a Tensor', name, value);
  return value;
}

/** What the addon takes for a Tensor or a number: the tensor's id, or the number itself. */
export function idOrScalar(value: TensorOrScalar): TensorIdOrScalar {
  return typeof value === 'object' ? value.h : value;
}

export function checkOperand(value: unknown, name: string): TensorOrScalar {
  if (value instanceof Tensor || typeof value === 'number' || typeof value === 'boolean') return value;
  return fail('a Tensor or a number', name, value);
}

export function optionalDim(dim: unknown, name = 'dim'): number | null {
  return dim === undefined || dim === null ? null : checkInteger(dim, name);
}

/** What `to()` accepts: a device string, a dtype, or both with a copy flag; or `other`, whose device and dtype are taken (R torch's `x$to(other = y)`). */
export interface ToOptions {
  device?: DeviceLike;
  dtype?: DTypeLike;
  copy?: boolean;
  other?: Tensor;
}

/** R's named form of `dim` and `keepdim`: `x.max({ dim: 1 })`. */

export interface BackwardOptions {
  retain_graph?: boolean;
  create_graph?: boolean;
}

const TO_KEYS = optionKeys<ToOptions>({ device: true, dtype: true, copy: true, other: true });
const BACKWARD_KEYS = optionKeys<BackwardOptions>({ retain_graph: true, create_graph: true });
const TYPED_ARRAY_KEYS = optionKeys<{ copy?: boolean }>({ copy: true });
const ALPHA_NAMES = new Set(['alpha']);
const ACCUMULATE_NAMES = new Set(['accumulate']);
export const CLAMP_KEYS = optionKeys<{ min?: number | null; max?: number | null }>({ min: true, max: true });
const ALLCLOSE_KEYS = optionKeys<{ rtol?: number; atol?: number; equal_nan?: boolean }>({ rtol: true, atol: true, equal_nan: true });


/**
 * A multi-dimensional array on a device, with autograd. Made by the `torch_*` creation
 * functions and by operations on other tensors, never with `new`.
 *
 * @example
 * const x = torch_randn(3, 4);
 * const y = x.matmul(x.t()).add(1);
 * console.log(y.shape); // [3, 3]
 */
export class Tensor extends TensorMethods {
  declare readonly [TENSOR_BRAND]: true;
  /** @internal The addon's id for this tensor (native/core/tensor.cc); null until an op fills it. */
  h: TensorId = null as unknown as TensorId;

  /** @internal Tensors are made by torch_* functions and by operations on tensors. */
  constructor(token: typeof INTERNAL) {
    super();
    if (token !== INTERNAL) throw new TypeError('Tensors are made with torch_tensor(), torch_zeros() and the other torch_* functions');
  }

  // ---- reading ----

  /** The sizes of each dimension. @example torch_zeros(2, 3).shape // [2, 3] */
  get shape(): number[] { return native.shape(this.h); }
  /** The element type. @example torch_zeros(2).dtype // "float32" */
  get dtype(): DType { return dtypeName(native.dtype(this.h)); }
  /** The device, such as "cpu" or "cuda:0". @example torch_zeros(2).device // "cpu" */
  get device(): string { return native.device(this.h); }
  /** The number of dimensions. @example torch_zeros(2, 3).ndim // 2 */
  get ndim(): number { return native.dim(this.h); }
  /** Whether this tensor has been disposed. */
  get is_disposed(): boolean { return native.isDisposed(this.h); }

  /** The size of `dim`, or the whole shape. @example torch_zeros(2, 3).size(-1) // 3 */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    const shape = native.shape(this.h);
    if (dim === undefined) return shape;
    checkInteger(dim, 'dim');
    const index = dim < 0 ? dim + shape.length : dim;
    if (index < 0 || index >= shape.length) {
      throw new RangeError(`Expected a dimension in [${-shape.length}, ${shape.length - 1}] for dim but received ${dim}`);
    }
    return shape[index]!;
  }

  /** The number of elements. @example torch_zeros(2, 3).numel() // 6 */
  numel(): number { return native.numel(this.h); }
  /** The number of dimensions. @example torch_zeros(2, 3).dim() // 2 */
  dim(): number { return native.dim(this.h); }

  /**
   * The value of a one-element tensor: a number, or a boolean for a bool tensor. `as` names
   * the type you want and converts to it, as Python's `float(x)`, `bool(x)` and `int(x)` do:
   * `'number'` (booleans become 0 and 1), `'boolean'` (non-zero is true), `'bigint'`
   * (integer and bool tensors; exact for int64).
   *
   * @example
   * const value: number = loss.item('number');
   * if (x.isfinite().all().item('boolean')) { ... }
   * torch_tensor([2.5]).item() // 2.5
   */
  item(): number | boolean;
  item<K extends ValueKind>(as: K): ValueOf<K>;
  item(as?: ValueKind): number | boolean | bigint {
    if (as === undefined) return native.item(this.h);
    const convert = converter(this.dtype, as, 'as');
    return as === 'bigint' && this.dtype === 'int64' && native.numel(this.h) === 1 ? convert(typedArrayFor('int64', native.data(this.h))[0]!) : convert(native.item(this.h));
  }

  /**
   * The values as nested JavaScript arrays (int64 values become numbers, bool values booleans;
   * a complex value is a pair [re, im], so the arrays nest one level deeper, as view_as_real's).
   * `as` converts each value (see `item`), and `ndim` states the number of dimensions (a
   * RangeError when it differs), which types the result: `number[][]` for `('number', 2)`.
   *
   * @example
   * torch_eye(2).to_array() // [[1, 0], [0, 1]]
   * const rows: number[][] = x.to_array('number', 2);
   */
  to_array(): NestedArray;
  to_array<K extends ValueKind, N extends number = number>(as: K, ndim?: N): Nested<ValueOf<K>, N>;
  to_array(as?: ValueKind, ndim?: number): unknown {
    const dtype = this.dtype;
    const convert = converter(dtype, as, 'as');
    checkNdim(ndim, native.dim(this.h) + (isComplexDtype(dtype) ? 1 : 0));
    if (dtype === 'float16' || dtype === 'bfloat16') {
      const wide = this.to({ dtype: 'float32' });
      try { return wide.to_array(as ?? 'number'); } finally { wide.dispose(); }
    }
    if (isComplexDtype(dtype)) return nest(typedArrayFor(dtype, resolvedData(this)), [...native.shape(this.h), 2], convert);
    return nest(typedArrayFor(dtype, native.data(this.h)), native.shape(this.h), convert);
  }

  /**
   * The values, row-major, as the TypedArray of this dtype (float16 as raw Uint16 bits,
   * complex64 and complex128 as Float32Array and Float64Array of (re, im) pairs): a
   * copy, or with `{ copy: false }` a view of the tensor's own memory, as `numpy()` gives in
   * PyTorch. A view needs a contiguous CPU tensor; writes through it change the tensor, and
   * it keeps the memory alive after the tensor is disposed.
   *
   * @example
   * torch_ones(2).to_typed_array()                 // Float32Array [1, 1], a copy
   * const view = w.to_typed_array({ copy: false }); view[0] = 5; // w[0] is 5 now
   */
  to_typed_array(options?: { copy?: boolean }): Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array {
    const { copy = true } = checkOptions(options, TYPED_ARRAY_KEYS, 'to_typed_array');
    if (checkBoolean(copy, 'copy')) return typedArrayFor(this.dtype, resolvedData(this)) as ReturnType<Tensor['to_typed_array']>;
    if (isComplexDtype(this.dtype) && native.callOp(IS_CONJ.id, this.h) === true) {
      throw new TypeError('Expected a tensor without a pending conjugation for a view but received one (conj()); call .resolve_conj(), or copy');
    }
    if (native.device(this.h) !== 'cpu' || !native.isContiguous(this.h)) {
      throw new TypeError(`Expected a contiguous CPU tensor for a view but received a${native.isContiguous(this.h) ? '' : ' non-contiguous'} tensor on ${native.device(this.h)}; call .contiguous() or .cpu(), or copy`);
    }
    // No memory to view: an empty array (Node cannot make an ArrayBuffer over zero native bytes).
    if (native.numel(this.h) === 0) return typedArrayFor(this.dtype, new ArrayBuffer(0)) as ReturnType<Tensor['to_typed_array']>;
    return typedArrayFor(this.dtype, native.dataView(this.h)) as ReturnType<Tensor['to_typed_array']>;
  }

  /**
   * This tensor on another device or as another dtype (itself when nothing changes, unless `copy`).
   *
   * @example
   * x.to('cuda'); x.to({ dtype: 'float64' }); x.to({ device: 'cpu', dtype: 'float32', copy: true });
   */
  to(target: string | torch_Device | ToOptions): Tensor {
    if (target instanceof torch_Device) target = { device: target };
    if (typeof target !== 'string' && (typeof target !== 'object' || target === null || Array.isArray(target))) {
      fail('a device, a dtype or { device, dtype, copy }', 'target', target);
    }
    const options: ToOptions = typeof target === 'string'
      ? deviceOrDtype(target)
      : checkOptions(target, TO_KEYS, 'to', 'target');
    if (options.other !== undefined) {
      const other = checkTensor(options.other, 'other');
      if (options.device !== undefined || options.dtype !== undefined) fail('other alone, or device and dtype (not both)', 'to target', target);
      return this.to({ device: other.device, dtype: other.dtype, copy: options.copy });
    }
    const device = options.device === undefined ? null : checkDevice(options.device);
    const dtype = options.dtype === undefined ? null : dtypeCode(options.dtype);
    return tensorFrom(native.to(this.h, device, dtype, options.copy === undefined ? false : checkBoolean(options.copy, 'copy')));
  }

  /** This tensor on the CPU. @example x.cpu() */
  cpu(): Tensor { return this.to({ device: 'cpu' }); }
  /** This tensor on a CUDA device (a TorchError where there is none). @example x.cuda() */
  cuda(index = 0): Tensor { return this.to({ device: `cuda:${checkInteger(index, 'index')}` }); }
  /** As float32. @example torch_arange(0, 3).float() */
  float(): Tensor { return this.to({ dtype: 'float32' }); }
  /** As float64. */
  double(): Tensor { return this.to({ dtype: 'float64' }); }
  /** As int64. */
  long(): Tensor { return this.to({ dtype: 'int64' }); }
  /** As int32. */
  int(): Tensor { return this.to({ dtype: 'int32' }); }
  /** As int16. */
  short(): Tensor { return this.to({ dtype: 'int16' }); }
  /** As float16. */
  half(): Tensor { return this.to({ dtype: 'float16' }); }
  /** As bfloat16. */
  bfloat16(): Tensor { return this.to({ dtype: 'bfloat16' }); }
  /** As bool (non-zero is true). */
  bool(): Tensor { return this.to({ dtype: 'bool' }); }
  /** The real part: a view of a complex tensor's real values (R's `x$real`); this tensor itself when it is real. @example torch_complex(a, b).real */
  get real(): Tensor { return opResult(REAL, this.h); }
  /** The imaginary part, a view of a complex tensor's (R's `x$imag`); a TorchError for a real tensor. @example torch_complex(a, b).imag */
  get imag(): Tensor { return opResult(IMAG, this.h); }
  /** Whether this tensor is on a CUDA device. @example x.is_cuda // false on the CPU */
  get is_cuda(): boolean { return native.device(this.h).startsWith('cuda'); }

  // ---- arithmetic ----

  /** `this + alpha * other`. @example x.add(y); x.add(1); x.add(y, 0.5) */
  add(other: TensorOrScalar, alpha?: number | { alpha?: number }): Tensor {
    checkOperand(other, 'other');
    alpha = alphaOf(alpha, 'add');
    if (alpha !== undefined) checkNumber(alpha, 'alpha');
    return typeof other === 'object' ? opResult(ADD.Tensor, this.h, other.h, alpha) : opResult(ADD.Scalar, this.h, other, alpha);
  }

  /** `this - alpha * other`. @example x.sub(y) */
  sub(other: TensorOrScalar, alpha?: number | { alpha?: number }): Tensor {
    checkOperand(other, 'other');
    alpha = alphaOf(alpha, 'sub');
    if (alpha !== undefined) checkNumber(alpha, 'alpha');
    return typeof other === 'object' ? opResult(SUB.Tensor, this.h, other.h, alpha) : opResult(SUB.Scalar, this.h, other, alpha);
  }

  /** Elementwise product. @example x.mul(2) */
  mul(other: TensorOrScalar): Tensor { return binary(this, MUL, other); }
  /** Elementwise true division. @example x.div(y) */
  div(other: TensorOrScalar): Tensor { return binary(this, DIV, other); }
  /** Matrix product with PyTorch's broadcasting rules. @example x.matmul(w) */
  matmul(other: Tensor): Tensor { return opResult(MATMUL, this.h, checkTensor(other, 'other').h); }


  /** Limits values to [min, max]; either bound may be null. @example x.clamp(0, 1) */
  clamp(min: number | null | { min?: number | null; max?: number | null } = null, max: number | null = null): Tensor {
    const named = namedArguments(min, CLAMP_KEYS, 'clamp');
    if (named !== null) ({ min = null, max = null } = named);
    if (min !== null) checkNumber(min, 'min');
    if (max !== null) checkNumber(max, 'max');
    if (min === null && max === null) throw new TypeError('Expected at least one of min and max for clamp but received neither');
    return opResult(CLAMP, this.h, min, max);
  }

  // ---- comparison and logic (results are bool tensors) ----

  /** Elementwise and (non-zero is true); `other` may be a number or a boolean. */
  logical_and(other: TensorOrScalar): Tensor { return opResult(LOGICAL_AND, this.h, logicalOperand(this, other).h); }
  /** Elementwise or (non-zero is true); `other` may be a number or a boolean. */
  logical_or(other: TensorOrScalar): Tensor { return opResult(LOGICAL_OR, this.h, logicalOperand(this, other).h); }

  /** Whether all elements are close: `|a - b| <= atol + rtol * |b|`. @example a.allclose(b, 1e-5, 1e-8) */
  allclose(other: Tensor, rtol: number | { rtol?: number; atol?: number; equal_nan?: boolean } = 1e-5, atol = 1e-8, equal_nan = false): boolean {
    checkTensor(other, 'other');
    const named = namedArguments(rtol, ALLCLOSE_KEYS, 'allclose');
    if (named !== null) ({ rtol = 1e-5, atol = 1e-8, equal_nan = false } = named);
    return native.callOp(ALLCLOSE.id, this.h, other.h, checkFinite(rtol, 'rtol'), checkFinite(atol, 'atol'), checkBoolean(equal_nan, 'equal_nan')) as boolean;
  }

  /** Same shape and exactly the same values. @example a.equal(a.clone()) // true */
  equal(other: Tensor): boolean {
    return native.callOp(EQUAL.id, this.h, checkTensor(other, 'other').h) as boolean;
  }

  // ---- indexing (0-based, like JavaScript and PyTorch; R torch is 1-based) ----

  /**
   * `x[items]` as in PyTorch: numbers pick one position (negative from the end), slices pick
   * ranges with an exclusive stop, tensors or integer arrays pick rows, `null` adds an axis.
   * Omitted trailing dimensions are taken whole.
   *
   * @example
   * X.index(idx);                     // R: X[idx, ]   (idx 0-based here)
   * delta.index('0:5', '0:5');        // R: delta[1:5, 1:5]
   * x.index(-1);                      // the last row
   */
  index(...items: IndexItem[]): Tensor {
    return tensorFrom(native.index(this.h, items.map(toNativeIndex)));
  }

  /**
   * `x[items] = value`, in place; returns this tensor. With `accumulate` (index tensors or
   * integer arrays only, as torch's `index_put_`), values at repeated positions add up.
   *
   * @example
   * x.index_put_([0, '1:3'], 0);
   * counts.index_put_([torch_tensor([0, 2, 0], { dtype: 'int64' })], 1, true); // counts[0] += 2, counts[2] += 1
   */
  index_put_(items: IndexItem[], value: TensorOrScalar, accumulate: boolean | { accumulate?: boolean } = false): this {
    const named = namedArguments(accumulate, ACCUMULATE_NAMES, 'index_put_');
    if (named !== null) ({ accumulate = false } = named);
    if (!Array.isArray(items)) fail('an array of index items', 'items', items);
    const list: IndexItem[] = Array.from(items);
    checkOperand(value, 'value');
    if (checkBoolean(accumulate, 'accumulate')) {
      // torch's index_put_(indices, values, accumulate=True): index tensors only, one per dimension.
      list.forEach((item, i) => {
        if (!(item instanceof Tensor) && !Array.isArray(item)) fail('an index Tensor or an array of integers (accumulate takes no slices)', `items[${i}]`, item);
      });
    }
    native.indexPut(this.h, list.map(toNativeIndex), idOrScalar(value), accumulate as boolean);
    return this;
  }

  // ---- autograd ----

  /** Whether autograd records operations on this tensor. */
  get requires_grad(): boolean { return native.requiresGrad(this.h); }
  set requires_grad(flag: boolean) { native.setRequiresGrad(this.h, checkBoolean(flag, 'requires_grad')); }

  /** Turns gradient recording on or off for this leaf tensor; returns it. @example w.requires_grad_() */
  requires_grad_(flag = true): this {
    native.setRequiresGrad(this.h, checkBoolean(flag, 'requires_grad'));
    return this;
  }

  /** The accumulated gradient, or undefined before any backward(). Each read is a new handle to the same gradient. */
  get grad(): Tensor | undefined {
    const id = native.grad(this.h);
    return id === null ? undefined : tensorFrom(id);
  }

  /** Sets the gradient: a tensor of this tensor's shape, dtype and device (as PyTorch demands), or null. */
  set grad(gradient: Tensor | undefined | null) {
    if (gradient === undefined || gradient === null) {
      native.setGrad(this.h, null);
      return;
    }
    checkTensor(gradient, 'grad');
    const mismatch = (what: string, theirs: string): string => `Expected a gradient with the tensor's own ${what} for grad but received ${theirs}`;
    if (!sameShape(gradient.shape, this.shape)) throw new RangeError(mismatch(`shape [${this.shape.join(', ')}]`, `shape [${gradient.shape.join(', ')}]`));
    if (gradient.dtype !== this.dtype) throw new TypeError(mismatch(`dtype ${this.dtype}`, gradient.dtype));
    if (gradient.device !== this.device) throw new TypeError(mismatch(`device ${this.device}`, gradient.device));
    native.setGrad(this.h, gradient.h);
  }

  /** The node of the operation that made this tensor (its `name`: `"MmBackward0"`; `next_functions`), or null for a leaf. */
  get grad_fn(): AutogradNode | null { return gradFnOf(this.h); }
  /** Whether this is a leaf of the autograd graph (made by the user, not by an operation). */
  get is_leaf(): boolean { return native.isLeaf(this.h); }

  /** Keeps `grad` for this non-leaf tensor after backward(). */
  retain_grad(): this { native.retainGrad(this.h); return this; }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires them, and
   * accumulates them into their `grad`. A non-scalar tensor needs `gradient`.
   *
   * @example
   * const loss = nnf_mse_loss(model(x), y); loss.backward();
   */
  backward(gradient?: Tensor | null, given?: BackwardOptions): void {
    const options = checkOptions(given, BACKWARD_KEYS, 'backward');
    if (gradient !== undefined && gradient !== null) checkTensor(gradient, 'gradient');
    const retain = options.retain_graph === undefined ? null : checkBoolean(options.retain_graph, 'retain_graph');
    native.backward(this.h, gradient?.h ?? null, retain, options.create_graph === undefined ? false : checkBoolean(options.create_graph, 'create_graph'));
  }

  // ---- memory ----

  /** Releases this handle's reference to the native tensor now. Idempotent. @example x.dispose() */
  dispose(): void { native.dispose(this.h); }
  /** `using x = torch_randn(3)` disposes x at the end of the block. */
  [Symbol.dispose](): void { native.dispose(this.h); }

  // ---- printing ----

  /** What R torch prints: `torch_tensor`, libtorch's values, `[ CPUFloatType{2,3} ]` and the grad suffix. */
  override toString(): string {
    if (native.isDisposed(this.h)) return 'torch_tensor\n[ disposed ]';
    let text = `torch_tensor\n${formatted(this).trimEnd()}`;
    const gradFn = native.gradFn(this.h);
    if (gradFn !== null) text += `[ grad_fn = <${gradFn}> ]`;
    else if (native.requiresGrad(this.h)) text += '[ requires_grad = TRUE ]';
    return text;
  }

  [INSPECT_CUSTOM](): string { return this.toString(); }

}

Object.defineProperty(Tensor.prototype, TENSOR_BRAND, { value: true });

// ---- the methods' shared steps (functions, not methods: nothing internal on the prototype) ----

/** @internal The result of an operator that returns one tensor (arguments in schema order). */
export function opResult(op: Op, ...args: unknown[]): Tensor {
  return tensorFrom(native.callOp(op.id, ...args) as TensorId);
}

function binary(self: Tensor, op: { Tensor: Op; Scalar: Op }, other: unknown, name = 'other'): Tensor {
  const operand = checkOperand(other, name);
  return typeof operand === 'object' ? opResult(op.Tensor, self.h, operand.h) : opResult(op.Scalar, self.h, operand);
}

// The values' bytes, a complex tensor's pending conjugation applied.
function resolvedData(self: Tensor): ArrayBuffer {
  if (!isComplexDtype(self.dtype)) return native.data(self.h);
  const resolved = opResult(RESOLVE_CONJ, self.h);
  try {
    return native.data(resolved.h);
  } finally {
    resolved.dispose();
  }
}

// libtorch's printer shows only a complex value's real part: a complex tensor prints as its
// (re, im) pairs, view_as_real's layout, under its own type line.
function formatted(self: Tensor): string {
  if (!isComplexDtype(self.dtype)) return native.format(self.h);
  const resolved = opResult(RESOLVE_CONJ, self.h);
  const pairs = opResult(VIEW_AS_REAL, resolved.h);
  try {
    return native.format(pairs.h).replace(/\[ (\w*?)(Float|Double)Type\{([\d,]*?),?2\} \]\s*$/, '[ $1Complex$2Type{$3} ] (real, imaginary pairs)');
  } finally {
    pairs.dispose();
    resolved.dispose();
  }
}

// A number or boolean as a 0-dim bool tensor on `self`'s device, for the logical ops.
function logicalOperand(self: Tensor, other: unknown): Tensor {
  const operand = checkOperand(other, 'other');
  if (typeof operand === 'object') return operand;
  return opResult(FULL, [], operand !== 0 && operand !== false, dtypeCode('bool'), undefined, native.device(self.h));
}

// alpha, or R's named { alpha }.
export function alphaOf(alpha: number | { alpha?: number } | undefined, where: string): number | undefined {
  const named = namedArguments(alpha, ALPHA_NAMES, where);
  return named === null ? alpha as number | undefined : named.alpha;
}

setTensorMaker(tensorFrom);
