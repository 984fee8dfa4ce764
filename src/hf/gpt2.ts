// GPT-2 as transformers 5.18 computes it (models/gpt2/modeling_gpt2.py, with its default sdpa
// attention): token and position embeddings, pre-norm blocks whose projections are Conv1D
// (weights stored inputs x outputs), a final layer norm, and a language-model head tied to the
// token embedding. Module and parameter names are transformers' own
// (`transformer.h.0.attn.c_attn.weight`), so checkpoints and PEFT's target_modules line up.
import { checkBoolean, checkInteger, checkOptions, failRange, optionKeys } from '../core/validate.js';
import { torch_arange } from '../ops/creation.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { nnf_scaled_dot_product_attention } from '../nn/attention.js';
import { nn_module_list, type ModuleList } from '../nn/containers.js';
import { hf_conv1d, type Conv1D } from '../nn/hf_conv1d.js';
import { nn_init_normal_ } from '../nn/init.js';
import { nn_dropout, nn_embedding, nn_layer_norm, nn_linear, type Dropout, type Embedding, type LayerNorm, type Linear } from '../nn/layers.js';
import { nn_Module } from '../nn/module.js';
import { factory, type FactoryOptions } from '../nn/options.js';
import { causalMask, checkAttentionMask, type AttentionMask } from './attention_masks.js';
import { checkHfActivation, hfActivation, type HfActivation } from './activations.js';
import { checkModelType, readConfig, type FieldValues, type HfConfig } from './config.js';
import { anyValue, falseOnly, finite, initHfWeights, nullablePositive, positive, probability, flag } from './config_fields.js';
import { LABEL_FIELDS } from './classification.js';
import { checkCache, HfCache, type KeyValueCacheLike } from './cache.js';
import { hf_causal_lm_loss } from './training.js';

const GPT2_FIELDS = {
  vocab_size: positive(50257),
  n_positions: positive(1024),
  n_embd: positive(768),
  n_layer: positive(12),
  n_head: positive(12),
  n_inner: nullablePositive(null),
  activation_function: { default: 'gelu_new', check: checkHfActivation },
  resid_pdrop: probability(0.1),
  embd_pdrop: probability(0.1),
  attn_pdrop: probability(0.1),
  layer_norm_epsilon: finite(1e-5),
  initializer_range: finite(0.02),
  scale_attn_weights: flag(true),
  scale_attn_by_inverse_layer_idx: flag(false),
  // transformers reads it only in its eager attention; its default sdpa attention (what this
  // file computes) ignores it, so both values give transformers' logits.
  reorder_and_upcast_attn: flag(false),
  tie_word_embeddings: flag(true),
  add_cross_attention: falseOnly('GPT-2 as a decoder alone (no cross-attention layers)'),
  ...LABEL_FIELDS,
  // GPT2DoubleHeadsModel's multiple-choice head, and fields of older configs (n_ctx,
  // n_special, predict_special_tokens) that transformers 5.18 reads nowhere.
  summary_type: anyValue(), summary_use_proj: anyValue(), summary_activation: anyValue(), summary_proj_to_labels: anyValue(),
  summary_first_dropout: anyValue(), n_ctx: anyValue(), n_special: anyValue(), predict_special_tokens: anyValue(),
};

/** A GPT-2 config.json as read: every field GPT-2 computes with, transformers' defaults filled in. */
export type GPT2Settings = FieldValues<typeof GPT2_FIELDS>;

/**
 * Reads a GPT-2 config.json (`model_type: "gpt2"`), refusing by name any field torchlora does not
 * implement.
 *
 * @example
 * const settings = gpt2_config(JSON.parse(readFileSync('gpt2/config.json', 'utf8')));
 * settings.n_layer; // 12
 */
export function gpt2_config(config: HfConfig): GPT2Settings {
  checkModelType(config, ['gpt2'], 'GPT-2');
  return readConfig(config, 'GPT-2', GPT2_FIELDS);
}

/**
 * GPT-2's causal self-attention: one Conv1D for q, k and v, SDPA, an output Conv1D.
 *
 * @example
 * const attn = model.transformer.h[0]!.attn; // a GPT2LMHeadModel's first layer
 * attn.c_attn.weight.shape; // [n_embd, 3 * n_embd]
 */
export class GPT2Attention extends nn_Module {
  declare c_attn: Conv1D;
  declare c_proj: Conv1D;
  declare attn_dropout: Dropout;
  declare resid_dropout: Dropout;
  readonly embed_dim: number;
  readonly num_heads: number;
  readonly head_dim: number;
  /** The factor of the scores: 1/√head_dim (scale_attn_weights), divided by layer_idx + 1 (scale_attn_by_inverse_layer_idx). */
  readonly scaling: number;

