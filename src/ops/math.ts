// Math beyond the core arithmetic: more pointwise functions, reductions, products of
// matrices, creation from ranges and from another tensor's shape, repetition, sampling. Each
// op is a `torch_*` function over libtorch's operator (src/core/dispatch.ts) and, where R torch
// has one, the same name as a Tensor method.
import { currentDefaultDevice, type DeviceLike } from '../core/device.js';
import { dtypeCode, isFloatingDtype, type DType, type DTypeLike } from '../core/dtype.js';
import { generatorOf, type torch_Generator } from './random.js';
import { atenOp } from './aten.js';
import { native } from '../core/native.js';
import { torch_where } from './functions.js';
import { checkOperand, checkTensor, idOrScalar, Tensor, tensorFrom, type TensorOrScalar } from './tensor.js';
import {
  checkBoolean, checkDevice, checkDims, checkFinite, checkInteger, checkNonNegativeInteger, checkNumber, checkOptions,
  checkPositiveInteger, checkScalar, fail, namedArguments, optionKeys,
} from '../core/validate.js';

const DIM_NAMES = new Set(['dim', 'keepdim']);
const PROD_NAMES = new Set(['dim', 'keepdim', 'dtype']);
const ONLY_DIM = new Set(['dim']);

// ---- pointwise ----



const LERP = { Scalar: atenOp('lerp', 'Scalar'), Tensor: atenOp('lerp', 'Tensor') };
/** `self + weight * (end - self)`. @example torch_lerp(a, b, 0.25) */
export function torch_lerp(self: Tensor, end: Tensor, weight: TensorOrScalar): Tensor {
  const w = checkOperand(weight, 'weight');
  return (typeof w === 'object' ? LERP.Tensor : LERP.Scalar).call(checkTensor(self, 'self'), checkTensor(end, 'end'), w);
}

const FLOOR_DIVIDE = { Tensor: atenOp('floor_divide'), Scalar: atenOp('floor_divide', 'Scalar') };
const isIntegral = (dtype: DType): boolean => !isFloatingDtype(dtype) && dtype !== 'bool';

/**
 * `floor(self / other)`. For integers, division by -1 is negation (INT_MIN stays INT_MIN, as
 * two's complement wraps): libtorch's kernel would stop the process with SIGFPE there.
 *
 * The dividend may be a number: `torch_floor_divide(7, x)`.
 *
 * @example torch_floor_divide(torch_arange(6), 4) // [0, 0, 0, 0, 1, 1]
 */
export function torch_floor_divide(self: TensorOrScalar, other: TensorOrScalar): Tensor {
  if (typeof checkOperand(self, 'self') !== 'object') {
    const divisor = checkTensor(other, 'other');
    const dividend = wrappedNumber(self as number | boolean, divisor);
    const result = torch_floor_divide(dividend, divisor);
    dividend.dispose();
    return result;
  }
  if (!(self instanceof Tensor)) return fail('a Tensor or a number', 'self', self);
  const divisor = checkOperand(other, 'other');
  if (typeof divisor !== 'object') {
    if (divisor === -1 && isIntegral(self.dtype)) return self.neg();
    return FLOOR_DIVIDE.Scalar.call(self, divisor);
  }
  if (!isIntegral(self.dtype) || !isIntegral(divisor.dtype)) return FLOOR_DIVIDE.Tensor.call(self, divisor);
  const minusOne = divisor.eq(-1);
  const safe = torch_where(minusOne, 1, divisor);
  const safeTyped = safe.to({ dtype: divisor.dtype });
  const quotient = FLOOR_DIVIDE.Tensor.call<Tensor>(self, safeTyped);
  const negated = self.neg();
  const result = torch_where(minusOne, negated, quotient);
  for (const temporary of new Set([minusOne, safe, safeTyped, quotient, negated])) temporary.dispose();
  return result;
}

