// Several named adapters on one frozen base: listing them, switching the active one (for the
// model, for one call, or per row of a batch), deleting one, and the trainable tensors of one.
import type { Tensor } from '../ops/tensor.js';
import type { nn_Module } from '../nn/module.js';
import { checkFunction, checkOptions, fail, failRange } from '../core/validate.js';
import { LinearLoraLayer } from './linear.js';
import { rowGroups } from './mixed.js';
import { checkModel, layersWith, lora_layers, replaceAt, saved_modules, where } from './model.js';
import { ADAPTER_OPTION_KEYS, type AdapterOptions } from './settings.js';

/** The adapters on `model`'s LoRA layers, each once, as the layers list them. @example lora_adapters(model) // ['default', 'task_b'] */
export function lora_adapters(model: nn_Module): string[] {
  const names = new Set<string>();
  for (const [, layer] of lora_layers(model)) for (const name of layer.adapters) names.add(name);
  return [...names];
}

/** The adapter `model` runs with, or null (none active, or no LoRA). @example lora_active_adapter(model) // 'default' */
export function lora_active_adapter(model: nn_Module): string | null {
  return lora_layers(model)[0]?.[1].active_adapter ?? null;
}

function checkKnown(model: nn_Module, name: unknown, label = 'adapter', known = lora_adapters(model)): string {
  if (typeof name !== 'string' || !known.includes(name)) failRange(`one of the model's adapters (${known.map((a) => JSON.stringify(a)).join(', ') || 'none'})`, label, name);
  return name;
}

/** @internal Adapter `adapter`, or the model's active one. */
export function chosenAdapter(model: nn_Module, adapter: string | undefined): string {
  if (adapter !== undefined) return checkKnown(model, adapter);
  const active = lora_active_adapter(model);
  if (active === null) failRange('an adapter name (the model has no active adapter)', 'adapter', adapter);
  return active;
}

/**
 * Makes `name` the adapter every LoRA layer adds, and its A and B the only trainable
 * parameters; null runs the base model alone. Refused while another adapter is merged.
 *
 * @example lora_set_adapter(model, 'task_b')
 */
export function lora_set_adapter(model: nn_Module, name: string | null): void {
  if (name !== null) checkKnown(model, name, 'name');
  const layers = lora_layers(model);
  for (const [path, layer] of layers) layer.check_switch(name, where(path));
  for (const [, layer] of layers) layer.activate(name, true);
  for (const [, wrapper] of saved_modules(model)) wrapper.activate(name, true);
}

// Runs fn with `name` active in every layer (no change of trainable flags), then restores.
function withActive<T>(model: nn_Module, name: string | null, fn: () => T): T {
  checkFunction(fn, 'fn');
  const layers = lora_layers(model);
  for (const [path, layer] of layers) layer.check_switch(name, where(path));
  const wrappers = saved_modules(model);
  const previous = layers.map(([, layer]) => layer.active_adapter);
  const previousSaved = wrappers.map(([, wrapper]) => wrapper.active_adapter);
  for (const [, layer] of layers) layer.activate(name, false);
  for (const [, wrapper] of wrappers) wrapper.activate(name, false);
  let result: T;
  try {
    result = fn();
  } finally {
    layers.forEach(([, layer], i) => { layer.active_adapter = previous[i]!; });
    wrappers.forEach(([, wrapper], i) => { wrapper.active_adapter = previousSaved[i]!; });
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('Expected a synchronous function for fn but received one that returned a Promise: the adapter was switched back before it finished; await inside, then call with_adapter around the synchronous part');
  }
  return result;
}

/**
 * Runs `fn` with adapter `name` active in every LoRA layer, then switches back, also when
 * `fn` throws: one frozen base model serves many adapters, chosen per call, without copying
 * any weight. `fn` must be synchronous (the switch is visible to anything running meanwhile).
 *
 * @example
 * const a = with_adapter(model, 'task_a', () => model(x));
 * const b = with_adapter(model, 'task_b', () => model(x));
 */
export function with_adapter<T>(model: nn_Module, name: string, fn: () => T): T {
  return withActive(model, checkKnown(model, name, 'name'), fn);
}

