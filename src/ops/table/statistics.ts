// Order statistics, counts and differences: one entry per op (see entry.ts). median and
// quantile take R's forms (a dim or none; q a number, an array or a Tensor) in
// src/ops/statistics.ts.
import type { OpEntry } from './entry.js';

export default [
  {
    name: 'median', impl: 'statistics', doc: 'The median (the lower middle value for an even count), or `[values, indices]` along `dim`.',
    example: { method: 'x.median(); const [v, i] = x.median(1)' },
    signatures: ['median(): Tensor', 'median(dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean): [Tensor, Tensor]'],
  },
  { name: 'quantile', impl: 'statistics', doc: 'The `q`-th quantiles of all elements or along `dim` (`interpolation` "linear", "lower", "higher", "midpoint" or "nearest").', example: { method: 'x.quantile(0.9, 1)' } },
  {
    name: 'bincount', schema: 'bincount(Tensor self, Tensor? weights=None, SymInt minlength=0) -> Tensor',
    doc: 'How often each value 0..max occurs in a 1-d non-negative integer tensor (summed `weights` if given), at least `minlength` counts.',
    example: { function: 'torch_bincount(labels, null, 10)', method: 'labels.bincount()' },
  },
  {
    name: 'searchsorted', variants: 'function',
    schema: [
      'searchsorted.Tensor(Tensor sorted_sequence, Tensor self, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> Tensor',
      'searchsorted.Scalar(Tensor sorted_sequence, Scalar self, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> Tensor',
    ],
    doc: 'Where each value of `self` (a tensor or a number) would go in the last dimension of `sorted_sequence` to keep it sorted (0-based; `right: true` after equal values).',
    example: { function: 'torch_searchsorted(edges, x, { right: true })' },
  },
  {
    name: 'diff', schema: 'diff(Tensor self, int n=1, int dim=-1, Tensor? prepend=None, Tensor? append=None) -> Tensor',
    doc: 'The `n`-th forward difference along `dim` (the last by default), `prepend`/`append` joined on first.',
    example: { function: 'torch_diff(x)', method: 'x.diff(2, 0)' },
  },
] satisfies OpEntry[];
