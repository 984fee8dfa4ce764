// LoRA for nn_linear (PEFT's lora.Linear): y = base(x) + (dropout(x) Aᵀ) Bᵀ · scaling,
// with A = lora_A[name].weight (r x in) and B = lora_B[name].weight (out x r).
import { native } from '../core/native.js';
import { nn_linear } from '../nn/layers.js';
import { nn_module } from '../nn/generator.js';
import { tensorFrom, type Tensor } from '../ops/tensor.js';
import { fail, failRange } from '../core/validate.js';
import { DenseLoraLayer } from './dense.js';
import { layerMaker, type LoraKind } from './kind.js';
import type { AdapterSettings } from './settings.js';
import type { RowGroups } from './mixed.js';

/** The layer LoRA wraps: an `nn_linear`. */
export type LinearBase = nn_linear;

export class LoraLinear extends DenseLoraLayer<LinearBase> {
  /** @internal Made by lora_nn_linear or lora_apply, which check the layer and the settings. */
  constructor(linear: LinearBase, adapter: string, settings: AdapterSettings) {
    super(linear, adapter, settings);
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
   * Each row's own adapter as one segmented product (punica / S-LoRA's SGMV, native/lora/mixed.cc):
   * the rows are gathered in adapter order, each adapter's segment takes its own two small
   * products, and the terms are added into the base output at their rows; a row whose adapter
   * is null, or not on this layer, gets none. The FLOPs are one adapter's over the whole batch
   * and no weight is copied, so nothing is cached that could go stale. At 16 adapters of rank 8
   * on 1024x1024 layers and 64 rows (bench/mixed.ts) it beat gathering each row's A and B for a
   * batched matmul (4 MB of copies a layer) and masked products against every adapter stacked
   * (16x the FLOPs), with the stacks made per call or cached.
   */
  protected override mixed_add(result: Tensor, input: Tensor, rows: RowGroups): Tensor {
    if (input.dim() < 2) {
      throw new RangeError(`Expected rows first (at least 2-d) in a mixed-adapter batch for input but received a ${input.dim()}-d tensor of shape [${input.shape.join(', ')}]`);
    }
    const batch = input.size(0);
    if (batch !== rows.names.length) failRange(`one adapter name per row of the batch (${batch})`, 'adapter_names', rows.names);
    if (this.training && this.adapters.some((name) => this.settings[name]!.dropout > 0)) {
      fail('eval() mode: adapters with dropout cannot be mixed in one training batch', 'model', 'one in training mode');
    }
    const here = rows.adapters.map((name) => name in this.r);
    const sum = tensorFrom(native.loraMixedAdd(result.h, input.h, rows.order, rows.counts,
      rows.adapters.map((name, j) => (here[j] ? this.lora_A.get(name).weight : null)),
      rows.adapters.map((name, j) => (here[j] ? this.lora_B.get(name).weight : null)),
      rows.adapters.map((name, j) => (here[j] ? this.scaling[name]! : 0))));
    result.dispose();
    return sum;
  }
}

const makeLoraLinear = nn_module(LoraLinear, 'lora_nn_linear');

export const linear_kind: LoraKind<LinearBase> = {
  base: nn_linear,
  label: 'nn_linear',
  wrap: makeLoraLinear,
  max_rank: (base) => Math.min(base.in_features, base.out_features),
  shapes: (base, r) => ({ 'lora_A.weight': [r, base.in_features], 'lora_B.weight': [base.out_features, r] }),
};

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
export const lora_nn_linear = layerMaker(makeLoraLinear, linear_kind, 'linear');
export type lora_nn_linear = LoraLinear;
