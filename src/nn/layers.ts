// R torch's layers. Each is a small nn_Module subclass: the constructor takes the required
// sizes and an options object, makes its parameters and initialises them exactly as PyTorch
// does (same draws from libtorch's generator, in the same order), and `forward` is one call
// into nn/functional.ts. `nn_module(Class, 'nn_linear')` turns each into R's generator form.
import { with_no_grad } from '../autograd.js';
import { type DTypeLike } from '../dtype.js';
import { torch_empty, torch_ones, torch_zeros } from '../creation.js';
import { torch_baddbmm, torch_matmul, torch_where } from '../ops.js';
import { checkTensor, type Tensor } from '../tensor.js';
import { checkBoolean, checkFinite, checkInteger, checkNonNegativeInteger, checkPositiveInteger, fail, failRange } from '../validate.js';
import {
  nnf_conv1d, nnf_conv2d, nnf_dropout, nnf_embedding, nnf_gelu, nnf_layer_norm, nnf_linear, nnf_relu, sizes, type SizeOption,
} from './functional.js';
import { fanInAndFanOut, nn_init_constant_, nn_init_kaiming_uniform_, nn_init_normal_, nn_init_uniform_, nn_init_xavier_uniform_ } from './init.js';
import { nn_Module, nn_module, nn_parameter } from './module.js';

/** Where and as what a layer makes its parameters. */
export interface FactoryOptions {
  dtype?: DTypeLike;
  device?: string;
}

function factory(options: FactoryOptions): FactoryOptions {
  return { dtype: options.dtype, device: options.device };
}

function checkOptions<T extends object>(options: T): T {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('an options object', 'options', options);
  return options;
}

function checkProbability(value: unknown, name: string): number {
  const p = checkFinite(value, name);
  if (p < 0 || p > 1) failRange('a probability in [0, 1]', name, value);
  return p;
}

// ---- linear ----