/** Python's `%`: the remainder with the divisor's sign; either side may be a number. @example torch_remainder(x, 3); torch_remainder(5, x) */
export function torch_remainder(self: TensorOrScalar, other: TensorOrScalar): Tensor {
  if (typeof checkOperand(self, 'self') !== 'object') {
    // Through the guarded kernel (an integer -1 divisor), as a tensor: remainder.Scalar_Tensor has no guard.
    const divisor = checkTensor(other, 'other');
    const dividend = wrappedNumber(self as number | boolean, divisor);
    const result = tensorFrom(native.remainder(dividend.h, divisor.h));
    dividend.dispose();
    return result;
  }
  return tensorFrom(native.remainder((self as Tensor).h, idOrScalar(checkOperand(other, 'other'))));
}

// A number in place of a tensor, made the 0-d tensor that type promotion treats as PyTorch
// treats a Python number: int64 for an integer; for a fraction, float64 beside a floating
// tensor (whose dtype the result keeps) or the default dtype beside an integer one.
function wrappedNumber(value: number | boolean, other: Tensor): Tensor {
  const dtype: DType | undefined = typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int64' : isFloatingDtype(other.dtype) ? 'float64' : undefined;
  return torch_scalar_tensor(value, { ...(dtype === undefined ? {} : { dtype }), device: other.device });
}

function asTensor(value: TensorOrScalar, like: Tensor, name: string): Tensor {
  const operand = checkOperand(value, name);
  return typeof operand === 'object' ? operand : torch_scalar_tensor(operand, { device: like.device });
}

const LOGICAL_XOR = atenOp('logical_xor');
/** Elementwise exclusive or (non-zero is true); `other` may be a number. @example torch_logical_xor(a, b) */
export function torch_logical_xor(self: Tensor, other: TensorOrScalar): Tensor {
  return LOGICAL_XOR.call(checkTensor(self, 'self'), asTensor(other, self, 'other'));
}

// ---- reductions ----

const PROD = { all: atenOp('prod'), dim: atenOp('prod', 'dim_int') };
const REDUCE_KEYS = optionKeys<{ dtype?: DTypeLike }>({ dtype: true });
const optionalDtype = (dtype: DTypeLike | undefined): number | null => (dtype === undefined ? null : dtypeCode(dtype));

/** The product of all elements, or along `dim`. @example torch_prod(x); torch_prod(x, 1, true) */
export function torch_prod(self: Tensor, dim?: number | null | { dim?: number | null; keepdim?: boolean; dtype?: DTypeLike }, keepdim = false, options?: { dtype?: DTypeLike }): Tensor {
  const named = namedArguments(dim, PROD_NAMES, 'torch_prod');
  if (named !== null) ({ dim, keepdim = false } = named);
  const { dtype } = named !== null ? { dtype: named.dtype as DTypeLike | undefined } : checkOptions(options, REDUCE_KEYS, 'torch_prod');
  checkTensor(self, 'self');
  if (dim === undefined || dim === null) return PROD.all.call(self, optionalDtype(dtype));
  return PROD.dim.call(self, checkInteger(dim, 'dim') as number, checkBoolean(keepdim, 'keepdim'), optionalDtype(dtype));
}

const CUMSUM = atenOp('cumsum');
const CUMPROD = atenOp('cumprod');
/** Running sums along `dim`. @example torch_cumsum(probs, -1) */
export function torch_cumsum(self: Tensor, dim: number, options?: { dtype?: DTypeLike }): Tensor {
  const { dtype } = checkOptions(options, REDUCE_KEYS, 'torch_cumsum');
  return CUMSUM.call(checkTensor(self, 'self'), checkInteger(dim, 'dim'), optionalDtype(dtype));
}

/** Running products along `dim`. @example torch_cumprod(x, 0) */
export function torch_cumprod(self: Tensor, dim: number, options?: { dtype?: DTypeLike }): Tensor {
  const { dtype } = checkOptions(options, REDUCE_KEYS, 'torch_cumprod');
  return CUMPROD.call(checkTensor(self, 'self'), checkInteger(dim, 'dim'), optionalDtype(dtype));
}

export interface VarianceOptions {
  /** Divide by n - 1 (the default, as R and PyTorch) rather than n. */
  unbiased?: boolean;
  /** Divide by n - correction; overrides `unbiased`. */
  correction?: number;
  keepdim?: boolean;
}
const VARIANCE_KEYS = optionKeys<VarianceOptions>({ unbiased: true, correction: true, keepdim: true });
const VAR = atenOp('var', 'correction');
const STD = atenOp('std', 'correction');

