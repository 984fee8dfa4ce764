// The linear algebra functions of the op table (src/ops/table/linalg.ts) written by hand: the
// norms, whose `ord` is a number or a string (two operators), the pseudoinverse, whose `rcond`
// R keeps as another name for `rtol`, and least squares, whose result R names. Each takes R's
// positional arguments, or all after `A` in one object of R's names.
import { dtypeCode, type DTypeLike } from '../core/dtype.js';
import { checkBoolean, checkDims, checkNumber, fail, namedArguments, optionKeys } from '../core/validate.js';
import { atenOp } from './aten.js';
import { checkString } from './checks.js';
import { checkTensor, type Tensor } from './tensor.js';

/** A norm's order: a number (Infinity and -Infinity too), or "fro" / "nuc" for matrix norms. */
export type NormOrd = number | 'fro' | 'nuc';

export interface NormOptions {
  ord?: NormOrd | null;
  dim?: number | number[] | null;
  keepdim?: boolean;
  dtype?: DTypeLike | null;
}
const NORM_KEYS = optionKeys<NormOptions>({ ord: true, dim: true, keepdim: true, dtype: true });

const optionalDtype = (dtype: DTypeLike | null | undefined): number | null => (dtype === undefined || dtype === null ? null : dtypeCode(dtype));
const optionalDims = (dim: number | number[] | null | undefined): number[] | null =>
  (dim === undefined || dim === null ? null : checkDims(typeof dim === 'number' ? [dim] : dim, 'dim'));

// A string order is "fro" or "nuc"; anything else a number.
function checkOrd(ord: unknown): NormOrd {
  if (typeof ord === 'string') return ord === 'fro' || ord === 'nuc' ? ord : fail('a number, "fro" or "nuc"', 'ord', ord);
  return checkNumber(ord, 'ord');
}

// R's positional arguments (ord, dim, keepdim, dtype), or all of them in one object.
function normArguments(ord: unknown, dim: unknown, keepdim: unknown, dtype: unknown, where: string): NormOptions {
  const named = namedArguments(ord, NORM_KEYS, where);
  if (named !== null) return named as NormOptions;
  return { ord: ord as NormOrd | null | undefined, dim: dim as number | number[] | null | undefined, keepdim: keepdim as boolean | undefined, dtype: dtype as DTypeLike | null | undefined };
}

const NORM = { number: atenOp('linalg_norm'), string: atenOp('linalg_norm', 'ord_str') };
/**
 * A vector norm (`dim` a number, or `ord` absent and `dim` absent: the 2-norm of the flattened
 * tensor) or a matrix norm (`dim` two numbers, or `A` 2-d with an `ord`), as R torch's and
 * PyTorch's `linalg_norm`. `ord` may be "fro" or "nuc" for matrix norms.
 *
 * @example linalg_norm(x); linalg_norm(A, 'nuc'); linalg_norm(x, { ord: 1, dim: -1 })
 */
export function linalg_norm(A: Tensor, ord?: NormOrd | null | NormOptions, dim?: number | number[] | null, keepdim?: boolean, dtype?: DTypeLike | null): Tensor {
  const options = normArguments(ord, dim, keepdim, dtype, 'linalg_norm');
  checkTensor(A, 'A');
  const order = options.ord === undefined || options.ord === null ? null : checkOrd(options.ord);
  const rest = [optionalDims(options.dim), checkBoolean(options.keepdim ?? false, 'keepdim'), optionalDtype(options.dtype)];
  return (typeof order === 'string' ? NORM.string : NORM.number).call(A, order, ...rest);
}

const VECTOR_NORM = atenOp('linalg_vector_norm');
/**
 * The vector norm of order `ord` (2 by default; Infinity, -Infinity and 0 too) of all elements,
 * or along `dim`, as R torch's and PyTorch's `linalg_vector_norm`.
 *
 * @example linalg_vector_norm(x); linalg_vector_norm(x, 1, -1); linalg_vector_norm(x, { ord: Infinity, dim: [0, 1] })
 */
