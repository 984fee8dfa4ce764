// The kinds of layer LoRA wraps, and the public maker of each kind's LoRA layers: the edge
// where a plain layer and a layer's options are checked.
import type { nn_Module } from '../nn/module.js';
import type { nn_module_generator } from '../nn/generator.js';
import type { Tensor } from '../ops/tensor.js';
import { fail } from '../core/validate.js';
import { LoraLayer } from './layer.js';
import { firstAdapter, type AdapterSettings, type LoraLayerOptions } from './settings.js';

/**
 * A kind of layer LoRA supports, as the model-level functions see it: which plain layers it
 * takes, how it wraps one, and the adapter tensors' shapes (so files are checked before
 * anything is wrapped).
 */
export interface LoraKind<Base extends nn_Module & { weight: Tensor } = any> {
  /** The plain layer's generator, for `instanceof` (`nn_linear`). */
  readonly base: { readonly prototype: Base };
  readonly label: string;
  /** The LoRA layer around `base`, with first adapter `adapter` whose settings are checked for this base. */
  wrap(base: Base, adapter: string, settings: AdapterSettings): LoraLayer;
  /** min(in, out): the largest rank an update can have. */
  max_rank(base: Base): number;
  /** The adapter's tensors by PEFT key suffix, with their shapes for these settings. */
  shapes(base: Base, settings: AdapterSettings): Record<string, number[]>;
  /** Throws if this base cannot take an adapter (a grouped convolution). */
  check?(base: Base): void;
  /** Throws if this kind does not implement a setting (a LoRA bias on an embedding); `where` names the layer. */
  check_settings?(settings: AdapterSettings, where: string): void;
}

/** Refuses a module that is already a LoRA layer where a plain one is needed. */
export function checkBase<T>(value: unknown, kind: { readonly prototype: T }, what: string, name: string): T {
  if (value instanceof LoraLayer) fail(`${what} (this one already has LoRA: call add_adapter() on it)`, name, value);
  if (!(value instanceof (kind as unknown as new () => T))) fail(what, name, value);
  return value as T;
}

/**
 * @internal The public maker of `kind`'s LoRA layers (`lora_nn_linear`): checks the plain layer
 * (its argument is called `name`) and the options, then makes the layer with `make`
 * (`kind.wrap`), which takes its arguments as checked. Like the generators of nn_module, it
 * carries the layer class's prototype (for `instanceof`) and classname.
 */
export function layerMaker<Base extends nn_Module & { weight: Tensor }, Layer extends LoraLayer<Base>>(
  make: nn_module_generator<[base: Base, adapter: string, settings: AdapterSettings], Layer>, kind: LoraKind<Base>, name: string,
): nn_module_generator<[base: Base, options?: LoraLayerOptions], Layer> {
  const caller = make.classname;
  const maker = function (base: Base, options?: LoraLayerOptions): Layer {
    const checked = checkBase(base, kind.base, `an ${kind.label}`, name);
    kind.check?.(checked);
    const { adapter, settings } = firstAdapter(options, kind.max_rank(checked), caller);
    kind.check_settings?.(settings, caller);
    return make(checked, adapter, settings);
  };
  Object.defineProperty(maker, 'name', { value: caller });
  Object.defineProperty(maker, 'prototype', { value: make.prototype });
  Object.defineProperty(maker, 'classname', { value: caller });
  return maker as nn_module_generator<[base: Base, options?: LoraLayerOptions], Layer>;
}

/**
 * @internal A kind's check_settings: refuses the settings of `names` (use_dora, lora_bias) that
 * are set, as the layer `label` does not implement them; `where` names the layer.
 */
export function refuseSettings(label: string, names: ('use_dora' | 'lora_bias')[], why: string): (settings: AdapterSettings, where: string) => void {
  return (settings, where) => {
    for (const name of names) {
      if (settings[name]) fail(`${name} false for an ${label} (${where}): ${why}`, name, settings[name]);
    }
  };
}