/** The class behind `nn_linear`, for `instanceof` and for types (`class MyLayer extends Linear`). */
export class Linear extends nn_Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly in_features: number;
  readonly out_features: number;

  constructor(in_features: number, out_features: number, options: { bias?: boolean } & FactoryOptions = {}) {
    super();
    const { bias = true } = checkOptions(options);
    this.in_features = checkNonNegativeInteger(in_features, 'in_features');
    this.out_features = checkNonNegativeInteger(out_features, 'out_features');
    this.weight = nn_parameter(torch_empty(out_features, in_features, factory(options)));
    if (checkBoolean(bias, 'bias')) this.bias = nn_parameter(torch_empty(out_features, factory(options)));
    else this.register_parameter('bias', null);
    this.reset_parameters();
  }

  /** PyTorch's initialisation: kaiming-uniform with a = √5, bias U(±1/√in_features). */
  reset_parameters(): void {
    nn_init_kaiming_uniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const [fanIn] = fanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      nn_init_uniform_(this.bias, -bound, bound);
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

interface EmbeddingLayerOptions extends FactoryOptions {
  /** This row is initialised to zeros and gets no gradient. */
  padding_idx?: number | null;
  scale_grad_by_freq?: boolean;
  sparse?: boolean;
}

/** The class behind `nn_embedding`, for `instanceof` and for types (`class MyLayer extends Embedding`). */
export class Embedding extends nn_Module {
  declare weight: Tensor;
  readonly num_embeddings: number;
  readonly embedding_dim: number;
  readonly padding_idx: number | null;
  readonly scale_grad_by_freq: boolean;
  readonly sparse: boolean;

  constructor(num_embeddings: number, embedding_dim: number, options: EmbeddingLayerOptions = {}) {
    super();
    const { padding_idx = null, scale_grad_by_freq = false, sparse = false } = checkOptions(options);
    this.num_embeddings = checkPositiveInteger(num_embeddings, 'num_embeddings');
    this.embedding_dim = checkNonNegativeInteger(embedding_dim, 'embedding_dim');
    if (padding_idx !== null) {
      checkInteger(padding_idx, 'padding_idx');
      if (padding_idx < -num_embeddings || padding_idx >= num_embeddings) failRange(`an index in [${-num_embeddings}, ${num_embeddings - 1}]`, 'padding_idx', padding_idx);
    }
    this.padding_idx = padding_idx === null ? null : padding_idx < 0 ? padding_idx + num_embeddings : padding_idx;
    this.scale_grad_by_freq = checkBoolean(scale_grad_by_freq, 'scale_grad_by_freq');
    this.sparse = checkBoolean(sparse, 'sparse');
    this.weight = nn_parameter(torch_empty(num_embeddings, embedding_dim, factory(options)));
    this.reset_parameters();
  }

  /** N(0, 1), with the padding row zeroed. */
  reset_parameters(): void {
    nn_init_normal_(this.weight);
    const row = this.padding_idx;
    if (row !== null) with_no_grad(() => this.weight.index_put_([row], 0));
  }

  override forward(input: Tensor): Tensor {
    return nnf_embedding(input, this.weight, { padding_idx: this.padding_idx, scale_grad_by_freq: this.scale_grad_by_freq, sparse: this.sparse });
  }
}

/**
 * A lookup table of `num_embeddings` vectors of size `embedding_dim`, initialised N(0, 1);
 * indices are 0-based (R torch's are 1-based).
 *
 * @example
 * const embed = nn_embedding(1000, 64, { padding_idx: 0 });
 * const vectors = embed(tokens); // tokens: int64
 */
export const nn_embedding = nn_module(Embedding, 'nn_embedding');
export type nn_embedding = Embedding;

// ---- convolutions ----

interface ConvolutionLayerOptions extends FactoryOptions {
  stride?: SizeOption;
  /** Zero padding per side, or "same" (stride 1 only) / "valid". */
  padding?: SizeOption | 'same' | 'valid';
  dilation?: SizeOption;
  groups?: number;
  bias?: boolean;
  /** Only "zeros" is supported. */
  padding_mode?: 'zeros';
}

/** What `nn_conv1d` and `nn_conv2d` share: sizes, stride, padding, dilation, groups. */
export abstract class Convolution extends nn_Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly in_channels: number;
  readonly out_channels: number;
  readonly kernel_size: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;

  constructor(dims: number, in_channels: number, out_channels: number, kernel_size: SizeOption, options: ConvolutionLayerOptions) {
    super();
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, padding_mode = 'zeros' } = checkOptions(options);
    if (padding_mode !== 'zeros') fail('"zeros" (the only padding mode supported)', 'padding_mode', padding_mode);
    this.in_channels = checkPositiveInteger(in_channels, 'in_channels');
    this.out_channels = checkPositiveInteger(out_channels, 'out_channels');
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

  /** PyTorch's initialisation: kaiming-uniform with a = √5, bias U(±1/√fan_in). */
  reset_parameters(): void {
    nn_init_kaiming_uniform_(this.weight, { a: Math.sqrt(5) });
    const [fanIn] = fanInAndFanOut(this.weight);
    if (this.bias !== null && fanIn !== 0) nn_init_uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
  }

  protected get convolutionOptions(): Parameters<typeof nnf_conv2d>[2] {
    return { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }
}

/** The class behind `nn_conv1d`, for `instanceof` and for types (`class MyLayer extends Conv1d`). */
export class Conv1d extends Convolution {
  constructor(in_channels: number, out_channels: number, kernel_size: SizeOption, options: ConvolutionLayerOptions = {}) {
    super(1, in_channels, out_channels, kernel_size, options);
  }

  override forward(input: Tensor): Tensor {
    return nnf_conv1d(input, this.weight, this.convolutionOptions);
  }
}

/** The class behind `nn_conv2d`, for `instanceof` and for types (`class MyLayer extends Conv2d`). */
export class Conv2d extends Convolution {
  constructor(in_channels: number, out_channels: number, kernel_size: SizeOption, options: ConvolutionLayerOptions = {}) {
    super(2, in_channels, out_channels, kernel_size, options);
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

/** The class behind `nn_layer_norm`, for `instanceof` and for types (`class MyLayer extends LayerNorm`). */
export class LayerNorm extends nn_Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  readonly normalized_shape: number[];
  readonly eps: number;

  constructor(normalized_shape: number | number[], options: { eps?: number; elementwise_affine?: boolean } & FactoryOptions = {}) {
    super();
    const { eps = 1e-5, elementwise_affine = true } = checkOptions(options);
    this.normalized_shape = typeof normalized_shape === 'number' ? [checkPositiveInteger(normalized_shape, 'normalized_shape')]
      : sizes(normalized_shape, Array.isArray(normalized_shape) ? normalized_shape.length : 0, 'normalized_shape');
    this.eps = checkFinite(eps, 'eps');
    if (checkBoolean(elementwise_affine, 'elementwise_affine')) {
      this.weight = nn_parameter(torch_ones(this.normalized_shape, factory(options)));
      this.bias = nn_parameter(torch_zeros(this.normalized_shape, factory(options)));
    } else {
      this.register_parameter('weight', null);
      this.register_parameter('bias', null);
    }
  }

  override forward(input: Tensor): Tensor {
    return nnf_layer_norm(input, this.normalized_shape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/**
 * Layer normalisation over the last dimensions (`normalized_shape`), with a learned scale
 * (ones) and shift (zeros) unless `elementwise_affine` is false.
 *
 * @example
 * const norm = nn_layer_norm(512);
 */
export const nn_layer_norm = nn_module(LayerNorm, 'nn_layer_norm');
export type nn_layer_norm = LayerNorm;

/** The class behind `nn_dropout`, for `instanceof` and for types (`class MyLayer extends Dropout`). */
export class Dropout extends nn_Module {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    this.p = checkProbability(p, 'p');
  }

  override forward(input: Tensor): Tensor {
    return nnf_dropout(input, { p: this.p, training: this.training });
  }
}

/**
 * Zeroes elements with probability `p` in training mode (scaling the rest by 1/(1-p));
 * does nothing after `eval()`.
 *
 * @example
 * const drop = nn_dropout(0.1);
 */
export const nn_dropout = nn_module(Dropout, 'nn_dropout');
export type nn_dropout = Dropout;

/** The class behind `nn_relu`, for `instanceof` and for types (`class MyLayer extends ReLU`). */
export class ReLU extends nn_Module {
  override forward(input: Tensor): Tensor {
    return nnf_relu(input);
  }
}

/** `max(x, 0)` as a module. @example nn_sequential(nn_linear(4, 8), nn_relu(), nn_linear(8, 1)) */
export const nn_relu = nn_module(ReLU, 'nn_relu');
export type nn_relu = ReLU;

/** The class behind `nn_gelu`, for `instanceof` and for types (`class MyLayer extends GELU`). */
export class GELU extends nn_Module {
  readonly approximate: 'none' | 'tanh';

  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    const { approximate = 'none' } = checkOptions(options);
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

// ---- containers ----

/** The class behind `nn_sequential`, for `instanceof` and for types (`class MyLayer extends Sequential`). */
export class Sequential extends nn_Module {
  constructor(...modules: nn_Module[]) {
    super();
    modules.forEach((module, i) => {
      if (!(module instanceof nn_Module)) fail('an nn_module', `modules[${i}]`, module);
      this.add_module(String(i), module);
    });
  }

  override forward(input: any): any {
    let output = input;
    for (const module of this.children) output = module(output);
    return output;
  }
}

/**
 * Runs modules one after another, each on the previous one's output; they are registered
 * as `"0"`, `"1"`, ... (so `seq[0]` is the first).
 *
 * @example
 * const mlp = nn_sequential(nn_linear(4, 16), nn_relu(), nn_linear(16, 1));
 * const y = mlp(x);
 */
export const nn_sequential = nn_module(Sequential, 'nn_sequential');
export type nn_sequential = Sequential;

// ---- attention ----

export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout on the attention weights in training mode. */
  dropout?: number;
  bias?: boolean;
  /** Inputs and output are batch x sequence x features (else sequence x batch x features). */
  batch_first?: boolean;
}

export interface MultiheadAttentionForwardOptions {
  /** batch x source: true (or a float added to the scores) masks a key position out. */
  key_padding_mask?: Tensor | null;
  /** Return the attention weights too (the default, as in PyTorch). */
  need_weights?: boolean;
  /** target x source, or (batch · heads) x target x source: true masks out, a float is added. */
  attn_mask?: Tensor | null;
  /** Average the returned weights over the heads. */
  average_attn_weights?: boolean;
}

// A boolean mask as the additive float mask it means: -Inf where true.
function additiveMask(mask: Tensor, name: string): Tensor {
  checkTensor(mask, name);
  return mask.dtype === 'bool' ? torch_where(mask, Number.NEGATIVE_INFINITY, 0) : mask;
}

/** The class behind `nn_multihead_attention`, for `instanceof` and for types (`class MyLayer extends MultiheadAttention`). */
export class MultiheadAttention extends nn_Module {
  declare in_proj_weight: Tensor;
  declare in_proj_bias: Tensor | null;
  declare out_proj: nn_linear;
  readonly embed_dim: number;
  readonly num_heads: number;
  readonly head_dim: number;
  readonly dropout: number;
  readonly batch_first: boolean;

  constructor(embed_dim: number, num_heads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const { dropout = 0, bias = true, batch_first = false } = checkOptions(options);
    this.embed_dim = checkPositiveInteger(embed_dim, 'embed_dim');
    this.num_heads = checkPositiveInteger(num_heads, 'num_heads');
    if (embed_dim % num_heads !== 0) failRange(`a multiple of num_heads (${num_heads})`, 'embed_dim', embed_dim);
    this.head_dim = embed_dim / num_heads;
    this.dropout = checkProbability(dropout, 'dropout');
    this.batch_first = checkBoolean(batch_first, 'batch_first');
    // PyTorch's order of creation and random draws: in_proj_* (empty), out_proj (a Linear,
    // which initialises itself), then _reset_parameters.
    this.in_proj_weight = nn_parameter(torch_empty(3 * embed_dim, embed_dim, factory(options)));
    if (checkBoolean(bias, 'bias')) this.in_proj_bias = nn_parameter(torch_empty(3 * embed_dim, factory(options)));
    else this.register_parameter('in_proj_bias', null);
    this.out_proj = nn_linear(embed_dim, embed_dim, { bias, ...factory(options) });
    nn_init_xavier_uniform_(this.in_proj_weight);
    if (this.in_proj_bias !== null) nn_init_constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias !== null) nn_init_constant_(this.out_proj.bias, 0);
  }

  /**
   * Attention of `query` over `key`/`value`; returns `[output, weights]` (weights null
   * unless `need_weights`). Unbatched 2-d inputs are accepted too.
   */
  override forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const { key_padding_mask = null, need_weights = true, attn_mask = null, average_attn_weights = true } = checkOptions(options);
    checkTensor(query, 'query');
    checkTensor(key, 'key');
    checkTensor(value, 'value');
    const unbatched = query.dim() === 2;
    // Work in sequence x batch x features, as PyTorch's functional form does.
    const layout = (t: Tensor): Tensor => (unbatched ? t.unsqueeze(1) : this.batch_first ? t.transpose(0, 1) : t);
    const [q0, k0, v0] = [layout(query), layout(key), layout(value)];
    const [L, N, E] = q0.shape as [number, number, number];
    const S = k0.size(0);
    const H = this.num_heads;
    const D = this.head_dim;
    if (E !== this.embed_dim) failRange(`${this.embed_dim} features`, 'query', `${E} features`);
    const heads = (x: Tensor, length: number): Tensor => x.reshape(length, N * H, D).transpose(0, 1);
    // PyTorch unsqueezes unbatched inputs one by one, so it no longer sees them as the same tensor.
    const sameKeyValue = !unbatched && key === value;
    const [q1, k1, v1] = this.inProjection(q0, k0, v0, sameKeyValue && query === key, sameKeyValue);
    const q = heads(q1, L).div(Math.sqrt(D));
    const k = heads(k1, S);
    const v = heads(v1, S);

    let mask: Tensor | null = null;
    if (attn_mask !== null) {
      mask = additiveMask(attn_mask, 'attn_mask');
      if (mask.dim() === 2) mask = mask.unsqueeze(0);
    }
    if (key_padding_mask !== null) {
      const padding = additiveMask(unbatched ? key_padding_mask.unsqueeze(0) : key_padding_mask, 'key_padding_mask')
        .view(N, 1, 1, S).expand(-1, H, -1, -1).reshape(N * H, 1, S);
      mask = mask === null ? padding : mask.add(padding);
    }
    // baddbmm, as PyTorch: it rounds differently from matmul then add.
    const scores = mask === null ? torch_matmul(q, k.transpose(-2, -1)) : torch_baddbmm(mask, q, k.transpose(-2, -1));
    let weights = scores.softmax(-1);
    if (this.training && this.dropout > 0) weights = nnf_dropout(weights, { p: this.dropout });
    const context = torch_matmul(weights, v).transpose(0, 1).reshape(L * N, E);
    let output = this.out_proj(context).view(L, N, E);
    output = unbatched ? output.squeeze(1) : this.batch_first ? output.transpose(0, 1) : output;
    if (!checkBoolean(need_weights, 'need_weights')) return [output, null];
    let returned = weights.view(N, H, L, S);
    if (checkBoolean(average_attn_weights, 'average_attn_weights')) returned = returned.mean(1);
    return [output, unbatched ? returned.squeeze(0) : returned];
  }

  // PyTorch's _in_projection_packed: inputs that are the same tensor (all three in
  // self-attention, or key and value) are projected by one product and split, which rounds
  // (forward and backward) differently from one product per slice of the weight.
  private inProjection(query: Tensor, key: Tensor, value: Tensor, sameQueryKeyValue: boolean, sameKeyValue: boolean): [Tensor, Tensor, Tensor] {
    const E = this.embed_dim;
    const rows = (x: Tensor | null, from: number, to: number): Tensor | null => (x === null ? null : x.index(`${from * E}:${to * E}`));
    const project = (x: Tensor, from: number, to: number): Tensor => nnf_linear(x, rows(this.in_proj_weight, from, to)!, rows(this.in_proj_bias, from, to));
    const part = (x: Tensor, i: number): Tensor => x.index('...', `${i * E}:${(i + 1) * E}`);
    if (sameQueryKeyValue) {
      const all = nnf_linear(query, this.in_proj_weight, this.in_proj_bias);
      return [part(all, 0), part(all, 1), part(all, 2)];
    }
    if (sameKeyValue) {
      const keyValue = project(key, 1, 3);
      return [project(query, 0, 1), part(keyValue, 0), part(keyValue, 1)];
    }
    return [project(query, 0, 1), project(key, 1, 2), project(value, 2, 3)];
  }
}

/**
 * Multi-head attention (PyTorch's `nn.MultiheadAttention`, same parameters and
 * initialisation): `forward(query, key, value, options)` returns `[output, weights]`.
 * Not supported: `kdim`/`vdim` different from `embed_dim`, `add_bias_kv`, `add_zero_attn`.
 *
 * @example
 * const attention = nn_multihead_attention(64, 4, { batch_first: true });
 * const [out, weights] = attention(x, x, x); // x: batch x sequence x 64
 */
export const nn_multihead_attention = nn_module(MultiheadAttention, 'nn_multihead_attention');
export type nn_multihead_attention = MultiheadAttention;
