// What transformers' classification heads share: the config.json fields that size them and
// pick their loss (id2label, num_labels, problem_type), and that loss, as
// BertForSequenceClassification and GPT2ForSequenceClassification compute it.
import { failRange, fail } from '../core/validate.js';
import type { Tensor } from '../ops/tensor.js';
import { nnf_binary_cross_entropy_with_logits, nnf_cross_entropy, nnf_mse_loss } from '../nn/functional.js';
import { nullablePositive } from './config_fields.js';

const PROBLEM_TYPES = ['regression', 'single_label_classification', 'multi_label_classification'] as const;

/** transformers' problem_type: what a sequence classifier's labels are. */
export type ProblemType = typeof PROBLEM_TYPES[number];

/** The config.json fields of a classifier head, for an architecture's field table. */
export const LABEL_FIELDS = {
  // The classifier's outputs: id2label's size, else num_labels, else 2 (transformers' default).
  id2label: { default: null, check: (v: unknown, n: string) => (v === null || (typeof v === 'object' && !Array.isArray(v)) ? v as Record<string, string> | null : fail('an object', `config.json's ${n}`, v)) },
  num_labels: nullablePositive(null),
  problem_type: {
    default: null,
    check: (v: unknown, n: string) => (v === null || PROBLEM_TYPES.includes(v as never) ? v as ProblemType | null
      : failRange(`null or one of ${PROBLEM_TYPES.join(', ')}`, `config.json's ${n}`, v)),
  },
};

/** @internal A head's number of labels: id2label's size, else num_labels, else 2. */
export function labelCount(settings: { id2label: Record<string, string> | null; num_labels: number | null }): number {
  return settings.id2label !== null ? Object.keys(settings.id2label).length : settings.num_labels ?? 2;
}

/**
 * @internal transformers' sequence-classification loss: config.json's problem_type, else by the
 * number of labels and the labels' dtype (one label: regression; integer labels: single-label
 * cross-entropy; float labels: multi-label binary cross-entropy with logits).
 */
export function sequenceClassificationLoss(logits: Tensor, labels: Tensor, labelsCount: number, problem_type: ProblemType | null): Tensor {
  const problem = problem_type
    ?? (labelsCount === 1 ? 'regression' : labels.dtype === 'int64' || labels.dtype === 'int32' ? 'single_label_classification' : 'multi_label_classification');
  if (problem === 'regression') return labelsCount === 1 ? nnf_mse_loss(logits.squeeze(), labels.squeeze()) : nnf_mse_loss(logits, labels);
  if (problem === 'single_label_classification') return nnf_cross_entropy(logits.view(-1, labelsCount), labels.view(-1));
  return nnf_binary_cross_entropy_with_logits(logits, labels);
}
