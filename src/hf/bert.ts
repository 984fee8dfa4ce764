// BERT's encoder as transformers 5.18 computes it (models/bert/modeling_bert.py, with its
// default sdpa attention): word, position and token-type embeddings, post-norm encoder layers,
// and the pooler. The heads (sequence classification, masked LM) are in bert_heads.ts. Module
// and parameter names are transformers' own (`bert.encoder.layer.0.attention.self.query.weight`).
import { checkNonNegativeInteger, checkOptions, fail, failRange, optionKeys } from '../core/validate.js';
import { torch_arange, torch_zeros } from '../ops/creation.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { nnf_scaled_dot_product_attention } from '../nn/attention.js';
import { nn_module_list, type ModuleList } from '../nn/containers.js';
import { nn_dropout, nn_embedding, nn_layer_norm, nn_linear, type Dropout, type Embedding, type LayerNorm, type Linear } from '../nn/layers.js';
import { nn_Module } from '../nn/module.js';
import { factory, FACTORY_KEYS, type FactoryOptions } from '../nn/options.js';
import { checkHfActivation, hfActivation, type HfActivation } from './activations.js';
import { bidirectionalMask } from './attention_masks.js';
import { checkModelType, readConfig, type FieldValues, type HfConfig } from './config.js';
import { LABEL_FIELDS } from './classification.js';
import { anyValue, falseOnly, finite, flag, initHfWeights, positive, probability } from './config_fields.js';

const BERT_FIELDS = {
  vocab_size: positive(30522),
  hidden_size: positive(768),
  num_hidden_layers: positive(12),
  num_attention_heads: positive(12),
  intermediate_size: positive(3072),
  hidden_act: { default: 'gelu', check: checkHfActivation },
  hidden_dropout_prob: probability(0.1),
  attention_probs_dropout_prob: probability(0.1),
  max_position_embeddings: positive(512),
  type_vocab_size: positive(2),
  initializer_range: finite(0.02),
  layer_norm_eps: finite(1e-12),
  // The word embedding's padding_idx: that row starts at zero and gets no gradient.
  pad_token_id: { default: 0, check: (v: unknown, n: string) => (v === null ? null : checkNonNegativeInteger(v, `config.json's ${n}`)) },
  classifier_dropout: { default: null, check: (v: unknown, n: string) => (v === null ? null : probability(0).check(v, n)) },
  tie_word_embeddings: flag(true),
  is_decoder: falseOnly('BERT as an encoder (bidirectional attention)'),
  add_cross_attention: falseOnly('BERT as an encoder (no cross-attention layers)'),
  ...LABEL_FIELDS,
  // Read by transformers' training loop only.
  gradient_checkpointing: anyValue(),
};

// transformers 5.18's BertConfig no longer has the field; configs written before say "absolute",
// the only kind of position embedding torchlora's BERT (and transformers 5.18's) computes.
const BERT_INERT = { position_embedding_type: 'absolute' };

/** A BERT config.json as read: every field BERT computes with, transformers' defaults filled in. */
export type BertSettings = FieldValues<typeof BERT_FIELDS>;

/**
 * Reads a BERT config.json (`model_type: "bert"`), refusing by name any field torchlora does not
 * implement.
 *
 * @example
 * const settings = bert_config(JSON.parse(readFileSync('bert/config.json', 'utf8')));
 * settings.hidden_size; // 768
 */
export function bert_config(config: HfConfig): BertSettings {
  checkModelType(config, ['bert'], 'BERT');
  const read = readConfig(config, 'BERT', BERT_FIELDS, BERT_INERT);
  if (read.hidden_size % read.num_attention_heads !== 0) {
    failRange(`a multiple of num_attention_heads (${read.num_attention_heads})`, "config.json's hidden_size", read.hidden_size);
  }
  return read;
}

/**
 * Word, position and token-type embeddings, summed, layer-normed, dropout.
 *
 * @example
 * const embedded = bert.embeddings(input_ids, token_type_ids, null); // batch x positions x hidden_size
 */
export class BertEmbeddings extends nn_Module {
  declare word_embeddings: Embedding;
  declare position_embeddings: Embedding;
  declare token_type_embeddings: Embedding;
  declare LayerNorm: LayerNorm;
  declare dropout: Dropout;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.word_embeddings = nn_embedding(settings.vocab_size, settings.hidden_size, { padding_idx: settings.pad_token_id, ...factory(options) });
    this.position_embeddings = nn_embedding(settings.max_position_embeddings, settings.hidden_size, factory(options));
    this.token_type_embeddings = nn_embedding(settings.type_vocab_size, settings.hidden_size, factory(options));
    this.LayerNorm = nn_layer_norm(settings.hidden_size, { eps: settings.layer_norm_eps, ...factory(options) });
    this.dropout = nn_dropout(settings.hidden_dropout_prob);
  }

  override forward(input_ids: Tensor, token_type_ids: Tensor | null, position_ids: Tensor | null): Tensor {
    const [batch, positions] = input_ids.shape as [number, number];
    const types = token_type_ids ?? torch_zeros([batch, positions], { dtype: 'int64', device: input_ids.device });
    const where = position_ids ?? torch_arange(0, positions, 1, { device: input_ids.device }).unsqueeze(0);
    const embedded = this.word_embeddings(input_ids).add(this.token_type_embeddings(types)).add(this.position_embeddings(where));
    return this.dropout(this.LayerNorm(embedded));
  }
}

