// Pooling as PyTorch's torch/nn/modules/pooling.py and torch.nn.functional have it: max,
// average and adaptive pooling in 1 and 2 dimensions, each nnf_* function one libtorch
// operator (src/core/dispatch.ts), each module a holder of its options. Inputs are batched
// (N x C x ...) or not (C x ...), as in PyTorch.
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { sizes, type SizeOption } from './functional.js';
import { nn_Module, nn_module } from './module.js';
import { checkRank } from './options.js';

const MAX_POOL = { 1: atenOp('max_pool1d'), 2: atenOp('max_pool2d') };
const MAX_POOL_WITH_INDICES = { 1: atenOp('max_pool1d_with_indices'), 2: atenOp('max_pool2d_with_indices') };
const AVG_POOL = { 1: atenOp('avg_pool1d'), 2: atenOp('avg_pool2d') };
const ADAPTIVE_AVG_POOL = { 1: atenOp('adaptive_avg_pool1d'), 2: atenOp('adaptive_avg_pool2d') };
const ADAPTIVE_MAX_POOL = { 1: atenOp('adaptive_max_pool1d'), 2: atenOp('adaptive_max_pool2d') };

type Dims = 1 | 2;

// The exported base classes can be called directly: their dimension count is checked.
function checkDimensions(dims: unknown, layer: string): Dims {
  if (dims !== 1 && dims !== 2) fail(`1 or 2 (use ${layer}1d or ${layer}2d)`, 'dims', dims);
  return dims;
}

// A batched or an unbatched input: (N x) C x L in 1-d, (N x) C x H x W in 2-d.
function pooled(input: Tensor, dims: Dims): Tensor {
  return checkRank(input, [dims + 1, dims + 2]);
}

interface Window {
  kernel: number[];
  /** [] when not given: libtorch then uses the kernel size, as PyTorch passes it. */
  stride: number[];
  padding: number[];
}

// Kernel, stride and padding, checked as libtorch checks them, so that a bad one is a
// RangeError naming it rather than an error from inside the kernel.
function windowOf(dims: Dims, kernel_size: SizeOption, stride: SizeOption | null | undefined, padding: SizeOption): Window {
  const kernel = sizes(kernel_size, dims, 'kernel_size');
  const strides = stride === null || stride === undefined ? [] : sizes(stride, dims, 'stride');
  const pads = sizes(padding, dims, 'padding', checkNonNegativeInteger);
  pads.forEach((pad, i) => {
    if (pad > Math.floor(kernel[i]! / 2)) failRange(`at most half the kernel size (${Math.floor(kernel[i]! / 2)})`, `padding[${i}]`, pad);
  });
  return { kernel, stride: strides, padding: pads };
}

// ---- max pooling ----

export interface MaxPoolOptions {
  /** The window's step (the kernel size). */
  stride?: SizeOption | null;
  /** -Infinity padding on each side, at most half the kernel size (0). */
  padding?: SizeOption;
  /** The spacing of the window's elements (1). */
  dilation?: SizeOption;
  /** Round the output size up rather than down (false). */
  ceil_mode?: boolean;
  /** Also return the flat index of each maximum within its plane (false). */
  return_indices?: boolean;
}

const MAX_POOL_KEYS = optionKeys<MaxPoolOptions>({ stride: true, padding: true, dilation: true, ceil_mode: true, return_indices: true });

function maxPool(dims: Dims, input: Tensor, kernel_size: SizeOption, options: MaxPoolOptions | undefined): Tensor | [Tensor, Tensor] {
  const { stride, padding = 0, dilation = 1, ceil_mode = false, return_indices = false } = checkOptions(options, MAX_POOL_KEYS, `nnf_max_pool${dims}d`);
  pooled(input, dims);
  const window = windowOf(dims, kernel_size, stride, padding);
  const args = [input, window.kernel, window.stride, window.padding, sizes(dilation, dims, 'dilation'), checkBoolean(ceil_mode, 'ceil_mode')];
  return checkBoolean(return_indices, 'return_indices') ? MAX_POOL_WITH_INDICES[dims].call<[Tensor, Tensor]>(...args) : MAX_POOL[dims].call(...args);
}

/**
 * The maximum over sliding windows of (N x) C x L input; `stride` defaults to the kernel
 * size. With `return_indices`, `[values, indices]`.
 *
 * @example
 * nnf_max_pool1d(x, 2)
 * const [values, indices] = nnf_max_pool1d(x, 3, { stride: 1, padding: 1, return_indices: true })
 */
