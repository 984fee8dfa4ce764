// R torch's layers. Each is a small nn_Module subclass: the constructor takes the required
// sizes and an options object, makes its parameters and initialises them exactly as PyTorch
// does (same draws from libtorch's generator, in the same order), and `forward` is one call
// into nn/functional.ts. `nn_module(Class, 'nn_linear')` turns each into R's generator form.
// Containers are in nn/containers.ts, attention in nn/attention.ts.
import { torch_empty, torch_ones, torch_zeros } from '../ops/creation.js';
import { type Tensor } from '../ops/tensor.js';
import {
  checkBoolean, checkFinite, checkNonNegativeInteger, checkNumber, checkPositiveInteger, fail, failRange, optionKeys,
} from '../core/validate.js';
import {
  nnf_conv1d, nnf_conv2d, nnf_dropout, nnf_embedding, nnf_gelu, nnf_layer_norm, nnf_linear, type ConvolutionOptions, type GeluOptions, type SizeOption,
} from './functional.js';
import { checkMaxNorm, paddingRow, resetEmbeddingTable, sizes } from './checks.js';
import { nnf_relu, type InplaceOptions } from './functional_activations.js';
import { fanInAndFanOut, nn_init_constant_, nn_init_kaiming_uniform_, nn_init_uniform_ } from './init.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { nn_parameter } from './registry.js';
import type { nn_state } from './state_keys.js';
import { checkProbability, factory, FACTORY_KEYS, positionalOptions, type FactoryOptions, type Positional } from './options.js';

export type { FactoryOptions } from './options.js';


// ---- linear ----

export interface LinearOptions extends FactoryOptions {
  /** Learn an additive bias (true). */
  bias?: boolean;
}

const LINEAR_KEYS = optionKeys<LinearOptions>({ bias: true, ...FACTORY_KEYS });

/** The class behind `nn_linear`, for `instanceof` and for types (`class MyLayer extends Linear`). */
export class Linear extends nn_Module {
  declare weight: nn_parameter;
  declare bias: nn_parameter | null;
  readonly in_features: number;
  readonly out_features: number;

  constructor(in_features: number, out_features: number, ...args: Positional<[bias: boolean], LinearOptions>) {
    super();
    const options = positionalOptions<LinearOptions>(args, ['bias'], LINEAR_KEYS, 'nn_linear');
    const { bias = true } = options;
    this.in_features = checkNonNegativeInteger(in_features, 'in_features');
    this.out_features = checkNonNegativeInteger(out_features, 'out_features');
    this.weight = nn_parameter(torch_empty(out_features, in_features, factory(options)));
    if (checkBoolean(bias, 'bias')) this.bias = nn_parameter(torch_empty(out_features, factory(options)));
    else this.register_parameter('bias', null);
    this.reset_parameters();
  }

  /**
   * PyTorch's initialisation: kaiming-uniform with a = √5, bias U(±1/√in_features). With no
   * inputs (in_features 0) the weight is empty and the bias U(0, 0), as in PyTorch.
   */
  reset_parameters(): void {
    nn_init_kaiming_uniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const [fanIn] = fanInAndFanOut(this.weight);
      // PyTorch's bound is the integer 0 when fan_in is 0, so its low end is +0, not -0:
      // libtorch 2's uniform_ fills U(-0, 0) with -0 (1.13's with +0).
      if (fanIn > 0) nn_init_uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
      else nn_init_uniform_(this.bias, 0, 0);
    }
  }

  override forward(input: Tensor): Tensor {
    return nnf_linear(input, this.weight, this.bias);
  }
}

/**
 * A fully connected layer, `y = x Wᵀ + b`, with `weight` (out x in) and `bias` (out)
 * initialised as PyTorch does (kaiming-uniform with a = √5, bias U(±1/√in)).
 *
 * @example
 * const model = nn_linear(1001, 1000, { bias: false });
 * const y = model(X); // X: n x 1001
 */
