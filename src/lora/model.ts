// A model's LoRA layers as PEFT sees them: modules by dotted path, where a LoRA layer stands
// for the layer it wraps, and replacing a module in its parent's place.
import { nn_Module } from '../nn/module.js';
import { fail } from '../core/validate.js';
import { LoraLayer } from './layer.js';
import { ModulesToSaveWrapper } from './modules_to_save.js';

/**
 * Every module by dotted path, a LoRA layer standing for the layer it wraps (what is inside
 * it, base_layer and the adapters, is not listed), and so a module to save's wrapper: the
 * paths PEFT sees in the plain model.
 */
export function plainModules(model: nn_Module): [string, nn_Module][] {
  const result: [string, nn_Module][] = [];
  const seen = new Set<nn_Module>();
  const visit = (module: nn_Module, path: string): void => {
    if (seen.has(module)) return;
    seen.add(module);
    result.push([path, module]);
    if (module instanceof LoraLayer || module instanceof ModulesToSaveWrapper) return;
    for (const [name, child] of Object.entries(module.named_children())) visit(child, path === '' ? name : `${path}.${name}`);
  };
  visit(checkModel(model), '');
  return result;
}

/** The LoRA layers of `model` by path (`""` when the model itself is one). @example lora_layers(model).map(([path]) => path) */
export function lora_layers(model: nn_Module): [string, LoraLayer][] {
  return plainModules(model).filter((entry): entry is [string, LoraLayer] => entry[1] instanceof LoraLayer);
}

/** @internal The modules to save of `model` (PEFT's modules_to_save), each in its wrapper, by path. */
export function saved_modules(model: nn_Module): [string, ModulesToSaveWrapper][] {
  return plainModules(model).filter((entry): entry is [string, ModulesToSaveWrapper] => entry[1] instanceof ModulesToSaveWrapper);
}

/** @internal */
export function checkModel(model: unknown): nn_Module {
  if (!(model instanceof nn_Module)) fail('an nn_module', 'model', model);
  return model;
}

/** @internal The plain layer at a path: a LoRA layer's base_layer, or the module itself. */
export function baseOf(module: nn_Module): nn_Module {
  return module instanceof LoraLayer ? module.base_layer : module;
}

/** @internal Puts `module` at `path` of `model`, in the same place among its siblings. */
export function replaceAt(model: nn_Module, path: string, module: nn_Module): void {
  const dot = path.lastIndexOf('.');
  const parent = dot < 0 ? model : model.named_modules()[path.slice(0, dot)]!;
  (parent as unknown as Record<string, nn_Module>)[path.slice(dot + 1)] = module;
}

/** @internal How messages name the layer at `path`. */
export function where(path: string): string {
  return path === '' ? 'the model' : `"${path}"`;
}

/** @internal The LoRA layers that have adapter `name`. */
export function layersWith(model: nn_Module, name: string): [string, LoraLayer][] {
  return lora_layers(model).filter(([, layer]) => name in layer.r);
}

/**
 * The number of trainable parameters (requires_grad) and of all parameters, each tensor
 * counted once: PEFT's `get_nb_trainable_parameters`.
 *
 * @example
 * const { trainable, total } = lora_parameter_counts(model); // the post's 2,001 of 1,003,001
 */
export function lora_parameter_counts(model: nn_Module): { trainable: number; total: number } {
  let trainable = 0;
  let total = 0;
  for (const parameter of checkModel(model).parameters) {
    const count = parameter.numel();
    total += count;
    if (parameter.requires_grad) trainable += count;
  }
  return { trainable, total };
}
