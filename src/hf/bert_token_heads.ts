// BERT's per-token heads as transformers 5.18 has them: token classification (each position's
// hidden state through dropout and a linear classifier, for tagging such as named entities) and
// extractive question answering (a linear layer to a start and an end score per position). Both
// run BertModel without its pooler. Here too is what both classifiers share (BertClassifier,
// which BertForSequenceClassification extends with the pooler). The encoder is in bert.ts;
// registered with the other heads in bert_heads.ts.
import { checkOptions, failRange, optionKeys } from '../core/validate.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { nnf_cross_entropy } from '../nn/functional.js';
import { nn_dropout, nn_linear, type Dropout, type Linear } from '../nn/layers.js';
import { nn_Module } from '../nn/module.js';
import { factory, type FactoryOptions } from '../nn/options.js';
import { BertModel, type BertForwardOptions } from './bert.js';
import type { BertHeadForwardOptions, BertHeadOutput } from './bert_heads.js';
import { labelCount } from './classification.js';
import type { HfConfig } from './config.js';
import { initHfWeights } from './config_fields.js';

/** @internal The forward options of the heads that take `labels`. */
export const HEAD_KEYS = optionKeys<BertHeadForwardOptions>({ attention_mask: true, token_type_ids: true, position_ids: true, labels: true });

/**
 * @internal What BERT's two classifiers share (BertForSequenceClassification, BertForTokenClassification):
 * BertModel, with its pooler or without, dropout (config.json's classifier_dropout, else
 * hidden_dropout_prob) and `classifier`, a linear layer to `num_labels` scores initialised as
 * transformers does.
 */
export abstract class BertClassifier extends nn_Module {
  declare bert: BertModel;
  declare dropout: Dropout;
  declare classifier: Linear;
  readonly num_labels: number;

  protected constructor(config: HfConfig, options: FactoryOptions, add_pooling_layer: boolean) {
    super();
    this.bert = new BertModel(config, { add_pooling_layer, ...factory(options) });
    const read = this.bert.settings;
    this.num_labels = labelCount(read);
    this.dropout = nn_dropout(read.classifier_dropout ?? read.hidden_dropout_prob);
    this.classifier = nn_linear(read.hidden_size, this.num_labels, factory(options));
    initHfWeights(this.classifier, read.initializer_range);
  }

  /** config.json, as given. @example classifier.config.id2label */
  get config(): HfConfig {
    return this.bert.config;
  }
}

/** BertForQuestionAnswering's forward options: BertModel's, and the answers' positions for `loss`. */
export interface BertQuestionAnsweringOptions extends BertForwardOptions {
  /** Each row's answer start (int64, batch); positions past the sequence count for nothing, as in transformers. */
  start_positions?: Tensor | null;
  /** Each row's answer end, as start_positions. */
  end_positions?: Tensor | null;
}

const QA_KEYS = optionKeys<BertQuestionAnsweringOptions>({ attention_mask: true, token_type_ids: true, position_ids: true, start_positions: true, end_positions: true });

/** What BertForQuestionAnswering returns. */
export interface BertQuestionAnsweringOutput {
  /** batch x positions: how likely each position starts the answer. */
  start_logits: Tensor;
  /** batch x positions: how likely each position ends it. */
  end_logits: Tensor;
  /** The mean of the start and end cross-entropies; null without both positions. */
  loss: Tensor | null;
}

/**
 * transformers' `BertForTokenClassification`: BertModel without the pooler, dropout, and a
 * linear classifier of every position to `num_labels` scores. With `labels` (batch x positions,
 * int64, -100 where a position has none) the loss is their cross-entropy.
 *
 * @example
 * const tagger = hf_load<BertForTokenClassification>('models/bert', { class: 'BertForTokenClassification', config: { num_labels: 9 } });
 * const { logits } = tagger(input_ids, { attention_mask }); // batch x positions x 9
 */
export class BertForTokenClassification extends BertClassifier {
  /** `config`: config.json's object; `options`: where and as what the parameters are made. */
  constructor(config: HfConfig, options: FactoryOptions = {}) {
    super(config, options, false);
  }

  /** The transformers class this is (config.json's `architectures` when saved). @example tagger.hf_class // 'BertForTokenClassification' */
  get hf_class(): string {
    return 'BertForTokenClassification';
  }

  override forward(input_ids: Tensor, options: BertHeadForwardOptions = {}): BertHeadOutput {
    const { labels = null, ...rest } = checkOptions(options, HEAD_KEYS, 'BertForTokenClassification forward');
    const logits = this.classifier(this.dropout(this.bert(input_ids, rest).last_hidden_state));
    return { logits, loss: labels === null ? null : nnf_cross_entropy(logits.view(-1, this.num_labels), checkTensor(labels, 'labels').view(-1)) };
  }
}

/**
 * transformers' `BertForQuestionAnswering`: BertModel without the pooler and `qa_outputs`, a
 * linear layer to a start and an end score per position (config.json's num_labels must be 2,
 * as transformers' forward needs). With `start_positions` and `end_positions` the loss is the
 * mean of their cross-entropies, positions past the sequence ignored.
 *
 * @example
 * const reader = hf_load<BertForQuestionAnswering>('models/bert-squad');
 * const { start_logits, end_logits } = reader(input_ids, { attention_mask, token_type_ids });
 */
export class BertForQuestionAnswering extends nn_Module {
  declare bert: BertModel;
  declare qa_outputs: Linear;
  readonly num_labels: number;

  /** `config`: config.json's object; `options`: where and as what the parameters are made. */
  constructor(config: HfConfig, options: FactoryOptions = {}) {
    super();
    this.bert = new BertModel(config, { add_pooling_layer: false, ...factory(options) });
    this.num_labels = labelCount(this.bert.settings);
    if (this.num_labels !== 2) failRange('2 labels (a start and an end score; transformers splits qa_outputs in two)', "config.json's num_labels", this.num_labels);
    this.qa_outputs = nn_linear(this.bert.settings.hidden_size, this.num_labels, factory(options));
    initHfWeights(this.qa_outputs, this.bert.settings.initializer_range);
  }

  /** config.json, as given. @example reader.config.model_type // 'bert' */
  get config(): HfConfig {
    return this.bert.config;
  }

  /** The transformers class this is (config.json's `architectures` when saved). @example reader.hf_class // 'BertForQuestionAnswering' */
  get hf_class(): string {
    return 'BertForQuestionAnswering';
  }

  override forward(input_ids: Tensor, options: BertQuestionAnsweringOptions = {}): BertQuestionAnsweringOutput {
    const { start_positions = null, end_positions = null, ...rest } = checkOptions(options, QA_KEYS, 'BertForQuestionAnswering forward');
    const logits = this.qa_outputs(this.bert(input_ids, rest).last_hidden_state);
    const [start, end] = logits.split(1, -1) as [Tensor, Tensor];
    const start_logits = start.squeeze(-1).contiguous();
    const end_logits = end.squeeze(-1).contiguous();
    if (start_positions === null || end_positions === null) return { start_logits, end_logits, loss: null };
    const ignored = start_logits.size(1);
    const crossEntropy = (scores: Tensor, positions: Tensor, name: string): Tensor => {
      const flat = checkTensor(positions, name).dim() > 1 ? positions.squeeze(-1) : positions;
      return nnf_cross_entropy(scores, flat.clamp(0, ignored), { ignore_index: ignored });
    };
    const loss = crossEntropy(start_logits, start_positions, 'start_positions').add(crossEntropy(end_logits, end_positions, 'end_positions')).div(2);
    return { start_logits, end_logits, loss };
  }
}
