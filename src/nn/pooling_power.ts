// Power-average pooling and local response normalisation, as R torch and torch.nn.functional
// have them: `nnf_lp_pool1d/2d` (with `nn_lp_pool1d/2d`) and `nnf_local_response_norm` (with
// `nn_local_response_norm`). PyTorch composes both from average pooling; so does this, op
// for op, so results are PyTorch's bit for bit.
import { torch_scope } from '../core/scope.js';
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkFinite, checkNumber, checkPositiveInteger, failRange, optionKeys } from '../core/validate.js';
import { positionalOptions, type Positional } from './options.js';
import { nnf_pad, type SizeOption } from './functional.js';
import { sizes } from './checks.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { pooled } from './pooling.js';

const AVG_POOL = { 1: atenOp('avg_pool1d'), 2: atenOp('avg_pool2d'), 3: atenOp('avg_pool3d') };
const MAX_POOL = { 1: atenOp('max_pool1d'), 2: atenOp('max_pool2d') };
const SIGN = atenOp('sign');

export interface LpPoolOptions {
  /** The window's step (the kernel size). */
  stride?: SizeOption | null;
  /** Round the output size up instead of down (false). */
  ceil_mode?: boolean;
}
const LP_POOL_KEYS = optionKeys<LpPoolOptions>({ stride: true, ceil_mode: true });

function lpPool(dims: 1 | 2, input: Tensor, norm_type: number, kernel_size: SizeOption, args: readonly unknown[]): Tensor {
  const { stride = null, ceil_mode = false } = positionalOptions<LpPoolOptions>(args, ['stride', 'ceil_mode'], LP_POOL_KEYS, `nnf_lp_pool${dims}d`);
  pooled(checkTensor(input, 'input'), dims);
  const p = checkNumber(norm_type, 'norm_type');
  if (p === 0 || Number.isNaN(p)) failRange('a non-zero norm_type', 'norm_type', norm_type);
  const kernel = sizes(kernel_size, dims, 'kernel_size');
  const step = stride === null ? [] : sizes(stride, dims, 'stride');
  const ceil = checkBoolean(ceil_mode, 'ceil_mode');
  const [zeros, ones] = [kernel.map(() => 0), kernel.map(() => 1)];
  return torch_scope(() => {
    // p = ±∞: the largest (or smallest) absolute value, as torch.nn.functional does.
    if (Math.abs(p) === Infinity) {
      const magnitude = p > 0 ? input.abs() : input.abs().neg();
      const largest = MAX_POOL[dims].call<Tensor>(magnitude, kernel, step, zeros, ones, ceil);
      return p > 0 ? largest : largest.neg();
    }
    const out = AVG_POOL[dims].call<Tensor>(input.pow(p), kernel, step, zeros, ceil);
    return SIGN.call<Tensor>(out).mul(out.abs().relu()).mul(kernel.reduce((a, b) => a * b, 1)).pow(1 / p);
  });
}

/**
 * Power-average pooling: `(sum of x^p over each window)^(1/p)` over (N x) C x L input
 * (`norm_type` p; ∞ gives max pooling of |x|).
 *
 * @example nnf_lp_pool1d(x, 2, 3, { stride: 2 })
 */
export function nnf_lp_pool1d(input: Tensor, norm_type: number, kernel_size: SizeOption, ...args: Positional<[stride: SizeOption | null, ceil_mode: boolean], LpPoolOptions>): Tensor {
  return lpPool(1, input, norm_type, kernel_size, args);
}

/** Power-average pooling over (N x) C x H x W input. @example nnf_lp_pool2d(images, 2, [2, 3]) */
export function nnf_lp_pool2d(input: Tensor, norm_type: number, kernel_size: SizeOption, ...args: Positional<[stride: SizeOption | null, ceil_mode: boolean], LpPoolOptions>): Tensor {
  return lpPool(2, input, norm_type, kernel_size, args);
}

/** What `nn_lp_pool1d` and `nn_lp_pool2d` share. */
abstract class LpPool extends nn_Module {
  readonly norm_type: number;
  readonly kernel_size: SizeOption;
  readonly stride: SizeOption | null;
  readonly ceil_mode: boolean;
  protected constructor(dims: 1 | 2, norm_type: number, kernel_size: SizeOption, args: readonly unknown[]) {
    super();
    const { stride = null, ceil_mode = false } = positionalOptions<LpPoolOptions>(args, ['stride', 'ceil_mode'], LP_POOL_KEYS, `nn_lp_pool${dims}d`);
    this.norm_type = checkNumber(norm_type, 'norm_type');
    this.kernel_size = sizes(kernel_size, dims, 'kernel_size');
    this.stride = stride === null ? null : sizes(stride, dims, 'stride');
    this.ceil_mode = checkBoolean(ceil_mode, 'ceil_mode');
  }
}