export const nn_linear = nn_module(Linear, 'nn_linear');
export type nn_linear = Linear;

// ---- embedding ----

export interface EmbeddingLayerOptions extends FactoryOptions {
  /** This row is initialised to zeros and gets no gradient. */
  padding_idx?: number | null;
  /** Rows looked up whose `norm_type`-norm exceeds this are rescaled to it, in place, before each lookup. */
  max_norm?: number | null;
  /** The p of the norm compared with `max_norm` (2). */
  norm_type?: number;
  scale_grad_by_freq?: boolean;
  sparse?: boolean;
}

const EMBEDDING_KEYS = optionKeys<EmbeddingLayerOptions>({
  padding_idx: true, max_norm: true, norm_type: true, scale_grad_by_freq: true, sparse: true, ...FACTORY_KEYS,
});

/** The class behind `nn_embedding`, for `instanceof` and for types (`class MyLayer extends Embedding`). */
export class Embedding extends nn_Module {
  declare weight: nn_parameter;
  readonly num_embeddings: number;
  readonly embedding_dim: number;
  readonly padding_idx: number | null;
  readonly max_norm: number | null;
  readonly norm_type: number;
  readonly scale_grad_by_freq: boolean;
  readonly sparse: boolean;

  constructor(num_embeddings: number, embedding_dim: number, ...args: Positional<[
    padding_idx: number | null, max_norm: number | null, norm_type: number, scale_grad_by_freq: boolean, sparse: boolean,
  ], EmbeddingLayerOptions>) {
    super();
    const names = ['padding_idx', 'max_norm', 'norm_type', 'scale_grad_by_freq', 'sparse'] as const;
    const options = positionalOptions<EmbeddingLayerOptions>(args, names, EMBEDDING_KEYS, 'nn_embedding');
    const { padding_idx = null, max_norm = null, norm_type = 2, scale_grad_by_freq = false, sparse = false } = options;
    this.num_embeddings = checkNonNegativeInteger(num_embeddings, 'num_embeddings');
    this.embedding_dim = checkNonNegativeInteger(embedding_dim, 'embedding_dim');
    this.padding_idx = paddingRow(padding_idx, num_embeddings);
    this.max_norm = max_norm === null ? null : checkMaxNorm(max_norm);
    this.norm_type = checkNumber(norm_type, 'norm_type');
    this.scale_grad_by_freq = checkBoolean(scale_grad_by_freq, 'scale_grad_by_freq');
    this.sparse = checkBoolean(sparse, 'sparse');
    this.weight = nn_parameter(torch_empty(num_embeddings, embedding_dim, factory(options)));
    this.reset_parameters();
  }

  /** N(0, 1), with the padding row zeroed. */
  reset_parameters(): void {
    resetEmbeddingTable(this.weight, this.padding_idx);
  }

  override forward(input: Tensor): Tensor {
    return nnf_embedding(input, this.weight, {
      padding_idx: this.padding_idx, max_norm: this.max_norm, norm_type: this.norm_type, scale_grad_by_freq: this.scale_grad_by_freq, sparse: this.sparse,
    });
  }
}

/**
 * A lookup table of `num_embeddings` vectors of size `embedding_dim`, initialised N(0, 1);
 * indices are 0-based (R torch's are 1-based). With `max_norm`, each forward first rescales
 * (in place, without gradient) the looked-up rows whose norm exceeds it, as PyTorch does.
 *
 * @example
 * const embed = nn_embedding(1000, 64, { padding_idx: 0 });
 * const bounded = nn_embedding(1000, 64, { max_norm: 1 });
 * const vectors = embed(tokens); // tokens: int64
 */
export const nn_embedding = nn_module(Embedding, 'nn_embedding');
export type nn_embedding = Embedding;

// ---- convolutions ----

