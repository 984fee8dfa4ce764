// LoRA on a whole model, as PEFT's LoraModel does it: find the target layers by name, wrap
// each in place (the parent keeps its place and order), freeze everything else, and keep
// several named adapters on one frozen base. Switching adapters flips which A and B the
// layers add; the base weights are never copied.
import { nn_linear } from '../nn/layers.js';
import { nn_Module } from '../nn/module.js';
import type { Tensor } from '../ops/tensor.js';
import { checkFunction, checkOptions, fail, failRange, optionKeys } from '../core/validate.js';
import { conv2d_kind } from './conv2d.js';
import { embedding_kind } from './embedding.js';
import {
  adapterSettings, checkAdapterName, LORA_OPTION_NAMES, LoraLayer, mergeOptions, type AdapterSettings, type LoraKind, type LoraOptions, type MergeOptions,
} from './layer.js';
import { linear_kind, LoraLinear } from './linear.js';
import { rowGroups } from './mixed.js';

/** Every kind of layer LoRA can wrap. */
export const LORA_KINDS: readonly LoraKind[] = [linear_kind, embedding_kind, conv2d_kind];

/**
 * Which layers get an adapter: names matched exactly or as the last parts of a dotted path
 * (`"q_proj"` matches `"layers.0.attn.q_proj"`), a RegExp tested against each dotted path,
 * or `"all-linear"` (every `nn_linear`).
 */
export type TargetModules = string[] | RegExp | 'all-linear';

export interface LoraApplyOptions extends LoraOptions {
  target_modules: TargetModules;
  /** The adapter's name ("default"). */
  adapter?: string;
  /** Per-layer ranks: a key (a regular expression) matching the end of a layer's path gives its r. */
  rank_pattern?: Record<string, number>;
  /** Per-layer alphas, as rank_pattern. */
  alpha_pattern?: Record<string, number>;
}

/** @internal What lora_apply and lora_load agree to change: one entry per target layer. */
export interface PlanItem {
  path: string;
  /** The module at `path` now: a plain layer or a LoRA layer. */
  module: nn_Module;
  kind: LoraKind;
  settings: AdapterSettings;
}

/** @internal How a plan is found: a target test and the adapter's settings. */
export interface PlanSpec {
  matches: (path: string, base: nn_Module) => boolean;
  /** What the targets were, for messages. */
  describe: string;
  options: LoraOptions;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  adapter: string;
  /** An adapter of this name already on a layer is replaced (lora_load) instead of refused. */
  replace: boolean;
}

/** Options that name one adapter. */
export interface AdapterOptions {
  /** The adapter saved or listed (the active one when omitted), or the name lora_load gives the loaded one ("default"). */
  adapter?: string;
}

/** @internal */
export const ADAPTER_OPTION_KEYS = optionKeys<AdapterOptions>({ adapter: true });
const APPLY_OPTION_KEYS = optionKeys<LoraApplyOptions>({ target_modules: true, adapter: true, rank_pattern: true, alpha_pattern: true, ...LORA_OPTION_NAMES });

// ---- walking the model as PEFT sees it ----

/**
 * Every module by dotted path, a LoRA layer standing for the layer it wraps (what is inside
 * it, base_layer and the adapters, is not listed): the paths PEFT sees in the plain model.
 */
export function plainModules(model: nn_Module): [string, nn_Module][] {
  const result: [string, nn_Module][] = [];
  const seen = new Set<nn_Module>();
  const visit = (module: nn_Module, path: string): void => {
    if (seen.has(module)) return;
    seen.add(module);
    result.push([path, module]);
    if (module instanceof LoraLayer) return;
    for (const [name, child] of Object.entries(module.named_children())) visit(child, path === '' ? name : `${path}.${name}`);
  };
  visit(checkModel(model), '');
  return result;
}

/** The LoRA layers of `model` by path (`""` when the model itself is one). @example lora_layers(model).map(([path]) => path) */
export function lora_layers(model: nn_Module): [string, LoraLayer][] {
  return plainModules(model).filter((entry): entry is [string, LoraLayer] => entry[1] instanceof LoraLayer);
}

function checkModel(model: unknown): nn_Module {
  if (!(model instanceof nn_Module)) fail('an nn_module', 'model', model);
  return model;
}

export function baseOf(module: nn_Module): nn_Module {
  return module instanceof LoraLayer ? module.base_layer : module;
}

/** Puts `module` at `path` of `model`, in the same place among its siblings. */
function replaceAt(model: nn_Module, path: string, module: nn_Module): void {
  const dot = path.lastIndexOf('.');
  const parent = dot < 0 ? model : model.named_modules()[path.slice(0, dot)]!;
  (parent as unknown as Record<string, nn_Module>)[path.slice(dot + 1)] = module;
}

// ---- targets ----

/** @internal PEFT's rule for target names: the whole path, or its last dotted parts. */
export function nameMatcher(names: string[]): (path: string) => boolean {
  return (path) => names.some((name) => path === name || path.endsWith(`.${name}`));
}

