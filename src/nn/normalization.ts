// Normalisation layers as PyTorch's torch/nn/modules/{batchnorm,normalization}.py have them,
// and their nnf_* functions, over libtorch's operators (src/core/dispatch.ts). Layer norm, older,
// is in nn/layers.ts.
import { with_no_grad } from '../ops/autograd.js';
import { torch_ones, torch_zeros } from '../ops/creation.js';
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import {
  checkBoolean, checkFinite, checkNonNegativeInteger, checkOptions, checkPositiveInteger, checkShape, fail, failRange, optionKeys,
} from '../core/validate.js';
import { optionalTensor } from './checks.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { KEPT_WHEN_MISSING } from './state_dict.js';
import { nn_parameter, nn_buffer } from './registry.js';
import { checkRank, factory, FACTORY_KEYS, positionalOptions, type FactoryOptions, type Positional } from './options.js';

const BATCH_NORM = atenOp('batch_norm');
const GROUP_NORM = atenOp('group_norm');
const POW = atenOp('pow', 'Tensor_Scalar');
const RSQRT = atenOp('rsqrt');
const MEAN = atenOp('mean', 'dim');

// N x C x ...: the layouts batch and group norm normalise over dimension 1.
function checkChannelsInput(input: Tensor): Tensor {
  checkTensor(input, 'input');
  if (input.dim() < 2) throw new RangeError(`Expected an N x C x ... tensor (at least 2-d) for input but received a ${input.dim()}-d tensor of shape [${input.shape.join(', ')}]`);
  return input;
}

// A layer's per-channel parameters or statistics need the input to have its channel count.
function checkChannelCount(input: Tensor, channels: number, name: string): void {
  if (input.size(1) !== channels) {
    throw new RangeError(`Expected an input of ${channels} channels (${name}) in dimension 1 for input but received a tensor of shape [${input.shape.join(', ')}]`);
  }
}

// F._verify_batch_size: statistics of one value per channel are meaningless (variance 0).
function checkMoreThanOneValue(shape: number[], values: number, name = 'input'): void {
  if (values === 1) throw new RangeError(`Expected more than 1 value per channel when training for ${name} but received a tensor of shape [${shape.join(', ')}]`);
}

// A learned scale (ones) and shift (zeros) per channel, or both registered as null.
function registerAffine(module: nn_Module, affine: boolean, channels: number, options: FactoryOptions): void {
  module.register_parameter('weight', affine ? torch_ones(channels, factory(options)) : null);
  module.register_parameter('bias', affine ? torch_zeros(channels, factory(options)) : null);
}

// ---- batch norm ----

export interface BatchNormFunctionOptions {
  /** Scale per channel (none). */
  weight?: Tensor | null;
  /** Shift per channel (none). */
  bias?: Tensor | null;
  /** Normalise with the batch's statistics and update the running ones (false: use the running ones). */
  training?: boolean;
  /** How far the running statistics move towards the batch's: `running = (1 - momentum) running + momentum batch` (0.1). */
  momentum?: number;
  /** Added to the variance for stability (1e-5). */
  eps?: number;
}

const BATCH_NORM_KEYS = optionKeys<BatchNormFunctionOptions>({ weight: true, bias: true, training: true, momentum: true, eps: true });

/**
 * Batch normalisation over dimension 1 (channels) of `input` (N x C x ...). In training, the
 * batch's mean and (biased) variance normalise, and `running_mean` / `running_var` (when
 * given) are updated in place with the unbiased variance; otherwise the running ones normalise.
 *
 * @example
 * nnf_batch_norm(x, running_mean, running_var, { training: true, momentum: 0.1 })
 * nnf_batch_norm(x, null, null, { training: true }) // batch statistics only
 */
