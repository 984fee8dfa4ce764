// LoRA for linear maps (PEFT's lora.Linear): y = base(x) + (dropout(x) Aᵀ) Bᵀ · scaling, with
// A = lora_A[name].weight (r x in) and B = lora_B[name].weight (out x r). The base is an
// nn_linear (weight out x in) or transformers' Conv1D (conv1d.ts: weight in x out, PEFT's
// fan_in_fan_out). With DoRA, a magnitude m (one per output) rescales the adapted weight.
import { native } from '../core/native.js';
import { nnf_linear } from '../nn/functional.js';
import { nn_linear } from '../nn/layers.js';
import { nn_module } from '../nn/generator.js';
import type { nn_Module } from '../nn/module.js';
import { nn_parameter } from '../nn/registry.js';
import { tensorFrom, type Tensor } from '../ops/tensor.js';
import { fail, failRange } from '../core/validate.js';
import { AdapterDict } from './adapter_dict.js';
import { DenseLoraLayer } from './dense.js';
import { doraNorm, loraProduct } from './dora.js';
import { layerMaker, type LoraKind } from './kind.js';
import { call, scalingOf } from './layer.js';
import type { AdapterSettings } from './settings.js';
import type { RowGroups } from './mixed.js';

/** The layer LoRA wraps: an `nn_linear`. */
export type LinearBase = nn_linear;

/**
 * What LoRA on a linear map shares, whatever way round its weight is stored: A and B are
 * nn_linear, mixed-adapter batches, and DoRA (PEFT's DoraLinearLayer).
 */
export abstract class LinearLoraLayer<Base extends nn_Module & { weight: Tensor; bias: Tensor | null }> extends DenseLoraLayer<Base> {
  declare lora_A: AdapterDict<Base>;
  abstract get in_features(): number;
  abstract get out_features(): number;
  /** Whether the base weight is stored in x out (PEFT's fan_in_fan_out, true for Conv1D). */
  abstract get fan_in_fan_out(): boolean;

  get max_rank(): number { return Math.min(this.in_features, this.out_features); }

  protected make_pair(r: number, bias: boolean): [Base, Base] {
    const factory = this.factory;
    return [nn_linear(this.in_features, r, { bias: false, ...factory }), nn_linear(r, this.out_features, { bias, ...factory })] as unknown as [Base, Base];
  }

  /** `tensor` (laid out as the base weight) as out x in, a view. */
  private out_in(tensor: Tensor): Tensor {
    return this.fan_in_fan_out ? tensor.t() : tensor;
  }

  protected override create(name: string, settings: AdapterSettings): void {
    super.create(name, settings);
    if (!settings.use_dora) return;
    // PEFT's DoRA init: m = ‖W + scaling · B·A‖ per output row, of the adapter as initialised.
    const product = loraProduct(this.lora_A.get(name).weight, this.lora_B.get(name).weight);
    this.lora_magnitude_vector.put(name, nn_parameter(this.weight_norm(product, scalingOf(settings))));
    product.dispose();
  }

  /** ‖W + scaling · loraWeight‖ over each output row, W as out x in (PEFT's get_weight_norm). */
  private weight_norm(loraWeight: Tensor, scaling: number): Tensor {
    return doraNorm(this.out_in(this.base_layer.weight), loraWeight, scaling);
  }

