// GPT-2's sequence classifier as transformers 5.18 has it (the scores of each row's last token
// that is not padding), and the registration of GPT-2's classes for hf_load. The model and its
// language-model head are in gpt2.ts.
import { checkOptions, failRange, optionKeys } from '../core/validate.js';
import { torch_arange, torch_tensor } from '../ops/creation.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { nn_linear, type Linear } from '../nn/layers.js';
import { nn_Module } from '../nn/module.js';
import { factory, type FactoryOptions } from '../nn/options.js';
import type { KeyValueCacheLike } from './cache.js';
import { labelCount, sequenceClassificationLoss } from './classification.js';
import type { HfConfig } from './config.js';
import { initHfWeights } from './config_fields.js';
import { GPT2LMHeadModel, GPT2Model, type GPT2ForwardOptions } from './gpt2.js';
import { registerArchitecture } from './registry.js';

/** GPT2ForSequenceClassification's forward options: GPT2Model's and `labels`. */
export interface GPT2ForSequenceClassificationOptions extends GPT2ForwardOptions {
  /** The targets, for `loss` (as BertForSequenceClassification's). */
  labels?: Tensor | null;
}

const KEYS = optionKeys<GPT2ForSequenceClassificationOptions>({
  attention_mask: true, position_ids: true, token_type_ids: true, past_key_values: true, use_cache: true, labels: true,
});

/** What GPT2ForSequenceClassification returns. */
export interface GPT2SequenceClassifierOutput {
  /** batch x num_labels: the scores at each row's last token that is not padding. */
  logits: Tensor;
  /** transformers' loss for `labels`; null without them. */
  loss: Tensor | null;
  /** The cache, when one was passed or use_cache asked for one. */
  past_key_values: KeyValueCacheLike | null;
}

/**
 * transformers' `GPT2ForSequenceClassification`: GPT2Model, a linear `score` (no bias) of every
 * position to `num_labels`, and each row's scores taken at its last token that is not
 * config.json's `pad_token_id` (left or right padding alike; the last position when there is no
 * pad token, which transformers allows for one row only). With `labels` the loss is chosen as
 * BertForSequenceClassification's (config.json's problem_type, else by the labels).
 *
 * @example
 * const classifier = hf_load<GPT2ForSequenceClassification>('models/gpt2', { class: 'GPT2ForSequenceClassification', config: { num_labels: 2, pad_token_id: 50256 } });
 * const { logits } = classifier(input_ids, { attention_mask }); // batch x 2
 */
export class GPT2ForSequenceClassification extends nn_Module {
  declare transformer: GPT2Model;
  declare score: Linear;
  readonly num_labels: number;

  /** `config`: config.json's object; `options`: where and as what the parameters are made. */
  constructor(config: HfConfig, options: FactoryOptions = {}) {
    super();
    this.transformer = new GPT2Model(config, options);
    const settings = this.transformer.settings;
    this.num_labels = labelCount(settings);
    this.score = nn_linear(settings.n_embd, this.num_labels, { bias: false, ...factory(options) });
    initHfWeights(this.score, settings.initializer_range);
  }

  /** config.json, as given. @example classifier.config.pad_token_id */
  get config(): HfConfig {
    return this.transformer.config;
  }

  /** The transformers class this is (config.json's `architectures` when saved). @example classifier.hf_class // 'GPT2ForSequenceClassification' */
  get hf_class(): string {
    return 'GPT2ForSequenceClassification';
  }

  override forward(input_ids: Tensor, options: GPT2ForSequenceClassificationOptions = {}): GPT2SequenceClassifierOutput {
    const { labels = null, ...rest } = checkOptions(options, KEYS, 'GPT2ForSequenceClassification forward');
    checkTensor(input_ids, 'input_ids');
    const pad = this.config.pad_token_id as number | null | undefined;
    const batch = input_ids.size(0);
    if ((pad === null || pad === undefined) && batch !== 1) {
      failRange('one row, or a config.json pad_token_id (transformers cannot find the last token of padded rows without one)', 'input_ids', `${batch} rows`);
    }
    const { last_hidden_state, past_key_values } = this.transformer(input_ids, rest);
    const scores = this.score(last_hidden_state);
    const rows = torch_arange(0, batch, 1, { dtype: 'int64', device: scores.device });
    // transformers' rightmost token that is not padding: argmax of position x (token is not pad).
    const last = pad === null || pad === undefined
      ? torch_tensor([input_ids.size(-1) - 1], { dtype: 'int64', device: scores.device })
      : torch_arange(0, input_ids.size(-1), 1, { dtype: 'int32', device: scores.device }).mul(input_ids.ne(pad).to({ dtype: 'int32' })).argmax(-1);
    const logits = scores.index(rows, last);
    const loss = labels === null ? null : sequenceClassificationLoss(logits, checkTensor(labels, 'labels'), this.num_labels, this.transformer.settings.problem_type);
    return { logits, loss, past_key_values };
  }
}

registerArchitecture({
  model_type: 'gpt2',
  // Files saved before transformers 4.x's masks hold each layer's causal-mask buffers (attn.bias, attn.masked_bias).
  ignored_keys: [/(^|\.)h\.\d+\.attn\.(bias|masked_bias)$/],
  classes: {
    GPT2LMHeadModel: (config, options?: FactoryOptions) => new GPT2LMHeadModel(config, options),
    GPT2Model: (config, options?: FactoryOptions) => new GPT2Model(config, options),
    GPT2ForSequenceClassification: (config, options?: FactoryOptions) => new GPT2ForSequenceClassification(config, options),
  },
});