export function nnf_batch_norm(input: Tensor, running_mean: Tensor | null, running_var: Tensor | null, ...args: Positional<[
  weight: Tensor | null, bias: Tensor | null, training: boolean, momentum: number, eps: number,
], BatchNormFunctionOptions>): Tensor {
  const names = ['weight', 'bias', 'training', 'momentum', 'eps'] as const;
  const { weight, bias, training = false, momentum = 0.1, eps = 1e-5 } = positionalOptions<BatchNormFunctionOptions>(args, names, BATCH_NORM_KEYS, 'nnf_batch_norm');
  checkChannelsInput(input);
  const mean = optionalTensor(running_mean, 'running_mean');
  const variance = optionalTensor(running_var, 'running_var');
  if (checkBoolean(training, 'training')) {
    const shape = input.shape;
    checkMoreThanOneValue(shape, shape.reduce((product, size, i) => (i === 1 ? product : product * size), 1));
  } else if (mean === null || variance === null) {
    failRange('running_mean and running_var outside training', mean === null ? 'running_mean' : 'running_var', null);
  }
  // cudnn_enabled true, as torch.backends.cudnn.enabled is by default.
  return BATCH_NORM.call(input, optionalTensor(weight, 'weight'), optionalTensor(bias, 'bias'), mean, variance, training,
    checkFinite(momentum, 'momentum'), checkFinite(eps, 'eps'), true);
}

export interface BatchNormOptions extends FactoryOptions {
  /** Added to the variance for stability (1e-5). */
  eps?: number;
  /** The running statistics' update factor (0.1); null keeps a cumulative (equal-weight) average. */
  momentum?: number | null;
  /** Learn a scale (ones) and a shift (zeros) per channel (true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (true); without them, batch statistics are used in eval mode too. */
  track_running_stats?: boolean;
}

const BATCH_NORM_LAYER_KEYS = optionKeys<BatchNormOptions>({ eps: true, momentum: true, affine: true, track_running_stats: true, ...FACTORY_KEYS });

/** What `nn_batch_norm1d` (N x C or N x C x L) and `nn_batch_norm2d` (N x C x H x W) share (PyTorch's _BatchNorm). */
export abstract class BatchNorm extends nn_Module {
  declare weight: nn_parameter | null;
  declare bias: nn_parameter | null;
  declare running_mean: nn_buffer<true> | null;
  declare running_var: nn_buffer<true> | null;
  /** How many training batches the running statistics have seen (an int64 scalar). */
  declare num_batches_tracked: nn_buffer<true> | null;
  readonly num_features: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly track_running_stats: boolean;

  constructor(readonly dims: 1 | 2 | 3, num_features: number, args: readonly unknown[]) {
    super();
    if (dims !== 1 && dims !== 2 && dims !== 3) fail('1, 2 or 3 (use nn_batch_norm1d, nn_batch_norm2d or nn_batch_norm3d)', 'dims', dims);
    const options = positionalOptions<BatchNormOptions>(args, ['eps', 'momentum', 'affine', 'track_running_stats'], BATCH_NORM_LAYER_KEYS, `nn_batch_norm${dims}d`);
    const { eps = 1e-5, momentum = 0.1, affine = true, track_running_stats = true } = options;
    this.num_features = checkNonNegativeInteger(num_features, 'num_features');
    this.eps = checkFinite(eps, 'eps');
    this.momentum = momentum === null ? null : checkFinite(momentum, 'momentum');
    this.affine = checkBoolean(affine, 'affine');
    this.track_running_stats = checkBoolean(track_running_stats, 'track_running_stats');
    // PyTorch's order: weight, bias, then the three buffers (null when absent).
    registerAffine(this, affine, num_features, options);
    if (track_running_stats) {
      this.running_mean = nn_buffer(torch_zeros(num_features, factory(options)));
      this.running_var = nn_buffer(torch_ones(num_features, factory(options)));
      this.num_batches_tracked = nn_buffer(torch_zeros([], { dtype: 'int64', device: options.device }));
    } else {
      for (const buffer of ['running_mean', 'running_var', 'num_batches_tracked']) this.register_buffer(buffer, null);
    }
  }

  /** A checkpoint without `num_batches_tracked` (older PyTorch's) loads, keeping this module's count, as in PyTorch. */
  get [KEPT_WHEN_MISSING](): string[] {
    return this.track_running_stats ? ['num_batches_tracked'] : [];
  }

  /** Running mean 0, variance 1, no batches seen. @example bn.reset_running_stats() */
  reset_running_stats(): void {
    with_no_grad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
  }

