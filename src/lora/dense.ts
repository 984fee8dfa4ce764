// The LoRA layers whose A and B are layers of the base's own kind (PEFT's Linear and Conv2d).
import { nnf_dropout } from '../nn/functional.js';
import { nn_init_kaiming_uniform_, nn_init_normal_, nn_init_zeros_ } from '../nn/init.js';
import type { nn_Module } from '../nn/module.js';
import type { Tensor } from '../ops/tensor.js';
import { AdapterDict } from './adapter_dict.js';
import { call, LoraLayer } from './layer.js';
import type { AdapterSettings } from './settings.js';

/** Initialises a fresh A and B as PEFT's reset_lora_parameters does. */
function initialise(A: Tensor, B: Tensor, settings: AdapterSettings): void {
  if (settings.init === 'kaiming') nn_init_kaiming_uniform_(A, { a: Math.sqrt(5) });
  else if (settings.init === 'gaussian') nn_init_normal_(A, 0, 1 / settings.r);
  else nn_init_normal_(A);
  nn_init_zeros_(B);
}

/**
 * A LoRA layer whose A and B are layers themselves (PEFT's Linear and Conv2d): the term is
 * `lora_B(lora_A(dropout(x))) · scaling`, and the state-dict keys end in `.weight`.
 */
export abstract class DenseLoraLayer<Base extends nn_Module & { weight: Tensor }> extends LoraLayer<Base> {
  declare lora_A: AdapterDict<Base>;
  declare lora_B: AdapterDict<Base>;

  // `settings` are checked for `base` by the layer's maker or lora_apply's plan.
  protected constructor(base: Base, adapter: string, settings: AdapterSettings) {
    super(base);
    this.lora_A = new AdapterDict();
    this.lora_B = new AdapterDict();
    this.attach(adapter, settings);
  }

  /** A and B for rank r, layers of the base's kind on its device and dtype, each initialised as its layer does. */
  protected abstract make_pair(r: number): [Base, Base];

  protected create(name: string, settings: AdapterSettings): void {
    // PEFT's order: both layers (each draws its own init), then A re-initialised, B zeroed.
    const [A, B] = this.make_pair(settings.r);
    initialise(A.weight, B.weight, settings);
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
    const down = call(this.lora_A.get(name), dropped);
    const up = call(this.lora_B.get(name), down);
    const term = up.mul(this.scaling[name]!);
    for (const t of [down, up]) t.dispose();
    if (dropped !== input) dropped.dispose();
    return term;
  }

  adapter_state(name: string): Record<string, Tensor> {
    return { 'lora_A.weight': this.lora_A.get(name).weight, 'lora_B.weight': this.lora_B.get(name).weight };
  }

  /** ΔW from B·A, scaled; `product` multiplies B by A as this layer's weight is laid out. */
  protected scaled(adapter: string | undefined, product: (A: Tensor, B: Tensor) => Tensor): Tensor {
    const name = this.adapterName(adapter);
    const unscaled = product(this.lora_A.get(name).weight, this.lora_B.get(name).weight);
    const delta = unscaled.mul(this.scaling[name]!);
    unscaled.dispose();
    return delta;
  }
}
