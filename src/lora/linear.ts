// LoRA for nn_linear (PEFT's lora.Linear): y = base(x) + (dropout(x) Aᵀ) Bᵀ · scaling,
// with A = lora_A[name].weight (r x in) and B = lora_B[name].weight (out x r).
import { torch_arange, torch_tensor, torch_zeros } from '../creation.js';
import { nn_linear } from '../nn/layers.js';
import { nn_module } from '../nn/module.js';
import { torch_cat, torch_stack } from '../ops.js';
import { torch_scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { fail, failRange } from '../validate.js';
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

  /**
   * Each row's own adapter in two products for the whole batch (no loop over rows or adapters):
   * `down = x Acatᵀ` against every adapter's A stacked (ranks padded with zeros), a mask keeps
   * each row's own adapter's columns, and `up = down Bcat` with every scaled Bᵀ stacked. A row
   * whose adapter is null, or not on this layer, gets no term.
   */
  protected override mixed_forward(input: Tensor, names: (string | null)[]): Tensor {
    const batch = input.size(0);
    if (batch !== names.length) failRange(`one adapter name per row of the batch (${batch})`, 'adapter_names', names);
    if (this.training && this.adapters.some((name) => this.settings[name]!.dropout > 0)) {
      fail('eval() mode: adapters with dropout cannot be mixed in one training batch', 'model', 'one in training mode');
    }
    return torch_scope(() => {
      const used = this.adapters.filter((name) => names.includes(name));
      const weight = this.base_layer.weight;
      const options = { dtype: weight.dtype, device: weight.device };
      if (used.length === 0) return torch_zeros([...input.shape.slice(0, -1), this.out_features], options);
      const rank = Math.max(...used.map((name) => this.r[name]!));
      // Every adapter's A (rank x in) and scaled Bᵀ (rank x out), ranks padded with zero rows.
      const padded = (t: Tensor, r: number): Tensor => (r === rank ? t : torch_cat([t, torch_zeros([rank - r, t.size(1)], options)], 0));
      const A = torch_stack(used.map((name) => padded(this.lora_A.get(name).weight, this.r[name]!)), 0).reshape(-1, this.in_features);
      const B = torch_stack(used.map((name) => padded(this.lora_B.get(name).weight.t().mul(this.scaling[name]!), this.r[name]!)), 0).reshape(-1, this.out_features);
      // Row i keeps the columns of its adapter's block (position -1: none).
      const position = torch_tensor(names.map((name) => (name === null ? -1 : used.indexOf(name))), { dtype: 'int64', device: weight.device });
      const mask = torch_arange(0, used.length * rank, 1, { device: weight.device }).floor_divide(rank).unsqueeze(0).eq(position.unsqueeze(1)).to({ dtype: weight.dtype });
      const down = input.reshape(batch, -1, this.in_features).matmul(A.t()).mul(mask.unsqueeze(1));
      return down.matmul(B).reshape([...input.shape.slice(0, -1), this.out_features]);
    });
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