/** The class behind `nn_lp_pool1d`. */
export class LPPool1d extends LpPool {
  constructor(norm_type: number, kernel_size: SizeOption, ...args: Positional<[stride: SizeOption | null, ceil_mode: boolean], LpPoolOptions>) { super(1, norm_type, kernel_size, args); }
  override forward(input: Tensor): Tensor { return nnf_lp_pool1d(input, this.norm_type, this.kernel_size, { stride: this.stride, ceil_mode: this.ceil_mode }); }
}
/** `nnf_lp_pool1d` as a module. @example nn_lp_pool1d(2, 3) */
export const nn_lp_pool1d = nn_module(LPPool1d, 'nn_lp_pool1d');
export type nn_lp_pool1d = LPPool1d;

/** The class behind `nn_lp_pool2d`. */
export class LPPool2d extends LpPool {
  constructor(norm_type: number, kernel_size: SizeOption, ...args: Positional<[stride: SizeOption | null, ceil_mode: boolean], LpPoolOptions>) { super(2, norm_type, kernel_size, args); }
  override forward(input: Tensor): Tensor { return nnf_lp_pool2d(input, this.norm_type, this.kernel_size, { stride: this.stride, ceil_mode: this.ceil_mode }); }
}
/** `nnf_lp_pool2d` as a module. @example nn_lp_pool2d(2, [2, 2], { stride: 1 }) */
export const nn_lp_pool2d = nn_module(LPPool2d, 'nn_lp_pool2d');
export type nn_lp_pool2d = LPPool2d;

export interface LocalResponseNormOptions {
  /** The multiplier of the neighbours' mean square (1e-4). */
  alpha?: number;
  /** The exponent (0.75). */
  beta?: number;
  /** The additive constant (1). */
  k?: number;
}
const LRN_KEYS = optionKeys<LocalResponseNormOptions>({ alpha: true, beta: true, k: true });

/**
 * Local response normalisation across channels (AlexNet's): each value divided by
 * `(k + alpha * mean of the squares of `size` neighbouring channels)^beta`. Input N x C x ...
 * (3-d or more).
 *
 * @example nnf_local_response_norm(features, 5, { alpha: 1e-4, beta: 0.75, k: 2 })
 */
export function nnf_local_response_norm(input: Tensor, size: number, ...args: Positional<[alpha: number, beta: number, k: number], LocalResponseNormOptions>): Tensor {
  const { alpha = 1e-4, beta = 0.75, k = 1 } = positionalOptions<LocalResponseNormOptions>(args, ['alpha', 'beta', 'k'], LRN_KEYS, 'nnf_local_response_norm');
  checkTensor(input, 'input');
  const n = checkPositiveInteger(size, 'size');
  checkFinite(alpha, 'alpha');
  checkFinite(beta, 'beta');
  checkFinite(k, 'k');
  if (input.dim() < 3) failRange('a tensor of 3 or more dimensions', 'input', `a ${input.dim()}-d tensor`);
  if (input.numel() === 0) return input;
  const [before, after] = [Math.floor(n / 2), Math.floor((n - 1) / 2)];
  return torch_scope(() => {
    let div = input.mul(input);
    if (input.dim() === 3) {
      div = AVG_POOL[2].call<Tensor>(nnf_pad(div.unsqueeze(1), [0, 0, before, after]), [n, 1], [1, 1]).squeeze(1);
    } else {
      const shape = input.shape;
      div = div.view([shape[0]!, 1, shape[1]!, shape[2]!, -1]);
      div = AVG_POOL[3].call<Tensor>(nnf_pad(div, [0, 0, 0, 0, before, after]), [n, 1, 1], [1, 1, 1]).squeeze(1).view(shape);
    }
    return input.div(div.mul(alpha).add(k).pow(beta));
  });
}

/** The class behind `nn_local_response_norm`. */
export class LocalResponseNorm extends nn_Module {
  readonly size: number;
  readonly options: Readonly<LocalResponseNormOptions>;
  constructor(size: number, ...args: Positional<[alpha: number, beta: number, k: number], LocalResponseNormOptions>) {
    super();
    this.size = checkPositiveInteger(size, 'size');
    this.options = Object.freeze({ ...positionalOptions<LocalResponseNormOptions>(args, ['alpha', 'beta', 'k'], LRN_KEYS, 'nn_local_response_norm') });
  }
  override forward(input: Tensor): Tensor { return nnf_local_response_norm(input, this.size, this.options); }
}
/** `nnf_local_response_norm` as a module. @example nn_local_response_norm(2) */
export const nn_local_response_norm = nn_module(LocalResponseNorm, 'nn_local_response_norm');
export type nn_local_response_norm = LocalResponseNorm;
