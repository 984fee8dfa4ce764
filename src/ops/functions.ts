// R torch's functional forms (`torch_matmul(x, y)`), each the same as the Tensor method.
import { atenOp } from './aten.js';
import { native } from '../core/native.js';
import { checkOperand, checkTensor, idOrScalar, tensorFrom, type Tensor, type TensorOrScalar } from './tensor.js';
import { checkInteger, checkNumber, fail, namedArguments } from '../core/validate.js';

const BADDBMM = atenOp('baddbmm');
const RSUB = atenOp('rsub', 'Scalar');
const CAT = atenOp('cat');
const STACK = atenOp('stack');

function tensors(values: unknown, name: string): Tensor[] {
  if (!Array.isArray(values) || values.length === 0) fail('a non-empty array of Tensors', name, values);
  return values.map((value, i) => checkTensor(value, `${name}[${i}]`));
}

/** Matrix product. @example torch_matmul(X, thetas) */
export function torch_matmul(self: Tensor, other: Tensor): Tensor { return checkTensor(self, 'self').matmul(other); }

/**
 * `beta * self + alpha * (batch1 @ batch2)` for batches of matrices (b x n x m and b x m x p;
 * `self` broadcasts to b x n x p), in one kernel, which rounds differently from matmul then add.
 *
 * @example torch_baddbmm(mask, q, k.transpose(1, 2))
 */
export function torch_baddbmm(self: Tensor, batch1: Tensor, batch2: Tensor, beta: number | { beta?: number; alpha?: number } = 1, alpha = 1): Tensor {
  const named = namedArguments(beta, new Set(['beta', 'alpha']), 'torch_baddbmm');
  if (named !== null) ({ beta = 1, alpha = 1 } = named);
  return BADDBMM.call(checkTensor(self, 'self'), checkTensor(batch1, 'batch1'), checkTensor(batch2, 'batch2'), checkNumber(beta, 'beta'), checkNumber(alpha, 'alpha'));
}

/** `self + alpha * other`; either side may be a number. @example torch_add(x, 1) */
export function torch_add(self: TensorOrScalar, other: TensorOrScalar, alpha?: number): Tensor {
  if (typeof checkOperand(self, 'self') !== 'object') {
    const tensor = checkTensor(other, 'other');
    if (alpha === undefined) return tensor.add(self as number);
    return tensorFrom(native.raddAlpha(tensor.h, self as number, checkNumber(alpha, 'alpha')));
  }
  return (self as Tensor).add(other, alpha);
}

/** `self - alpha * other`; either side may be a number. @example torch_sub(1, p) */
export function torch_sub(self: TensorOrScalar, other: TensorOrScalar, alpha?: number): Tensor {
  if (typeof checkOperand(self, 'self') !== 'object') {
    const tensor = checkTensor(other, 'other');
    return RSUB.call(tensor, self, alpha === undefined ? undefined : checkNumber(alpha, 'alpha'));
  }
  return (self as Tensor).sub(other, alpha);
}

/** Elementwise product; either side may be a number. @example torch_mul(2, x) */
export function torch_mul(self: TensorOrScalar, other: TensorOrScalar): Tensor {
  if (typeof checkOperand(self, 'self') !== 'object') return checkTensor(other, 'other').mul(self);
  return (self as Tensor).mul(other);
}

/** Elementwise true division, rounded once; either side may be a number. @example torch_div(x, 2); torch_div(1, x) */
export function torch_div(self: TensorOrScalar, other: TensorOrScalar): Tensor {
  if (typeof checkOperand(self, 'self') !== 'object') {
    return tensorFrom(native.rdiv(checkTensor(other, 'other').h, self as number | boolean));
  }
  return (self as Tensor).div(other);
}

const POW_SCALAR_BASE = atenOp('pow', 'Scalar');

/** Elementwise power; the base may be a number (`torch_pow(2, x)` is 2^x). @example torch_pow(x, 2); torch_pow(2, x) */
export function torch_pow(self: TensorOrScalar, exponent: TensorOrScalar): Tensor {
  if (typeof checkOperand(self, 'self') !== 'object') return POW_SCALAR_BASE.call(self, checkTensor(exponent, 'exponent'));
  return (self as Tensor).pow(exponent);
}
/** Limits values to [min, max]. @example torch_clamp(x, 0, 1) */
export function torch_clamp(self: Tensor, ...args: Parameters<Tensor['clamp']>): Tensor { return checkTensor(self, 'self').clamp(...args); }

/** Joins tensors along an existing dimension. @example torch_cat([a, b], 0) */
export function torch_cat(values: Tensor[], dim: number | { dim?: number } = 0): Tensor {
  const named = namedArguments(dim, new Set(['dim']), 'torch_cat');
  if (named !== null) ({ dim = 0 } = named);
  const list = tensors(values, 'tensors');
  return CAT.call(list, checkInteger(dim, 'dim'));
}

/** Joins tensors along a new dimension. @example torch_stack([a, b], 1) */
export function torch_stack(values: Tensor[], dim: number | { dim?: number } = 0): Tensor {
  const named = namedArguments(dim, new Set(['dim']), 'torch_stack');
  if (named !== null) ({ dim = 0 } = named);
  const list = tensors(values, 'tensors');
  return STACK.call(list, checkInteger(dim, 'dim'));
}

/** `condition ? self : other`, elementwise; either value may be a number. @example torch_where(x.gt(0), x, 0) */
export function torch_where(condition: Tensor, self: TensorOrScalar, other: TensorOrScalar): Tensor {
  checkTensor(condition, 'condition');
  return tensorFrom(native.where(condition.h, idOrScalar(checkOperand(self, 'self')), idOrScalar(checkOperand(other, 'other'))));
}

/** Whether all elements are close. @example torch_allclose(a, b) */
export function torch_allclose(self: Tensor, other: Tensor, rtol: Parameters<Tensor['allclose']>[1] = 1e-5, atol = 1e-8, equal_nan = false): boolean {
  return checkTensor(self, 'self').allclose(other, rtol, atol, equal_nan);
}

/** Same shape and exactly equal values. */
export function torch_equal(self: Tensor, other: Tensor): boolean { return checkTensor(self, 'self').equal(other); }

// ---- the functional forms of the other Tensor methods, as R torch has them ----

/** Elementwise and; `other` may be a number. */
export function torch_logical_and(self: Tensor, other: TensorOrScalar): Tensor { return checkTensor(self, 'self').logical_and(other); }
/** Elementwise or; `other` may be a number. */
export function torch_logical_or(self: Tensor, other: TensorOrScalar): Tensor { return checkTensor(self, 'self').logical_or(other); }
/** `torch_index_put_(x, items, value)` is `x.index_put_(items, value)`: in place, returns x. */
export function torch_index_put_(self: Tensor, ...args: Parameters<Tensor['index_put_']>): Tensor { return checkTensor(self, 'self').index_put_(...args); }
/** A copy of `self` with `x[items] = value` done to it. @example torch_index_put(x, [0], 1) */
export function torch_index_put(self: Tensor, ...args: Parameters<Tensor['index_put_']>): Tensor { return checkTensor(self, 'self').clone().index_put_(...args); }
/** The number of elements. */
export function torch_numel(self: Tensor): number { return checkTensor(self, 'self').numel(); }
