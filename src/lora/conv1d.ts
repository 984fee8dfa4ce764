// LoRA for transformers' Conv1D (GPT-2's projections, `hf_conv1d`): a linear map whose weight
// is stored in x out. PEFT handles it as a Linear with fan_in_fan_out = True (forced, with a
// warning, whatever the config says): A and B are the same as for nn_linear, and ΔW is (B·A)ᵀ
// so that it adds to the stored weight; DoRA's factor scales its columns.
import { Conv1D } from '../nn/hf_conv1d.js';
import { nn_module } from '../nn/generator.js';
import { layerMaker, type LoraKind } from './kind.js';
import { LinearLoraLayer, linearShapes } from './linear.js';
import type { AdapterSettings } from './settings.js';

export class LoraConv1D extends LinearLoraLayer<Conv1D> {
  /** @internal Made by lora_hf_conv1d or lora_apply, which check the layer and the settings. */
  constructor(conv: Conv1D, adapter: string, settings: AdapterSettings) {
    super(conv, adapter, settings);
  }

  get in_features(): number { return this.base_layer.nx; }
  get out_features(): number { return this.base_layer.nf; }
  get fan_in_fan_out(): boolean { return true; }
}

const makeLoraConv1D = nn_module(LoraConv1D, 'lora_hf_conv1d');

export const conv1d_kind: LoraKind<Conv1D> = {
  base: Conv1D,
  label: 'hf_conv1d',
  wrap: makeLoraConv1D,
  max_rank: (base) => Math.min(base.nx, base.nf),
  shapes: (base, settings) => linearShapes(base.nx, base.nf, true, settings),
};

/**
 * Wraps transformers' Conv1D (`hf_conv1d`, weight in x out) with a LoRA adapter, as PEFT's
 * fan_in_fan_out: A (r x nx) and B (nf x r) as for `lora_nn_linear`, the output gains
 * `(dropout(x) Aᵀ) Bᵀ · alpha / r`, and `merge()` adds (B·A)ᵀ · scaling to the weight.
 *
 * @example
 * const c_attn = lora_hf_conv1d(hf_conv1d(3 * 768, 768), { r: 8, lora_alpha: 16 });
 */
export const lora_hf_conv1d = layerMaker(makeLoraConv1D, conv1d_kind, 'conv');
export type lora_hf_conv1d = LoraConv1D;