export interface ConvolutionLayerOptions extends FactoryOptions {
  stride?: SizeOption;
  /** Zero padding per side, or "same" (stride 1 only) / "valid". */
  padding?: SizeOption | 'same' | 'valid';
  dilation?: SizeOption;
  groups?: number;
  bias?: boolean;
  /** Only "zeros" is supported. */
  padding_mode?: 'zeros';
}

/** A convolution layer's optional arguments, positionally in R's and PyTorch's order or as options. */
export type ConvolutionLayerArguments = Positional<[
  stride: SizeOption, padding: SizeOption | 'same' | 'valid', dilation: SizeOption, groups: number, bias: boolean, padding_mode: 'zeros',
], ConvolutionLayerOptions>;

const CONVOLUTION_KEYS = optionKeys<ConvolutionLayerOptions>({
  stride: true, padding: true, dilation: true, groups: true, bias: true, padding_mode: true, ...FACTORY_KEYS,
});

/** What `nn_conv1d`, `nn_conv2d` and `nn_conv3d` share: sizes, stride, padding, dilation, groups. */
export abstract class Convolution extends nn_Module {
  /** For state_dict's type (the class has protected members, which types cannot see). */
  declare readonly [nn_state]?: { weight: Tensor; bias?: Tensor };
  declare weight: nn_parameter;
  declare bias: nn_parameter | null;
  readonly in_channels: number;
  readonly out_channels: number;
  readonly kernel_size: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;

  constructor(dims: number, in_channels: number, out_channels: number, kernel_size: SizeOption, args: readonly unknown[]) {
    super();
    if (dims !== 1 && dims !== 2 && dims !== 3) fail('1, 2 or 3 (use nn_conv1d, nn_conv2d or nn_conv3d)', 'dims', dims);
    const name = `nn_conv${dims}d`;
    const options = positionalOptions<ConvolutionLayerOptions>(args, ['stride', 'padding', 'dilation', 'groups', 'bias', 'padding_mode'], CONVOLUTION_KEYS, name);
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, padding_mode = 'zeros' } = options;
    if (padding_mode !== 'zeros') fail('"zeros" (the only padding mode supported)', 'padding_mode', padding_mode);
    this.in_channels = checkNonNegativeInteger(in_channels, 'in_channels');
    this.out_channels = checkNonNegativeInteger(out_channels, 'out_channels');
    this.groups = checkPositiveInteger(groups, 'groups');
    if (in_channels % groups !== 0) failRange(`a multiple of groups (${groups})`, 'in_channels', in_channels);
    if (out_channels % groups !== 0) failRange(`a multiple of groups (${groups})`, 'out_channels', out_channels);
    this.kernel_size = sizes(kernel_size, dims, 'kernel_size');
    this.stride = sizes(stride, dims, 'stride');
    this.dilation = sizes(dilation, dims, 'dilation');
    this.padding = padding === 'same' || padding === 'valid' ? padding : sizes(padding, dims, 'padding', checkNonNegativeInteger);
    if (padding === 'same' && this.stride.some((s) => s !== 1)) failRange('stride 1 with padding "same"', 'stride', stride);
    this.weight = nn_parameter(torch_empty([out_channels, in_channels / groups, ...this.kernel_size], factory(options)));
    if (checkBoolean(bias, 'bias')) this.bias = nn_parameter(torch_empty(out_channels, factory(options)));
    else this.register_parameter('bias', null);
    this.reset_parameters();
  }

  /**
   * PyTorch's initialisation: kaiming-uniform with a = √5, bias U(±1/√fan_in). With no inputs
   * (in_channels 0) PyTorch draws nothing for the bias and leaves it uninitialised; here it
   * is zeros, still without a draw, so later draws stay PyTorch's.
   */
  reset_parameters(): void {
    nn_init_kaiming_uniform_(this.weight, { a: Math.sqrt(5) });
    const [fanIn] = fanInAndFanOut(this.weight);
    if (this.bias === null) return;
    if (fanIn !== 0) nn_init_uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
    else nn_init_constant_(this.bias, 0);
  }

  protected get convolutionOptions(): ConvolutionOptions {
    return { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }
}

