// Sliding-window pooling, max and average, in 1 and 2 dimensions: a window of kernel_size
// moves by stride over the (padded) input, each nnf_* function one libtorch operator.
import { atenOp } from '../ops/aten.js';
import type { Tensor } from '../ops/tensor.js';
import { checkBoolean, checkNonNegativeInteger, checkOptions, checkPositiveInteger, failRange, optionKeys } from '../core/validate.js';
import { sizes } from './checks.js';
import type { SizeOption } from './functional.js';
import { nn_Module } from './module.js';
import type { nn_state } from './state_keys.js';
import { nn_module } from './generator.js';
import { checkDimensions, pooled, type Dims, type PoolGenerator, type PoolOutput } from './pooling.js';
import { positionalOptions, type Positional } from './options.js';

const MAX_POOL = { 1: atenOp('max_pool1d'), 2: atenOp('max_pool2d') };
const MAX_POOL_WITH_INDICES = { 1: atenOp('max_pool1d_with_indices'), 2: atenOp('max_pool2d_with_indices') };
const AVG_POOL = { 1: atenOp('avg_pool1d'), 2: atenOp('avg_pool2d') };

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

/** nnf_max_pool*d's optional arguments after `stride`, positionally in R's and PyTorch's order (`return_indices`, which changes the result's type, in the options). */
type MaxPoolRest = Positional<[padding: SizeOption, dilation: SizeOption, ceil_mode: boolean], MaxPoolOptions & { return_indices?: false }>;