  /** The running statistics reset, weight ones and bias zeros. @example bn.reset_parameters() */
  reset_parameters(): void {
    this.reset_running_stats();
    with_no_grad(() => {
      this.weight?.fill_(1);
      this.bias?.zero_();
    });
  }

  override forward(input: Tensor): Tensor {
    checkRank(input, this.dims === 1 ? [2, 3] : [this.dims + 2]);
    // Without weights or statistics any channel count works, as in PyTorch.
    if (this.affine || this.track_running_stats) checkChannelCount(input, this.num_features, 'num_features');
    // Checked before num_batches_tracked counts the batch, so a refused batch is not counted
    // (PyTorch counts it, then refuses it).
    if (this.training) checkMoreThanOneValue(input.shape, input.shape.reduce((product, size, i) => (i === 1 ? product : product * size), 1));
    let factor = this.momentum ?? 0;
    const counter = this.num_batches_tracked;
    if (this.training && this.track_running_stats && counter !== null) {
      with_no_grad(() => counter.add_(1));
      // momentum null: the cumulative average, each batch weighing 1 / (batches seen).
      factor = this.momentum ?? 1 / Number(counter.item());
    }
    const batchStatistics = this.training || (this.running_mean === null && this.running_var === null);
    const useRunning = !this.training || this.track_running_stats;
    return nnf_batch_norm(input, useRunning ? this.running_mean : null, useRunning ? this.running_var : null, {
      weight: this.weight, bias: this.bias, training: batchStatistics, momentum: factor, eps: this.eps,
    });
  }
}

/** The class behind `nn_batch_norm1d`, for `instanceof` and for types. */
export class BatchNorm1d extends BatchNorm {
  constructor(num_features: number, ...args: Positional<[eps: number, momentum: number | null, affine: boolean, track_running_stats: boolean], BatchNormOptions>) {
    super(1, num_features, args);
  }
}

/** The class behind `nn_batch_norm2d`, for `instanceof` and for types. */
export class BatchNorm2d extends BatchNorm {
  constructor(num_features: number, ...args: Positional<[eps: number, momentum: number | null, affine: boolean, track_running_stats: boolean], BatchNormOptions>) {
    super(2, num_features, args);
  }
}

/**
 * Batch normalisation of N x C or N x C x L inputs over each channel, with a learned scale
 * and shift and running statistics (buffers `running_mean`, `running_var`,
 * `num_batches_tracked`) that `eval()` mode uses, as PyTorch's BatchNorm1d.
 *
 * @example
 * const bn = nn_batch_norm1d(16);
 * const y = bn(x);          // training: batch statistics, running ones updated
 * bn.eval(); bn(x);         // running statistics
 * nn_batch_norm1d(16, { momentum: null }); // cumulative average
 */
export const nn_batch_norm1d = nn_module(BatchNorm1d, 'nn_batch_norm1d');
export type nn_batch_norm1d = BatchNorm1d;

/** The class behind `nn_batch_norm3d`, for `instanceof` and for types. */
export class BatchNorm3d extends BatchNorm {
  constructor(num_features: number, ...args: Positional<[eps: number, momentum: number | null, affine: boolean, track_running_stats: boolean], BatchNormOptions>) {
    super(3, num_features, args);
  }
}

/**
 * Batch normalisation of N x C x D x H x W inputs (volumes) over each channel, as PyTorch's BatchNorm3d.
 *
 * @example
 * const block = nn_sequential(nn_conv3d(1, 4, 3), nn_batch_norm3d(4), nn_relu());
 */
export const nn_batch_norm3d = nn_module(BatchNorm3d, 'nn_batch_norm3d');
export type nn_batch_norm3d = BatchNorm3d;

/**
 * Batch normalisation of N x C x H x W inputs over each channel, as PyTorch's BatchNorm2d.
 *
 * @example
 * const block = nn_sequential(nn_conv2d(3, 8, 3), nn_batch_norm2d(8), nn_relu());
 */
export const nn_batch_norm2d = nn_module(BatchNorm2d, 'nn_batch_norm2d');
export type nn_batch_norm2d = BatchNorm2d;

// ---- group norm ----