/** The class behind `nn_conv1d`, for `instanceof` and for types (`class MyLayer extends Conv1d`). */
export class Conv1d extends Convolution {
  constructor(in_channels: number, out_channels: number, kernel_size: SizeOption, ...args: ConvolutionLayerArguments) {
    super(1, in_channels, out_channels, kernel_size, args);
  }

  override forward(input: Tensor): Tensor {
    return nnf_conv1d(input, this.weight, this.convolutionOptions);
  }
}

/** The class behind `nn_conv2d`, for `instanceof` and for types (`class MyLayer extends Conv2d`). */
export class Conv2d extends Convolution {
  constructor(in_channels: number, out_channels: number, kernel_size: SizeOption, ...args: ConvolutionLayerArguments) {
    super(2, in_channels, out_channels, kernel_size, args);
  }

  override forward(input: Tensor): Tensor {
    return nnf_conv2d(input, this.weight, this.convolutionOptions);
  }
}

/**
 * 1-d convolution over N x C_in x L inputs; weight C_out x C_in/groups x K, initialised as PyTorch does.
 *
 * @example
 * const conv = nn_conv1d(16, 32, 3, { padding: 1 });
 */
export const nn_conv1d = nn_module(Conv1d, 'nn_conv1d');
export type nn_conv1d = Conv1d;

/**
 * 2-d convolution over N x C_in x H x W inputs; weight C_out x C_in/groups x kH x kW.
 *
 * @example
 * const conv = nn_conv2d(1, 8, 3, { stride: 2, padding: 1 });
 * const features = conv(images); // images: N x 1 x 28 x 28
 */
export const nn_conv2d = nn_module(Conv2d, 'nn_conv2d');
export type nn_conv2d = Conv2d;

// ---- normalisation, dropout, activations ----

export interface LayerNormOptions extends FactoryOptions {
  /** Added to the variance for stability (1e-5). */
  eps?: number;
  /** Learn a scale (ones) and, unless `bias` is false, a shift (zeros) (true). */
  elementwise_affine?: boolean;
  /** Learn the shift when `elementwise_affine` (true); PyTorch 2.1's option. */
  bias?: boolean;
}

const LAYER_NORM_KEYS = optionKeys<LayerNormOptions>({ eps: true, elementwise_affine: true, bias: true, ...FACTORY_KEYS });

/** The class behind `nn_layer_norm`, for `instanceof` and for types (`class MyLayer extends LayerNorm`). */
export class LayerNorm extends nn_Module {
  declare weight: nn_parameter | null;
  declare bias: nn_parameter | null;
  readonly normalized_shape: number[];
  readonly eps: number;
  readonly elementwise_affine: boolean;

  /** `eps` and `elementwise_affine` may come positionally, as in R and PyTorch (`bias`, which R lacks, in the options). */
  constructor(normalized_shape: number | number[], ...args: Positional<[eps: number, elementwise_affine: boolean], LayerNormOptions>) {
    super();
    const options = positionalOptions<LayerNormOptions>(args, ['eps', 'elementwise_affine'], LAYER_NORM_KEYS, 'nn_layer_norm');
    const { eps = 1e-5, elementwise_affine = true, bias = true } = options;
    this.normalized_shape = typeof normalized_shape === 'number' ? [checkNonNegativeInteger(normalized_shape, 'normalized_shape')]
      : sizes(normalized_shape, Array.isArray(normalized_shape) ? normalized_shape.length : 0, 'normalized_shape', checkNonNegativeInteger);
    this.eps = checkFinite(eps, 'eps');
    this.elementwise_affine = checkBoolean(elementwise_affine, 'elementwise_affine');
    const withBias = checkBoolean(bias, 'bias');
    // PyTorch registers weight and bias in this order, null when absent.
    if (elementwise_affine) this.weight = nn_parameter(torch_ones(this.normalized_shape, factory(options)));
    else this.register_parameter('weight', null);
    if (elementwise_affine && withBias) this.bias = nn_parameter(torch_zeros(this.normalized_shape, factory(options)));
    else this.register_parameter('bias', null);
  }