export function linalg_vector_norm(A: Tensor, ord?: number | NormOptions, dim?: number | number[] | null, keepdim?: boolean, dtype?: DTypeLike | null): Tensor {
  const options = normArguments(ord, dim, keepdim, dtype, 'linalg_vector_norm');
  checkTensor(A, 'A');
  return VECTOR_NORM.call(A, checkNumber(options.ord ?? 2, 'ord'), optionalDims(options.dim), checkBoolean(options.keepdim ?? false, 'keepdim'), optionalDtype(options.dtype));
}

const MATRIX_NORM = { number: atenOp('linalg_matrix_norm'), string: atenOp('linalg_matrix_norm', 'str_ord') };
/**
 * The matrix norm of order `ord` ("fro" by default, "nuc", or 1, -1, 2, -2, Infinity, -Infinity)
 * over the two dimensions `dim` ([-2, -1] by default), the others batch dimensions.
 *
 * @example linalg_matrix_norm(A); linalg_matrix_norm(A, 'nuc'); linalg_matrix_norm(A, { ord: -1, dim: [0, 2] })
 */
export function linalg_matrix_norm(A: Tensor, ord?: NormOrd | NormOptions, dim?: number[], keepdim?: boolean, dtype?: DTypeLike | null): Tensor {
  const options = normArguments(ord, dim, keepdim, dtype, 'linalg_matrix_norm');
  checkTensor(A, 'A');
  const order = checkOrd(options.ord ?? 'fro');
  const dims = options.dim === undefined || options.dim === null ? [-2, -1] : checkDims(options.dim, 'dim');
  return (typeof order === 'string' ? MATRIX_NORM.string : MATRIX_NORM.number).call(A, order, dims, checkBoolean(options.keepdim ?? false, 'keepdim'), optionalDtype(options.dtype));
}

export interface PinvOptions {
  /** R's older name for `rtol`. */
  rcond?: number | null;
  hermitian?: boolean;
  atol?: number | null;
  rtol?: number | null;
}
const PINV_KEYS = optionKeys<PinvOptions>({ rcond: true, hermitian: true, atol: true, rtol: true });
const PINV = atenOp('linalg_pinv', 'atol_rtol_float');
/**
 * The Moore-Penrose pseudoinverse (of each matrix in a batch). Singular values at most
 * `max(atol, rtol * largest)` count as zero; with neither given, `rtol` is the dtype's epsilon
 * times `max(m, n)`, as PyTorch's. (R torch's `linalg_pinv(A)` passes `atol = rtol = 0`, no
 * cutoff: R's result is `linalg_pinv(A, { atol: 0, rtol: 0 })`.) `rcond` is R's older name for
 * `rtol`. `hermitian: true` uses only the lower triangle of a symmetric `A`.
 *
 * @example linalg_pinv(A); linalg_pinv(A, { rtol: 1e-3 }); linalg_pinv(A, { atol: 0, rtol: 0 }) // R's default
 */
export function linalg_pinv(A: Tensor, rcond?: number | null | PinvOptions, hermitian?: boolean, atol?: number | null, rtol?: number | null): Tensor {
  const named = namedArguments(rcond, PINV_KEYS, 'linalg_pinv') as PinvOptions | null;
  if (named !== null) ({ rcond, hermitian, atol, rtol } = named);
  checkTensor(A, 'A');
  const optional = (value: unknown, name: string): number | null => (value === undefined || value === null ? null : checkNumber(value, name));
  let relative = optional(rtol, 'rtol');
  const alias = optional(rcond, 'rcond');
  if (alias !== null) {
    if (relative !== null) throw new TypeError('Expected rcond or rtol for linalg_pinv but received both (rcond is another name for rtol)');
    relative = alias;
  }
  return PINV.call(A, optional(atol, 'atol'), relative, checkBoolean(hermitian ?? false, 'hermitian'));
}

