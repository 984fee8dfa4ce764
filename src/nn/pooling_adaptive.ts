// Adaptive pooling, average and max, in 1 and 2 dimensions: windows sized to cover any input
// evenly, giving a fixed output size, each nnf_* function one libtorch operator.
import { atenOp } from '../ops/aten.js';
import type { Tensor } from '../ops/tensor.js';
import { checkBoolean, checkNonNegativeInteger, checkOptions, fail, optionKeys } from '../core/validate.js';
import { nn_Module } from './module.js';
import type { nn_state } from './state_keys.js';
import { nn_module } from './generator.js';
import { checkDimensions, pooled, type Dims, type PoolGenerator, type PoolOutput } from './pooling.js';

const ADAPTIVE_AVG_POOL = { 1: atenOp('adaptive_avg_pool1d'), 2: atenOp('adaptive_avg_pool2d') };
const ADAPTIVE_MAX_POOL = { 1: atenOp('adaptive_max_pool1d'), 2: atenOp('adaptive_max_pool2d') };

/** An output size per spatial dimension, or one for all; null keeps the input's size there (2-d). */
export type AdaptiveSizeOption = number | (number | null)[];

// PyTorch's _list_with_default: a null size is the input's own.
function outputSizeOf(output_size: AdaptiveSizeOption, dims: Dims, input: Tensor): number[] {
  const list = typeof output_size === 'number' ? new Array<number>(dims).fill(output_size) : output_size;
  if (!Array.isArray(list) || list.length !== dims) fail(`a number or an array of ${dims} numbers`, 'output_size', output_size);
  const shape = input.shape;
  return list.map((size, i) => (size === null && dims > 1 ? shape[shape.length - dims + i]! : checkNonNegativeInteger(size, `output_size[${i}]`)));
}

/**
 * The mean over `output_size` windows that cover (N x) C x L input evenly, whatever its length.
 *
 * @example nnf_adaptive_avg_pool1d(x, 1) // global average pooling
 */
export function nnf_adaptive_avg_pool1d(input: Tensor, output_size: number | [number]): Tensor {
  pooled(input, 1);
  return ADAPTIVE_AVG_POOL[1].call(input, outputSizeOf(output_size, 1, input));
}

/**
 * The mean over windows that cover (N x) C x H x W input evenly, giving `output_size`
 * (null keeps that dimension's size).
 *
 * @example nnf_adaptive_avg_pool2d(features, [7, 7]); nnf_adaptive_avg_pool2d(features, 1)
 */
export function nnf_adaptive_avg_pool2d(input: Tensor, output_size: AdaptiveSizeOption): Tensor {
  pooled(input, 2);
  return ADAPTIVE_AVG_POOL[2].call(input, outputSizeOf(output_size, 2, input));
}

export interface AdaptiveMaxPoolOptions {
  /** Also return the flat index of each maximum within its plane (false). */
  return_indices?: boolean;
}

const ADAPTIVE_MAX_POOL_KEYS = optionKeys<AdaptiveMaxPoolOptions>({ return_indices: true });

function adaptiveMaxPool(dims: Dims, input: Tensor, output_size: AdaptiveSizeOption, options: AdaptiveMaxPoolOptions | undefined): Tensor | [Tensor, Tensor] {
  const { return_indices = false } = checkOptions(options, ADAPTIVE_MAX_POOL_KEYS, `nnf_adaptive_max_pool${dims}d`);
  checkBoolean(return_indices, 'return_indices');
  pooled(input, dims);
  const [values, indices] = ADAPTIVE_MAX_POOL[dims].call<[Tensor, Tensor]>(input, outputSizeOf(output_size, dims, input));
  if (return_indices) return [values, indices];
  indices.dispose();
  return values;
}

/**
 * The maximum over `output_size` windows that cover (N x) C x L input evenly. With
 * `return_indices`, `[values, indices]`.
 *
 * @example nnf_adaptive_max_pool1d(x, 4)
 */
export function nnf_adaptive_max_pool1d(input: Tensor, output_size: number | [number], options: { return_indices: true }): [Tensor, Tensor];
export function nnf_adaptive_max_pool1d(input: Tensor, output_size: number | [number], options?: { return_indices?: false }): Tensor;
export function nnf_adaptive_max_pool1d(input: Tensor, output_size: number | [number], options?: AdaptiveMaxPoolOptions): Tensor | [Tensor, Tensor];
export function nnf_adaptive_max_pool1d(input: Tensor, output_size: number | [number], options?: AdaptiveMaxPoolOptions): Tensor | [Tensor, Tensor] {
  return adaptiveMaxPool(1, input, output_size, options);
}

/**
 * The maximum over windows that cover (N x) C x H x W input evenly, giving `output_size`
 * (null keeps that dimension's size). With `return_indices`, `[values, indices]`.
 *
 * @example nnf_adaptive_max_pool2d(features, [2, null])
 */
export function nnf_adaptive_max_pool2d(input: Tensor, output_size: AdaptiveSizeOption, options: { return_indices: true }): [Tensor, Tensor];
export function nnf_adaptive_max_pool2d(input: Tensor, output_size: AdaptiveSizeOption, options?: { return_indices?: false }): Tensor;
export function nnf_adaptive_max_pool2d(input: Tensor, output_size: AdaptiveSizeOption, options?: AdaptiveMaxPoolOptions): Tensor | [Tensor, Tensor];
export function nnf_adaptive_max_pool2d(input: Tensor, output_size: AdaptiveSizeOption, options?: AdaptiveMaxPoolOptions): Tensor | [Tensor, Tensor] {
  return adaptiveMaxPool(2, input, output_size, options);
}

