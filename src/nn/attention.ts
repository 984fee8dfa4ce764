// PyTorch's nn.MultiheadAttention, computed as torch.nn.functional.multi_head_attention_forward
// of the linked libtorch's version computes it (its general path), so that the same seed and
// inputs give the same numbers.
import { torch_empty, torch_ones, torch_zeros } from '../ops/creation.js';
import { atenOp } from '../ops/aten.js';
import { torch_baddbmm, torch_cat, torch_matmul, torch_where } from '../ops/functions.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { torch_scope } from '../core/scope.js';
import { libtorchAtLeast } from '../core/libtorch_version.js';
import { checkBoolean, checkFinite, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { nnf_dropout, nnf_linear } from './functional.js';
import { nn_init_constant_, nn_init_xavier_normal_, nn_init_xavier_uniform_ } from './init.js';
import { nn_linear } from './layers.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { nn_parameter } from './registry.js';
import { checkProbability, factory, FACTORY_KEYS, positionalOptions, type FactoryOptions, type Positional } from './options.js';

export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout on the attention weights in training mode. */
  dropout?: number;
  bias?: boolean;
  /** Learned key and value vectors appended to the keys and values of every sequence (bias_k, bias_v). */
  add_bias_kv?: boolean;
  /** A key and value of zeros appended to every sequence (after bias_k/bias_v). */
  add_zero_attn?: boolean;
  /** Features of `key` (embed_dim); another size gives separate q/k/v projection weights. */
  kdim?: number | null;
  /** Features of `value` (embed_dim). */
  vdim?: number | null;
  /** Inputs and output are batch x sequence x features (else sequence x batch x features). */
  batch_first?: boolean;
}

const OPTION_KEYS = optionKeys<MultiheadAttentionOptions>({
  dropout: true, bias: true, add_bias_kv: true, add_zero_attn: true, kdim: true, vdim: true, batch_first: true, ...FACTORY_KEYS,
});

export interface MultiheadAttentionForwardOptions {
  /** batch x source: true (or a float added to the scores) masks a key position out. */
  key_padding_mask?: Tensor | null;
  /** Return the attention weights too (the default, as in PyTorch). */
  need_weights?: boolean;
  /** target x source, or (batch · heads) x target x source: true masks out, a float is added. */
  attn_mask?: Tensor | null;
  /** Average the returned weights over the heads. */
  average_attn_weights?: boolean;
  /** R torch's name of `average_attn_weights`. */
  avg_weights?: boolean;
  /**
   * A hint that `attn_mask` is the causal mask (PyTorch 2's option). The mask is required:
   * without it this is a TypeError, as PyTorch refuses it. It is what is applied, except as
   * in PyTorch 2: with `need_weights` false and no `key_padding_mask`, libtorch 2's
   * scaled_dot_product_attention applies its own causal mask instead.
   */
  is_causal?: boolean;
}

const FORWARD_KEYS = optionKeys<MultiheadAttentionForwardOptions>({
  key_padding_mask: true, need_weights: true, attn_mask: true, average_attn_weights: true, avg_weights: true, is_causal: true,
});

// A boolean mask as the additive float mask it means: -Inf where true.
function additiveMask(mask: Tensor, name: string): Tensor {
  checkTensor(mask, name);
  return mask.dtype === 'bool' ? torch_where(mask, Number.NEGATIVE_INFINITY, 0) : mask;
}

// torch.nn.functional.pad(mask, (0, 1)): one more key position, not masked.
function padKey(mask: Tensor | null): Tensor | null {
  return mask === null ? null : torch_cat([mask, torch_zeros([...mask.shape.slice(0, -1), 1], { dtype: mask.dtype, device: mask.device })], -1);
}

/** The class behind `nn_multihead_attention`, for `instanceof` and for types (`class MyLayer extends MultiheadAttention`). */
export class MultiheadAttention extends nn_Module {
  /** The packed q/k/v projection (3·embed_dim x embed_dim) when kdim = vdim = embed_dim, else null. */
  declare in_proj_weight: Tensor | null;
  /** Separate projections when kdim or vdim differs from embed_dim, else null. */
  declare q_proj_weight: Tensor | null;
  declare k_proj_weight: Tensor | null;
  declare v_proj_weight: Tensor | null;
  declare in_proj_bias: Tensor | null;
  declare out_proj: nn_linear;
  declare bias_k: Tensor | null;
  declare bias_v: Tensor | null;
  readonly embed_dim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly num_heads: number;
  readonly head_dim: number;
  readonly dropout: number;
  readonly add_zero_attn: boolean;
  readonly batch_first: boolean;

