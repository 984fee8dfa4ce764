// BERT's heads as transformers 5.18 has them: sequence classification (the pooled first
// position through dropout and a linear classifier, with transformers' loss for each
// problem_type) and masked language modelling (a transform, then a decoder tied to the word
// embeddings). The encoder is in bert.ts.
import { checkOptions } from '../core/validate.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { nnf_cross_entropy } from '../nn/functional.js';
import { nn_layer_norm, nn_linear, type LayerNorm, type Linear } from '../nn/layers.js';
import { nn_Module } from '../nn/module.js';
import { nn_parameter } from '../nn/registry.js';
import { factory, type FactoryOptions } from '../nn/options.js';
import { torch_zeros } from '../ops/creation.js';
import { hfActivation, type HfActivation } from './activations.js';
import { BertModel, type BertSettings, type BertForwardOptions } from './bert.js';
import { sequenceClassificationLoss } from './classification.js';
import type { HfConfig } from './config.js';
import { initHfWeights } from './config_fields.js';
import { registerArchitecture } from './registry.js';
import { BertClassifier, BertForQuestionAnswering, BertForTokenClassification, HEAD_KEYS } from './bert_token_heads.js';

/** A BERT head's forward options: BertModel's and `labels`. */
export interface BertHeadForwardOptions extends BertForwardOptions {
  /** The targets, for `loss`: see each head. */
  labels?: Tensor | null;
}


/** What a BERT head returns. */
export interface BertHeadOutput {
  logits: Tensor;
  /** transformers' loss for `labels`; null without them. */
  loss: Tensor | null;
}

/**
 * transformers' `BertForSequenceClassification`: BertModel, dropout on the pooled output, and a
 * linear classifier to `num_labels` (config.json's id2label size, else num_labels, else 2). With
 * `labels` the loss is transformers' for config.json's `problem_type`, or, without one, for what
 * the labels are: regression (one label: mean squared error), single-label (int64 labels:
 * cross-entropy), multi-label (float labels: binary cross-entropy with logits).
 *
 * @example
 * const classifier = new BertForSequenceClassification(JSON.parse(readFileSync('bert/config.json', 'utf8')));
 * const { logits, loss } = classifier(input_ids, { attention_mask, labels: torch_tensor([1, 0], { dtype: 'int64' }) });
 */
export class BertForSequenceClassification extends BertClassifier {
  /** `config`: config.json's object; `options`: where and as what the parameters are made. */
  constructor(config: HfConfig, options: FactoryOptions = {}) {
    super(config, options, true);
  }

  /** The transformers class this is (config.json's `architectures` when saved). @example classifier.hf_class // 'BertForSequenceClassification' */
  get hf_class(): string {
    return 'BertForSequenceClassification';
  }

  override forward(input_ids: Tensor, options: BertHeadForwardOptions = {}): BertHeadOutput {
    const { labels = null, ...rest } = checkOptions(options, HEAD_KEYS, 'BertForSequenceClassification forward');
    const logits = this.classifier(this.dropout(this.bert(input_ids, rest).pooler_output!));
    return { logits, loss: labels === null ? null : sequenceClassificationLoss(logits, checkTensor(labels, 'labels'), this.num_labels, this.bert.settings.problem_type) };
  }
}

/**
 * The masked-LM head's transform: dense, hidden_act, layer norm.
 *
 * @example
 * mlm.cls.predictions.transform.dense.weight.shape; // [hidden_size, hidden_size]
 */
export class BertPredictionHeadTransform extends nn_Module {
  declare dense: Linear;
  declare LayerNorm: LayerNorm;
  readonly transform_act_fn: HfActivation;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.dense = nn_linear(settings.hidden_size, settings.hidden_size, factory(options));
    this.transform_act_fn = hfActivation(settings.hidden_act);
    this.LayerNorm = nn_layer_norm(settings.hidden_size, { eps: settings.layer_norm_eps, ...factory(options) });
  }

  override forward(hidden: Tensor): Tensor {
    return this.LayerNorm(this.transform_act_fn(this.dense(hidden)));
  }
}

/**
 * The transform, then `decoder` to vocab_size scores; `bias` is the decoder's bias when tied.
 *
 * @example
 * mlm.cls.predictions.decoder.weight === mlm.bert.embeddings.word_embeddings.weight; // true: tied
 */