// ---- modules ----

/** The class behind `nn_adaptive_avg_pool1d` and `nn_adaptive_avg_pool2d`, for `instanceof` and for types. */
export abstract class AdaptiveAvgPool extends nn_Module {
  /** For state_dict's type (the class has protected members, which types cannot see): no state. */
  declare readonly [nn_state]?: {};
  constructor(protected readonly dims: Dims, readonly output_size: AdaptiveSizeOption) {
    super();
    checkDimensions(dims, 'nn_adaptive_avg_pool');
    checkOutputSize(output_size, dims);
  }

  override forward(input: Tensor): Tensor {
    return this.dims === 1 ? nnf_adaptive_avg_pool1d(input, this.output_size as number) : nnf_adaptive_avg_pool2d(input, this.output_size);
  }
}

// The output size checked when a module is made (null entries resolve at forward).
function checkOutputSize(output_size: unknown, dims: Dims): void {
  const list = typeof output_size === 'number' ? [output_size] : output_size;
  if (!Array.isArray(list) || (typeof output_size !== 'number' && list.length !== dims)) fail(`a number or an array of ${dims} numbers`, 'output_size', output_size);
  list.forEach((size, i) => { if (size !== null || dims === 1) checkNonNegativeInteger(size, `output_size[${i}]`); });
}

/** The class behind `nn_adaptive_avg_pool1d`. */
export class AdaptiveAvgPool1d extends AdaptiveAvgPool {
  constructor(output_size: number | [number]) { super(1, output_size); }
}

/** The class behind `nn_adaptive_avg_pool2d`. */
export class AdaptiveAvgPool2d extends AdaptiveAvgPool {
  constructor(output_size: AdaptiveSizeOption) { super(2, output_size); }
}

/** Adaptive average pooling to `output_size` over (N x) C x L input. @example nn_adaptive_avg_pool1d(1) */
export const nn_adaptive_avg_pool1d = nn_module(AdaptiveAvgPool1d, 'nn_adaptive_avg_pool1d');
export type nn_adaptive_avg_pool1d = AdaptiveAvgPool1d;

/** Adaptive average pooling to `output_size` over (N x) C x H x W input. @example nn_adaptive_avg_pool2d([7, 7]) */
export const nn_adaptive_avg_pool2d = nn_module(AdaptiveAvgPool2d, 'nn_adaptive_avg_pool2d');
export type nn_adaptive_avg_pool2d = AdaptiveAvgPool2d;

/** The class behind `nn_adaptive_max_pool1d` and `nn_adaptive_max_pool2d`, for `instanceof` and for types. */
export abstract class AdaptiveMaxPool<I extends boolean = false> extends nn_Module {
  /** For state_dict's type (the class has protected members, which types cannot see): no state. */
  declare readonly [nn_state]?: {};
  readonly return_indices: I;

  constructor(protected readonly dims: Dims, readonly output_size: AdaptiveSizeOption, options: AdaptiveMaxPoolOptions = {}) {
    super();
    checkDimensions(dims, 'nn_adaptive_max_pool');
    const { return_indices = false } = checkOptions(options, ADAPTIVE_MAX_POOL_KEYS, `nn_adaptive_max_pool${dims}d`);
    checkOutputSize(output_size, dims);
    this.return_indices = checkBoolean(return_indices, 'return_indices') as I;
  }

  override forward(input: Tensor): PoolOutput<I> {
    return adaptiveMaxPool(this.dims, input, this.output_size, { return_indices: this.return_indices }) as PoolOutput<I>;
  }
}

/** The class behind `nn_adaptive_max_pool1d`. */
export class AdaptiveMaxPool1d<I extends boolean = false> extends AdaptiveMaxPool<I> {
  constructor(output_size: number | [number], options: AdaptiveMaxPoolOptions = {}) { super(1, output_size, options); }
}

/** The class behind `nn_adaptive_max_pool2d`. */
export class AdaptiveMaxPool2d<I extends boolean = false> extends AdaptiveMaxPool<I> {
  constructor(output_size: AdaptiveSizeOption, options: AdaptiveMaxPoolOptions = {}) { super(2, output_size, options); }
}

/** Adaptive max pooling to `output_size` over (N x) C x L input. @example nn_adaptive_max_pool1d(4) */
export const nn_adaptive_max_pool1d = nn_module(AdaptiveMaxPool1d, 'nn_adaptive_max_pool1d') as unknown as
  PoolGenerator<[number | [number]], AdaptiveMaxPoolOptions, AdaptiveMaxPool1d<true>, AdaptiveMaxPool1d<false>>;
export type nn_adaptive_max_pool1d<I extends boolean = false> = AdaptiveMaxPool1d<I>;

/**
 * Adaptive max pooling to `output_size` over (N x) C x H x W input.
 *
 * @example const [values, indices] = nn_adaptive_max_pool2d([2, 2], { return_indices: true })(x)
 */
export const nn_adaptive_max_pool2d = nn_module(AdaptiveMaxPool2d, 'nn_adaptive_max_pool2d') as unknown as
  PoolGenerator<[AdaptiveSizeOption], AdaptiveMaxPoolOptions, AdaptiveMaxPool2d<true>, AdaptiveMaxPool2d<false>>;
export type nn_adaptive_max_pool2d<I extends boolean = false> = AdaptiveMaxPool2d<I>;