  constructor(embed_dim: number, num_heads: number, ...args: Positional<[
    dropout: number, bias: boolean, add_bias_kv: boolean, add_zero_attn: boolean, kdim: number | null, vdim: number | null, batch_first: boolean,
  ], MultiheadAttentionOptions>) {
    super();
    const names = ['dropout', 'bias', 'add_bias_kv', 'add_zero_attn', 'kdim', 'vdim', 'batch_first'] as const;
    const options = positionalOptions<MultiheadAttentionOptions>(args, names, OPTION_KEYS, 'nn_multihead_attention');
    const {
      dropout = 0, bias = true, add_bias_kv = false, add_zero_attn = false, kdim = null, vdim = null, batch_first = false,
    } = options;
    this.embed_dim = checkPositiveInteger(embed_dim, 'embed_dim');
    this.kdim = kdim === null ? embed_dim : checkPositiveInteger(kdim, 'kdim');
    this.vdim = vdim === null ? embed_dim : checkPositiveInteger(vdim, 'vdim');
    this.num_heads = checkPositiveInteger(num_heads, 'num_heads');
    if (embed_dim % num_heads !== 0) failRange(`a multiple of num_heads (${num_heads})`, 'embed_dim', embed_dim);
    this.head_dim = embed_dim / num_heads;
    this.dropout = checkProbability(dropout, 'dropout');
    this.batch_first = checkBoolean(batch_first, 'batch_first');
    this.add_zero_attn = checkBoolean(add_zero_attn, 'add_zero_attn');
    checkBoolean(bias, 'bias');
    checkBoolean(add_bias_kv, 'add_bias_kv');
    // PyTorch's order of creation and random draws: the projection weights and in_proj_bias
    // (empty), out_proj (a Linear, which initialises itself), bias_k/bias_v (empty), then
    // _reset_parameters: xavier_uniform_ of each projection weight, zero biases, xavier_normal_
    // of bias_k and bias_v.
    const E = embed_dim;
    if (this.packed) {
      this.in_proj_weight = nn_parameter(torch_empty(3 * E, E, factory(options)));
      for (const name of ['q_proj_weight', 'k_proj_weight', 'v_proj_weight']) this.register_parameter(name, null);
    } else {
      this.q_proj_weight = nn_parameter(torch_empty(E, E, factory(options)));
      this.k_proj_weight = nn_parameter(torch_empty(E, this.kdim, factory(options)));
      this.v_proj_weight = nn_parameter(torch_empty(E, this.vdim, factory(options)));
      this.register_parameter('in_proj_weight', null);
    }
    if (bias) this.in_proj_bias = nn_parameter(torch_empty(3 * E, factory(options)));
    else this.register_parameter('in_proj_bias', null);
    this.out_proj = nn_linear(E, E, { bias, ...factory(options) });
    if (add_bias_kv) {
      this.bias_k = nn_parameter(torch_empty([1, 1, E], factory(options)));
      this.bias_v = nn_parameter(torch_empty([1, 1, E], factory(options)));
    } else {
      this.register_parameter('bias_k', null);
      this.register_parameter('bias_v', null);
    }
    for (const weight of [this.in_proj_weight, this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) {
      if (weight !== null) nn_init_xavier_uniform_(weight);
    }
    if (this.in_proj_bias !== null) nn_init_constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias !== null) nn_init_constant_(this.out_proj.bias, 0);
    if (this.bias_k !== null) nn_init_xavier_normal_(this.bias_k);
    if (this.bias_v !== null) nn_init_xavier_normal_(this.bias_v);
  }

  /** Whether query, key and value are projected by one packed weight (PyTorch's `_qkv_same_embed_dim`). */
  get packed(): boolean {
    return this.kdim === this.embed_dim && this.vdim === this.embed_dim;
  }