  constructor(settings: GPT2Settings, layer_idx: number, options: FactoryOptions = {}) {
    super();
    this.embed_dim = settings.n_embd;
    this.num_heads = settings.n_head;
    if (this.embed_dim % this.num_heads !== 0) failRange(`a multiple of n_head (${this.num_heads})`, "config.json's n_embd", this.embed_dim);
    this.head_dim = this.embed_dim / this.num_heads;
    let scaling = settings.scale_attn_weights ? this.head_dim ** -0.5 : 1;
    if (settings.scale_attn_by_inverse_layer_idx) scaling /= layer_idx + 1;
    this.scaling = scaling;
    this.c_attn = hf_conv1d(3 * this.embed_dim, this.embed_dim, factory(options));
    this.c_proj = hf_conv1d(this.embed_dim, this.embed_dim, factory(options));
    this.attn_dropout = nn_dropout(settings.attn_pdrop);
    this.resid_dropout = nn_dropout(settings.resid_pdrop);
  }

  /** Attention of `hidden` (batch x positions x n_embd) over the cached positions (in `cache`'s `layer`) and its own. */
  override forward(hidden: Tensor, mask: AttentionMask, cache: KeyValueCacheLike | null = null, layer = 0): Tensor {
    const [batch, positions] = hidden.shape as [number, number];
    const heads = (x: Tensor): Tensor => x.view(batch, positions, this.num_heads, this.head_dim).transpose(1, 2);
    const [query, newKey, newValue] = this.c_attn(hidden).split(this.embed_dim, 2).map(heads) as [Tensor, Tensor, Tensor];
    const [key, value] = cache === null ? [newKey, newValue] : cache.update(newKey, newValue, layer);
    const attended = nnf_scaled_dot_product_attention(query, key, value, {
      attn_mask: mask.mask, is_causal: mask.is_causal, dropout_p: this.training ? this.attn_dropout.p : 0, scale: this.scaling,
    });
    return this.resid_dropout(this.c_proj(attended.transpose(1, 2).reshape(batch, positions, this.embed_dim)));
  }
}

/**
 * GPT-2's feed-forward: Conv1D up to n_inner (4·n_embd), the activation, Conv1D down, dropout.
 *
 * @example
 * model.transformer.h[0]!.mlp.c_fc.weight.shape; // [n_embd, n_inner]
 */
export class GPT2MLP extends nn_Module {
  declare c_fc: Conv1D;
  declare c_proj: Conv1D;
  declare dropout: Dropout;
  readonly act: HfActivation;

  constructor(settings: GPT2Settings, options: FactoryOptions = {}) {
    super();
    const inner = settings.n_inner ?? 4 * settings.n_embd;
    this.c_fc = hf_conv1d(inner, settings.n_embd, factory(options));
    this.c_proj = hf_conv1d(settings.n_embd, inner, factory(options));
    this.act = hfActivation(settings.activation_function);
    this.dropout = nn_dropout(settings.resid_pdrop);
  }

  override forward(hidden: Tensor): Tensor {
    return this.dropout(this.c_proj(this.act(this.c_fc(hidden))));
  }
}

/**
 * One pre-norm GPT-2 block: `x + attn(ln_1(x))`, then `h + mlp(ln_2(h))`.
 *
 * @example
 * for (const block of model.transformer.h) block.ln_1.weight.requires_grad_(false);
 */
export class GPT2Block extends nn_Module {
  declare ln_1: LayerNorm;
  declare attn: GPT2Attention;
  declare ln_2: LayerNorm;
  declare mlp: GPT2MLP;

  constructor(settings: GPT2Settings, layer_idx: number, options: FactoryOptions = {}) {
    super();
    this.ln_1 = nn_layer_norm(settings.n_embd, { eps: settings.layer_norm_epsilon, ...factory(options) });
    this.attn = new GPT2Attention(settings, layer_idx, options);
    this.ln_2 = nn_layer_norm(settings.n_embd, { eps: settings.layer_norm_epsilon, ...factory(options) });
    this.mlp = new GPT2MLP(settings, options);
  }

  override forward(hidden: Tensor, mask: AttentionMask, cache: KeyValueCacheLike | null = null, layer = 0): Tensor {
    const residual = this.attn(this.ln_1(hidden), mask, cache, layer).add(hidden);
    return residual.add(this.mlp(this.ln_2(residual)));
  }
}