export class BertLMPredictionHead extends nn_Module {
  declare transform: BertPredictionHeadTransform;
  declare decoder: Linear;
  declare bias: Tensor;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.transform = new BertPredictionHeadTransform(settings, options);
    this.decoder = nn_linear(settings.hidden_size, settings.vocab_size, factory(options));
    this.bias = nn_parameter(torch_zeros(settings.vocab_size, factory(options)));
  }

  override forward(hidden: Tensor): Tensor {
    return this.decoder(this.transform(hidden));
  }
}

/**
 * transformers' BertOnlyMLMHead: `predictions`.
 *
 * @example
 * const scores = mlm.cls(last_hidden_state); // batch x positions x vocab_size
 */
export class BertOnlyMLMHead extends nn_Module {
  declare predictions: BertLMPredictionHead;

  constructor(settings: BertSettings, options: FactoryOptions = {}) {
    super();
    this.predictions = new BertLMPredictionHead(settings, options);
  }

  override forward(hidden: Tensor): Tensor {
    return this.predictions(hidden);
  }
}

/**
 * transformers' `BertForMaskedLM`: BertModel without the pooler, and the masked-LM head whose
 * decoder weight is the word embedding and whose decoder bias is `cls.predictions.bias` (unless
 * config.json's `tie_word_embeddings` is false). With `labels` (batch x positions, int64, -100
 * where not masked) the loss is the cross-entropy over the rest.
 *
 * @example
 * const mlm = new BertForMaskedLM(JSON.parse(readFileSync('bert/config.json', 'utf8')));
 * const { logits } = mlm(input_ids, { attention_mask }); // batch x positions x vocab_size
 */
export class BertForMaskedLM extends nn_Module {
  declare bert: BertModel;
  declare cls: BertOnlyMLMHead;

  /** `config`: config.json's object; `options`: where and as what the parameters are made. */
  constructor(config: HfConfig, options: FactoryOptions = {}) {
    super();
    this.bert = new BertModel(config, { add_pooling_layer: false, ...factory(options) });
    this.cls = new BertOnlyMLMHead(this.bert.settings, options);
    initHfWeights(this.cls, this.bert.settings.initializer_range);
    const predictions = this.cls.predictions;
    if (this.bert.settings.tie_word_embeddings) {
      predictions.decoder.weight = this.bert.embeddings.word_embeddings.weight;
      predictions.decoder.bias = predictions.bias;
    }
  }

  /** The decoder to vocabulary scores (transformers' method; PEFT's "all-linear" leaves it out). @example mlm.get_output_embeddings() === mlm.cls.predictions.decoder */
  get_output_embeddings(): Linear {
    return this.cls.predictions.decoder;
  }

  /** config.json, as given. @example mlm.config.model_type // 'bert' */
  get config(): HfConfig {
    return this.bert.config;
  }

  /** The transformers class this is (config.json's `architectures` when saved). @example mlm.hf_class // 'BertForMaskedLM' */
  get hf_class(): string {
    return 'BertForMaskedLM';
  }

  override forward(input_ids: Tensor, options: BertHeadForwardOptions = {}): BertHeadOutput {
    const { labels = null, ...rest } = checkOptions(options, HEAD_KEYS, 'BertForMaskedLM forward');
    const logits = this.cls(this.bert(input_ids, rest).last_hidden_state);
    const vocab = this.bert.settings.vocab_size;
    return { logits, loss: labels === null ? null : nnf_cross_entropy(logits.view(-1, vocab), checkTensor(labels, 'labels').view(-1)) };
  }
}

registerArchitecture({
  model_type: 'bert',
  // Buffers files saved before transformers 4.31 hold (transformers makes them, or nothing, at load time).
  ignored_keys: [/(^|\.)embeddings\.(position_ids|token_type_ids)$/],
  classes: {
    BertModel: (config, options?: FactoryOptions) => new BertModel(config, factory(options ?? {})),
    BertForSequenceClassification: (config, options?: FactoryOptions) => new BertForSequenceClassification(config, options),
    BertForMaskedLM: (config, options?: FactoryOptions) => new BertForMaskedLM(config, options),
    BertForTokenClassification: (config, options?: FactoryOptions) => new BertForTokenClassification(config, options),
    BertForQuestionAnswering: (config, options?: FactoryOptions) => new BertForQuestionAnswering(config, options),
  },
});
