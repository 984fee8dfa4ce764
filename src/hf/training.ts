// Training as Hugging Face's models and Trainer do it: the causal language-model loss (labels
// shifted by one, -100 ignored, optionally divided by the tokens of a whole accumulated batch)
// and the Trainer's weight-decay groups (no decay for biases and normalisation weights).
import { checkInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { torch_scope } from '../core/scope.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { nnf_cross_entropy, nnf_pad } from '../nn/functional.js';
import { LayerNorm } from '../nn/layers.js';
import { nn_Module } from '../nn/module.js';

export interface CausalLmLossOptions {
  /** Label value that counts for nothing: padding, a prompt's tokens (-100). */
  ignore_index?: number;
  /**
   * Divide the summed loss by this many counted tokens instead of averaging over this batch's:
   * with gradient accumulation, the counted tokens of all the accumulated batches, so that the
   * accumulated gradient is the big batch's (transformers' `num_items_in_batch`).
   */
  num_items_in_batch?: number | null;
}

const LOSS_KEYS = optionKeys<CausalLmLossOptions>({ ignore_index: true, num_items_in_batch: true });

/**
 * transformers' causal-LM loss (`ForCausalLMLoss`): the logits at position t predict label
 * t + 1; the last position predicts nothing; labels equal to `ignore_index` count for nothing.
 * Computed in float32 whatever the logits' dtype. `labels` are usually the input ids with
 * padding (and any prompt) set to -100.
 *
 * @example
 * const labels = input_ids.masked_fill(attention_mask.eq(0), -100);
 * const loss = hf_causal_lm_loss(model(input_ids, { attention_mask }), labels);
 */
export function hf_causal_lm_loss(logits: Tensor, labels: Tensor, options?: CausalLmLossOptions): Tensor {
  const { ignore_index = -100, num_items_in_batch = null } = checkOptions(options, LOSS_KEYS, 'hf_causal_lm_loss');
  checkTensor(logits, 'logits');
  checkTensor(labels, 'labels');
  checkInteger(ignore_index, 'ignore_index');
  if (num_items_in_batch !== null) checkPositiveInteger(num_items_in_batch, 'num_items_in_batch');
  if (!logits.is_floating_point()) fail('floating-point logits', 'logits', logits.dtype);
  if (labels.dtype !== 'int64') fail('int64 labels', 'labels', labels.dtype);
  const shape = logits.shape;
  const vocab = shape[shape.length - 1]!;
  if (shape.length < 2 || labels.shape.length !== shape.length - 1 || labels.shape.some((size, i) => size !== shape[i])) {
    failRange(`labels of shape [${shape.slice(0, -1).join(', ')}] (the logits' without the vocabulary)`, 'labels', `[${labels.shape.join(', ')}]`);
  }
  return torch_scope(() => {
    const shifted = nnf_pad(labels, [0, 1], { value: ignore_index }).narrow(-1, 1, labels.shape[labels.shape.length - 1]!);
    const flat = logits.float().reshape([-1, vocab]);
    if (num_items_in_batch === null) return nnf_cross_entropy(flat, shifted.reshape(-1), { ignore_index });
    return nnf_cross_entropy(flat, shifted.reshape(-1), { ignore_index, reduction: 'sum' }).div(num_items_in_batch);
  });
}

/** transformers' Trainer: parameter names that contain these take no weight decay. */
const NO_DECAY = [/bias/, /layernorm/, /rmsnorm/, /(?:^|\.)norm(?:$|\.)/, /_norm(?:$|\.)/];

/**
 * The names of the parameters the Trainer applies weight decay to (its
 * `get_decay_parameter_names`): all but those of LayerNorm modules and those whose lower-cased
 * name mentions a bias or a norm.
 *
 * @example hf_decay_parameter_names(model).includes('model.layers.0.mlp.up_proj.weight') // true
 */
export function hf_decay_parameter_names(model: nn_Module): string[] {
  if (!(model instanceof nn_Module)) fail('an nn_module', 'model', model);
  const inNorms = new Set<string>();
  for (const [path, module] of Object.entries(model.named_modules())) {
    // The Trainer looks at the children's types only: a LayerNorm given as the model decays.
    if (path === '' || !(module instanceof LayerNorm)) continue;
    for (const name of Object.keys(module.named_parameters())) inNorms.add(`${path}.${name}`);
  }
  return Object.keys(model.named_parameters())
    .filter((name) => !inNorms.has(name) && !NO_DECAY.some((pattern) => pattern.test(name.toLowerCase())));
}

/** One parameter group of hf_param_groups. */
export interface DecayGroup {
  params: Tensor[];
  weight_decay: number;
}

/**
 * The Trainer's parameter groups for AdamW: the trainable parameters that take weight decay,
 * at `weight_decay`, and the rest, at 0. A group with no parameters is left out (LoRA's A and
 * B all decay), since an optimizer refuses an empty group.
 *
 * @example
 * const opt = optim_adamw(hf_param_groups(model, 0.01), { lr: 2e-4 });
 */
export function hf_param_groups(model: nn_Module, weight_decay: number): DecayGroup[] {
  if (typeof weight_decay !== 'number' || !(weight_decay >= 0) || !Number.isFinite(weight_decay)) failRange('a non-negative number', 'weight_decay', weight_decay);
  const decayed = new Set(hf_decay_parameter_names(model));
  const trainable = Object.entries(model.named_parameters()).filter(([, parameter]) => parameter.requires_grad);
  const groups = [
    { params: trainable.filter(([name]) => decayed.has(name)).map(([, p]) => p), weight_decay },
    { params: trainable.filter(([name]) => !decayed.has(name)).map(([, p]) => p), weight_decay: 0 },
  ];
  return groups.filter((group) => group.params.length > 0);
}