/** What GPT-2's forward accepts besides `input_ids`. */
export interface GPT2ForwardOptions {
  /** batch x (past + new) positions: 1 for a token, 0 for padding. */
  attention_mask?: Tensor | null;
  /** batch (or 1) x new positions, int64; by default past length, past length + 1, ... */
  position_ids?: Tensor | null;
  /** batch x new positions, int64: embedded by `wte` and added, as transformers does. */
  token_type_ids?: Tensor | null;
  /**
   * A cache (an `HfCache`, or any with transformers' protocol) that this call grows; after a
   * first call, `input_ids` holds only the new tokens.
   */
  past_key_values?: KeyValueCacheLike | null;
  /** Without `past_key_values`, start a new HfCache and return it (false). */
  use_cache?: boolean;
}

const FORWARD_KEYS_OBJECT = { attention_mask: true, position_ids: true, token_type_ids: true, past_key_values: true, use_cache: true } as const;
const FORWARD_KEYS = optionKeys<GPT2ForwardOptions>(FORWARD_KEYS_OBJECT);

/** What `GPT2Model` returns. */
export interface GPT2ModelOutput {
  /** batch x positions x n_embd, after ln_f. */
  last_hidden_state: Tensor;
  /** The cache given or started (`use_cache`), grown by this call; else null. */
  past_key_values: KeyValueCacheLike | null;
}

/**
 * transformers' `GPT2Model`: the transformer without a head. `forward(input_ids, options)`
 * gives the last hidden states (and, with `use_cache`, the key/value cache).
 *
 * @example
 * const model = new GPT2Model({ model_type: 'gpt2', n_layer: 2, n_embd: 32, n_head: 4, vocab_size: 100 });
 * const { last_hidden_state } = model(torch_tensor([[1, 2, 3]], { dtype: 'int64' }));
 */
export class GPT2Model extends nn_Module {
  declare wte: Embedding;
  declare wpe: Embedding;
  declare drop: Dropout;
  declare h: ModuleList<GPT2Block>;
  declare ln_f: LayerNorm;
  /** config.json's fields as read (transformers' defaults filled in). */
  readonly settings: GPT2Settings;
  /** config.json, as given (generate reads its eos_token_id, hf_save writes it). */
  readonly config: HfConfig;

  /** `config`: config.json's object; `options`: where and as what the parameters are made. */
  constructor(config: HfConfig, options: FactoryOptions = {}) {
    super();
    this.settings = gpt2_config(config);
    this.config = config;
    const { n_embd, n_layer } = this.settings;
    this.wte = nn_embedding(this.settings.vocab_size, n_embd, factory(options));
    this.wpe = nn_embedding(this.settings.n_positions, n_embd, factory(options));
    this.drop = nn_dropout(this.settings.embd_pdrop);
    this.h = nn_module_list(Array.from({ length: n_layer }, (_, i) => new GPT2Block(this.settings, i, options)));
    this.ln_f = nn_layer_norm(n_embd, { eps: this.settings.layer_norm_epsilon, ...factory(options) });
    initGpt2Weights(this, this.settings);
  }

  /** The transformers class this is (config.json's `architectures` when saved). @example model.hf_class // 'GPT2Model' */
  get hf_class(): string {
    return 'GPT2Model';
  }

  override forward(input_ids: Tensor, options: GPT2ForwardOptions = {}): GPT2ModelOutput {
    const { attention_mask = null, position_ids = null, token_type_ids, past_key_values = null, use_cache = false } = checkOptions(options, FORWARD_KEYS, 'GPT2Model forward');
    checkTensor(input_ids, 'input_ids');
    if (input_ids.dim() !== 2) failRange('a batch x positions tensor of token ids', 'input_ids', `shape [${input_ids.shape.join(', ')}]`);
    const [batch, positions] = input_ids.shape as [number, number];
    const cache = past_key_values !== null ? checkCache(past_key_values, 'past_key_values') : checkBoolean(use_cache, 'use_cache') ? new HfCache() : null;
    const seen = cache === null ? 0 : cache.get_seq_length();
    if (position_ids === null && seen + positions > this.settings.n_positions) {
      failRange(`at most n_positions (${this.settings.n_positions}) positions, cached ones included`, 'input_ids', `${seen} cached and ${positions} new`);
    }
    const device = input_ids.device;
    const where = position_ids ?? torch_arange(seen, seen + positions, 1, { device }).unsqueeze(0);
    let hidden = this.wte(input_ids).add(this.wpe(where));
    if (token_type_ids !== null && token_type_ids !== undefined) hidden = hidden.add(this.wte(token_type_ids));
    hidden = this.drop(hidden);
    const padding = attention_mask === null ? null : checkAttentionMask(attention_mask, batch, seen + positions);
    const mask = causalMask({ batch, query: positions, past: seen, attention_mask: padding, window: null, position_ids: cache === null ? position_ids : null, device });
    for (const [layer, block] of [...this.h].entries()) hidden = block(hidden, mask, cache, layer);
    return { last_hidden_state: this.ln_f(hidden), past_key_values: cache };
  }
}

