// LoRA on a whole model, as PEFT's LoraModel does it: find the target layers by name, wrap
// each in place (the parent keeps its place and order) or give it one more adapter, wrap the
// modules to save, and freeze everything else. A plan checks every target first, from the
// adapter's settings, so that a refused adapter changes nothing; lora_load carries out plans too.
import type { nn_Module } from '../nn/module.js';
import type { RestructuredState } from '../nn/state_keys.js';
import { fail, failRange } from '../core/validate.js';
import { conv1d_kind } from './conv1d.js';
import { conv2d_kind } from './conv2d.js';
import { embedding_kind } from './embedding.js';
import type { LoraKind } from './kind.js';
import { LoraLayer } from './layer.js';
import { linear_kind } from './linear.js';
import { baseOf, checkModel, lora_layers, plainModules, replaceAt, saved_modules } from './model.js';
import { ModulesToSaveWrapper } from './modules_to_save.js';
import { isModuleToSave, outputLayerPath, selects } from './select.js';
import { loraApplySettings, settingsAt, type AdapterSettings, type LoraApplyOptions, type LoraSettings, type PeftTaskType } from './settings.js';

/** Every kind of layer LoRA can wrap. */
export const LORA_KINDS: readonly LoraKind[] = [linear_kind, conv1d_kind, embedding_kind, conv2d_kind];

/** @internal What lora_apply and lora_load agree to change: one entry per target layer. */
export interface PlanItem {
  path: string;
  /** The module at `path` now: a plain layer or a LoRA layer. */
  module: nn_Module;
  kind: LoraKind;
  /** The adapter's settings on this layer, checked for it. */
  settings: AdapterSettings;
}

/** @internal A plan: the target layers, and the modules to save (plain, or already wrapped for another adapter) by path. */
export interface Plan {
  items: PlanItem[];
  saves: [string, nn_Module][];
  /** PEFT's task type of the adapter, which lora_save writes by default. */
  task_type: PeftTaskType | null;
}

// Each model's adapters' task types (lora_apply's option, or adapter_config.json's).
const TASK_TYPES = new WeakMap<nn_Module, Map<string, PeftTaskType | null>>();

/** @internal The task type `adapter` was applied or loaded with (null when none). */
export function taskTypeOf(model: nn_Module, adapter: string): PeftTaskType | null {
  return TASK_TYPES.get(model)?.get(adapter) ?? null;
}

/** The modules an adapter saves whole: each module whose path ends with a name in modules_to_save (PEFT's rule). */
function planSaves(model: nn_Module, settings: LoraSettings, items: PlanItem[], replace: boolean): [string, nn_Module][] {
  const saves = plainModules(model).filter(([path]) => isModuleToSave(settings.modules_to_save, path));
  const targets = new Set(items.map((item) => item.path));
  for (const [path, module] of saves) {
    if (targets.has(path)) fail(`a module either targeted or saved ("${path}" is both; PEFT's modules_to_save match the path's plain ending)`, 'modules_to_save', settings.modules_to_save);
    if (module instanceof ModulesToSaveWrapper) {
      if (!replace && module.adapters.includes(settings.adapter)) failRange(`a new adapter name ("${path}" already saves a copy for it)`, 'adapter', settings.adapter);
    } else if (module.modules.some((inner) => inner instanceof LoraLayer)) {
      fail(`a module to save without LoRA layers inside ("${path}" has some)`, 'modules_to_save', settings.modules_to_save);
    }
  }
  return saves;
}

/**
 * @internal Finds and checks every target of an adapter without changing anything: each
 * matching layer must be of a supported kind and take the adapter's rank. With `replace`
 * (lora_load), an adapter of the same name on a layer is replaced instead of refused.
 */