function variance(op: typeof VAR, where: string, self: Tensor, dim: number | number[] | null | undefined, options: VarianceOptions | undefined): Tensor {
  const { unbiased = true, correction, keepdim = false } = checkOptions(options, VARIANCE_KEYS, where);
  const dims = dim === undefined || dim === null ? null : checkDims(typeof dim === 'number' ? [dim] : dim, 'dim');
  const divisor = correction === undefined ? (checkBoolean(unbiased, 'unbiased') ? 1 : 0) : checkNonNegativeInteger(correction, 'correction');
  return op.call(checkTensor(self, 'self'), dims, divisor, checkBoolean(keepdim, 'keepdim'));
}

/** The variance of all elements or along `dim` (unbiased by default). @example torch_var(x, 0) */
export function torch_var(self: Tensor, dim?: number | number[] | null, options?: VarianceOptions): Tensor {
  return variance(VAR, 'torch_var', self, dim, options);
}

/** The standard deviation of all elements or along `dim` (unbiased by default). @example torch_std(x, -1, { keepdim: true }) */
export function torch_std(self: Tensor, dim?: number | number[] | null, options?: VarianceOptions): Tensor {
  return variance(STD, 'torch_std', self, dim, options);
}

const LOGSUMEXP = atenOp('logsumexp');
/** `log(sum(exp(x)))` along `dim`, computed stably. @example torch_logsumexp(logits, -1) */
export function torch_logsumexp(self: Tensor, dim: number | number[] | { dim: number | number[]; keepdim?: boolean }, keepdim = false): Tensor {
  const named = namedArguments(dim, DIM_NAMES, 'torch_logsumexp');
  if (named !== null) ({ dim, keepdim = false } = named);
  return LOGSUMEXP.call(checkTensor(self, 'self'), checkDims(typeof dim === 'number' ? [dim] : dim, 'dim'), checkBoolean(keepdim, 'keepdim'));
}

const ALL = { all: atenOp('all'), dim: atenOp('all', 'dim') };
const ANY = { all: atenOp('any'), dim: atenOp('any', 'dim') };
/** Whether every element is non-zero (a bool tensor), or along `dim`. @example torch_all(x.gt(0)).item() */
export function torch_all(self: Tensor, dim?: number | null | { dim?: number | null; keepdim?: boolean }, keepdim = false): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(dim, DIM_NAMES, 'torch_all');
  if (named !== null) ({ dim, keepdim = false } = named);
  if (dim === undefined || dim === null) return ALL.all.call(self);
  return ALL.dim.call(self, checkInteger(dim, 'dim'), checkBoolean(keepdim, 'keepdim'));
}

/** Whether any element is non-zero (a bool tensor), or along `dim`. @example torch_any(x.isnan()).item() */
export function torch_any(self: Tensor, dim?: number | null | { dim?: number | null; keepdim?: boolean }, keepdim = false): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(dim, DIM_NAMES, 'torch_any');
  if (named !== null) ({ dim, keepdim = false } = named);
  if (dim === undefined || dim === null) return ANY.all.call(self);
  return ANY.dim.call(self, checkInteger(dim, 'dim'), checkBoolean(keepdim, 'keepdim'));
}

// ---- products ----

const ADDMM = atenOp('addmm');
const EINSUM = atenOp('einsum');

