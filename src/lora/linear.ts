// LoRA for nn_linear (PEFT's lora.Linear): y = base(x) + (dropout(x) Aᵀ) Bᵀ · scaling,
// with A = lora_A[name].weight (r x in) and B = lora_B[name].weight (out x r).
import { nn_linear } from '../nn/layers.js';
import { nn_module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { checkBase, DenseLoraLayer, type LoraKind, type LoraLayerOptions } from './layer.js';

/** The layer LoRA wraps: an `nn_linear`. */
export type LinearBase = nn_linear;

export class LoraLinear extends DenseLoraLayer<LinearBase> {
  constructor(linear: LinearBase, options?: LoraLayerOptions) {
    super(checkBase<LinearBase>(linear, nn_linear, 'an nn_linear', 'linear'), options, 'lora_nn_linear');
  }

  get in_features(): number { return this.base_layer.in_features; }
  get out_features(): number { return this.base_layer.out_features; }
  get max_rank(): number { return linear_kind.max_rank(this.base_layer); }

  protected make_pair(r: number): [LinearBase, LinearBase] {
    const factory = { bias: false, ...this.factory };
    return [nn_linear(this.in_features, r, factory), nn_linear(r, this.out_features, factory)];
  }

  delta_weight(adapter?: string): Tensor {
    return this.scaled(adapter, (A, B) => B.matmul(A));
  }
}

/**
 * Wraps an `nn_linear` with a LoRA adapter (named "default" unless `adapter` says):
 * freezes the layer's parameters, adds trainable `lora_A.<name>.weight` (r x in) and
 * `lora_B.<name>.weight` (out x r) on its device and dtype, and computes
 * `base(x) + (dropout(x) Aᵀ) Bᵀ · alpha / r`. `merge()` folds the update into the weight.
 *
 * @example
 * const lora = lora_nn_linear(model, { r: 1, alpha: 1, init: 'randn' });
 * const opt = optim_adam(lora_parameters(lora));
 * // ... train ...
 * lora.merge(); // model.weight now holds W + B·A·scaling
 */
export const lora_nn_linear = nn_module(LoraLinear, 'lora_nn_linear');
export type lora_nn_linear = LoraLinear;

export const linear_kind: LoraKind<LinearBase> = {
  base: nn_linear,
  label: 'nn_linear',
  wrap: (base, options) => lora_nn_linear(base, options),
  max_rank: (base) => Math.min(base.in_features, base.out_features),
  shapes: (base, r) => ({ 'lora_A.weight': [r, base.in_features], 'lora_B.weight': [base.out_features, r] }),
};
