// Tensor methods of src/ops/reduction.ts, as op table entries (see entry.ts).
import type { OpEntry } from './entry.js';

export default [
  { name: 'sum', impl: 'reduction', doc: 'Sum of all elements, or along `dim` (a number or an array).', example: { method: 'x.sum(); x.sum(0, true)' } },
  { name: 'mean', impl: 'reduction', doc: 'Mean of all elements, or along `dim`.', example: { method: 'x.mean(); x.mean([0, 1])' } },
  { name: 'norm', impl: 'reduction', doc: 'The p-norm of all elements, or along `dim` (`Infinity` for the largest absolute value).', example: { method: 'x.norm(); x.norm(1, -1, true)' } },
  {
    name: 'max', impl: 'reduction', doc: 'The largest element, or `[values, indices]` along `dim`.', example: { method: 'x.max(); const [v, i] = x.max(1)' },
    signatures: ['max(): Tensor', 'max(dim: number | DimOptions, keepdim?: boolean): [Tensor, Tensor]'],
  },
  {
    name: 'min', impl: 'reduction', doc: 'The smallest element, or `[values, indices]` along `dim`.', example: { method: 'x.min(); const [v, i] = x.min(0)' },
    signatures: ['min(): Tensor', 'min(dim: number | DimOptions, keepdim?: boolean): [Tensor, Tensor]'],
  },
  { name: 'argmax', impl: 'reduction', doc: 'Index of the largest element (of the flattened tensor when `dim` is omitted).', example: { method: 'logits.argmax(-1)' } },
  { name: 'argmin', impl: 'reduction', doc: 'Index of the smallest element.', example: { method: 'x.argmin(0)' } },
] satisfies OpEntry[];
