// Reductions: sums, means, norms, extremes and their indices, over every element or along
// dimensions given positionally or by R's names (`x.sum({ dim: 1, keepdim: true })`).
import { operator, type Op } from '../core/dispatch.js';
import { dtypeCode, type DTypeLike } from '../core/dtype.js';
import { native, type TensorId } from '../core/native.js';
import { checkBoolean, checkDims, checkInteger, checkNumber, checkOptions, namedArguments, optionKeys } from '../core/validate.js';
import { checkTensor, opResult, optionalDim, tensorFrom, type Tensor } from './tensor.js';

const SUM = { all: operator('sum'), dim: operator('sum', 'dim_IntList') };
const MEAN = { all: operator('mean'), dim: operator('mean', 'dim') };
const NORM = operator('norm', 'ScalarOpt_dim');
const MAX = { all: operator('max'), dim: operator('max', 'dim') };
const MIN = { all: operator('min'), dim: operator('min', 'dim') };
const ARGMAX = operator('argmax');
const ARGMIN = operator('argmin');

/** R's named form of `dim` and `keepdim`: `x.max({ dim: 1 })`. */
export interface DimOptions {
  dim: number;
  keepdim?: boolean;
}
const DIM_KEYS = optionKeys<DimOptions>({ dim: true, keepdim: true });

/** R's named arguments for reductions: `x.sum({ dim: 1, keepdim: true })`. */
export interface ReduceOptions {
  dim?: number | number[] | null;
  keepdim?: boolean;
  dtype?: DTypeLike;
}
const REDUCE_NAMED_KEYS = optionKeys<ReduceOptions>({ dim: true, keepdim: true, dtype: true });
const REDUCE_KEYS = optionKeys<{ dtype?: DTypeLike }>({ dtype: true });
const NORM_KEYS = optionKeys<{ p?: number; dim?: number | number[] | null; keepdim?: boolean }>({ p: true, dim: true, keepdim: true });
const ARG_KEYS = optionKeys<{ dim?: number | null; keepdim?: boolean }>({ dim: true, keepdim: true });

function reduce(self: Tensor, op: { all: Op; dim: Op }, name: string, dim: number | number[] | null | undefined, keepdim: boolean, options: { dtype?: DTypeLike } | undefined): Tensor {
  const { dtype: given } = checkOptions(options, REDUCE_KEYS, name);
  const dims = dim === undefined || dim === null ? null : checkDims(typeof dim === 'number' ? [dim] : dim, 'dim');
  const dtype = given === undefined ? null : dtypeCode(given);
  checkBoolean(keepdim, 'keepdim');
  return dims === null ? opResult(op.all, self.h, dtype) : opResult(op.dim, self.h, dims, keepdim, dtype);
}

// (dim, keepdim) given positionally or as R's named arguments.
function dimArguments(dim: number | DimOptions, keepdim: boolean, where: string): [number, boolean] {
  const named = namedArguments(dim, DIM_KEYS, where);
  return named === null ? [dim as number, keepdim] : [named.dim, named.keepdim ?? false];
}

function dimReduce(self: Tensor, op: Op, dim: number, keepdim: boolean): [Tensor, Tensor] {
  const [values, indices] = native.callOp(op.id, self.h, checkInteger(dim, 'dim'), checkBoolean(keepdim, 'keepdim')) as [TensorId, TensorId];
  return [tensorFrom(values), tensorFrom(indices)];
}

/** Sum of all elements, or along `dim` (a number or an array). @example torch_sum(x); x.sum(0, true); x.sum({ dim: 1 }) */
export function torch_sum(self: Tensor, dim?: number | number[] | null | ReduceOptions, keepdim = false, options?: { dtype?: DTypeLike }): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(dim, REDUCE_NAMED_KEYS, 'sum');
  if (named !== null) return reduce(self, SUM, 'sum', named.dim, named.keepdim ?? false, named.dtype === undefined ? undefined : { dtype: named.dtype });
  return reduce(self, SUM, 'sum', dim as number | number[] | null | undefined, keepdim, options);
}