const ADDMM_KEYS = optionKeys<{ beta?: number; alpha?: number }>({ beta: true, alpha: true });
/** `beta * self + alpha * (mat1 @ mat2)` in one kernel. @example torch_addmm(bias, x, w.t()) */
export function torch_addmm(self: Tensor, mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor {
  const { beta = 1, alpha = 1 } = checkOptions(options, ADDMM_KEYS, 'torch_addmm');
  return ADDMM.call(checkTensor(self, 'self'), checkTensor(mat1, 'mat1'), checkTensor(mat2, 'mat2'), checkNumber(beta, 'beta'), checkNumber(alpha, 'alpha'));
}

/** Einstein summation. @example torch_einsum('bij,bjk->bik', [a, b]) */
export function torch_einsum(equation: string, tensors: Tensor[]): Tensor {
  if (typeof equation !== 'string') fail('an equation such as "ij,jk->ik"', 'equation', equation);
  if (!Array.isArray(tensors) || tensors.length === 0) fail('a non-empty array of Tensors', 'tensors', tensors);
  return EINSUM.call(equation, Array.from(tensors, (t, i) => checkTensor(t, `tensors[${i}]`)));
}

// ---- creation ----

/** Where and as what a tensor is made. */
export interface CreationOptions {
  dtype?: DTypeLike;
  device?: DeviceLike;
  requires_grad?: boolean;
}
const CREATION_KEYS = optionKeys<CreationOptions>({ dtype: true, device: true, requires_grad: true });

function created(result: Tensor, requiresGrad: boolean | undefined): Tensor {
  return requiresGrad !== undefined && checkBoolean(requiresGrad, 'requires_grad') ? result.requires_grad_() : result;
}

const SCALAR_TENSOR = atenOp('scalar_tensor');
/**
 * A 0-dimensional tensor holding `value`: float32 for a number, bool for a boolean, unless
 * `dtype` says otherwise. A one-element tensor gives a detached 0-d copy of its value, in its
 * own dtype unless `dtype` says otherwise (R torch's; PyTorch's scalar_tensor takes no tensor).
 *
 * @example torch_scalar_tensor(3.5); torch_scalar_tensor(x.sum())
 */
export function torch_scalar_tensor(value: number | boolean | Tensor, options?: CreationOptions): Tensor {
  const { dtype, device, requires_grad } = checkOptions(options, CREATION_KEYS, 'torch_scalar_tensor');
  if (value instanceof Tensor) {
    if (value.numel() !== 1) throw new RangeError(`Expected a tensor of one element for torch_scalar_tensor but received one of shape [${value.shape.join(', ')}]`);
    const detached = value.detach();
    const scalar = detached.reshape([]);
    const copy = scalar.to({ ...(dtype === undefined ? {} : { dtype }), ...(device === undefined ? {} : { device: checkDevice(device) }), copy: true });
    detached.dispose();
    scalar.dispose();
    return created(copy, requires_grad);
  }
  checkScalar(value, 'value');
  const code = dtype === undefined ? (typeof value === 'boolean' ? dtypeCode('bool') : native.getDefaultDtype()) : dtypeCode(dtype);
  return created(SCALAR_TENSOR.call(value, code, null, device === undefined ? currentDefaultDevice() : checkDevice(device), null), requires_grad);
}

const LINSPACE = atenOp('linspace');
const LOGSPACE = atenOp('logspace');
/** `steps` evenly spaced values from `start` to `end`, both included (float32 unless `dtype`). @example torch_linspace(0, 1, 5) */
export function torch_linspace(start: number, end: number, steps: number, options?: CreationOptions): Tensor {
  const { dtype, device, requires_grad } = checkOptions(options, CREATION_KEYS, 'torch_linspace');
  return created(LINSPACE.call(checkFinite(start, 'start'), checkFinite(end, 'end'), checkNonNegativeInteger(steps, 'steps'), optionalDtype(dtype), null,
    device === undefined ? currentDefaultDevice() : checkDevice(device), null), requires_grad);
}

/** `steps` values `base^t` for t evenly spaced from `start` to `end`. @example torch_logspace(-3, 0, 4) // 0.001 ... 1 */
export function torch_logspace(start: number, end: number, steps: number, base = 10, options?: CreationOptions): Tensor {
  const { dtype, device, requires_grad } = checkOptions(options, CREATION_KEYS, 'torch_logspace');
  return created(LOGSPACE.call(checkFinite(start, 'start'), checkFinite(end, 'end'), checkNonNegativeInteger(steps, 'steps'), checkFinite(base, 'base'),
    optionalDtype(dtype), null, device === undefined ? currentDefaultDevice() : checkDevice(device), null), requires_grad);
}

function like(name: string): (self: Tensor, options?: CreationOptions) => Tensor {
  const op = atenOp(name);
  const where = `torch_${name}`;
  return (self, options) => {
    const { dtype, device, requires_grad } = checkOptions(options, CREATION_KEYS, where);
    return created(op.call(checkTensor(self, 'self'), optionalDtype(dtype), null, device === undefined ? null : checkDevice(device), null, null), requires_grad);
  };
}

/** Zeros of `self`'s shape, dtype and device. @example torch_zeros_like(x) */
export const torch_zeros_like = like('zeros_like');
/** Ones of `self`'s shape, dtype and device. */
export const torch_ones_like = like('ones_like');
/** Uninitialised memory of `self`'s shape, dtype and device. */
export const torch_empty_like = like('empty_like');
/** U(0, 1) samples of `self`'s shape (libtorch's generator). */
export const torch_rand_like = like('rand_like');
/** N(0, 1) samples of `self`'s shape (libtorch's generator). */
export const torch_randn_like = like('randn_like');

const RANDINT_LIKE = { high: atenOp('randint_like'), low: atenOp('randint_like', 'low_dtype') };
/**
 * Integers drawn uniformly from [low, high) in `self`'s shape, dtype and device; with one
 * bound, from [0, high), as PyTorch's `randint_like(x, high)`.
 *
 * @example torch_randint_like(x, 10); torch_randint_like(x, -5, 5, { dtype: 'int64' })
 */
export function torch_randint_like(self: Tensor, low: number, high?: number | CreationOptions, options?: CreationOptions): Tensor {
  checkTensor(self, 'self');
  if (typeof high === 'object' && high !== null) [high, options] = [undefined, high];
  const { dtype, device, requires_grad } = checkOptions(options, CREATION_KEYS, 'torch_randint_like');
  const rest = [optionalDtype(dtype), null, device === undefined ? null : checkDevice(device), null, null];
  if (high === undefined) return created(RANDINT_LIKE.high.call(self, checkInteger(low, 'high'), ...rest), requires_grad);
  return created(RANDINT_LIKE.low.call(self, checkInteger(low, 'low'), checkInteger(high, 'high'), ...rest), requires_grad);
}

const FULL_LIKE = atenOp('full_like');
/** `value` everywhere, in `self`'s shape, dtype and device. @example torch_full_like(x, -Infinity) */
export function torch_full_like(self: Tensor, value: number | boolean, options?: CreationOptions): Tensor {
  const { dtype, device, requires_grad } = checkOptions(options, CREATION_KEYS, 'torch_full_like');
  return created(FULL_LIKE.call(checkTensor(self, 'self'), checkScalar(value, 'value'), optionalDtype(dtype), null,
    device === undefined ? null : checkDevice(device), null, null), requires_grad);
}

// ---- shape ----

const REPEAT = atenOp('repeat');
const REPEAT_INTERLEAVE = { int: atenOp('repeat_interleave', 'self_int'), Tensor: atenOp('repeat_interleave', 'self_Tensor') };
const UNFLATTEN = atenOp('unflatten', 'int');
const UNBIND = atenOp('unbind', 'int');

/** Tiles `self` `repeats[i]` times along each dimension. @example torch_repeat(x, [2, 1]) */
export function torch_repeat(self: Tensor, repeats: number[]): Tensor {
  return REPEAT.call(checkTensor(self, 'self'), checkDims(repeats, 'repeats'));
}

/** Repeats each element `repeats` times (a number, or a count per element) along `dim` (the flattened tensor by default). @example torch_repeat_interleave(x, 2, 0) */
export function torch_repeat_interleave(self: Tensor, repeats: number | Tensor, dim?: number | null | { dim?: number | null }): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(dim, ONLY_DIM, 'torch_repeat_interleave');
  if (named !== null) ({ dim } = named);
  const axis = dim === undefined || dim === null ? null : checkInteger(dim, 'dim');
  if (repeats instanceof Tensor) return REPEAT_INTERLEAVE.Tensor.call(self, repeats, axis);
  return REPEAT_INTERLEAVE.int.call(self, checkNonNegativeInteger(repeats, 'repeats'), axis);
}

