// Selection and indexing: picking, scattering, masking, splitting, sorting. Each op is a
// `torch_*` function over libtorch's operator (src/core/dispatch.ts), and the same name as a Tensor
// method. Dimensions and indices are 0-based, as in PyTorch (R torch counts from 1).
import { atenOp } from './aten.js';
import { checkOperand, checkTensor, type Tensor, type TensorOrScalar } from './tensor.js';
import { checkBoolean, checkDims, checkInteger, checkNonNegativeInteger, checkOptions, checkPositiveInteger, namedArguments, optionKeys } from '../core/validate.js';

const GATHER = atenOp('gather');
const SCATTER = { src: atenOp('scatter', 'src'), value: atenOp('scatter', 'value') };
const SCATTER_ = { src: atenOp('scatter_', 'src'), value: atenOp('scatter_', 'value') };
const SCATTER_ADD = atenOp('scatter_add');
const SCATTER_ADD_ = atenOp('scatter_add_');
const MASKED_FILL = { Scalar: atenOp('masked_fill', 'Scalar'), Tensor: atenOp('masked_fill', 'Tensor') };
const MASKED_FILL_ = { Scalar: atenOp('masked_fill_', 'Scalar'), Tensor: atenOp('masked_fill_', 'Tensor') };
const NONZERO = atenOp('nonzero');
const NONZERO_NUMPY = atenOp('nonzero_numpy');
const NARROW = atenOp('narrow');
const CHUNK = atenOp('chunk');
const SPLIT = atenOp('split', 'Tensor');
const SPLIT_WITH_SIZES = atenOp('split_with_sizes');
const FLIP = atenOp('flip');
const ROLL = atenOp('roll');
const TRIL = atenOp('tril');
const TRIU = atenOp('triu');
const TRIL_ = atenOp('tril_');
const TRIU_ = atenOp('triu_');
const TOPK = atenOp('topk');
const SORT = atenOp('sort', 'stable');
const ARGSORT = atenOp('argsort');
const UNIQUE = atenOp('_unique2');

const ONLY_DIM = new Set(['dim']);

function diagonalOf(diagonal: number | { diagonal?: number }, where: string): number {
  const named = namedArguments(diagonal, new Set(['diagonal']), where);
  return named === null ? diagonal as number : (named.diagonal ?? 0);
}

function dimension(dim: unknown, name = 'dim'): number {
  return checkInteger(dim, name);
}

function indexTensor(index: unknown, name = 'index'): Tensor {
  return checkTensor(index, name);
}

/** `out[i][j] = self[index[i][j]][j]` for dim 0, and so on (PyTorch's gather). @example torch_gather(probs, 1, targets.unsqueeze(1)) */
export function torch_gather(self: Tensor, dim: number, index: Tensor): Tensor {
  return GATHER.call(checkTensor(self, 'self'), dimension(dim), indexTensor(index));
}

/** A copy of `self` with `src` (a tensor or a number) written at `index` along `dim`. @example torch_scatter(torch_zeros(3, 4), 1, idx, 1) */
export function torch_scatter(self: Tensor, dim: number, index: Tensor, src: TensorOrScalar): Tensor {
  const value = checkOperand(src, 'src');
  return (typeof value === 'object' ? SCATTER.src : SCATTER.value).call(checkTensor(self, 'self'), dimension(dim), indexTensor(index), value);
}

/** `torch_scatter` in place; returns `self`. @example counts.scatter_(0, idx, 1) */
export function torch_scatter_(self: Tensor, dim: number, index: Tensor, src: TensorOrScalar): Tensor {
  const value = checkOperand(src, 'src');
  (typeof value === 'object' ? SCATTER_.src : SCATTER_.value).callInPlace(checkTensor(self, 'self'), dimension(dim), indexTensor(index), value);
  return self;
}

/** A copy of `self` with `src` added at `index` along `dim` (repeated indices add up). @example torch_scatter_add(torch_zeros(5), 0, idx, ones) */
export function torch_scatter_add(self: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return SCATTER_ADD.call(checkTensor(self, 'self'), dimension(dim), indexTensor(index), checkTensor(src, 'src'));
}

/** `torch_scatter_add` in place; returns `self`. */
export function torch_scatter_add_(self: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  SCATTER_ADD_.callInPlace(checkTensor(self, 'self'), dimension(dim), indexTensor(index), checkTensor(src, 'src'));
  return self;
}

/** A copy of `self` with `value` where the bool `mask` is true. @example torch_masked_fill(scores, causal, -Infinity) */
export function torch_masked_fill(self: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  const fill = checkOperand(value, 'value');
  return (typeof fill === 'object' ? MASKED_FILL.Tensor : MASKED_FILL.Scalar).call(checkTensor(self, 'self'), checkTensor(mask, 'mask'), fill);
}