export interface GroupNormFunctionOptions {
  /** Scale per channel (none). */
  weight?: Tensor | null;
  /** Shift per channel (none). */
  bias?: Tensor | null;
  /** Added to the variance for stability (1e-5). */
  eps?: number;
}

const GROUP_NORM_KEYS = optionKeys<GroupNormFunctionOptions>({ weight: true, bias: true, eps: true });

/**
 * Normalises each of `num_groups` groups of channels (dimension 1) of every sample to mean
 * 0 and variance 1, then scales and shifts per channel.
 *
 * @example nnf_group_norm(x, 4, { weight: g, bias: b }) // x: N x 16 x H x W
 */
export function nnf_group_norm(input: Tensor, num_groups: number, ...args: Positional<[weight: Tensor | null, bias: Tensor | null, eps: number], GroupNormFunctionOptions>): Tensor {
  const { weight, bias, eps = 1e-5 } = positionalOptions<GroupNormFunctionOptions>(args, ['weight', 'bias', 'eps'], GROUP_NORM_KEYS, 'nnf_group_norm');
  checkChannelsInput(input);
  checkPositiveInteger(num_groups, 'num_groups');
  const shape = input.shape;
  if (shape[1]! % num_groups !== 0) failRange(`a divisor of the input's ${shape[1]} channels`, 'num_groups', num_groups);
  checkMoreThanOneValue(shape, Math.floor((shape[0]! * shape[1]!) / num_groups) * shape.slice(2).reduce((a, b) => a * b, 1));
  return GROUP_NORM.call(input, num_groups, optionalTensor(weight, 'weight'), optionalTensor(bias, 'bias'), checkFinite(eps, 'eps'), true);
}

export interface GroupNormOptions extends FactoryOptions {
  /** Added to the variance for stability (1e-5). */
  eps?: number;
  /** Learn a scale (ones) and a shift (zeros) per channel (true). */
  affine?: boolean;
}

const GROUP_NORM_LAYER_KEYS = optionKeys<GroupNormOptions>({ eps: true, affine: true, ...FACTORY_KEYS });

/** The class behind `nn_group_norm`, for `instanceof` and for types. */
export class GroupNorm extends nn_Module {
  declare weight: nn_parameter | null;
  declare bias: nn_parameter | null;
  readonly num_groups: number;
  readonly num_channels: number;
  readonly eps: number;
  readonly affine: boolean;

  constructor(num_groups: number, num_channels: number, ...args: Positional<[eps: number, affine: boolean], GroupNormOptions>) {
    super();
    const options = positionalOptions<GroupNormOptions>(args, ['eps', 'affine'], GROUP_NORM_LAYER_KEYS, 'nn_group_norm');
    const { eps = 1e-5, affine = true } = options;
    this.num_groups = checkPositiveInteger(num_groups, 'num_groups');
    this.num_channels = checkNonNegativeInteger(num_channels, 'num_channels');
    if (num_channels % num_groups !== 0) failRange(`a multiple of num_groups (${num_groups})`, 'num_channels', num_channels);
    this.eps = checkFinite(eps, 'eps');
    this.affine = checkBoolean(affine, 'affine');
    registerAffine(this, affine, num_channels, options);
  }

