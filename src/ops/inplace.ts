// The in-place forms of arithmetic and the fills: each changes `self` and returns it. Their
// Tensor methods (`w.add_(delta)`) are op-table entries over these functions.
import { operator, tensorOrScalar, type Op } from '../core/dispatch.js';
import { native } from '../core/native.js';
import { checkFinite, checkNumber, checkScalar, namedArguments, optionKeys } from '../core/validate.js';
import { generatorOf, type torch_Generator } from './random.js';
import { alphaOf, CLAMP_KEYS, checkOperand, checkTensor, type Tensor, type TensorOrScalar } from './tensor.js';

const ADD_ = tensorOrScalar('add_');
const SUB_ = tensorOrScalar('sub_');
const MUL_ = tensorOrScalar('mul_');
const DIV_ = tensorOrScalar('div_');
const POW_ = tensorOrScalar('pow_');
const CLAMP_ = operator('clamp_');
const ZERO_ = operator('zero_');
const FILL_ = operator('fill_', 'Scalar');
const COPY_ = operator('copy_');
const NORMAL_ = operator('normal_');
const UNIFORM_ = operator('uniform_');
type Drawn = { generator?: torch_Generator | null };
const NORMAL_KEYS = optionKeys<{ mean?: number; std?: number } & Drawn>({ mean: true, std: true, generator: true });
const UNIFORM_KEYS = optionKeys<{ from?: number; to?: number } & Drawn>({ from: true, to: true, generator: true });

function inPlace(self: Tensor, op: { Tensor: Op; Scalar: Op }, other: TensorOrScalar, ...rest: unknown[]): Tensor {
  if (typeof other === 'object') native.callOpInPlace(op.Tensor.id, self.h, other.h, ...rest);
  else native.callOpInPlace(op.Scalar.id, self.h, other, ...rest);
  return self;
}

/** `self += alpha * other`; returns `self`. @example w.add_(delta) */
export function torch_add_(self: Tensor, other: TensorOrScalar, alpha?: number | { alpha?: number }): Tensor {
  checkTensor(self, 'self');
  checkOperand(other, 'other');
  alpha = alphaOf(alpha, 'add_');
  if (alpha !== undefined) checkNumber(alpha, 'alpha');
  return inPlace(self, ADD_, other, alpha);
}

/** `self -= alpha * other`; returns `self`. @example w.sub_(grad, lr) */
export function torch_sub_(self: Tensor, other: TensorOrScalar, alpha?: number | { alpha?: number }): Tensor {
  checkTensor(self, 'self');
  checkOperand(other, 'other');
  alpha = alphaOf(alpha, 'sub_');
  if (alpha !== undefined) checkNumber(alpha, 'alpha');
  return inPlace(self, SUB_, other, alpha);
}

/** `self *= other`; returns `self`. */
export function torch_mul_(self: Tensor, other: TensorOrScalar): Tensor { return inPlace(checkTensor(self, 'self'), MUL_, checkOperand(other, 'other')); }
/** `self /= other`; returns `self`. */
export function torch_div_(self: Tensor, other: TensorOrScalar): Tensor { return inPlace(checkTensor(self, 'self'), DIV_, checkOperand(other, 'other')); }
/** `self **= exponent`; returns `self`. */
export function torch_pow_(self: Tensor, exponent: TensorOrScalar): Tensor { return inPlace(checkTensor(self, 'self'), POW_, checkOperand(exponent, 'exponent')); }

/** Fills `self` with zeros; returns it. */
export function torch_zero_(self: Tensor): Tensor {
  native.callOpInPlace(ZERO_.id, checkTensor(self, 'self').h);
  return self;
}

/** Fills `self` with `value`; returns it. @example x.fill_(1) */
export function torch_fill_(self: Tensor, value: number | boolean): Tensor {
  native.callOpInPlace(FILL_.id, checkTensor(self, 'self').h, checkScalar(value, 'value'));
  return self;
}

/** Copies `source`'s values into `self` (broadcasting); returns `self`. @example w.copy_(saved) */
export function torch_copy_(self: Tensor, source: Tensor): Tensor {
  native.callOpInPlace(COPY_.id, checkTensor(self, 'self').h, checkTensor(source, 'source').h);
  return self;
}

/**
 * Fills `self` with samples of N(mean, std²) from libtorch's default generator, or from
 * `generator` (a torch_generator()). @example w.normal_(0, 0.02); w.normal_({ std: 0.02, generator: g })
 */
export function torch_normal_(self: Tensor, mean: number | ({ mean?: number; std?: number } & Drawn) = 0, std = 1, generator: torch_Generator | null = null): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(mean, NORMAL_KEYS, 'normal_');
  if (named !== null) ({ mean = 0, std = 1, generator = null } = named);
  checkFinite(mean, 'mean');
  if (checkFinite(std, 'std') < 0) throw new RangeError(`Expected a non-negative std for normal_ but received ${std}`);
  native.callOpInPlace(NORMAL_.id, self.h, mean, std, generatorOf(generator));
  return self;
}

/** Fills `self` with samples of U(from, to), from `generator` when given. @example w.uniform_(-0.1, 0.1); w.uniform_({ from: -1, to: 1, generator: g }) */
export function torch_uniform_(self: Tensor, from: number | ({ from?: number; to?: number } & Drawn) = 0, to = 1, generator: torch_Generator | null = null): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(from, UNIFORM_KEYS, 'uniform_');
  if (named !== null) ({ from = 0, to = 1, generator = null } = named);
  const low = checkFinite(from, 'from');
  if (checkFinite(to, 'to') < low) throw new RangeError(`Expected to >= from for uniform_ but received from=${low}, to=${to}`);
  native.callOpInPlace(UNIFORM_.id, self.h, low, to, generatorOf(generator));
  return self;
}

/** Limits `self`'s values to [min, max] in place; either bound may be null. @example torch_clamp_(x, 0, 1) */
export function torch_clamp_(self: Tensor, min: number | null | { min?: number | null; max?: number | null } = null, max: number | null = null): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(min, CLAMP_KEYS, 'clamp_');
  if (named !== null) ({ min = null, max = null } = named);
  if (min !== null) checkNumber(min, 'min');
  if (max !== null) checkNumber(max, 'max');
  if (min === null && max === null) throw new TypeError('Expected at least one of min and max for clamp_ but received neither');
  native.callOpInPlace(CLAMP_.id, self.h, min, max);
  return self;
}