/** `torch_masked_fill` in place; returns `self`. */
export function torch_masked_fill_(self: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  const fill = checkOperand(value, 'value');
  (typeof fill === 'object' ? MASKED_FILL_.Tensor : MASKED_FILL_.Scalar).callInPlace(checkTensor(self, 'self'), checkTensor(mask, 'mask'), fill);
  return self;
}

const NONZERO_KEYS = optionKeys<{ as_tuple?: boolean }>({ as_tuple: true });

/**
 * Indices of the non-zero elements: an n x ndim int64 tensor, or with `as_tuple` one index
 * tensor per dimension (ready for `index()`).
 *
 * @example torch_nonzero(x.gt(0)); torch_nonzero(mask, { as_tuple: true })
 */
export function torch_nonzero(self: Tensor): Tensor;
export function torch_nonzero(self: Tensor, options: { as_tuple: true }): Tensor[];
export function torch_nonzero(self: Tensor, options?: { as_tuple?: boolean }): Tensor | Tensor[];
export function torch_nonzero(self: Tensor, options?: { as_tuple?: boolean }): Tensor | Tensor[] {
  const { as_tuple = false } = checkOptions(options, NONZERO_KEYS, 'torch_nonzero');
  checkTensor(self, 'self');
  return checkBoolean(as_tuple, 'as_tuple') ? NONZERO_NUMPY.call<Tensor[]>(self) : NONZERO.call(self);
}

/** `length` elements of `dim` from `start`, as a view. @example torch_narrow(x, 1, 2, 3) // x[:, 2:5] */
export function torch_narrow(self: Tensor, dim: number, start: number, length: number): Tensor {
  return NARROW.call(checkTensor(self, 'self'), dimension(dim), checkInteger(start, 'start'), checkNonNegativeInteger(length, 'length'));
}

/** `chunks` views of (nearly) equal size along `dim`. @example const [q, k, v] = torch_chunk(qkv, 3, -1) */
export function torch_chunk(self: Tensor, chunks: number, dim: number | { dim?: number } = 0): Tensor[] {
  const named = namedArguments(dim, ONLY_DIM, 'torch_chunk');
  if (named !== null) ({ dim = 0 } = named);
  return CHUNK.call<Tensor[]>(checkTensor(self, 'self'), checkPositiveInteger(chunks, 'chunks'), dimension(dim));
}

/**
 * Views along `dim`: of `split_size` elements each (the last may be smaller), or of the
 * sizes listed. @example torch_split(x, 2); torch_split(x, [1, 3], 1)
 */
export function torch_split(self: Tensor, split_size: number | number[], dim: number | { dim?: number } = 0): Tensor[] {
  checkTensor(self, 'self');
  const named = namedArguments(dim, ONLY_DIM, 'torch_split');
  if (named !== null) ({ dim = 0 } = named);
  if (Array.isArray(split_size)) return SPLIT_WITH_SIZES.call<Tensor[]>(self, checkDims(split_size, 'split_size'), dimension(dim));
  return SPLIT.call<Tensor[]>(self, checkPositiveInteger(split_size, 'split_size'), dimension(dim));
}

/** Reverses the order along each of `dims`. @example torch_flip(x, [0]) */
export function torch_flip(self: Tensor, dims: number | number[]): Tensor {
  return FLIP.call(checkTensor(self, 'self'), checkDims(typeof dims === 'number' ? [dims] : dims, 'dims'));
}

/** Rolls elements by `shifts` along `dims` (the flattened tensor when `dims` is omitted). @example torch_roll(x, 1, 0) */
export function torch_roll(self: Tensor, shifts: number | number[], dims: number | number[] | { dims?: number | number[] } = []): Tensor {
  const named = namedArguments(dims, new Set(['dims']), 'torch_roll');
  if (named !== null) ({ dims = [] } = named);
  const list = (value: number | number[], name: string): number[] => checkDims(typeof value === 'number' ? [value] : value, name);
  return ROLL.call(checkTensor(self, 'self'), list(shifts, 'shifts'), list(dims as number | number[], 'dims'));
}

/** The lower triangle (on and below diagonal `diagonal`), the rest zero. @example torch_tril(torch_ones(4, 4)) // a causal mask */
export function torch_tril(self: Tensor, diagonal: number | { diagonal?: number } = 0): Tensor {
  return TRIL.call(checkTensor(self, 'self'), checkInteger(diagonalOf(diagonal, 'torch_tril'), 'diagonal'));
}