/**
 * Multi-head self-attention: query, key and value projections and SDPA.
 *
 * @example
 * bert.encoder.layer[0]!.attention.self.query.weight.shape; // [hidden_size, hidden_size]
 */
export class BertSelfAttention extends nn_Module {
  declare query: Linear;
  declare key: Linear;
  declare value: Linear;
  declare dropout: Dropout;
  readonly num_attention_heads: number;
  readonly attention_head_size: number;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.num_attention_heads = settings.num_attention_heads;
    this.attention_head_size = settings.hidden_size / settings.num_attention_heads;
    this.query = nn_linear(settings.hidden_size, settings.hidden_size, factory(options));
    this.key = nn_linear(settings.hidden_size, settings.hidden_size, factory(options));
    this.value = nn_linear(settings.hidden_size, settings.hidden_size, factory(options));
    this.dropout = nn_dropout(settings.attention_probs_dropout_prob);
  }

  override forward(hidden: Tensor, mask: Tensor | null): Tensor {
    const [batch, positions, features] = hidden.shape as [number, number, number];
    const heads = (x: Tensor): Tensor => x.view(batch, positions, -1, this.attention_head_size).transpose(1, 2);
    const attended = nnf_scaled_dot_product_attention(heads(this.query(hidden)), heads(this.key(hidden)), heads(this.value(hidden)), {
      attn_mask: mask, dropout_p: this.training ? this.dropout.p : 0, scale: this.attention_head_size ** -0.5,
    });
    return attended.transpose(1, 2).reshape(batch, positions, features);
  }
}

/**
 * Attention's output: a projection, dropout, then the residual and a layer norm: `LayerNorm(dropout(dense(x)) + input)`.
 *
 * @example
 * bert.encoder.layer[0]!.attention.output.dense.weight.shape; // [hidden_size, hidden_size]
 */
export class BertSelfOutput extends nn_Module {
  declare dense: Linear;
  declare LayerNorm: LayerNorm;
  declare dropout: Dropout;

  constructor(settings: BertSettings, options: FactoryOptions = {}, in_features = settings.hidden_size) {
    super();
    this.dense = nn_linear(in_features, settings.hidden_size, factory(options));
    this.LayerNorm = nn_layer_norm(settings.hidden_size, { eps: settings.layer_norm_eps, ...factory(options) });
    this.dropout = nn_dropout(settings.hidden_dropout_prob);
  }

  override forward(hidden: Tensor, input: Tensor): Tensor {
    return this.LayerNorm(this.dropout(this.dense(hidden)).add(input));
  }
}

/**
 * The feed-forward's second half: BertSelfOutput's computation from intermediate_size features.
 *
 * @example
 * bert.encoder.layer[0]!.output.dense.weight.shape; // [hidden_size, intermediate_size]
 */
export class BertOutput extends BertSelfOutput {
  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super(settings, options, settings.intermediate_size);
  }
}

/**
 * Self-attention and its output (transformers' BertAttention: `self`, `output`).
 *
 * @example
 * const attended = bert.encoder.layer[0]!.attention(hidden, null); // null: no padding mask
 */
export class BertAttention extends nn_Module {
  declare self: BertSelfAttention;
  declare output: BertSelfOutput;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.self = new BertSelfAttention(settings, options);
    this.output = new BertSelfOutput(settings, options);
  }

  override forward(hidden: Tensor, mask: Tensor | null): Tensor {
    return this.output(this.self(hidden, mask), hidden);
  }
}

/**
 * The feed-forward's first half: dense up to intermediate_size, then hidden_act.
 *
 * @example
 * bert.encoder.layer[0]!.intermediate.dense.weight.shape; // [intermediate_size, hidden_size]
 */
export class BertIntermediate extends nn_Module {
  declare dense: Linear;
  readonly intermediate_act_fn: HfActivation;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.dense = nn_linear(settings.hidden_size, settings.intermediate_size, factory(options));
    this.intermediate_act_fn = hfActivation(settings.hidden_act);
  }

  override forward(hidden: Tensor): Tensor {
    return this.intermediate_act_fn(this.dense(hidden));
  }
}

/**
 * One encoder layer: attention, intermediate, output.
 *
 * @example
 * for (const layer of bert.encoder.layer) hidden = layer(hidden, null); // null: no padding mask
 */