export function planAdapter(model: nn_Module, settings: LoraSettings, replace: boolean): Plan {
  const items: PlanItem[] = [];
  const outputLayer = settings.target_modules.all_linear ? outputLayerPath(model) : null;
  for (const [path, module] of plainModules(model)) {
    // A plain root cannot be replaced in place (wrap it with lora_nn_linear() and friends);
    // a root that is already a LoRA layer can take another adapter.
    if (path === '' && !(module instanceof LoraLayer)) continue;
    const base = baseOf(module);
    if (path === outputLayer || !selects(settings, path, base)) continue;
    const kind = LORA_KINDS.find((candidate) => base instanceof (candidate.base as unknown as new () => nn_Module));
    if (kind === undefined) {
      fail(`a layer LoRA supports (${LORA_KINDS.map((k) => k.label).join(', ')}) at "${path}", matched by target_modules ${settings.target_modules.describe},`, 'target', base);
    }
    kind.check?.(base);
    const layerSettings = settingsAt(settings, path, kind.max_rank(base));
    kind.check_settings?.(layerSettings, `"${path}"`);
    const { adapter } = settings;
    if (module instanceof LoraLayer && adapter in module.r) {
      if (!replace) failRange(`a new adapter name ("${path}" already has it; lora_delete_adapter() first)`, 'adapter', adapter);
      if (module.merged_adapters.includes(adapter)) failRange(`an unmerged adapter ("${path}" has it merged; lora_unmerge() first)`, 'adapter', adapter);
    }
    items.push({ path, module, kind, settings: layerSettings });
  }
  if (items.length === 0) {
    const paths = plainModules(model).map(([path]) => path).filter((path) => path !== '');
    const listed = paths.map((p) => JSON.stringify(p)).join(', ')
      || 'no submodules: wrap a single layer with lora_nn_linear, lora_nn_embedding or lora_nn_conv2d';
    throw new RangeError(`Expected target_modules matching at least one layer (the model has ${listed}) for target_modules but received ${settings.target_modules.describe}`);
  }
  return { items, saves: planSaves(model, settings, items, replace), task_type: settings.task_type };
}

/**
 * @internal Carries out a plan: wraps or extends each target and module to save, then
 * freezes every parameter but the active adapter's. A model without adapters gets this one
 * active; a model that has some keeps its active adapter (as PEFT's add_adapter does).
 */
export function applyPlan(model: nn_Module, plan: Plan, adapter: string): LoraLayer[] {
  const before = lora_layers(model);
  const active = before.length > 0 ? before[0]![1].active_adapter : adapter;
  const wrapped: LoraLayer[] = [];
  for (const { path, module, kind, settings } of plan.items) {
    if (module instanceof LoraLayer) {
      if (adapter in module.r) module.detach(adapter);
      module.attach(adapter, settings);
      wrapped.push(module);
    } else {
      // A new layer takes the mode of the one it wraps: an adapter loaded into a model in eval() applies no dropout.
      const layer = kind.wrap(module, adapter, settings).train(module.training);
      replaceAt(model, path, layer);
      wrapped.push(layer);
    }
  }
  for (const [path, module] of plan.saves) {
    const wrapper = module instanceof ModulesToSaveWrapper ? module : new ModulesToSaveWrapper(module).train(module.training);
    if (wrapper.adapters.includes(adapter)) wrapper.remove(adapter);
    wrapper.add(adapter);
    if (wrapper !== module) replaceAt(model, path, wrapper);
  }
  for (const parameter of model.parameters) parameter.requires_grad_(false);
  if (!TASK_TYPES.has(model)) TASK_TYPES.set(model, new Map());
  TASK_TYPES.get(model)!.set(adapter, plan.task_type);
  for (const [, layer] of lora_layers(model)) layer.activate(active, true);
  for (const [, wrapper] of saved_modules(model)) wrapper.activate(active, true);
  return wrapped;
}

/**
 * Adds a LoRA adapter to every layer of `model` that `target_modules` names, in place:
 * plain `nn_linear`, `hf_conv1d`, `nn_embedding` and `nn_conv2d` layers are wrapped (keeping
 * their place in the parent), layers that already have LoRA get one more adapter, and the
 * modules named by `modules_to_save` get a trainable copy. Every other parameter is frozen.
 * Layers are chosen by PEFT's rules (exclude_modules, layers_to_transform, layers_pattern
 * included). The first adapter of a model becomes active; a later one is added inactive and
 * frozen until `lora_set_adapter`. Returns `model`, typed with a `state_dict()` of any keys
 * (a target's keys move under PEFT's `base_layer.` and `lora_A.`; `model`'s own type keeps
 * the keys it had). Everything is checked before anything changes: an unsupported target, a
 * rank above min(in, out) or no match at all throws.
 *
 * @example
 * lora_apply(model, { target_modules: ['q_proj', 'v_proj'], r: 8, lora_alpha: 16 });
 * const opt = optim_adam(lora_parameters(model));
 */
export function lora_apply<M extends nn_Module>(model: M, options: LoraApplyOptions): M & RestructuredState {
  checkModel(model);
  const settings = loraApplySettings(options);
  applyPlan(model, planAdapter(model, settings, false), settings.adapter);
  return model;
}