/** What `GPT2LMHeadModel` accepts: GPT2Model's options and `labels`. */
export interface GPT2LMHeadModelForwardOptions extends GPT2ForwardOptions {
  /** batch x positions, int64: the tokens to predict (shifted inside, -100 ignored), for `loss`. */
  labels?: Tensor | null;
  /** Compute logits for the last this many positions only (0: all), as generation asks. */
  logits_to_keep?: number;
}

const LM_FORWARD_KEYS = optionKeys<GPT2LMHeadModelForwardOptions>({ ...FORWARD_KEYS_OBJECT, labels: true, logits_to_keep: true });

/** What `GPT2LMHeadModel` returns. */
export interface GPT2LMHeadModelOutput {
  /** batch x positions x vocab_size. */
  logits: Tensor;
  /** The cache given or started (`use_cache`), grown by this call; else null. */
  past_key_values: KeyValueCacheLike | null;
  /** Mean cross-entropy of each position's logits against the next label, when `labels` are given; else null. */
  loss: Tensor | null;
}

/**
 * transformers' `GPT2LMHeadModel`: GPT-2 with a language-model head whose weight is the token
 * embedding's (the same parameter under `lm_head.weight` and `transformer.wte.weight`, unless
 * config.json's `tie_word_embeddings` is false).
 *
 * @example
 * const model = new GPT2LMHeadModel(JSON.parse(readFileSync('gpt2/config.json', 'utf8')));
 * model.load_state_dict(weights); // transformers' names
 * const { logits, past_key_values } = model(prompt, { use_cache: true });
 * const next = model(token, { past_key_values }).logits; // token: batch x 1, attends to the prompt too
 */
export class GPT2LMHeadModel extends nn_Module {
  declare transformer: GPT2Model;
  declare lm_head: Linear;

  /** `config`: config.json's object; `options`: where and as what the parameters are made. */
  constructor(config: HfConfig, options: FactoryOptions = {}) {
    super();
    this.transformer = new GPT2Model(config, options);
    const { n_embd, vocab_size, tie_word_embeddings, initializer_range } = this.transformer.settings;
    this.lm_head = nn_linear(n_embd, vocab_size, { bias: false, ...factory(options) });
    if (tie_word_embeddings) this.lm_head.weight = this.transformer.wte.weight;
    else nn_init_normal_(this.lm_head.weight, 0, initializer_range);
  }

  /** The layer that maps hidden states to vocabulary scores (transformers' method; PEFT's "all-linear" leaves it out). @example model.get_output_embeddings() === model.lm_head */
  get_output_embeddings(): Linear {
    return this.lm_head;
  }

  /** config.json, as given. @example model.config.eos_token_id */
  get config(): HfConfig {
    return this.transformer.config;
  }

  /** The transformers class this is (config.json's `architectures` when saved). @example model.hf_class // 'GPT2LMHeadModel' */
  get hf_class(): string {
    return 'GPT2LMHeadModel';
  }

  override forward(input_ids: Tensor, options: GPT2LMHeadModelForwardOptions = {}): GPT2LMHeadModelOutput {
    const { labels = null, logits_to_keep = 0, ...rest } = checkOptions(options, LM_FORWARD_KEYS, 'GPT2LMHeadModel forward');
    if (checkInteger(logits_to_keep, 'logits_to_keep') < 0) failRange('a non-negative integer', 'logits_to_keep', logits_to_keep);
    const { last_hidden_state, past_key_values } = this.transformer(input_ids, rest);
    const logits = this.lm_head(logits_to_keep === 0 ? last_hidden_state : last_hidden_state.index(':', `${-logits_to_keep}:`));
    return { logits, past_key_values, loss: labels === null ? null : hf_causal_lm_loss(logits, labels) };
  }
}

// transformers' _init_weights for GPT-2: N(0, initializer_range) weights, zero biases, and the
// residual projections (c_proj) at initializer_range / √(2·n_layer), as OpenAI's GPT-2 paper.
function initGpt2Weights(model: GPT2Model, settings: GPT2Settings): void {
  initHfWeights(model, settings.initializer_range);
  const std = settings.initializer_range / Math.sqrt(2 * settings.n_layer);
  for (const block of model.h) {
    nn_init_normal_(block.attn.c_proj.weight, 0, std);
    nn_init_normal_(block.mlp.c_proj.weight, 0, std);
  }
}