/**
 * Runs `fn` with row i of every LoRA layer's input using adapter `adapter_names[i]` (null: the
 * base model alone), as PEFT's `adapter_names=`: one batch serves many adapters at once,
 * computed per layer as one segmented product (rows grouped by adapter, punica's SGMV), not a
 * loop over adapters in JavaScript. On models whose LoRA layers are linear; gradients flow to
 * every adapter used; adapters with dropout only in eval mode; `fn` must be synchronous.
 *
 * @example
 * const y = with_adapter_names(model, ['task_a', null, 'task_b'], () => model(x)); // x: 3 rows
 */
export function with_adapter_names<T>(model: nn_Module, adapter_names: (string | null)[], fn: () => T): T {
  checkFunction(fn, 'fn');
  if (!Array.isArray(adapter_names) || adapter_names.length === 0) fail('a non-empty array of adapter names (or null)', 'adapter_names', adapter_names);
  const known = lora_adapters(model); // once, not once a row
  const names = Array.from(adapter_names, (name, i) => (name === null ? null : checkKnown(model, name, `adapter_names[${i}]`, known)));
  const layers = lora_layers(model);
  for (const [path, layer] of layers) {
    if (!(layer instanceof LinearLoraLayer)) fail('a model whose LoRA layers are all linear (mixed-adapter batches are implemented for lora_nn_linear and lora_hf_conv1d)', 'model', `one with ${layer.constructor.name} at "${path}"`);
    if (layer.merged) failRange('unmerged adapters (lora_unmerge() first)', 'model', `one with "${path}" merged`);
  }
  const saved = saved_modules(model);
  if (saved.length > 0) fail('a model without modules_to_save (mixed-adapter batches do not run their copies)', 'model', `one saving "${saved[0]![0]}"`);
  const rows = rowGroups(names);
  for (const [, layer] of layers) layer.row_adapters = rows;
  let result: T;
  try {
    result = fn();
  } finally {
    for (const [, layer] of layers) layer.row_adapters = null;
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('Expected a synchronous function for fn but received one that returned a Promise: the adapters were switched back before it finished');
  }
  return result;
}

/**
 * Runs `fn` on the base model alone (no adapter adds anything), then restores the active
 * adapter. Refused while an adapter is merged.
 *
 * @example const base_output = with_adapters_disabled(model, () => model(x));
 */
export function with_adapters_disabled<T>(model: nn_Module, fn: () => T): T {
  return withActive(checkModel(model), null, fn);
}

/**
 * Removes adapter `name` from every layer; a layer left without adapters is replaced by its
 * plain base layer. If it was active, the first remaining adapter becomes active.
 *
 * @example lora_delete_adapter(model, 'task_b')
 */
export function lora_delete_adapter(model: nn_Module, name: string): void {
  checkKnown(model, name, 'name');
  const layers = layersWith(model, name);
  for (const [path, layer] of layers) {
    if (layer.merged_adapters.includes(name)) failRange(`an unmerged adapter ("${path}" has it merged; lora_unmerge() first)`, 'name', name);
  }
  const wasActive = lora_active_adapter(model) === name;
  for (const [path, layer] of layers) {
    layer.detach(name);
    if (layer.adapters.length === 0 && path !== '') replaceAt(model, path, layer.base_layer);
  }
  for (const [path, wrapper] of saved_modules(model)) {
    if (!wrapper.adapters.includes(name)) continue;
    wrapper.remove(name);
    if (wrapper.adapters.length === 0) replaceAt(model, path, wrapper.original_module);
  }
  if (wasActive) lora_set_adapter(model, lora_adapters(model)[0] ?? null);
}

/**
 * The trainable LoRA tensors (every A and B) of one adapter, the active one by default:
 * what the optimizer gets.
 *
 * @example const opt = optim_adam(lora_parameters(model), { lr: 1e-3 });
 */
export function lora_parameters(model: nn_Module, options?: AdapterOptions): Tensor[] {
  const { adapter } = checkOptions(options, ADAPTER_OPTION_KEYS, 'lora_parameters');
  const name = chosenAdapter(checkModel(model), adapter);
  const saved = saved_modules(model).flatMap(([, wrapper]) => (wrapper.adapters.includes(name) ? wrapper.modules_to_save.get(name).parameters : []));
  return [...lora_layers(model).flatMap(([, layer]) => (name in layer.r ? Object.values(layer.adapter_state(name)) : [])), ...saved];
}
