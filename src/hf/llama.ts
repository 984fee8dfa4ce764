// The Llama family as transformers 5.18 writes it (models/llama/modeling_llama.py; Mistral and
// Qwen2 share the layout): module trees and parameter names are transformers' own, so
// checkpoints and PEFT's target_modules line up; each forward follows transformers' SDPA path
// (RMSNorm in float32, rotary embeddings, grouped-query attention through libtorch's
// scaled_dot_product_attention, SwiGLU).
import { torch_arange, torch_ones } from '../ops/creation.js';
import { torch_cat } from '../ops/functions.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkInteger, checkOptions, failRange, optionKeys } from '../core/validate.js';
import { nnf_silu } from '../nn/functional_activations.js';
import { nnf_scaled_dot_product_attention } from '../nn/attention.js';
import { nn_module_list, type ModuleList } from '../nn/containers.js';
import { nn_embedding, nn_linear } from '../nn/layers.js';
import { nn_Module } from '../nn/module.js';
import { nn_parameter } from '../nn/registry.js';
import type { FactoryOptions } from '../nn/options.js';
import type { HfConfig } from './config.js';
import { checkAttentionMask, causalMask, type AttentionMask } from './attention_masks.js';
import { HfCache, checkCache, type KeyValueCacheLike } from './cache.js';
import { initHfWeights } from './config_fields.js';
import { readLlamaConfig, type LlamaSettings } from './llama_config.js';
import { registerArchitecture } from './registry.js';
import { LlamaRotaryEmbedding } from './rope.js';

// transformers' class names begin with these.
const CLASS_PREFIX: Record<LlamaSettings['model_type'], string> = { llama: 'Llama', mistral: 'Mistral', qwen2: 'Qwen2' };

/**
 * transformers' LlamaRMSNorm: `weight * x / √(mean(x²) + eps)`, the normalisation in float32.
 *
 * @example
 * const norm = new LlamaRMSNorm(4096, 1e-5); const y = norm(hidden_states);
 */
export class LlamaRMSNorm extends nn_Module {
  declare weight: Tensor;
  readonly variance_epsilon: number;

  constructor(hidden_size: number, eps = 1e-6, options: FactoryOptions = {}) {
    super();
    this.weight = nn_parameter(torch_ones(hidden_size, options));
    this.variance_epsilon = eps;
  }

  override forward(hidden_states: Tensor): Tensor {
    const float = hidden_states.to({ dtype: 'float32' });
    const variance = float.pow(2).mean(-1, true);
    return this.weight.mul(float.mul(variance.add(this.variance_epsilon).rsqrt()).to({ dtype: hidden_states.dtype }));
  }
}

/**
 * transformers' LlamaMLP: `down_proj(silu(gate_proj(x)) * up_proj(x))`.
 *
 * @example
 * lora_apply(model, { target_modules: ['gate_proj', 'up_proj', 'down_proj'], r: 8 }); // every LlamaMLP's projections
 */
export class LlamaMLP extends nn_Module {
  declare gate_proj: nn_linear;
  declare up_proj: nn_linear;
  declare down_proj: nn_linear;

  constructor(settings: LlamaSettings, options: FactoryOptions = {}) {
    super();
    const { hidden_size: h, intermediate_size: i, mlp_bias: bias } = settings;
    this.gate_proj = nn_linear(h, i, { bias, ...options });
    this.up_proj = nn_linear(h, i, { bias, ...options });
    this.down_proj = nn_linear(i, h, { bias, ...options });
  }

  override forward(x: Tensor): Tensor {
    return this.down_proj(nnf_silu(this.gate_proj(x)).mul(this.up_proj(x)));
  }
}

// rotate_half: the second half of the last dim, negated, then the first.
function rotateHalf(x: Tensor): Tensor {
  const half = x.size(-1) / 2;
  return torch_cat([x.index('...', `${half}:`).neg(), x.index('...', `:${half}`)], -1);
}

/** What a decoder layer's attention gets besides its input. */
export interface LlamaLayerInputs {
  cos: Tensor;
  sin: Tensor;
  /** The mask for this layer's window (see attention_masks.ts). */
  mask: AttentionMask;
  cache: KeyValueCacheLike | null;
}