  override forward(input: Tensor): Tensor {
    checkChannelsInput(input);
    if (this.affine) checkChannelCount(input, this.num_channels, 'num_channels');
    return nnf_group_norm(input, this.num_groups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/**
 * Group normalisation (PyTorch's GroupNorm): channels split into `num_groups` groups, each
 * normalised per sample; the same in training and eval (no running statistics).
 *
 * @example
 * const norm = nn_group_norm(4, 16); // 16 channels in 4 groups
 * const y = norm(x);                 // x: N x 16 x ...
 */
export const nn_group_norm = nn_module(GroupNorm, 'nn_group_norm');
export type nn_group_norm = GroupNorm;

// ---- RMS norm ----

// torch.finfo(dtype).eps: the default eps of RMS norm.
const EPSILON: Record<string, number> = { float64: 2 ** -52, float32: 2 ** -23, float16: 2 ** -10, bfloat16: 2 ** -7 };

export interface RmsNormFunctionOptions {
  /** Scale, of shape `normalized_shape` (none). */
  weight?: Tensor | null;
  /** Added to the mean square; null (the default) is `torch.finfo(input.dtype).eps`. */
  eps?: number | null;
}

const RMS_NORM_KEYS = optionKeys<RmsNormFunctionOptions>({ weight: true, eps: true });

/**
 * Root-mean-square normalisation over the last dimensions (`normalized_shape`), PyTorch
 * 2.4's `F.rms_norm`: `x * rsqrt(mean(x², over normalized_shape) + eps) * weight`, computed
 * with the operations PyTorch's kernel uses, in its order.
 *
 * @example
 * nnf_rms_norm(x, [512], { weight: g })
 * nnf_rms_norm(x, [512], { eps: 1e-6 })
 */
export function nnf_rms_norm(input: Tensor, normalized_shape: number | number[], options: RmsNormFunctionOptions = {}): Tensor {
  const { weight, eps = null } = checkOptions(options, RMS_NORM_KEYS, 'nnf_rms_norm');
  checkTensor(input, 'input');
  const normalized = checkShape(typeof normalized_shape === 'number' ? [normalized_shape] : normalized_shape, 'normalized_shape');
  const shape = input.shape;
  const trailing = shape.slice(shape.length - normalized.length);
  if (normalized.length > shape.length || trailing.some((size, i) => size !== normalized[i])) {
    throw new RangeError(`Expected an input whose last dimensions are [${normalized.join(', ')}] for input but received a tensor of shape [${shape.join(', ')}]`);
  }
  const epsilon = eps === null ? EPSILON[input.dtype] : checkFinite(eps, 'eps');
  if (epsilon === undefined) failRange('a floating-point tensor', 'input', input.dtype);
  const scale = optionalTensor(weight, 'weight');
  // The last dimensions, innermost first, as PyTorch's rms_norm lists them.
  const dims = normalized.map((_, i) => shape.length - i - 1);
  const meanSquare = MEAN.call<Tensor>(POW.call<Tensor>(input, 2), dims, true);
  const result = input.mul(RSQRT.call<Tensor>(meanSquare.add_(epsilon)));
  return scale === null ? result : result.mul(scale);
}

export interface RmsNormOptions extends FactoryOptions {
  /** Added to the mean square; null (the default) is `torch.finfo(input.dtype).eps`. */
  eps?: number | null;
  /** Learn a scale of ones (true). */
  elementwise_affine?: boolean;
}

const RMS_NORM_LAYER_KEYS = optionKeys<RmsNormOptions>({ eps: true, elementwise_affine: true, ...FACTORY_KEYS });

/** The class behind `nn_rms_norm`, for `instanceof` and for types. */
export class RMSNorm extends nn_Module {
  declare weight: nn_parameter | null;
  readonly normalized_shape: number[];
  readonly eps: number | null;
  readonly elementwise_affine: boolean;

  constructor(normalized_shape: number | number[], options: RmsNormOptions = {}) {
    super();
    const { eps = null, elementwise_affine = true } = checkOptions(options, RMS_NORM_LAYER_KEYS, 'nn_rms_norm');
    this.normalized_shape = checkShape(typeof normalized_shape === 'number' ? [normalized_shape] : normalized_shape, 'normalized_shape');
    this.eps = eps === null ? null : checkFinite(eps, 'eps');
    this.elementwise_affine = checkBoolean(elementwise_affine, 'elementwise_affine');
    if (elementwise_affine) this.weight = nn_parameter(torch_ones(this.normalized_shape, factory(options)));
    else this.register_parameter('weight', null);
  }

  override forward(input: Tensor): Tensor {
    return nnf_rms_norm(input, this.normalized_shape, { weight: this.weight, eps: this.eps });
  }
}

/**
 * Root-mean-square layer normalisation (PyTorch 2.4's nn.RMSNorm, as in Llama): no mean is
 * subtracted and there is no shift; a learned scale of ones unless `elementwise_affine` is false.
 *
 * @example
 * const norm = nn_rms_norm(512);
 * const fixed = nn_rms_norm([4, 8], { eps: 1e-6, elementwise_affine: false });
 */
export const nn_rms_norm = nn_module(RMSNorm, 'nn_rms_norm');
export type nn_rms_norm = RMSNorm;