  override forward(input: Tensor): Tensor {
    return nnf_layer_norm(input, this.normalized_shape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/**
 * Layer normalisation over the last dimensions (`normalized_shape`), with a learned scale
 * (ones) and shift (zeros) unless `elementwise_affine` is false; `bias: false` keeps the
 * scale only (PyTorch 2.1's option).
 *
 * @example
 * const norm = nn_layer_norm(512);
 * const scaleOnly = nn_layer_norm(512, { bias: false });
 */
export const nn_layer_norm = nn_module(LayerNorm, 'nn_layer_norm');
export type nn_layer_norm = LayerNorm;

/** The class behind `nn_dropout`, for `instanceof` and for types (`class MyLayer extends Dropout`). */
export class Dropout extends nn_Module {
  readonly p: number;
  readonly inplace: boolean;

  constructor(p = 0.5, ...args: Positional<[inplace: boolean], InplaceOptions>) {
    super();
    this.p = checkProbability(p, 'p');
    const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], optionKeys<InplaceOptions>({ inplace: true }), 'nn_dropout');
    this.inplace = checkBoolean(inplace, 'inplace');
  }

  override forward(input: Tensor): Tensor {
    return nnf_dropout(input, { p: this.p, training: this.training, inplace: this.inplace });
  }
}

/**
 * Zeroes elements with probability `p` in training mode (scaling the rest by 1/(1-p));
 * does nothing after `eval()`. `{ inplace: true }` changes its input.
 *
 * @example
 * const drop = nn_dropout(0.1);
 */
export const nn_dropout = nn_module(Dropout, 'nn_dropout');
export type nn_dropout = Dropout;

/** The class behind `nn_relu`, for `instanceof` and for types (`class MyLayer extends ReLU`). */
export class ReLU extends nn_Module {
  readonly inplace: boolean;

  constructor(...args: Positional<[inplace: boolean], InplaceOptions>) {
    super();
    const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], optionKeys<InplaceOptions>({ inplace: true }), 'nn_relu');
    this.inplace = checkBoolean(inplace, 'inplace');
  }

  override forward(input: Tensor): Tensor {
    return nnf_relu(input, { inplace: this.inplace });
  }
}

/** `max(x, 0)` as a module (`{ inplace: true }` changes its input). @example nn_sequential(nn_linear(4, 8), nn_relu(), nn_linear(8, 1)) */
export const nn_relu = nn_module(ReLU, 'nn_relu');
export type nn_relu = ReLU;

const GELU_KEYS = optionKeys<GeluOptions>({ approximate: true });

/** The class behind `nn_gelu`, for `instanceof` and for types (`class MyLayer extends GELU`). */
export class GELU extends nn_Module {
  readonly approximate: 'none' | 'tanh';

  constructor(...args: Positional<[approximate: 'none' | 'tanh'], GeluOptions>) {
    super();
    const { approximate = 'none' } = positionalOptions<GeluOptions>(args, ['approximate'], GELU_KEYS, 'nn_gelu');
    if (approximate !== 'none' && approximate !== 'tanh') fail('"none" or "tanh"', 'approximate', approximate);
    this.approximate = approximate;
  }

  override forward(input: Tensor): Tensor {
    return nnf_gelu(input, { approximate: this.approximate });
  }
}

/** GELU as a module (exact, or `{ approximate: 'tanh' }`). @example nn_gelu() */
export const nn_gelu = nn_module(GELU, 'nn_gelu');
export type nn_gelu = GELU;