/** Splits dimension `dim` into `sizes` (-1 infers one). @example torch_unflatten(x, 1, [heads, -1]) */
export function torch_unflatten(self: Tensor, dim: number, sizes: number[]): Tensor {
  return UNFLATTEN.call(checkTensor(self, 'self'), checkInteger(dim, 'dim'), checkDims(sizes, 'sizes'));
}

/** The slices along `dim`, each without that dimension. @example const [x, y] = torch_unbind(points, 1) */
export function torch_unbind(self: Tensor, dim: number | { dim?: number } = 0): Tensor[] {
  const named = namedArguments(dim, ONLY_DIM, 'torch_unbind');
  if (named !== null) ({ dim = 0 } = named);
  return UNBIND.call<Tensor[]>(checkTensor(self, 'self'), checkInteger(dim, 'dim'));
}

// ---- sampling (libtorch's generator: torch_manual_seed reproduces PyTorch's draws) ----

const MULTINOMIAL = atenOp('multinomial');
type Drawn = { generator?: torch_Generator | null };
const MULTINOMIAL_KEYS = optionKeys<{ replacement?: boolean } & Drawn>({ replacement: true, generator: true });
/**
 * `num_samples` indices drawn with the (unnormalised) weights in each row of `self`, from
 * `generator` when given. @example torch_multinomial(probs, 1); torch_multinomial(probs, 2, { replacement: true, generator: g })
 */