/** @internal The test for target_modules as the API takes them. */
export function targetMatcher(target: unknown): { matches: PlanSpec['matches']; describe: string } {
  if (target === 'all-linear') return { matches: (_, base) => base instanceof nn_linear, describe: '"all-linear"' };
  if (target instanceof RegExp) {
    const regex = new RegExp(target.source, target.flags.replace(/[gy]/g, '')); // no lastIndex state between tests
    return { matches: (path) => regex.test(path), describe: String(target) };
  }
  if (Array.isArray(target) && target.length > 0 && target.every((name) => typeof name === 'string' && name !== '')) {
    return { matches: nameMatcher(target), describe: JSON.stringify(target) };
  }
  return fail('a non-empty array of module names, a RegExp or "all-linear"', 'target_modules', target);
}

/** PEFT's pattern lookup: the first key that matches the end of the path (as a dotted suffix) wins. */
export function patternValue(pattern: Record<string, number>, path: string): number | undefined {
  for (const [key, value] of Object.entries(pattern)) {
    if (new RegExp(`^(?:.*\\.)?(?:${key})$`).test(path)) return value;
  }
  return undefined;
}

/** @internal rank_pattern / alpha_pattern: numbers by regular expression (absent or null: none). */
export function checkPattern(value: unknown, name: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an object of numbers by module name', name, value);
  for (const [key, number] of Object.entries(value)) {
    try {
      new RegExp(key);
    } catch {
      fail('a valid regular expression as key', name, key);
    }
    if (typeof number !== 'number') fail('a number', `${name}[${JSON.stringify(key)}]`, number);
  }
  return value as Record<string, number>;
}

/**
 * @internal Finds and checks every target of an adapter without changing anything: each
 * matching layer must be of a supported kind and take the adapter's rank.
 */
export function planAdapter(model: nn_Module, spec: PlanSpec): PlanItem[] {
  const items: PlanItem[] = [];
  for (const [path, module] of plainModules(model)) {
    // A plain root cannot be replaced in place (wrap it with lora_nn_linear() and friends);
    // a root that is already a LoRA layer can take another adapter.
    if (path === '' && !(module instanceof LoraLayer)) continue;
    const base = baseOf(module);
    if (!spec.matches(path, base)) continue;
    const kind = LORA_KINDS.find((candidate) => base instanceof (candidate.base as unknown as new () => nn_Module));
    if (kind === undefined) {
      fail(`a layer LoRA supports (${LORA_KINDS.map((k) => k.label).join(', ')}) at "${path}", matched by target_modules ${spec.describe},`, 'target', base);
    }
    kind.check?.(base);
    const r = patternValue(spec.rank_pattern, path) ?? spec.options.r;
    const alpha = patternValue(spec.alpha_pattern, path) ?? spec.options.alpha;
    const settings = adapterSettings({ ...spec.options, r, alpha }, kind.max_rank(base), `"${path}"`);
    if (module instanceof LoraLayer && spec.adapter in module.r) {
      if (!spec.replace) failRange(`a new adapter name ("${path}" already has it; lora_delete_adapter() first)`, 'adapter', spec.adapter);
      if (module.merged_adapters.includes(spec.adapter)) failRange(`an unmerged adapter ("${path}" has it merged; lora_unmerge() first)`, 'adapter', spec.adapter);
    }
    items.push({ path, module, kind, settings });
  }
  if (items.length === 0) {
    const paths = plainModules(model).map(([path]) => path).filter((path) => path !== '');
    const listed = paths.map((p) => JSON.stringify(p)).join(', ')
      || 'no submodules: wrap a single layer with lora_nn_linear, lora_nn_embedding or lora_nn_conv2d';
    throw new RangeError(`Expected target_modules matching at least one layer (the model has ${listed}) for target_modules but received ${spec.describe}`);
  }
  return items;
}

/**
 * @internal Carries out a plan: wraps or extends each target, then freezes every parameter
 * but the active adapter's A and B. A model without adapters gets this one active; a model
 * that has some keeps its active adapter (as PEFT's add_adapter does).
 */
export function applyPlan(model: nn_Module, items: PlanItem[], adapter: string): LoraLayer[] {
  const before = lora_layers(model);
  const active = before.length > 0 ? before[0]![1].active_adapter : adapter;
  const wrapped: LoraLayer[] = [];
  for (const { path, module, kind, settings } of items) {
    if (module instanceof LoraLayer) {
      if (adapter in module.r) module.delete_adapter(adapter);
      module.add_adapter(adapter, settings);
      wrapped.push(module);
    } else {
      const layer = kind.wrap(module, { ...settings, adapter });
      replaceAt(model, path, layer);
      wrapped.push(layer);
    }
  }
  for (const parameter of model.parameters) parameter.requires_grad_(false);
  for (const [, layer] of lora_layers(model)) layer.activate(active, true);
  return wrapped;
}

