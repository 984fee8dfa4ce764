// Merging a model's adapters into its base weights, and taking LoRA off again.
import type { Tensor } from '../ops/tensor.js';
import type { nn_Module } from '../nn/module.js';
import type { LoraLayer } from './layer.js';
import { chosenAdapter } from './adapters.js';
import { checkModel, layersWith, lora_layers, replaceAt, saved_modules, where } from './model.js';
import { mergeOptions, type MergeOptions } from './settings.js';

/**
 * Adds one adapter's ΔW into the base weights of every layer that has it (the active
 * adapter by default); the model then runs at the base model's cost. With `safe`, every
 * layer is checked first, and a non-finite result anywhere merges nothing.
 *
 * @example
 * lora_merge(model, { adapter: 'task_a', safe: true });
 */
export function lora_merge(model: nn_Module, options?: MergeOptions): void {
  mergeInto(model, options, 'lora_merge');
}

function mergeInto(model: nn_Module, options: MergeOptions | undefined, caller: string): string {
  const { adapter, safe } = mergeOptions(options, caller);
  const name = chosenAdapter(checkModel(model), adapter);
  const layers = layersWith(model, name);
  for (const [path, layer] of layers) layer.check_mergeable(name, where(path));
  if (safe) for (const [path, layer] of layers) layer.check_finite_merge(name, where(path));
  for (const [, layer] of layers) layer.merge_adapter(name);
  return name;
}

/** Subtracts every merged adapter from the base weights again. @example lora_unmerge(model) */
export function lora_unmerge(model: nn_Module): void {
  for (const [, layer] of lora_layers(model)) layer.unmerge();
}

// Modules to save become adapter `merged`'s copy (as PEFT's merge_and_unload), or the original.
function unload(model: nn_Module, merged: string | null): nn_Module {
  for (const [path, wrapper] of saved_modules(model)) {
    replaceAt(model, path, merged !== null && wrapper.adapters.includes(merged) ? wrapper.modules_to_save.get(merged) : wrapper.original_module);
  }
  for (const [path, layer] of lora_layers(model)) {
    if (path === '') return layer.base_layer;
    replaceAt(model, path, layer.base_layer);
  }
  return model;
}

/**
 * Merges an adapter (the active one by default) into the base weights and puts the plain
 * layers back in place of the LoRA layers (a module to save becomes that adapter's trained
 * copy); other adapters are dropped. Returns the plain
 * model (the base layer itself when `model` is one LoRA layer). Its parameters stay
 * frozen: call `requires_grad_()` on them to train further.
 *
 * @example
 * const plain = merge_and_unload(model);
 * torch_save_safetensors(plain.state_dict(), 'merged.safetensors');
 */
export function merge_and_unload<Base extends nn_Module & { weight: Tensor }>(model: LoraLayer<Base>, options?: MergeOptions): Base;
export function merge_and_unload<M extends nn_Module>(model: M, options?: MergeOptions): M;
export function merge_and_unload(model: nn_Module, options?: MergeOptions): nn_Module {
  return unload(model, mergeInto(model, options, 'merge_and_unload'));
}

/**
 * Removes every adapter without merging (merged ones are subtracted first) and returns the
 * plain model, its weights as before `lora_apply`.
 *
 * @example const base = lora_unload(model);
 */
export function lora_unload<Base extends nn_Module & { weight: Tensor }>(model: LoraLayer<Base>): Base;
export function lora_unload<M extends nn_Module>(model: M): M;
export function lora_unload(model: nn_Module): nn_Module {
  lora_unmerge(checkModel(model));
  return unload(model, null);
}