/**
 * transformers' LlamaAttention (SDPA): q/k/v/o projections, rotary embeddings, grouped-query heads.
 *
 * @example
 * const attention = model.model.layers.at(0).self_attn; attention.q_proj.weight.shape; // [heads · head_dim, hidden]
 */
export class LlamaAttention extends nn_Module {
  declare q_proj: nn_linear;
  declare k_proj: nn_linear;
  declare v_proj: nn_linear;
  declare o_proj: nn_linear;
  readonly layer_idx: number;
  readonly head_dim: number;
  readonly num_key_value_groups: number;
  readonly scaling: number;
  readonly attention_dropout: number;

  constructor(settings: LlamaSettings, layer_idx: number, options: FactoryOptions = {}) {
    super();
    const { hidden_size: h, num_attention_heads: heads, num_key_value_heads: kv, head_dim: d } = settings;
    this.layer_idx = layer_idx;
    this.head_dim = d;
    this.num_key_value_groups = heads / kv;
    this.scaling = d ** -0.5;
    this.attention_dropout = settings.attention_dropout;
    this.q_proj = nn_linear(h, heads * d, { bias: settings.qkv_bias, ...options });
    this.k_proj = nn_linear(h, kv * d, { bias: settings.qkv_bias, ...options });
    this.v_proj = nn_linear(h, kv * d, { bias: settings.qkv_bias, ...options });
    this.o_proj = nn_linear(heads * d, h, { bias: settings.o_bias, ...options });
  }

  override forward(hidden_states: Tensor, inputs: LlamaLayerInputs): Tensor {
    const [batch, length] = hidden_states.shape as [number, number];
    const heads = (x: Tensor): Tensor => x.view(batch, length, -1, this.head_dim).transpose(1, 2);
    const query = heads(this.q_proj(hidden_states));
    let key = heads(this.k_proj(hidden_states));
    let value = heads(this.v_proj(hidden_states));
    const [cos, sin] = [inputs.cos.unsqueeze(1), inputs.sin.unsqueeze(1)];
    const rotatedQuery = query.mul(cos).add(rotateHalf(query).mul(sin));
    key = key.mul(cos).add(rotateHalf(key).mul(sin));
    if (inputs.cache !== null) [key, value] = inputs.cache.update(key, value, this.layer_idx);
    // transformers lets SDPA share the key/value heads only without a mask; else it repeats them.
    const groups = this.num_key_value_groups;
    const enable_gqa = groups > 1 && inputs.mask.mask === null && this.head_dim <= 256;
    if (groups > 1 && !enable_gqa) [key, value] = [repeatKeyValue(key, groups), repeatKeyValue(value, groups)];
    const attended = nnf_scaled_dot_product_attention(rotatedQuery, key, value, {
      attn_mask: inputs.mask.mask, dropout_p: this.training ? this.attention_dropout : 0, is_causal: inputs.mask.is_causal, scale: this.scaling, enable_gqa,
    });
    return this.o_proj(attended.transpose(1, 2).contiguous().reshape(batch, length, -1));
  }
}

// transformers' repeat_kv: batch x kv heads x positions x d to batch x (kv heads · groups) x positions x d.
function repeatKeyValue(x: Tensor, groups: number): Tensor {
  const [batch, kv, positions, d] = x.shape as [number, number, number, number];
  return x.index(':', ':', null).expand(batch, kv, groups, positions, d).reshape(batch, kv * groups, positions, d);
}

/**
 * transformers' LlamaDecoderLayer: pre-norm attention and MLP, each added to the residual.
 *
 * @example
 * const first = model.model.layers.at(0); // transformers' model.layers[0]
 * first.post_attention_layernorm.weight.shape; // [hidden_size]
 */
export class LlamaDecoderLayer extends nn_Module {
  declare self_attn: LlamaAttention;
  declare mlp: LlamaMLP;
  declare input_layernorm: LlamaRMSNorm;
  declare post_attention_layernorm: LlamaRMSNorm;

  constructor(settings: LlamaSettings, layer_idx: number, options: FactoryOptions = {}) {
    super();
    this.self_attn = new LlamaAttention(settings, layer_idx, options);
    this.mlp = new LlamaMLP(settings, options);
    this.input_layernorm = new LlamaRMSNorm(settings.hidden_size, settings.rms_norm_eps, options);
    this.post_attention_layernorm = new LlamaRMSNorm(settings.hidden_size, settings.rms_norm_eps, options);
  }

