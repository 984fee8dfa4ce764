// Pooling as PyTorch's torch/nn/modules/pooling.py and torch.nn.functional have it: max,
// average and adaptive pooling in 1 and 2 dimensions, each nnf_* function one libtorch
// operator (src/core/dispatch.ts), each module a holder of its options. Inputs are batched
// (N x C x ...) or not (C x ...), as in PyTorch. Sliding-window pooling (max, average) is in
// pooling_window.ts, adaptive pooling in pooling_adaptive.ts; this file holds what they share.
import type { Tensor } from '../ops/tensor.js';
import { fail } from '../core/validate.js';
import { checkRank } from './options.js';

export type Dims = 1 | 2;

// The exported base classes can be called directly: their dimension count is checked.
export function checkDimensions(dims: unknown, layer: string): Dims {
  if (dims !== 1 && dims !== 2) fail(`1 or 2 (use ${layer}1d or ${layer}2d)`, 'dims', dims);
  return dims;
}

// A batched or an unbatched input: (N x) C x L in 1-d, (N x) C x H x W in 2-d.
export function pooled(input: Tensor, dims: Dims): Tensor {
  return checkRank(input, [dims + 1, dims + 2]);
}

/** The output of a pooling module: values, or `[values, indices]` when made with `return_indices: true`. */
export type PoolOutput<I extends boolean> = I extends true ? [Tensor, Tensor] : Tensor;

/** A generator whose modules' output type follows `return_indices`: `T` with it, `F` without. */
export interface PoolGenerator<A extends any[], O, T, F> {
  (...args: [...A, O & { return_indices: true }]): T;
  (...args: [...A, (O & { return_indices?: false })?]): F;
  (...args: [...A, O?]): T | F;
  readonly prototype: T | F;
  readonly classname: string;
}
