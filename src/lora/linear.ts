// LoRA for nn_linear (PEFT's lora.Linear): y = base(x) + (dropout(x) Aᵀ) Bᵀ · scaling,
// with A = lora_A[name].weight (r x in) and B = lora_B[name].weight (out x r).
import { nn_init_kaiming_uniform_, nn_init_normal_, nn_init_zeros_ } from '../nn/init.js';
import { nnf_dropout } from '../nn/functional.js';
import { nn_linear } from '../nn/layers.js';
import { nn_module, type nn_Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { AdapterDict, checkBase, LoraLayer, type AdapterSettings, type LoraKind, type LoraOptions } from './layer.js';

/** What LoRA needs of an `nn_linear` (the class itself cannot be named outside nn/layers.ts). */
export interface LinearBase extends nn_Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly in_features: number;
  readonly out_features: number;
}

/** Initialises a fresh A and B as PEFT does (after nn_linear's own initialisation, as in PEFT, so the draws match). */
export function initialiseAdapter(A: Tensor, B: Tensor, settings: AdapterSettings): void {
  if (settings.init === 'kaiming') nn_init_kaiming_uniform_(A, { a: Math.sqrt(5) });
  else if (settings.init === 'gaussian') nn_init_normal_(A, 0, 1 / settings.r);
  else nn_init_normal_(A);
  nn_init_zeros_(B);
}

export class LoraLinear extends LoraLayer<LinearBase> {
  declare lora_A: AdapterDict<LinearBase>;
  declare lora_B: AdapterDict<LinearBase>;

  constructor(linear: LinearBase, options: LoraOptions & { adapter?: string } = {}) {
    super(checkBase<LinearBase>(linear, nn_linear, 'an nn_linear', 'linear'));
    this.lora_A = new AdapterDict();
    this.lora_B = new AdapterDict();
    const { adapter = 'default', ...rest } = options ?? {};
    this.add_adapter(adapter, rest);
  }

  get in_features(): number { return this.base_layer.in_features; }
  get out_features(): number { return this.base_layer.out_features; }
  get max_rank(): number { return linear_kind.max_rank(this.base_layer); }

  protected create(name: string, settings: AdapterSettings): void {
    // PEFT's order: both nn.Linear (each draws its own init), then A re-initialised, B zeroed.
    const A = nn_linear(this.in_features, settings.r, { bias: false, ...this.factory });
    const B = nn_linear(settings.r, this.out_features, { bias: false, ...this.factory });
    initialiseAdapter(A.weight, B.weight, settings);
    this.lora_A.put(name, A);
    this.lora_B.put(name, B);
  }

  protected destroy(name: string): void {
    this.lora_A.remove(name);
    this.lora_B.remove(name);
  }

  protected lora_forward(input: Tensor, name: string): Tensor {
    const p = this.settings[name]!.dropout;
    const dropped = p > 0 ? nnf_dropout(input, { p, training: this.training }) : input;
    const down = this.lora_A.get(name)(dropped);
    const up = this.lora_B.get(name)(down);
    const term = up.mul(this.scaling[name]!);
    for (const t of [down, up]) t.dispose();
    if (dropped !== input) dropped.dispose();
    return term;
  }

  adapter_state(name: string): Record<string, Tensor> {
    return { 'lora_A.weight': this.lora_A.get(name).weight, 'lora_B.weight': this.lora_B.get(name).weight };
  }

  delta_weight(adapter?: string): Tensor {
    const name = this.adapterName(adapter);
    const product = this.lora_B.get(name).weight.matmul(this.lora_A.get(name).weight);
    const delta = product.mul(this.scaling[name]!);
    product.dispose();
    return delta;
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
 * const opt = optim_adam(lora.parameters.filter((p) => p.requires_grad));
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