/** linalg_lstsq's result, named as R torch names it (and PyTorch's named tuple). */
export interface LstsqResult {
  solution: Tensor;
  /** `|A X - B|^2` per column, when A is tall and of full rank (and the driver is not gelsy); else empty. */
  residuals: Tensor;
  /** The rank of A (drivers gelsy, gelsd, gelss); else empty. */
  rank: Tensor;
  /** A's singular values (drivers gelsd, gelss); else empty. */
  singular_values: Tensor;
}
const LSTSQ_KEYS = optionKeys<{ rcond?: number | null; driver?: string | null }>({ rcond: true, driver: true });
const LSTSQ = atenOp('linalg_lstsq');
/**
 * The least-squares solution `X` of `A X = B` (minimising `|A X - B|`), with what the LAPACK
 * `driver` computes besides ("gelsy" on the CPU by default, as in R and PyTorch; "gels",
 * "gelsd", "gelss"). `rcond` decides A's effective rank.
 *
 * @example const { solution } = linalg_lstsq(A, B); linalg_lstsq(A, B, { driver: 'gelsd' }).singular_values
 */
export function linalg_lstsq(A: Tensor, B: Tensor, rcond?: number | null | { rcond?: number | null; driver?: string | null }, options?: { driver?: string | null }): LstsqResult {
  const named = namedArguments(rcond, LSTSQ_KEYS, 'linalg_lstsq');
  let driver: string | null | undefined;
  if (named !== null) ({ rcond, driver } = named);
  else if (options !== undefined) {
    const given = namedArguments(options, new Set(['driver']), 'linalg_lstsq');
    if (given === null) fail('an options object', 'options', options);
    driver = given.driver as string | null | undefined;
  }
  checkTensor(A, 'A');
  checkTensor(B, 'B');
  const results = LSTSQ.call<Tensor[]>(A, B, rcond === undefined || rcond === null ? null : checkNumber(rcond, 'rcond'),
    driver === undefined || driver === null ? null : checkString(driver, 'driver'));
  const [solution, residuals, rank, singular_values] = results as [Tensor, Tensor, Tensor, Tensor];
  return { solution, residuals, rank, singular_values };
}

const CDIST = atenOp('cdist');
const CDIST_KEYS = optionKeys<{ p?: number; compute_mode?: string | null }>({ p: true, compute_mode: true });
// Python's names for the modes, as the operator's numbers (the first is the default, None).
const COMPUTE_MODES: Record<string, number | null> = { use_mm_for_euclid_dist_if_necessary: null, use_mm_for_euclid_dist: 1, donot_use_mm_for_euclid_dist: 2 };
/**
 * The `p`-norm distance between each row of `x1` (…, P, M) and each row of `x2` (…, R, M): a
 * (…, P, R) tensor. For p = 2, `compute_mode` says whether to compute through a matrix product
 * ("use_mm_for_euclid_dist_if_necessary", the default: when P or R exceeds 25;
 * "use_mm_for_euclid_dist"; "donot_use_mm_for_euclid_dist"), as PyTorch's.
 *
 * @example torch_cdist(a, b); torch_cdist(a, b, 1); torch_cdist(a, b, { compute_mode: 'donot_use_mm_for_euclid_dist' })
 */
export function torch_cdist(x1: Tensor, x2: Tensor, p?: number | { p?: number; compute_mode?: string | null }, compute_mode?: string | null): Tensor {
  const named = namedArguments(p, CDIST_KEYS, 'torch_cdist');
  if (named !== null) ({ p, compute_mode } = named);
  checkTensor(x1, 'x1');
  checkTensor(x2, 'x2');
  let mode: number | null = null;
  if (compute_mode !== undefined && compute_mode !== null) {
    const name = checkString(compute_mode, 'compute_mode');
    if (!(name in COMPUTE_MODES)) fail(`one of ${Object.keys(COMPUTE_MODES).map((key) => `"${key}"`).join(', ')}`, 'compute_mode', name);
    mode = COMPUTE_MODES[name]!;
  }
  return CDIST.call(x1, x2, checkNumber(p ?? 2, 'p'), mode);
}
