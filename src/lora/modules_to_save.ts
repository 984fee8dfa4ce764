// PEFT's modules_to_save: a module trained whole beside the adapters (a classifier head). The
// wrapper keeps the original, frozen, and one trainable copy per adapter; the active adapter's
// copy runs. The state-dict keys are PEFT's (`head.original_module.weight`,
// `head.modules_to_save.default.weight`); files hold the copy as `head.weight`.
import { nn_Module } from '../nn/module.js';
import type { Tensor } from '../ops/tensor.js';
import { fail } from '../core/validate.js';
import { AdapterDict } from './adapter_dict.js';

/** The class PEFT calls ModulesToSaveWrapper: a module with a trainable copy per adapter. */
export class ModulesToSaveWrapper extends nn_Module {
  declare original_module: nn_Module;
  declare modules_to_save: AdapterDict<nn_Module>;
  /** The adapter whose copy runs, or null (the original runs). */
  active_adapter: string | null = null;

  /** @internal Made by lora_apply and lora_load. */
  constructor(module: nn_Module) {
    super();
    if (!(module instanceof nn_Module)) fail('an nn_module', 'module', module);
    this.original_module = module;
    this.modules_to_save = new AdapterDict();
    for (const parameter of module.parameters) parameter.requires_grad_(false);
  }

  override forward(...args: unknown[]): unknown {
    const name = this.active_adapter;
    const module = name !== null && this.adapters.includes(name) ? this.modules_to_save.get(name) : this.original_module;
    return (module as unknown as (...inputs: unknown[]) => unknown)(...args);
  }

  /** The adapters that have a copy here, in the order they were added. */
  get adapters(): string[] {
    return Object.keys(this.modules_to_save.named_children());
  }

  /** @internal Adds adapter `name`'s copy of the original module, frozen until activated. */
  add(name: string): void {
    const copy = this.original_module.clone(true);
    for (const parameter of copy.parameters) parameter.requires_grad_(false);
    this.modules_to_save.put(name, copy);
  }

  /** @internal */
  remove(name: string): void {
    this.modules_to_save.remove(name);
    if (this.active_adapter === name) this.active_adapter = null;
  }

  /** @internal Runs adapter `name`'s copy (the original if it has none); with `setTrainable`, only that copy trains. */
  activate(name: string | null, setTrainable: boolean): void {
    this.active_adapter = name !== null && this.adapters.includes(name) ? name : null;
    if (!setTrainable) return;
    for (const adapter of this.adapters) {
      for (const parameter of this.modules_to_save.get(adapter).parameters) parameter.requires_grad_(adapter === name);
    }
  }

  /** @internal Adapter `name`'s copy's state by key inside the module (`weight`), as PEFT saves it. */
  adapter_state(name: string): Record<string, Tensor> {
    return this.modules_to_save.get(name).state_dict();
  }
}