function maxPool(dims: Dims, input: Tensor, kernel_size: SizeOption, given: readonly unknown[]): Tensor | [Tensor, Tensor] {
  const names = ['stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'] as const;
  const { stride, padding = 0, dilation = 1, ceil_mode = false, return_indices = false } = positionalOptions<MaxPoolOptions>(given, names, MAX_POOL_KEYS, `nnf_max_pool${dims}d`);
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
export function nnf_max_pool1d(input: Tensor, kernel_size: SizeOption, stride: SizeOption | null, ...rest: MaxPoolRest): Tensor;
export function nnf_max_pool1d(input: Tensor, kernel_size: SizeOption, ...args: unknown[]): Tensor | [Tensor, Tensor] {
  return maxPool(1, input, kernel_size, args);
}

/**
 * The maximum over sliding windows of (N x) C x H x W input; `stride` defaults to the
 * kernel size. With `return_indices`, `[values, indices]`.
 *
 * @example
 * nnf_max_pool2d(images, 2) // halves H and W
 * nnf_max_pool2d(images, 3, 2, 1)  // stride 2, padding 1: R's and PyTorch's positional order
 * nnf_max_pool2d(images, [3, 2], { stride: [2, 1], padding: 1, dilation: 1, ceil_mode: true })
 */
export function nnf_max_pool2d(input: Tensor, kernel_size: SizeOption, options: MaxPoolOptions & { return_indices: true }): [Tensor, Tensor];
export function nnf_max_pool2d(input: Tensor, kernel_size: SizeOption, options?: MaxPoolOptions & { return_indices?: false }): Tensor;
export function nnf_max_pool2d(input: Tensor, kernel_size: SizeOption, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function nnf_max_pool2d(input: Tensor, kernel_size: SizeOption, stride: SizeOption | null, ...rest: MaxPoolRest): Tensor;
export function nnf_max_pool2d(input: Tensor, kernel_size: SizeOption, ...args: unknown[]): Tensor | [Tensor, Tensor] {
  return maxPool(2, input, kernel_size, args);
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
/** Average pooling's optional arguments, positionally in R's and PyTorch's order or as options. */
export type AvgPoolArguments<O> = Positional<[stride: SizeOption | null, padding: SizeOption, ceil_mode: boolean, count_include_pad: boolean], O>;
export type AvgPool2dArguments = Positional<[
  stride: SizeOption | null, padding: SizeOption, ceil_mode: boolean, count_include_pad: boolean, divisor_override: number | null,
], AvgPool2dOptions>;
const AVG_POOL_ORDER = ['stride', 'padding', 'ceil_mode', 'count_include_pad'] as const;

/**
 * The mean over sliding windows of (N x) C x L input; `stride` defaults to the kernel size.
 *
 * @example nnf_avg_pool1d(x, 3, { stride: 2, padding: 1, count_include_pad: false })
 */
export function nnf_avg_pool1d(input: Tensor, kernel_size: SizeOption, ...args: AvgPoolArguments<AvgPoolOptions>): Tensor {
  const { stride, padding = 0, ceil_mode = false, count_include_pad = true } = positionalOptions<AvgPoolOptions>(args, AVG_POOL_ORDER, AVG_POOL_KEYS, 'nnf_avg_pool1d');
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
export function nnf_avg_pool2d(input: Tensor, kernel_size: SizeOption, ...args: AvgPool2dArguments): Tensor {
  const options = positionalOptions<AvgPool2dOptions>(args, [...AVG_POOL_ORDER, 'divisor_override'], AVG_POOL2D_KEYS, 'nnf_avg_pool2d');
  const { stride, padding = 0, ceil_mode = false, count_include_pad = true, divisor_override = null } = options;
  pooled(input, 2);
  const window = windowOf(2, kernel_size, stride, padding);
  return AVG_POOL[2].call(input, window.kernel, window.stride, window.padding, checkBoolean(ceil_mode, 'ceil_mode'),
    checkBoolean(count_include_pad, 'count_include_pad'), divisor_override === null ? null : checkPositiveInteger(divisor_override, 'divisor_override'));
}

// ---- modules ----

// Options are checked when the module is made, so that a bad one fails there, not at its first forward.
function checkPoolOptions<T extends object>(options: T, keys: ReadonlySet<string>, name: string, dims: Dims, kernel_size: SizeOption): T {
  const { stride, padding = 0 } = checkOptions(options, keys, name) as { stride?: SizeOption | null; padding?: SizeOption };
  windowOf(dims, kernel_size, stride, padding);
  return options;
}

/** The class behind `nn_max_pool1d` and `nn_max_pool2d`, for `instanceof` and for types. */
export abstract class MaxPool<I extends boolean = false> extends nn_Module {
  /** For state_dict's type (the class has protected members, which types cannot see): no state. */
  declare readonly [nn_state]?: {};
  readonly kernel_size: SizeOption;
  readonly stride: SizeOption | null;
  readonly padding: SizeOption;
  readonly dilation: SizeOption;
  readonly ceil_mode: boolean;
  readonly return_indices: I;

  constructor(protected readonly dims: Dims, kernel_size: SizeOption, args: readonly unknown[] = []) {
    super();
    checkDimensions(dims, 'nn_max_pool');
    // The modules' order, R's and PyTorch's: return_indices before ceil_mode.
    const options = positionalOptions<MaxPoolOptions>(args, ['stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'], MAX_POOL_KEYS, `nn_max_pool${dims}d`);
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
    return maxPool(this.dims, input, this.kernel_size, [{
      stride: this.stride, padding: this.padding, dilation: this.dilation, ceil_mode: this.ceil_mode, return_indices: this.return_indices,
    }]) as PoolOutput<I>;
  }
}

/** nn_max_pool*d: the options form, or kernel_size, stride, padding, dilation positionally (R's and PyTorch's order). */
type MaxPoolGenerator<T, F> = PoolGenerator<[SizeOption], MaxPoolOptions, T, F> & {
  (kernel_size: SizeOption, stride: SizeOption | null, ...rest: Positional<[padding: SizeOption, dilation: SizeOption], MaxPoolOptions & { return_indices?: false }>): F;
};

/** The class behind `nn_max_pool1d`. */
export class MaxPool1d<I extends boolean = false> extends MaxPool<I> {
  constructor(kernel_size: SizeOption, ...args: unknown[]) { super(1, kernel_size, args); }
}

/** The class behind `nn_max_pool2d`. */
export class MaxPool2d<I extends boolean = false> extends MaxPool<I> {
  constructor(kernel_size: SizeOption, ...args: unknown[]) { super(2, kernel_size, args); }
}

/**
 * Max pooling over (N x) C x L input as a module (see `nnf_max_pool1d`).
 *
 * @example
 * const pool = nn_max_pool1d(2);
 * const [values, indices] = nn_max_pool1d(3, { stride: 1, return_indices: true })(x);
 */
export const nn_max_pool1d = nn_module(MaxPool1d, 'nn_max_pool1d') as unknown as MaxPoolGenerator<MaxPool1d<true>, MaxPool1d<false>>;
export type nn_max_pool1d<I extends boolean = false> = MaxPool1d<I>;

/**
 * Max pooling over (N x) C x H x W input as a module (see `nnf_max_pool2d`).
 *
 * @example
 * const net = nn_sequential(nn_conv2d(1, 8, 3), nn_relu(), nn_max_pool2d(2));
 */
export const nn_max_pool2d = nn_module(MaxPool2d, 'nn_max_pool2d') as unknown as MaxPoolGenerator<MaxPool2d<true>, MaxPool2d<false>>;
export type nn_max_pool2d<I extends boolean = false> = MaxPool2d<I>;

/** The class behind `nn_avg_pool1d` and `nn_avg_pool2d`, for `instanceof` and for types. */
export abstract class AvgPool extends nn_Module {
  /** For state_dict's type (the class has protected members, which types cannot see): no state. */
  declare readonly [nn_state]?: {};
  readonly kernel_size: SizeOption;
  readonly stride: SizeOption | null;
  readonly padding: SizeOption;
  readonly ceil_mode: boolean;
  readonly count_include_pad: boolean;
  readonly divisor_override: number | null;

  constructor(protected readonly dims: Dims, kernel_size: SizeOption, args: readonly unknown[] = []) {
    super();
    checkDimensions(dims, 'nn_avg_pool');
    const keys = dims === 1 ? AVG_POOL_KEYS : AVG_POOL2D_KEYS;
    const options = positionalOptions<AvgPool2dOptions>(args, dims === 1 ? AVG_POOL_ORDER : [...AVG_POOL_ORDER, 'divisor_override'], keys, `nn_avg_pool${dims}d`);
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
  constructor(kernel_size: SizeOption, ...args: AvgPoolArguments<AvgPoolOptions>) { super(1, kernel_size, args); }
}

/** The class behind `nn_avg_pool2d`. */
export class AvgPool2d extends AvgPool {
  constructor(kernel_size: SizeOption, ...args: AvgPool2dArguments) { super(2, kernel_size, args); }
}

/** Average pooling over (N x) C x L input as a module (see `nnf_avg_pool1d`). @example nn_avg_pool1d(3, { stride: 2 }) */
export const nn_avg_pool1d = nn_module(AvgPool1d, 'nn_avg_pool1d');
export type nn_avg_pool1d = AvgPool1d;

/** Average pooling over (N x) C x H x W input as a module (see `nnf_avg_pool2d`). @example nn_avg_pool2d(2) */
export const nn_avg_pool2d = nn_module(AvgPool2d, 'nn_avg_pool2d');
export type nn_avg_pool2d = AvgPool2d;