export function torch_multinomial(self: Tensor, num_samples: number, options?: { replacement?: boolean } & Drawn): Tensor {
  const { replacement = false, generator } = checkOptions(options, MULTINOMIAL_KEYS, 'torch_multinomial');
  return MULTINOMIAL.call(checkTensor(self, 'self'), checkPositiveInteger(num_samples, 'num_samples'), checkBoolean(replacement, 'replacement'), generatorOf(generator));
}

const BERNOULLI = { self: atenOp('bernoulli'), p: atenOp('bernoulli', 'p') };
const BERNOULLI_NAMES = optionKeys<{ p?: number } & Drawn>({ p: true, generator: true });
/**
 * 1 with probability `p` (or each element's own probability when `p` is omitted), else 0;
 * from `generator` when given (R's `torch_bernoulli(self, p, generator)`).
 * @example torch_bernoulli(torch_full([3], 0.5)); torch_bernoulli(x, { p: 0.3, generator: g })
 */
export function torch_bernoulli(self: Tensor, p?: number | ({ p?: number } & Drawn), generator: torch_Generator | null = null): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(p, BERNOULLI_NAMES, 'torch_bernoulli');
  if (named !== null) ({ p, generator = null } = named);
  const drawFrom = generatorOf(generator);
  if (p === undefined) return BERNOULLI.self.call(self, drawFrom);
  const probability = checkFinite(p as number, 'p');
  if (probability < 0 || probability > 1) fail('a probability in [0, 1]', 'p', p);
  return BERNOULLI.p.call(self, probability, drawFrom);
}

// ---- facts ----

const STRIDE = atenOp('stride', 'int');
/** The step in elements between neighbours along `dim`, or along every dimension. @example torch_ones(2, 3).stride() // [3, 1] */
export function torch_stride(self: Tensor, dim?: number): number | number[] {
  checkTensor(self, 'self');
  if (dim !== undefined) return STRIDE.call<number>(self, checkInteger(dim, 'dim'));
  return Array.from({ length: self.dim() }, (_, i) => STRIDE.call<number>(self, i));
}

/** Whether the elements lie in row-major order without gaps. @example x.t().is_contiguous() // false */
export function torch_is_contiguous(self: Tensor): boolean {
  return native.isContiguous(checkTensor(self, 'self').h);
}

const ELEMENT_SIZES: Record<DType, number> = {
  uint8: 1, int8: 1, bool: 1, int16: 2, float16: 2, bfloat16: 2, int32: 4, float32: 4, int64: 8, float64: 8, complex64: 8, complex128: 16,
};
/** Bytes per element. @example torch_zeros(2).element_size() // 4 */
export function torch_element_size(self: Tensor): number {
  return ELEMENT_SIZES[checkTensor(self, 'self').dtype];
}

/** Whether the dtype is a floating-point one. @example torch_arange(3).is_floating_point() // false */
export function torch_is_floating_point(self: Tensor): boolean {
  return isFloatingDtype(checkTensor(self, 'self').dtype);
}