/**
 * Adds a LoRA adapter to every layer of `model` that `target_modules` names, in place:
 * plain `nn_linear`, `nn_embedding` and `nn_conv2d` layers are wrapped (keeping their place
 * in the parent), layers that already have LoRA get one more adapter. Every other parameter
 * is frozen. The first adapter of a model becomes active; a later one is added inactive and
 * frozen until `lora_set_adapter`. Returns `model`. Everything is checked before anything
 * changes: an unsupported target, a rank above min(in, out) or no match at all throws.
 *
 * @example
 * lora_apply(model, { target_modules: ['q_proj', 'v_proj'], r: 8, alpha: 16 });
 * const opt = optim_adam(lora_parameters(model));
 */
export function lora_apply<M extends nn_Module>(model: M, options: LoraApplyOptions): M {
  checkModel(model);
  const { target_modules, adapter = 'default', rank_pattern, alpha_pattern, ...rest } = checkOptions(options, APPLY_OPTION_KEYS, 'lora_apply');
  adapterSettings(rest, Infinity, '', 'lora_apply'); // the values, before looking at layers
  const spec: PlanSpec = {
    ...targetMatcher(target_modules), options: rest, adapter: checkAdapterName(adapter),
    rank_pattern: checkPattern(rank_pattern, 'rank_pattern'), alpha_pattern: checkPattern(alpha_pattern, 'alpha_pattern'), replace: false,
  };
  applyPlan(model, planAdapter(model, spec), spec.adapter);
  return model;
}

// ---- adapters ----

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
}

/** How messages name the layer at `path`. */
function where(path: string): string {
  return path === '' ? 'the model' : `"${path}"`;
}

// Runs fn with `name` active in every layer (no change of trainable flags), then restores.
function withActive<T>(model: nn_Module, name: string | null, fn: () => T): T {
  checkFunction(fn, 'fn');
  const layers = lora_layers(model);
  for (const [path, layer] of layers) layer.check_switch(name, where(path));
  const previous = layers.map(([, layer]) => layer.active_adapter);
  for (const [, layer] of layers) layer.activate(name, false);
  let result: T;
  try {
    result = fn();
  } finally {
    layers.forEach(([, layer], i) => { layer.active_adapter = previous[i]!; });
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
    if (!(layer instanceof LoraLinear)) fail('a model whose LoRA layers are all linear (mixed-adapter batches are implemented for lora_nn_linear)', 'model', `one with ${layer.constructor.name} at "${path}"`);
    if (layer.merged) failRange('unmerged adapters (lora_unmerge() first)', 'model', `one with "${path}" merged`);
  }
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
  const layers = lora_layers(model).filter(([, layer]) => name in layer.r);
  for (const [path, layer] of layers) {
    if (layer.merged_adapters.includes(name)) failRange(`an unmerged adapter ("${path}" has it merged; lora_unmerge() first)`, 'name', name);
  }
  const wasActive = lora_active_adapter(model) === name;
  for (const [path, layer] of layers) {
    layer.delete_adapter(name);
    if (layer.adapters.length === 0 && path !== '') replaceAt(model, path, layer.base_layer);
  }
  if (wasActive) lora_set_adapter(model, lora_adapters(model)[0] ?? null);
}

// ---- parameters ----

/**
 * The trainable LoRA tensors (every A and B) of one adapter, the active one by default:
 * what the optimizer gets.
 *
 * @example const opt = optim_adam(lora_parameters(model), { lr: 1e-3 });
 */
export function lora_parameters(model: nn_Module, options?: AdapterOptions): Tensor[] {
  const { adapter } = checkOptions(options, ADAPTER_OPTION_KEYS, 'lora_parameters');
  const name = chosenAdapter(checkModel(model), adapter);
  return lora_layers(model).flatMap(([, layer]) => (name in layer.r ? Object.values(layer.adapter_state(name)) : []));
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

// ---- merging ----

/** @internal The LoRA layers that have adapter `name`. */
export function layersWith(model: nn_Module, name: string): [string, LoraLayer][] {
  return lora_layers(model).filter(([, layer]) => name in layer.r);
}

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

function mergeInto(model: nn_Module, options: MergeOptions | undefined, caller: string): void {
  const { adapter, safe } = mergeOptions(options, caller);
  const name = chosenAdapter(checkModel(model), adapter);
  const layers = layersWith(model, name);
  if (safe) for (const [path, layer] of layers) layer.check_merge(name, where(path));
  for (const [, layer] of layers) layer.merge({ adapter: name });
}

/** Subtracts every merged adapter from the base weights again. @example lora_unmerge(model) */
export function lora_unmerge(model: nn_Module): void {
  for (const [, layer] of lora_layers(model)) layer.unmerge();
}

function unload(model: nn_Module): nn_Module {
  for (const [path, layer] of lora_layers(model)) {
    if (path === '') return layer.base_layer;
    replaceAt(model, path, layer.base_layer);
  }
  return model;
}

/**
 * Merges an adapter (the active one by default) into the base weights and puts the plain
 * layers back in place of the LoRA layers; other adapters are dropped. Returns the plain
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
  mergeInto(model, options, 'merge_and_unload');
  return unload(model);
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
  return unload(model);
}
