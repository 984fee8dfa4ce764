// Order statistics: median and quantiles, over every element or along a dimension, as R
// torch's `torch_median` and `torch_quantile` (0-based dims; `q` a number, an array or a Tensor).
import { checkBoolean, checkInteger, checkNumber, fail, namedArguments, optionKeys } from '../core/validate.js';
import { atenOp } from './aten.js';
import { checkString } from './checks.js';
import type { DimOptions } from './reduction.js';
import { torch_tensor } from './creation.js';
import { checkTensor, optionalDim, Tensor } from './tensor.js';

const MEDIAN = { all: atenOp('median'), dim: atenOp('median', 'dim') };
const MEDIAN_KEYS = optionKeys<DimOptions>({ dim: true, keepdim: true });

/**
 * The median of all elements (the lower of the two middle values for an even count, as R torch
 * and PyTorch), or `[values, indices]` along `dim`.
 *
 * @example torch_median(x); const [values, indices] = torch_median(x, 1); x.median({ dim: 0, keepdim: true })
 */
export function torch_median(self: Tensor): Tensor;
export function torch_median(self: Tensor, dim: number | DimOptions, keepdim?: boolean): [Tensor, Tensor];
export function torch_median(self: Tensor, dim?: number | DimOptions, keepdim: boolean = false): Tensor | [Tensor, Tensor] {
  checkTensor(self, 'self');
  if (dim === undefined) return MEDIAN.all.call(self);
  const named = namedArguments(dim, MEDIAN_KEYS, 'torch_median');
  if (named !== null) ({ dim, keepdim = false } = named as DimOptions);
  return MEDIAN.dim.call<Tensor[]>(self, checkInteger(dim, 'dim'), checkBoolean(keepdim, 'keepdim')) as [Tensor, Tensor];
}

export interface QuantileOptions {
  dim?: number | null;
  keepdim?: boolean;
  /** How a quantile between two values is found: "linear" (the default), "lower", "higher", "midpoint" or "nearest". */
  interpolation?: string;
}
const QUANTILE_KEYS = optionKeys<QuantileOptions & { q?: unknown }>({ q: true, dim: true, keepdim: true, interpolation: true });
const QUANTILE = { number: atenOp('quantile', 'scalar'), tensor: atenOp('quantile') };
const INTERPOLATIONS = ['linear', 'lower', 'higher', 'midpoint', 'nearest'];

/**
 * The `q`-th quantiles (each in [0, 1]) of all elements or along `dim`. With an array or a
 * tensor of `q`s, the quantiles make a new first dimension.
 *
 * @example torch_quantile(x, 0.5); torch_quantile(x, [0.25, 0.75], 1); torch_quantile(x, 0.1, { interpolation: 'nearest' })
 */
export function torch_quantile(self: Tensor, q: number | number[] | Tensor, dim?: number | null | QuantileOptions, keepdim?: boolean, options?: { interpolation?: string }): Tensor {
  checkTensor(self, 'self');
  let interpolation: string | undefined;
  const named = namedArguments(dim, QUANTILE_KEYS, 'torch_quantile') as QuantileOptions | null;
  if (named !== null) ({ dim, keepdim, interpolation } = named);
  else if (options !== undefined) {
    const given = namedArguments(options, new Set(['interpolation']), 'torch_quantile');
    if (given === null) fail('an options object', 'options', options);
    interpolation = given.interpolation as string | undefined;
  }
  const mode = checkString(interpolation ?? 'linear', 'interpolation');
  if (!INTERPOLATIONS.includes(mode)) fail(`one of ${INTERPOLATIONS.map((name) => `"${name}"`).join(', ')}`, 'interpolation', mode);
  const rest = [optionalDim(dim), checkBoolean(keepdim ?? false, 'keepdim'), mode];
  if (typeof q === 'number') return QUANTILE.number.call(self, checkNumber(q, 'q'), ...rest);
  if (q instanceof Tensor) return QUANTILE.tensor.call(self, q, ...rest);
  if (!Array.isArray(q)) fail('a number, an array of numbers or a Tensor', 'q', q);
  // PyTorch wants q in self's dtype.
  const qs = torch_tensor(q.map((value, i) => checkNumber(value, `q[${i}]`)), { dtype: self.dtype, device: self.device });
  const result = QUANTILE.tensor.call<Tensor>(self, qs, ...rest);
  qs.dispose();
  return result;
}