  override forward(hidden_states: Tensor, inputs: LlamaLayerInputs): Tensor {
    const attended = hidden_states.add(this.self_attn(this.input_layernorm(hidden_states), inputs));
    return attended.add(this.mlp(this.post_attention_layernorm(attended)));
  }
}

/** The options of a Llama-family forward pass (transformers' keyword arguments). */
export interface LlamaForwardOptions {
  /** batch x (cached + new positions): 1 for tokens, 0 for padding (left padding for generation). */
  attention_mask?: Tensor | null;
  /** batch (or 1) x new positions; by default the positions after the cached ones. */
  position_ids?: Tensor | null;
  /** Keys and values of earlier positions, from a previous call with `use_cache`; updated in place. */
  past_key_values?: KeyValueCacheLike | null;
  /** Return a cache (a new one unless `past_key_values` is given); false by default. */
  use_cache?: boolean;
  /** Causal LM only: logits of the last this many positions (0, the default: all). */
  logits_to_keep?: number;
}

const FORWARD_KEYS = optionKeys<LlamaForwardOptions>({ attention_mask: true, position_ids: true, past_key_values: true, use_cache: true, logits_to_keep: true });

/** What LlamaModel's forward returns. */
export interface LlamaModelOutput {
  last_hidden_state: Tensor;
  past_key_values: KeyValueCacheLike | null;
}

/** What LlamaForCausalLM's forward returns. */
export interface CausalLMOutput {
  /** batch x positions x vocab_size, in the model's dtype. */
  logits: Tensor;
  past_key_values: KeyValueCacheLike | null;
}

/**
 * transformers' LlamaModel (MistralModel, Qwen2Model): token embeddings, the decoder layers
 * and a final RMSNorm; made from config.json's object (hf_load makes it from a folder).
 *
 * @example
 * const model = hf_load<LlamaModel>('models/tinyllama', { class: 'LlamaModel' });
 * const { last_hidden_state } = model(ids); // batch x positions x hidden_size
 */
export class LlamaModel extends nn_Module {
  declare embed_tokens: nn_embedding;
  declare layers: ModuleList<LlamaDecoderLayer>;
  declare norm: LlamaRMSNorm;
  declare rotary_emb: LlamaRotaryEmbedding;
  readonly settings: LlamaSettings;
  /** config.json, as read. */
  readonly config: HfConfig;

  constructor(config: HfConfig, options: FactoryOptions = {}) {
    super();
    const settings = readLlamaConfig(config);
    this.settings = settings;
    this.config = config;
    this.embed_tokens = nn_embedding(settings.vocab_size, settings.hidden_size, { padding_idx: settings.pad_token_id, ...options });
    this.layers = nn_module_list(Array.from({ length: settings.num_hidden_layers }, (_, i) => new LlamaDecoderLayer(settings, i, options)));
    this.norm = new LlamaRMSNorm(settings.hidden_size, settings.rms_norm_eps, options);
    this.rotary_emb = new LlamaRotaryEmbedding(settings.rope);
    // transformers' _init_weights: a new model's linear and embedding weights N(0, initializer_range²).
    if (options.device !== 'meta') initHfWeights(this, settings.initializer_range);
  }

  /** The transformers class this is (config.json's `architectures` when saved). */
  get hf_class(): string {
    return `${CLASS_PREFIX[this.settings.model_type]}Model`;
  }

