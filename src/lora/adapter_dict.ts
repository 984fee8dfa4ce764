// One entry per adapter name, the container of each adapter's A and B in a LoRA layer.
import { nn_Module } from '../nn/module.js';
import type { Tensor } from '../ops/tensor.js';
import { failRange } from '../core/validate.js';

/**
 * One entry per adapter name, like PyTorch's ModuleDict / ParameterDict: its state-dict keys
 * are `<name>.weight` (modules) or `<name>` (parameters), which PEFT's file keys come from.
 */
export class AdapterDict<T extends nn_Module | Tensor> extends nn_Module {
  /** The entry of adapter `name`. @example layer.lora_A.get('default') */
  get(name: string): T {
    const value = (this as unknown as Record<string, T | undefined>)[name];
    if (value === undefined || !Object.prototype.hasOwnProperty.call(this, name)) failRange('an adapter of this layer', 'adapter', name);
    return value;
  }

  /** @internal */
  put(name: string, value: T): void {
    (this as unknown as Record<string, T>)[name] = value;
  }

  /** @internal */
  remove(name: string): void {
    delete (this as unknown as Record<string, T>)[name];
  }
}