  /**
   * Attention of `query` over `key`/`value`; returns `[output, weights]` (weights null
   * unless `need_weights`). Unbatched 2-d inputs are accepted too.
   */
  override forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const {
      key_padding_mask = null, need_weights = true, attn_mask = null, avg_weights, is_causal = false,
    } = checkOptions(options, FORWARD_KEYS, 'nn_multihead_attention forward');
    if (avg_weights !== undefined && options.average_attn_weights !== undefined) fail('average_attn_weights or avg_weights (R torch\'s name), not both', 'avg_weights', avg_weights);
    const average_attn_weights = avg_weights ?? options.average_attn_weights ?? true;
    checkTensor(query, 'query');
    checkTensor(key, 'key');
    checkTensor(value, 'value');
    if (checkBoolean(is_causal, 'is_causal') && attn_mask === null) {
      fail('an attn_mask with is_causal: true (is_causal is only a hint that attn_mask is causal; PyTorch requires the mask)', 'attn_mask', attn_mask);
    }
    checkBoolean(need_weights, 'need_weights');
    checkBoolean(average_attn_weights, 'average_attn_weights');
    const unbatched = query.dim() === 2;
    // Work in sequence x batch x features, as PyTorch's functional form does.
    const layout = (t: Tensor): Tensor => (unbatched ? t.unsqueeze(1) : this.batch_first ? t.transpose(0, 1) : t);
    const [q0, k0, v0] = [layout(query), layout(key), layout(value)];
    const [L, N, E] = q0.shape as [number, number, number];
    const H = this.num_heads;
    const D = this.head_dim;
    if (E !== this.embed_dim) failRange(`${this.embed_dim} features`, 'query', `${E} features`);
    if (k0.size(-1) !== this.kdim) failRange(`${this.kdim} features (kdim)`, 'key', `${k0.size(-1)} features`);
    if (v0.size(-1) !== this.vdim) failRange(`${this.vdim} features (vdim)`, 'value', `${v0.size(-1)} features`);
    const heads = (x: Tensor): Tensor => x.reshape(x.size(0), N * H, D).transpose(0, 1);
    // PyTorch unsqueezes unbatched inputs one by one, so it no longer sees them as the same tensor.
    const sameKeyValue = !unbatched && key === value;
    // (let: k1 and v1 grow by bias_k/bias_v below)
    let [q1, k1, v1] = this.inProjection(q0, k0, v0, sameKeyValue && query === key, sameKeyValue);