/** The upper triangle (on and above diagonal `diagonal`), the rest zero. @example torch_triu(scores, 1) */
export function torch_triu(self: Tensor, diagonal: number | { diagonal?: number } = 0): Tensor {
  return TRIU.call(checkTensor(self, 'self'), checkInteger(diagonalOf(diagonal, 'torch_triu'), 'diagonal'));
}

/** `torch_tril` in place; returns `self`. */
export function torch_tril_(self: Tensor, diagonal: number | { diagonal?: number } = 0): Tensor {
  TRIL_.callInPlace(checkTensor(self, 'self'), checkInteger(diagonalOf(diagonal, 'torch_tril_'), 'diagonal'));
  return self;
}

/** `torch_triu` in place; returns `self`. */
export function torch_triu_(self: Tensor, diagonal: number | { diagonal?: number } = 0): Tensor {
  TRIU_.callInPlace(checkTensor(self, 'self'), checkInteger(diagonalOf(diagonal, 'torch_triu_'), 'diagonal'));
  return self;
}

export interface TopkOptions {
  dim?: number;
  /** The largest (default) or the smallest. */
  largest?: boolean;
  /** In sorted order (default). */
  sorted?: boolean;
}
const TOPK_KEYS = optionKeys<TopkOptions>({ dim: true, largest: true, sorted: true });

/** The `k` largest values along `dim` (the last by default) and their indices. @example const [values, indices] = torch_topk(logits, 5) */
export function torch_topk(self: Tensor, k: number, options?: TopkOptions): [Tensor, Tensor] {
  const { dim = -1, largest = true, sorted = true } = checkOptions(options, TOPK_KEYS, 'torch_topk');
  return TOPK.call<[Tensor, Tensor]>(checkTensor(self, 'self'), checkNonNegativeInteger(k, 'k'), dimension(dim),
    checkBoolean(largest, 'largest'), checkBoolean(sorted, 'sorted'));
}

export interface SortOptions {
  dim?: number;
  descending?: boolean;
  /** Keep the order of equal values. */
  stable?: boolean;
}
const SORT_KEYS = optionKeys<SortOptions>({ dim: true, descending: true, stable: true });

/** Sorted values along `dim` (the last by default) and the indices they came from. @example const [sorted, order] = torch_sort(x, { descending: true }) */
export function torch_sort(self: Tensor, options?: SortOptions): [Tensor, Tensor] {
  const { dim = -1, descending = false, stable = false } = checkOptions(options, SORT_KEYS, 'torch_sort');
  return SORT.call<[Tensor, Tensor]>(checkTensor(self, 'self'), checkBoolean(stable, 'stable'), dimension(dim), checkBoolean(descending, 'descending'));
}

const ARGSORT_KEYS = optionKeys<Omit<SortOptions, 'stable'>>({ dim: true, descending: true });

/** The indices that sort `self` along `dim`. @example torch_argsort(scores, { descending: true }) */
export function torch_argsort(self: Tensor, options?: Omit<SortOptions, 'stable'>): Tensor {
  const { dim = -1, descending = false } = checkOptions(options, ARGSORT_KEYS, 'torch_argsort');
  return ARGSORT.call(checkTensor(self, 'self'), dimension(dim), checkBoolean(descending, 'descending'));
}

export interface UniqueOptions {
  /** Sorted ascending (default). */
  sorted?: boolean;
  /** Also return, for each element, the index of its value in the result. */
  return_inverse?: boolean;
  /** Also return how often each value occurs. */
  return_counts?: boolean;
}
const UNIQUE_KEYS = optionKeys<UniqueOptions>({ sorted: true, return_inverse: true, return_counts: true });

/**
 * The distinct values (of the flattened tensor); with `return_inverse` and/or
 * `return_counts`, an array `[values, inverse?, counts?]` as Python's tuple.
 *
 * @example torch_unique(labels); const [values, counts] = torch_unique(x, { return_counts: true })
 */
export function torch_unique(self: Tensor, options?: UniqueOptions): Tensor | Tensor[] {
  const { sorted = true, return_inverse = false, return_counts = false } = checkOptions(options, UNIQUE_KEYS, 'torch_unique');
  const [values, inverse, counts] = UNIQUE.call<[Tensor, Tensor, Tensor]>(checkTensor(self, 'self'), checkBoolean(sorted, 'sorted'),
    checkBoolean(return_inverse, 'return_inverse'), checkBoolean(return_counts, 'return_counts'));
  if (!return_inverse && !return_counts) {
    inverse.dispose();
    counts.dispose();
    return values;
  }
  const result = [values];
  if (return_inverse) result.push(inverse); else inverse.dispose();
  if (return_counts) result.push(counts); else counts.dispose();
  return result;
}