  /**
   * DoRA's term, as PEFT's DoraLinearLayer.forward: with s = m / ‖W + scaling·B·A‖ (the norm
   * detached, as the DoRA paper's section 4.3 says), (s - 1)·x Wᵀ + s·B(A(x))·scaling, where x Wᵀ
   * is the base output less its bias, or computed from the dropped-out input while training with dropout.
   */
  protected override lora_forward(input: Tensor, name: string, result: Tensor): Tensor {
    if (!this.settings[name]!.use_dora) return super.lora_forward(input, name, result);
    const scaling = this.scaling[name]!;
    const A = this.lora_A.get(name);
    const B = this.lora_B.get(name);
    const product = loraProduct(A.weight, B.weight);
    const norm = this.weight_norm(product, scaling);
    product.dispose();
    const magScale = this.lora_magnitude_vector.get(name).div(norm);
    const x = this.dropped(input, name);
    const bias = this.base_layer.bias;
    const baseResult = x !== input ? nnf_linear(x, this.out_in(this.base_layer.weight)) : bias === null ? result : result.sub(bias);
    const down = call(A, x);
    const up = call(B, down);
    const minusOne = magScale.sub(1);
    const first = minusOne.mul(baseResult);
    const scaledUp = magScale.mul(up);
    const second = scaledUp.mul(scaling);
    const term = first.add(second);
    for (const t of [norm, magScale, down, up, minusOne, first, scaledUp, second]) t.dispose();
    if (baseResult !== result) baseResult.dispose();
    if (x !== input) x.dispose();
    return term;
  }

  delta_weight(adapter?: string): Tensor {
    return this.scaled(adapter, (A, B) => {
      const product = B.matmul(A);
      if (!this.fan_in_fan_out) return product;
      const transposed = product.t().contiguous();
      product.dispose();
      return transposed;
    });
  }

  /** DoRA's merge: the norms of (W + ΔW) by output row, its columns with fan_in_fan_out. */
  protected override dora_merge_norm(delta: Tensor): { norm: Tensor; factor_shape: number[] } {
    return { norm: this.weight_norm(this.out_in(delta), 1), factor_shape: this.fan_in_fan_out ? [1, -1] : [-1, 1] };
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
    const special = rows.adapters.find((name, j) => here[j] && (this.settings[name]!.use_dora || this.settings[name]!.lora_bias));
    if (special !== undefined) fail('adapters without use_dora or lora_bias in a mixed-adapter batch', 'adapter_names', special);
    const sum = tensorFrom(native.loraMixedAdd(result.h, input.h, rows.order, rows.counts,
      rows.adapters.map((name, j) => (here[j] ? this.lora_A.get(name).weight : null)),
      rows.adapters.map((name, j) => (here[j] ? this.lora_B.get(name).weight : null)),
      rows.adapters.map((name, j) => (here[j] ? this.scaling[name]! : 0))));
    result.dispose();
    return sum;
  }
}

export class LoraLinear extends LinearLoraLayer<LinearBase> {
  /** @internal Made by lora_nn_linear or lora_apply, which check the layer and the settings. */
  constructor(linear: LinearBase, adapter: string, settings: AdapterSettings) {
    super(linear, adapter, settings);
  }

  get in_features(): number { return this.base_layer.in_features; }
  get out_features(): number { return this.base_layer.out_features; }
  get fan_in_fan_out(): boolean { return false; }
}

const makeLoraLinear = nn_module(LoraLinear, 'lora_nn_linear');

/** @internal The adapter tensors of a linear map's LoRA by PEFT key suffix. */
export function linearShapes(inFeatures: number, outFeatures: number, hasBias: boolean, settings: AdapterSettings): Record<string, number[]> {
  const shapes: Record<string, number[]> = { 'lora_A.weight': [settings.r, inFeatures], 'lora_B.weight': [outFeatures, settings.r] };
  if (settings.lora_bias) shapes['lora_B.bias'] = [outFeatures];
  if (settings.bias === 'lora_only' && hasBias) shapes['base_layer.bias'] = [outFeatures];
  if (settings.use_dora) shapes.lora_magnitude_vector = [outFeatures];
  return shapes;
}

export const linear_kind: LoraKind<LinearBase> = {
  base: nn_linear,
  label: 'nn_linear',
  wrap: makeLoraLinear,
  max_rank: (base) => Math.min(base.in_features, base.out_features),
  shapes: (base, settings) => linearShapes(base.in_features, base.out_features, base.bias !== null, settings),
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