    // PyTorch 2 hands the attention to scaled_dot_product_attention when the weights are not
    // returned (1.13 always computes them), and there the is_causal hint stands for attn_mask
    // unless a key_padding_mask is merged into it.
    const fused = !need_weights && libtorchAtLeast(2, 0);
    const causal = fused && is_causal && key_padding_mask === null;
    let mask: Tensor | null = null;
    if (attn_mask !== null) {
      mask = additiveMask(attn_mask, 'attn_mask');
      if (mask.dim() === 2) mask = mask.unsqueeze(0);
      if (causal) mask = null;
    }
    let padding = key_padding_mask === null ? null : additiveMask(unbatched ? key_padding_mask.unsqueeze(0) : key_padding_mask, 'key_padding_mask');
    if (this.bias_k !== null && this.bias_v !== null) {
      k1 = torch_cat([k1, this.bias_k.expand(1, N, E)]);
      v1 = torch_cat([v1, this.bias_v.expand(1, N, E)]);
      [mask, padding] = [padKey(mask), padKey(padding)];
    }
    const q = heads(q1);
    let k = heads(k1);
    let v = heads(v1);
    if (this.add_zero_attn) {
      k = torch_cat([k, torch_zeros([N * H, 1, D], { dtype: k.dtype, device: k.device })], 1);
      v = torch_cat([v, torch_zeros([N * H, 1, D], { dtype: v.dtype, device: v.device })], 1);
      [mask, padding] = [padKey(mask), padKey(padding)];
    }
    const S = k.size(1);
    if (padding !== null) {
      padding = padding.view(N, 1, 1, S).expand(-1, H, -1, -1).reshape(N * H, 1, S);
      mask = mask === null ? padding : mask.add(padding);
    }
    const dropout = this.training ? this.dropout : 0;
    let context: Tensor;
    let weights: Tensor | null = null;
    if (fused) {
      // Batch x heads x sequence x head_dim; a 1 x target x source mask broadcasts over both.
      if (mask !== null) mask = mask.size(0) === 1 ? mask.unsqueeze(0) : mask.view(N, H, -1, S);
      const attended = nnf_scaled_dot_product_attention(q.view(N, H, L, D), k.view(N, H, S, D), v.view(N, H, S, D), { attn_mask: mask, dropout_p: dropout, is_causal: causal });
      context = attended.permute(2, 0, 1, 3).reshape(L * N, E);
    } else {
      // PyTorch 2.1 scales the queries by √(1/D), as scaled_dot_product_attention does; before, it divided by √D.
      const scaled = libtorchAtLeast(2, 1) ? q.mul(Math.sqrt(1 / D)) : q.div(Math.sqrt(D));
      // baddbmm, as PyTorch: it rounds differently from matmul then add.
      const scores = mask === null ? torch_matmul(scaled, k.transpose(-2, -1)) : torch_baddbmm(mask, scaled, k.transpose(-2, -1));
      weights = scores.softmax(-1);
      if (dropout > 0) weights = nnf_dropout(weights, { p: dropout });
      context = torch_matmul(weights, v).transpose(0, 1).reshape(L * N, E);
    }
    let output = this.out_proj(context).view(L, N, E);
    output = unbatched ? output.squeeze(1) : this.batch_first ? output.transpose(0, 1) : output;
    if (!need_weights || weights === null) return [output, null];
    let returned = weights.view(N, H, L, S);
    if (average_attn_weights) returned = returned.mean(1);
    return [output, unbatched ? returned.squeeze(0) : returned];
  }

  // PyTorch's _in_projection_packed for a packed weight: inputs that are the same tensor (all
  // three in self-attention, or key and value) are projected by one product and split, which
  // rounds (forward and backward) differently from one product per slice of the weight.
  // With separate weights, _in_projection: one product each, with a third of the bias.
  private inProjection(query: Tensor, key: Tensor, value: Tensor, sameQueryKeyValue: boolean, sameKeyValue: boolean): [Tensor, Tensor, Tensor] {
    const E = this.embed_dim;
    const rows = (x: Tensor | null, from: number, to: number): Tensor | null => (x === null ? null : x.index(`${from * E}:${to * E}`));
    if (!this.packed) {
      return [nnf_linear(query, this.q_proj_weight!, rows(this.in_proj_bias, 0, 1)), nnf_linear(key, this.k_proj_weight!, rows(this.in_proj_bias, 1, 2)),
        nnf_linear(value, this.v_proj_weight!, rows(this.in_proj_bias, 2, 3))];
    }
    const weight = this.in_proj_weight!;
    const project = (x: Tensor, from: number, to: number): Tensor => nnf_linear(x, rows(weight, from, to)!, rows(this.in_proj_bias, from, to));
    const part = (x: Tensor, i: number): Tensor => x.index('...', `${i * E}:${(i + 1) * E}`);
    if (sameQueryKeyValue) {
      const all = nnf_linear(query, weight, this.in_proj_bias);
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
 * `kdim`/`vdim` other than `embed_dim` give separate `q_proj_weight`, `k_proj_weight` and
 * `v_proj_weight` (and `in_proj_weight` null), as in PyTorch; `add_bias_kv` and
 * `add_zero_attn` append a learned or a zero key/value position.
 *
 * @example
 * const attention = nn_multihead_attention(64, 4, { batch_first: true });
 * const [out, weights] = attention(x, x, x); // x: batch x sequence x 64
 * const cross = nn_multihead_attention(64, 4, { kdim: 32, vdim: 16 });
 * const [y] = cross(q, k, v, { attn_mask: causal, is_causal: true }); // k: ... x 32, v: ... x 16
 */
export const nn_multihead_attention = nn_module(MultiheadAttention, 'nn_multihead_attention');
export type nn_multihead_attention = MultiheadAttention;

// ---- scaled dot-product attention ----

export interface ScaledDotProductAttentionOptions {
  /** Added to the scores (a float mask), or where false a position is masked out (a bool mask: true takes part). */
  attn_mask?: Tensor | null;
  /** Dropout on the attention weights (applied whenever it is above 0, as in PyTorch: pass 0 in eval). */
  dropout_p?: number;
  /** Each query attends only to keys at or before its position (no attn_mask with it). */
  is_causal?: boolean;
  /** The factor of the scores, 1 / √(query's last size) by default. */
  scale?: number | null;
  /**
   * Grouped-query attention: `key` and `value` have fewer heads (dim -3) than `query`, a divisor
   * of its count, each shared by that many query heads in turn (PyTorch 2.5's option).
   */
  enable_gqa?: boolean;
}
const SDPA_KEYS = optionKeys<ScaledDotProductAttentionOptions>({ attn_mask: true, dropout_p: true, is_causal: true, scale: true, enable_gqa: true });
const SCALED_DOT_PRODUCT_ATTENTION = atenOp('scaled_dot_product_attention');

// libtorch 2.x has the operator (and its fused kernels); 1.13 has not. There, the reference
// computation of PyTorch's documentation, which its math kernel follows.
// libtorch 2.5 added enable_gqa; before it, the key and value heads are repeated here.
let fused: { gqa: boolean } | null | undefined;
function fusedAttention(): { gqa: boolean } | null {
  if (fused === undefined) {
    try {
      fused = { gqa: SCALED_DOT_PRODUCT_ATTENTION.resolved().schema().arguments.some((argument) => argument.name === 'enable_gqa') };
    } catch {
      fused = null;
    }
  }
  return fused;
}

// Each of the key/value heads repeated for the query heads that share it (enable_gqa's meaning).
function repeatHeads(query: Tensor, x: Tensor, name: string): Tensor {
  const [heads, groups] = [query.size(-3), x.size(-3)];
  if (heads % groups !== 0) failRange(`a number of heads (dim -3) dividing the query's ${heads} with enable_gqa`, name, groups);
  return heads === groups ? x : x.repeat_interleave(heads / groups, -3);
}

/**
 * Attention of `query` (... x L x E) over `key` (... x S x E) and `value` (... x S x Ev):
 * `softmax(query keyᵀ · scale + mask) value`, PyTorch 2's `F.scaled_dot_product_attention`
 * (its operator where libtorch has it, else its reference computation).
 *
 * @example
 * const y = nnf_scaled_dot_product_attention(q, k, v, { is_causal: true }); // a GPT's self-attention
 * // q: batch x 8 heads x L x 64, k and v: batch x 2 heads x S x 64 (grouped-query attention)
 * const z = nnf_scaled_dot_product_attention(q, k, v, { enable_gqa: true });
 */
export function nnf_scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, options?: ScaledDotProductAttentionOptions): Tensor {
  const { attn_mask = null, dropout_p = 0, is_causal = false, scale = null, enable_gqa = false } = checkOptions(options, SDPA_KEYS, 'nnf_scaled_dot_product_attention');
  checkTensor(query, 'query');
  checkTensor(key, 'key');
  checkTensor(value, 'value');
  if (attn_mask !== null) checkTensor(attn_mask, 'attn_mask');
  const p = checkProbability(dropout_p, 'dropout_p');
  if (checkBoolean(is_causal, 'is_causal') && attn_mask !== null) fail('no attn_mask with is_causal (the causal mask is built in)', 'attn_mask', attn_mask);
  if (scale !== null) checkFinite(scale, 'scale');
  const fusedOp = fusedAttention();
  if (checkBoolean(enable_gqa, 'enable_gqa') && query.dim() < 3) fail('query, key and value with heads at dim -3 with enable_gqa', 'query', query);
  if (fusedOp?.gqa) return SCALED_DOT_PRODUCT_ATTENTION.call(query, key, value, attn_mask, p, is_causal, scale, enable_gqa);
  if (enable_gqa) return torch_scope(() => nnf_scaled_dot_product_attention(query, repeatHeads(query, key, 'key'), repeatHeads(query, value, 'value'), { attn_mask, dropout_p: p, is_causal, scale }));
  if (fusedOp !== null) return SCALED_DOT_PRODUCT_ATTENTION.call(query, key, value, attn_mask, p, is_causal, scale);
  return torch_scope(() => {
    const [L, S] = [query.size(-2), key.size(-2)];
    const factor = scale ?? 1 / Math.sqrt(query.size(-1));
    let scores = torch_matmul(query, key.transpose(-2, -1)).mul(factor);
    if (is_causal) scores = scores.masked_fill(torch_ones([L, S], { dtype: 'bool', device: query.device }).tril().logical_not(), Number.NEGATIVE_INFINITY);
    if (attn_mask !== null) {
      scores = attn_mask.dtype === 'bool' ? scores.masked_fill(attn_mask.logical_not(), Number.NEGATIVE_INFINITY) : scores.add(attn_mask);
    }
    // A query that may attend to nothing (a left-padded position) gets zeros, not NaN, as
    // PyTorch 2.5's math kernel gives (_safe_softmax): its NaN would reach every later layer.
    let weights = scores.softmax(-1).masked_fill(scores.eq(Number.NEGATIVE_INFINITY).all(-1, true), 0);
    if (p > 0) weights = nnf_dropout(weights, { p });
    return torch_matmul(weights, value);
  });
}