/** Mean of all elements, or along `dim`. @example x.mean(); x.mean([0, 1]) */
export function torch_mean(self: Tensor, dim?: number | number[] | null | ReduceOptions, keepdim = false, options?: { dtype?: DTypeLike }): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(dim, REDUCE_NAMED_KEYS, 'mean');
  if (named !== null) return reduce(self, MEAN, 'mean', named.dim, named.keepdim ?? false, named.dtype === undefined ? undefined : { dtype: named.dtype });
  return reduce(self, MEAN, 'mean', dim as number | number[] | null | undefined, keepdim, options);
}

/**
 * The p-norm of all elements, or along `dim` (`torch.norm(x, p, dim, keepdim)` with a number
 * `p`; `Infinity` for the largest absolute value). @example torch_norm(g, 2); x.norm(1, -1, true)
 */
export function torch_norm(self: Tensor, p: number | { p?: number; dim?: number | number[] | null; keepdim?: boolean } = 2, dim?: number | number[] | null, keepdim = false): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(p, NORM_KEYS, 'norm');
  if (named !== null) ({ p = 2, dim, keepdim = false } = named);
  checkNumber(p, 'p');
  // torch.norm(x, p, dim=None) is _VF.norm over every dimension.
  const dims = dim === undefined || dim === null ? Array.from({ length: self.dim() }, (_, i) => i) : checkDims(typeof dim === 'number' ? [dim] : dim, 'dim');
  return opResult(NORM, self.h, p, dims, checkBoolean(keepdim, 'keepdim'));
}

/** The largest element, or `[values, indices]` along `dim`. @example x.max(); const [v, i] = torch_max(x, 1) */
export function torch_max(self: Tensor): Tensor;
export function torch_max(self: Tensor, dim: number | DimOptions, keepdim?: boolean): [Tensor, Tensor];
export function torch_max(self: Tensor, dim?: number | DimOptions, keepdim = false): Tensor | [Tensor, Tensor] {
  checkTensor(self, 'self');
  if (dim === undefined) return opResult(MAX.all, self.h);
  const [axis, keep] = dimArguments(dim, keepdim, 'max');
  return dimReduce(self, MAX.dim, axis, keep);
}

/** The smallest element, or `[values, indices]` along `dim`. @example x.min(); const [v, i] = x.min(0) */
export function torch_min(self: Tensor): Tensor;
export function torch_min(self: Tensor, dim: number | DimOptions, keepdim?: boolean): [Tensor, Tensor];
export function torch_min(self: Tensor, dim?: number | DimOptions, keepdim = false): Tensor | [Tensor, Tensor] {
  checkTensor(self, 'self');
  if (dim === undefined) return opResult(MIN.all, self.h);
  const [axis, keep] = dimArguments(dim, keepdim, 'min');
  return dimReduce(self, MIN.dim, axis, keep);
}

// argmax/argmin's dim and keepdim: positional, all named (`{ dim, keepdim }`), or a dim then
// `{ keepdim }`, as R and PyTorch users write them.
function argArguments(dim: unknown, keepdim: unknown, where: string): [number | null, boolean] {
  const named = namedArguments(dim, ARG_KEYS, where);
  if (named !== null) return [optionalDim(named.dim), checkBoolean(named.keepdim ?? false, 'keepdim')];
  const keep = namedArguments(keepdim, new Set(['keepdim']), where);
  return [optionalDim(dim), checkBoolean(keep !== null ? keep.keepdim ?? false : keepdim, 'keepdim')];
}

/** Index of the largest element (of the flattened tensor when `dim` is omitted). @example logits.argmax(-1); x.argmax(-1, { keepdim: true }) */
export function torch_argmax(self: Tensor, dim?: number | null | { dim?: number | null; keepdim?: boolean }, keepdim: boolean | { keepdim?: boolean } = false): Tensor {
  checkTensor(self, 'self');
  return opResult(ARGMAX, self.h, ...argArguments(dim, keepdim, 'argmax'));
}

/** Index of the smallest element. @example x.argmin(0) */
export function torch_argmin(self: Tensor, dim?: number | null | { dim?: number | null; keepdim?: boolean }, keepdim: boolean | { keepdim?: boolean } = false): Tensor {
  checkTensor(self, 'self');
  return opResult(ARGMIN, self.h, ...argArguments(dim, keepdim, 'argmin'));
}
