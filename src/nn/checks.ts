// Argument checks and conversions the nn files share (not public: src/index.ts exports every
// name of functional.ts, and these are not nnf_ functions).
import { dtypeCode, type DTypeLike } from '../core/dtype.js';
import { checkFinite, checkInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { atenOp } from '../ops/aten.js';
import { with_no_grad } from '../ops/autograd.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import type { Reduction, SizeOption, SoftmaxOptions } from './functional.js';
import { nn_init_normal_ } from './init.js';

const REDUCTIONS: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/** libtorch's code of a reduction (at::Reduction). */
export function reductionCode(reduction: unknown = 'mean'): number {
  const code = REDUCTIONS[reduction as Reduction];
  if (typeof reduction !== 'string' || code === undefined) fail('"mean", "sum" or "none"', 'reduction', reduction);
  return code;
}

/** A Tensor or null. */
export function optionalTensor(value: Tensor | null | undefined, name: string): Tensor | null {
  return value === undefined || value === null ? null : checkTensor(value, name);
}

// Expands both to their broadcast shape, as torch.nn.functional's mse_loss and l1_loss do:
// given unequal shapes, libtorch's mse_loss divides the gradient of a mean by the input's own
// size, not by the number of terms. Shapes that do not broadcast are left for libtorch to refuse.
/** Both expanded to their broadcast shape. */
export function broadcastPair(input: Tensor, target: Tensor): [Tensor, Tensor] {
  const [a, b] = [checkTensor(input, 'input').shape, checkTensor(target, 'target').shape];
  if (a.length === b.length && a.every((size, i) => size === b[i])) return [input, target];
  const rank = Math.max(a.length, b.length);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[i - rank + a.length] ?? 1;
    const y = b[i - rank + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return [input, target];
    shape.push(x === 1 ? y : x);
  }
  return [input.expand(shape), target.expand(shape)];
}

/** A max_norm for embeddings: PyTorch takes any float; a negative one would flip rows' signs, so it is refused. */
/** @internal An embedding table's padding_idx: null, or a row of the table (negative counts from the end), as a non-negative row. */
export function paddingRow(padding_idx: unknown, num_embeddings: number): number | null {
  if (padding_idx === null) return null;
  const index = checkInteger(padding_idx, 'padding_idx');
  if (index < -num_embeddings || index >= num_embeddings) failRange(`an index in [${-num_embeddings}, ${num_embeddings - 1}]`, 'padding_idx', padding_idx);
  return index < 0 ? index + num_embeddings : index;
}

/** An embedding table as PyTorch's Embedding and EmbeddingBag initialise it: N(0, 1), the padding row zeroed. */
export function resetEmbeddingTable(weight: Tensor, padding_idx: number | null): void {
  nn_init_normal_(weight);
  if (padding_idx !== null) with_no_grad(() => weight.index_put_([padding_idx], 0));
}

export function checkMaxNorm(value: unknown): number {
  if (checkFinite(value, 'max_norm') < 0) failRange('a non-negative number', 'max_norm', value);
  return value as number;
}

/** Expands `value` to `count` sizes, checking each. */
export function sizes(value: SizeOption, count: number, name: string, check: (v: unknown, n: string) => number = checkPositiveInteger): number[] {
  const list = typeof value === 'number' ? new Array<number>(count).fill(value) : value;
  if (!Array.isArray(list) || list.length !== count) fail(`a number or an array of ${count} numbers`, name, value);
  list.forEach((size, i) => check(size, `${name}[${i}]`));
  return list;
}

const SOFTMAX_KEYS = optionKeys<SoftmaxOptions>({ dtype: true });
const SOFTMAX_NAMED_KEYS = optionKeys<SoftmaxOptions & { dim: number }>({ dim: true, dtype: true });

/** The softmaxes' `dim` and `dtype`, given as `(dim, { dtype })` or as R's named arguments `({ dim, dtype })`. */
export function softmaxArguments(dim: unknown, options: SoftmaxOptions | undefined, where: string): [number, DTypeLike | undefined] {
  if (typeof dim === 'object' && dim !== null && !Array.isArray(dim)) {
    if (options !== undefined) fail('no options after the named arguments', `${where} options`, options);
    const named = checkOptions(dim as SoftmaxOptions & { dim: number }, SOFTMAX_NAMED_KEYS, where, 'named arguments');
    if (named.dim === undefined) fail('a dim', `${where} named arguments`, dim);
    return [checkInteger(named.dim, 'dim'), named.dtype];
  }
  const { dtype } = checkOptions(options, SOFTMAX_KEYS, where);
  return [checkInteger(dim, 'dim'), dtype];
}

// libtorch's softmax(dtype) casts the input first; so does this.
/** `fn` of `input` cast to `dtype` (the cast disposed), or of `input` itself. */
export function castFor(input: Tensor, dtype: DTypeLike | undefined, fn: (x: Tensor) => Tensor): Tensor {
  if (dtype === undefined) return fn(input);
  dtypeCode(dtype);
  const cast = input.to({ dtype });
  const result = fn(cast);
  if (cast !== input) cast.dispose();
  return result;
}

const EMBEDDING_RENORM_ = atenOp('embedding_renorm_');
/** Rescales, in place and unrecorded, each row of `weight` that `indices` picks whose norm exceeds maxNorm (embeddings' max_norm). */
export function embeddingRenorm_(weight: Tensor, indices: Tensor, maxNorm: number, normType: number): void {
  with_no_grad(() => {
    const contiguous = indices.contiguous();
    EMBEDDING_RENORM_.callInPlace(weight.h, contiguous.h, maxNorm, normType);
    contiguous.dispose();
  });
}