export class BertLayer extends nn_Module {
  declare attention: BertAttention;
  declare intermediate: BertIntermediate;
  declare output: BertOutput;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.attention = new BertAttention(settings, options);
    this.intermediate = new BertIntermediate(settings, options);
    this.output = new BertOutput(settings, options);
  }

  override forward(hidden: Tensor, mask: Tensor | null): Tensor {
    const attended = this.attention(hidden, mask);
    return this.output(this.intermediate(attended), attended);
  }
}

/**
 * The layers, in an nn_module_list named `layer`.
 *
 * @example
 * bert.encoder.layer.length; // num_hidden_layers
 */
export class BertEncoder extends nn_Module {
  declare layer: ModuleList<BertLayer>;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.layer = nn_module_list(Array.from({ length: settings.num_hidden_layers }, () => new BertLayer(settings, options)));
  }

  override forward(hidden: Tensor, mask: Tensor | null): Tensor {
    for (const layer of this.layer) hidden = layer(hidden, mask);
    return hidden;
  }
}

/**
 * The first position's hidden state through dense and tanh.
 *
 * @example
 * const pooled = bert.pooler!(last_hidden_state); // batch x hidden_size
 */
export class BertPooler extends nn_Module {
  declare dense: Linear;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.dense = nn_linear(settings.hidden_size, settings.hidden_size, factory(options));
  }

  override forward(hidden: Tensor): Tensor {
    return this.dense(hidden.index(':', 0)).tanh();
  }
}

/** What BERT's forward accepts besides `input_ids`. */
export interface BertForwardOptions {
  /** batch x positions: 1 for a token, 0 for padding. */
  attention_mask?: Tensor | null;
  /** batch x positions, int64: each token's segment (0 by default). */
  token_type_ids?: Tensor | null;
  /** batch (or 1) x positions, int64 (0, 1, ... by default). */
  position_ids?: Tensor | null;
}

const BERT_FORWARD_KEYS = optionKeys<BertForwardOptions>({ attention_mask: true, token_type_ids: true, position_ids: true });

/** What `BertModel` returns. */
export interface BertModelOutput {
  /** batch x positions x hidden_size. */
  last_hidden_state: Tensor;
  /** batch x hidden_size: the pooler's output, null without a pooler. */
  pooler_output: Tensor | null;
}

/** `BertModel`'s options besides the config: where and as what the parameters are made, and the pooler. */
export interface BertModelOptions extends FactoryOptions {
  /** Make the pooler (true; transformers' masked-LM head has none). */
  add_pooling_layer?: boolean;
}

const MODEL_KEYS = optionKeys<BertModelOptions>({ add_pooling_layer: true, ...FACTORY_KEYS });

/**
 * transformers' `BertModel`: embeddings, the encoder and (unless `add_pooling_layer` is false)
 * the pooler. `forward(input_ids, options)` gives the last hidden states and the pooled first
 * position.
 *
 * @example
 * const bert = new BertModel({ model_type: 'bert', hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 });
 * const { last_hidden_state, pooler_output } = bert(input_ids, { attention_mask, token_type_ids });
 */
export class BertModel extends nn_Module {
  declare embeddings: BertEmbeddings;
  declare encoder: BertEncoder;
  declare pooler: BertPooler | null;
  /** config.json's fields as read (transformers' defaults filled in). */
  readonly settings: BertSettings;
  /** config.json, as given (hf_save writes it). */
  readonly config: HfConfig;

  /** `config`: config.json's object. */
  constructor(config: HfConfig, options: BertModelOptions = {}) {
    super();
    const { add_pooling_layer = true } = checkOptions(options, MODEL_KEYS, 'BertModel');
    this.settings = bert_config(config);
    this.config = config;
    this.embeddings = new BertEmbeddings(this.settings, options);
    this.encoder = new BertEncoder(this.settings, options);
    if (add_pooling_layer) this.pooler = new BertPooler(this.settings, options);
    else this.register_module('pooler', null);
    initHfWeights(this, this.settings.initializer_range);
  }

  /** The transformers class this is (config.json's `architectures` when saved). @example bert.hf_class // 'BertModel' */
  get hf_class(): string {
    return 'BertModel';
  }

  override forward(input_ids: Tensor, options: BertForwardOptions = {}): BertModelOutput {
    const { attention_mask, token_type_ids = null, position_ids = null } = checkOptions(options, BERT_FORWARD_KEYS, 'BertModel forward');
    checkTensor(input_ids, 'input_ids');
    if (input_ids.dim() !== 2) failRange('a batch x positions tensor of token ids', 'input_ids', `shape [${input_ids.shape.join(', ')}]`);
    const [batch, positions] = input_ids.shape as [number, number];
    if (position_ids === null && positions > this.settings.max_position_embeddings) {
      failRange(`at most max_position_embeddings (${this.settings.max_position_embeddings}) positions`, 'input_ids', `${positions} positions`);
    }
    const hidden = this.encoder(this.embeddings(input_ids, token_type_ids, position_ids), bidirectionalMask(attention_mask, batch, positions));
    return { last_hidden_state: hidden, pooler_output: this.pooler === null ? null : this.pooler(hidden) };
  }
}
