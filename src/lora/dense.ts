// The LoRA layers whose A and B are layers of the base's own kind (PEFT's Linear and Conv2d).
import { nnf_dropout } from '../nn/functional.js';
import { nn_init_kaiming_uniform_, nn_init_normal_, nn_init_zeros_ } from '../nn/init.js';
import type { nn_Module } from '../nn/module.js';
import type { Tensor } from '../ops/tensor.js';
import { failRange } from '../core/validate.js';
import { AdapterDict } from './adapter_dict.js';
import { call, LoraLayer, type MergedValues } from './layer.js';
import type { AdapterSettings } from './settings.js';

/** A layer whose bias may be absent (nn_linear and nn_conv2d without one). */
type WithBias = nn_Module & { weight: Tensor; bias: Tensor | null };

/**
 * Initialises a fresh A and B as PEFT's reset_lora_parameters does: A by `init`, B (and its
 * bias) zeros; with "none" both keep their layers' own initialisation.
 */
function initialise(A: WithBias, B: WithBias, settings: AdapterSettings): void {
  if (settings.init === 'none') return;
  if (settings.init === 'kaiming') nn_init_kaiming_uniform_(A.weight, { a: Math.sqrt(5) });
  else if (settings.init === 'gaussian') nn_init_normal_(A.weight, 0, 1 / settings.r);
  else nn_init_normal_(A.weight);
  nn_init_zeros_(B.weight);
  if (B.bias !== null) nn_init_zeros_(B.bias);
}

/**
 * A LoRA layer whose A and B are layers themselves (PEFT's Linear and Conv2d): the term is
 * `lora_B(lora_A(dropout(x))) · scaling`, and the state-dict keys end in `.weight` (and
 * `lora_B.bias` with lora_bias).
 */
export abstract class DenseLoraLayer<Base extends nn_Module & { weight: Tensor }> extends LoraLayer<Base> {
  declare lora_A: AdapterDict<Base>;
  declare lora_B: AdapterDict<Base>;

  // `settings` are checked for `base` by the layer's maker or lora_apply's plan.
  protected constructor(base: Base, adapter: string, settings: AdapterSettings) {
    super(base);
    this.lora_A = new AdapterDict();
    this.lora_B = new AdapterDict();
    this.lora_magnitude_vector = new AdapterDict();
    this.attach(adapter, settings);
  }

  /** A and B for rank r (B with a bias if `bias`), layers of the base's kind on its device and dtype, each initialised as its layer does. */
  protected abstract make_pair(r: number, bias: boolean): [Base, Base];

  protected create(name: string, settings: AdapterSettings): void {
    // PEFT's order: both layers (each draws its own init), then A re-initialised, B zeroed.
    const [A, B] = this.make_pair(settings.r, settings.lora_bias);
    initialise(A as unknown as WithBias, B as unknown as WithBias, settings);
    this.lora_A.put(name, A);
    this.lora_B.put(name, B);
  }

  protected destroy(name: string): void {
    this.lora_A.remove(name);
    this.lora_B.remove(name);
    if (this.settings[name]?.use_dora) this.lora_magnitude_vector.remove(name);
  }

  /** The adapter's input: dropped out while training if the adapter has dropout (a new tensor then). */
  protected dropped(input: Tensor, name: string): Tensor {
    const p = this.settings[name]!.dropout;
    return p > 0 && this.training ? nnf_dropout(input, { p, training: true }) : input;
  }

  protected lora_forward(input: Tensor, name: string, _result: Tensor): Tensor {
    const dropped = this.dropped(input, name);
    const down = call(this.lora_A.get(name), dropped);
    const up = call(this.lora_B.get(name), down);
    const term = up.mul(this.scaling[name]!);
    for (const t of [down, up]) t.dispose();
    if (dropped !== input) dropped.dispose();
    return term;
  }

  adapter_state(name: string): Record<string, Tensor> {
    const B = this.lora_B.get(name) as unknown as WithBias;
    const state: Record<string, Tensor> = { 'lora_A.weight': this.lora_A.get(name).weight, 'lora_B.weight': B.weight };
    if (this.settings[name]!.lora_bias) state['lora_B.bias'] = B.bias!;
    if (this.settings[name]!.use_dora) state.lora_magnitude_vector = this.lora_magnitude_vector.get(name);
    const baseBias = (this.base_layer as unknown as WithBias).bias;
    if (this.settings[name]!.bias === 'lora_only' && baseBias !== null) state['base_layer.bias'] = baseBias;
    return state;
  }

  /** ΔW from B·A, scaled; `product` multiplies B by A as this layer's weight is laid out. */
  protected scaled(adapter: string | undefined, product: (A: Tensor, B: Tensor) => Tensor): Tensor {
    const name = this.adapterName(adapter);
    const unscaled = product(this.lora_A.get(name).weight, this.lora_B.get(name).weight);
    const delta = unscaled.mul(this.scaling[name]!);
    unscaled.dispose();
    return delta;
  }

  /** With lora_bias, the base bias gains B's bias · scaling, as PEFT merges it. */
  protected override merged_values(name: string): MergedValues {
    return { ...super.merged_values(name), ...this.bias_term(name, 1) };
  }

  protected override unmerged_values(name: string): MergedValues {
    return { ...super.unmerged_values(name), ...this.bias_term(name, -1) };
  }

  private bias_term(name: string, sign: 1 | -1): { bias?: Tensor } {
    if (!this.settings[name]!.lora_bias) return {};
    const base = (this.base_layer as unknown as WithBias).bias;
    if (base === null) failRange('a base layer with a bias (an adapter with lora_bias adds to it)', 'adapter', name);
    const term = (this.lora_B.get(name) as unknown as WithBias).bias!.mul(this.scaling[name]! * sign);
    const bias = base.add(term);
    term.dispose();
    return { bias };
  }
}