  /**
   * Hidden states of `input_ids` (int64, batch x positions).
   *
   * @example
   * const { last_hidden_state } = model.model(ids, { attention_mask });
   */
  override forward(input_ids: Tensor, options: LlamaForwardOptions = {}): LlamaModelOutput {
    const { attention_mask = null, position_ids = null, past_key_values = null, use_cache = false } = checkOptions(options, FORWARD_KEYS, 'LlamaModel forward');
    checkTensor(input_ids, 'input_ids');
    if (input_ids.dim() !== 2 || input_ids.dtype !== 'int64') failRange('an int64 tensor, batch x positions', 'input_ids', `a ${input_ids.dtype} tensor of shape [${input_ids.shape.join(', ')}]`);
    const cache = past_key_values !== null ? checkCache(past_key_values, 'past_key_values') : checkBoolean(use_cache, 'use_cache') ? new HfCache() : null;
    const [batch, query] = input_ids.shape as [number, number];
    const past = cache?.get_seq_length() ?? 0;
    const padding = attention_mask === null ? null : checkAttentionMask(attention_mask, batch, past + query);
    if (position_ids !== null && (checkTensor(position_ids, 'position_ids').dim() !== 2 || position_ids.size(1) !== query || ![1, batch].includes(position_ids.size(0)))) {
      failRange(`an int64 tensor of ${batch} (or 1) x ${query} positions`, 'position_ids', `shape [${position_ids.shape.join(', ')}]`);
    }
    const positions = position_ids ?? torch_arange(past, past + query, 1, { dtype: 'int64', device: input_ids.device }).unsqueeze(0);
    let hidden = this.embed_tokens(input_ids);
    const masks = new Map<number | null, AttentionMask>();
    for (const window of new Set(this.settings.windows)) {
      masks.set(window, causalMask({ batch, query, past, attention_mask: padding, window, position_ids: cache === null ? position_ids : null, device: input_ids.device }));
    }
    const [cos, sin] = this.rotary_emb(hidden, positions);
    let i = 0;
    for (const layer of this.layers) hidden = layer(hidden, { cos, sin, mask: masks.get(this.settings.windows[i++]!)!, cache });
    return { last_hidden_state: this.norm(hidden), past_key_values: cache };
  }
}

/**
 * transformers' LlamaForCausalLM (and MistralForCausalLM, Qwen2ForCausalLM): LlamaModel as
 * `model` and `lm_head`, which is `model.embed_tokens`'s weight itself with
 * `tie_word_embeddings`.
 *
 * @example
 * const model = hf_load<LlamaForCausalLM>('models/tinyllama');
 * const { logits, past_key_values } = model(ids, { attention_mask, use_cache: true });
 */
export class LlamaForCausalLM extends nn_Module {
  declare model: LlamaModel;
  declare lm_head: nn_linear;

  constructor(config: HfConfig, options: FactoryOptions = {}) {
    super();
    this.model = new LlamaModel(config, options);
    const { hidden_size, vocab_size, tie_word_embeddings } = this.model.settings;
    this.lm_head = nn_linear(hidden_size, vocab_size, { bias: false, ...options });
    if (tie_word_embeddings) this.lm_head.weight = this.model.embed_tokens.weight;
    else if (options.device !== 'meta') initHfWeights(this.lm_head, this.model.settings.initializer_range);
  }

  /** The layer that maps hidden states to vocabulary scores (transformers' method; PEFT's "all-linear" leaves it out). @example model.get_output_embeddings() === model.lm_head */
  get_output_embeddings(): nn_linear {
    return this.lm_head;
  }

  /** config.json, as read. */
  get config(): HfConfig {
    return this.model.config;
  }

  /** The transformers class this is (config.json's `architectures` when saved). */
  get hf_class(): string {
    return `${CLASS_PREFIX[this.model.settings.model_type]}ForCausalLM`;
  }

  /**
   * Next-token logits of `input_ids` (int64, batch x positions), and the cache with `use_cache`.
   *
   * @example
   * const { logits } = model(ids, { attention_mask }); // batch x positions x vocab_size
   */
  override forward(input_ids: Tensor, options: LlamaForwardOptions = {}): CausalLMOutput {
    const { logits_to_keep = 0, ...rest } = checkOptions(options, FORWARD_KEYS, 'LlamaForCausalLM forward');
    if (checkInteger(logits_to_keep, 'logits_to_keep') < 0) failRange('a non-negative integer', 'logits_to_keep', logits_to_keep);
    const { last_hidden_state, past_key_values } = this.model(input_ids, rest);
    const kept = logits_to_keep === 0 ? last_hidden_state : last_hidden_state.index(':', `${-logits_to_keep}:`, ':');
    return { logits: this.lm_head(kept), past_key_values };
  }
}

for (const [model_type, prefix] of Object.entries(CLASS_PREFIX)) {
  registerArchitecture({
    model_type,
    // Llama files saved before transformers 4.31 hold each layer's rotary inv_freq buffer.
    ignored_keys: [/(^|\.)rotary_emb\.inv_freq$/],
    classes: {
      [`${prefix}ForCausalLM`]: (config, options) => new LlamaForCausalLM(config, options),
      [`${prefix}Model`]: (config, options) => new LlamaModel(config, options),
    },
  });
}