export function nnf_max_pool1d(input: Tensor, kernel_size: SizeOption, options: MaxPoolOptions & { return_indices: true }): [Tensor, Tensor];
export function nnf_max_pool1d(input: Tensor, kernel_size: SizeOption, options?: MaxPoolOptions & { return_indices?: false }): Tensor;
export function nnf_max_pool1d(input: Tensor, kernel_size: SizeOption, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function nnf_max_pool1d(input: Tensor, kernel_size: SizeOption, options?: MaxPoolOptions): Tensor | [Tensor, Tensor] {
  return maxPool(1, input, kernel_size, options);
}

/**
 * The maximum over sliding windows of (N x) C x H x W input; `stride` defaults to the
 * kernel size. With `return_indices`, `[values, indices]`.
 *
 * @example
 * nnf_max_pool2d(images, 2) // halves H and W
 * nnf_max_pool2d(images, [3, 2], { stride: [2, 1], padding: 1, dilation: 1, ceil_mode: true })
 */
export function nnf_max_pool2d(input: Tensor, kernel_size: SizeOption, options: MaxPoolOptions & { return_indices: true }): [Tensor, Tensor];
export function nnf_max_pool2d(input: Tensor, kernel_size: SizeOption, options?: MaxPoolOptions & { return_indices?: false }): Tensor;
export function nnf_max_pool2d(input: Tensor, kernel_size: SizeOption, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function nnf_max_pool2d(input: Tensor, kernel_size: SizeOption, options?: MaxPoolOptions): Tensor | [Tensor, Tensor] {
  return maxPool(2, input, kernel_size, options);
}

// ---- average pooling ----

export interface AvgPoolOptions {
  /** The window's step (the kernel size). */
  stride?: SizeOption | null;
  /** Zero padding on each side, at most half the kernel size (0). */
  padding?: SizeOption;
  /** Round the output size up rather than down (false). */
  ceil_mode?: boolean;
  /** Count the padding zeros in each average (true). */
  count_include_pad?: boolean;
}

export interface AvgPool2dOptions extends AvgPoolOptions {
  /** Divide every window's sum by this instead of by its size (none). */
  divisor_override?: number | null;
}

const AVG_POOL_KEYS = optionKeys<AvgPoolOptions>({ stride: true, padding: true, ceil_mode: true, count_include_pad: true });
const AVG_POOL2D_KEYS = optionKeys<AvgPool2dOptions>({ stride: true, padding: true, ceil_mode: true, count_include_pad: true, divisor_override: true });

/**
 * The mean over sliding windows of (N x) C x L input; `stride` defaults to the kernel size.
 *
 * @example nnf_avg_pool1d(x, 3, { stride: 2, padding: 1, count_include_pad: false })
 */
export function nnf_avg_pool1d(input: Tensor, kernel_size: SizeOption, options?: AvgPoolOptions): Tensor {
  const { stride, padding = 0, ceil_mode = false, count_include_pad = true } = checkOptions(options, AVG_POOL_KEYS, 'nnf_avg_pool1d');
  pooled(input, 1);
  const window = windowOf(1, kernel_size, stride, padding);
  return AVG_POOL[1].call(input, window.kernel, window.stride, window.padding, checkBoolean(ceil_mode, 'ceil_mode'), checkBoolean(count_include_pad, 'count_include_pad'));
}

/**
 * The mean over sliding windows of (N x) C x H x W input; `stride` defaults to the kernel
 * size; `divisor_override` replaces each window's divisor.
 *
 * @example
 * nnf_avg_pool2d(images, 2)
 * nnf_avg_pool2d(images, 3, { stride: 1, padding: 1, divisor_override: 9 })
 */
export function nnf_avg_pool2d(input: Tensor, kernel_size: SizeOption, options?: AvgPool2dOptions): Tensor {
  const { stride, padding = 0, ceil_mode = false, count_include_pad = true, divisor_override = null } = checkOptions(options, AVG_POOL2D_KEYS, 'nnf_avg_pool2d');
  pooled(input, 2);
  const window = windowOf(2, kernel_size, stride, padding);
  return AVG_POOL[2].call(input, window.kernel, window.stride, window.padding, checkBoolean(ceil_mode, 'ceil_mode'),
    checkBoolean(count_include_pad, 'count_include_pad'), divisor_override === null ? null : checkPositiveInteger(divisor_override, 'divisor_override'));
}

// ---- adaptive pooling ----

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

// Options are checked when the module is made, so that a bad one fails there, not at its first forward.
function checkPoolOptions<T extends object>(options: T, keys: ReadonlySet<string>, name: string, dims: Dims, kernel_size: SizeOption): T {
  const { stride, padding = 0 } = checkOptions(options, keys, name) as { stride?: SizeOption | null; padding?: SizeOption };
  windowOf(dims, kernel_size, stride, padding);
  return options;
}

/** The class behind `nn_max_pool1d` and `nn_max_pool2d`, for `instanceof` and for types. */
export abstract class MaxPool<I extends boolean = false> extends nn_Module {
  readonly kernel_size: SizeOption;
  readonly stride: SizeOption | null;
  readonly padding: SizeOption;
  readonly dilation: SizeOption;
  readonly ceil_mode: boolean;
  readonly return_indices: I;

  constructor(protected readonly dims: Dims, kernel_size: SizeOption, options: MaxPoolOptions = {}) {
    super();
    checkDimensions(dims, 'nn_max_pool');
    const { stride = null, padding = 0, dilation = 1, ceil_mode = false, return_indices = false } = checkPoolOptions(options, MAX_POOL_KEYS, `nn_max_pool${dims}d`, dims, kernel_size);
    sizes(dilation, dims, 'dilation');
    this.kernel_size = kernel_size;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.ceil_mode = checkBoolean(ceil_mode, 'ceil_mode');
    this.return_indices = checkBoolean(return_indices, 'return_indices') as I;
  }

  override forward(input: Tensor): PoolOutput<I> {
    return maxPool(this.dims, input, this.kernel_size, {
      stride: this.stride, padding: this.padding, dilation: this.dilation, ceil_mode: this.ceil_mode, return_indices: this.return_indices,
    }) as PoolOutput<I>;
  }
}

/** The class behind `nn_max_pool1d`. */
export class MaxPool1d<I extends boolean = false> extends MaxPool<I> {
  constructor(kernel_size: SizeOption, options: MaxPoolOptions = {}) { super(1, kernel_size, options); }
}

/** The class behind `nn_max_pool2d`. */
export class MaxPool2d<I extends boolean = false> extends MaxPool<I> {
  constructor(kernel_size: SizeOption, options: MaxPoolOptions = {}) { super(2, kernel_size, options); }
}

/**
 * Max pooling over (N x) C x L input as a module (see `nnf_max_pool1d`).
 *
 * @example
 * const pool = nn_max_pool1d(2);
 * const [values, indices] = nn_max_pool1d(3, { stride: 1, return_indices: true })(x);
 */
export const nn_max_pool1d = nn_module(MaxPool1d, 'nn_max_pool1d') as unknown as PoolGenerator<[SizeOption], MaxPoolOptions, MaxPool1d<true>, MaxPool1d<false>>;
export type nn_max_pool1d<I extends boolean = false> = MaxPool1d<I>;

/**
 * Max pooling over (N x) C x H x W input as a module (see `nnf_max_pool2d`).
 *
 * @example
 * const net = nn_sequential(nn_conv2d(1, 8, 3), nn_relu(), nn_max_pool2d(2));
 */
export const nn_max_pool2d = nn_module(MaxPool2d, 'nn_max_pool2d') as unknown as PoolGenerator<[SizeOption], MaxPoolOptions, MaxPool2d<true>, MaxPool2d<false>>;
export type nn_max_pool2d<I extends boolean = false> = MaxPool2d<I>;

/** The class behind `nn_avg_pool1d` and `nn_avg_pool2d`, for `instanceof` and for types. */
export abstract class AvgPool extends nn_Module {
  readonly kernel_size: SizeOption;
  readonly stride: SizeOption | null;
  readonly padding: SizeOption;
  readonly ceil_mode: boolean;
  readonly count_include_pad: boolean;
  readonly divisor_override: number | null;

  constructor(protected readonly dims: Dims, kernel_size: SizeOption, options: AvgPool2dOptions) {
    super();
    checkDimensions(dims, 'nn_avg_pool');
    const keys = dims === 1 ? AVG_POOL_KEYS : AVG_POOL2D_KEYS;
    const { stride = null, padding = 0, ceil_mode = false, count_include_pad = true, divisor_override = null } = checkPoolOptions(options, keys, `nn_avg_pool${dims}d`, dims, kernel_size);
    this.kernel_size = kernel_size;
    this.stride = stride;
    this.padding = padding;
    this.ceil_mode = checkBoolean(ceil_mode, 'ceil_mode');
    this.count_include_pad = checkBoolean(count_include_pad, 'count_include_pad');
    this.divisor_override = divisor_override === null ? null : checkPositiveInteger(divisor_override, 'divisor_override');
  }

  override forward(input: Tensor): Tensor {
    const options = { stride: this.stride, padding: this.padding, ceil_mode: this.ceil_mode, count_include_pad: this.count_include_pad };
    return this.dims === 1 ? nnf_avg_pool1d(input, this.kernel_size, options)
      : nnf_avg_pool2d(input, this.kernel_size, { ...options, divisor_override: this.divisor_override });
  }
}

/** The class behind `nn_avg_pool1d`. */
export class AvgPool1d extends AvgPool {
  constructor(kernel_size: SizeOption, options: AvgPoolOptions = {}) { super(1, kernel_size, options); }
}

/** The class behind `nn_avg_pool2d`. */
export class AvgPool2d extends AvgPool {
  constructor(kernel_size: SizeOption, options: AvgPool2dOptions = {}) { super(2, kernel_size, options); }
}

/** Average pooling over (N x) C x L input as a module (see `nnf_avg_pool1d`). @example nn_avg_pool1d(3, { stride: 2 }) */
export const nn_avg_pool1d = nn_module(AvgPool1d, 'nn_avg_pool1d');
export type nn_avg_pool1d = AvgPool1d;

/** Average pooling over (N x) C x H x W input as a module (see `nnf_avg_pool2d`). @example nn_avg_pool2d(2) */
export const nn_avg_pool2d = nn_module(AvgPool2d, 'nn_avg_pool2d');
export type nn_avg_pool2d = AvgPool2d;

/** The class behind `nn_adaptive_avg_pool1d` and `nn_adaptive_avg_pool2d`, for `instanceof` and for types. */
export abstract class AdaptiveAvgPool extends nn_Module {
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
