// adapter_config.json, PEFT's description of an adapter: written by lora_save from a model's
// adapter, read (and checked, as lora_apply checks its options) by lora_load and lora_config.
// A setting PEFT may write that changes the computation and that torchlora does not implement
// is refused by name, never ignored.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { nn_Module } from '../nn/module.js';
import { checkBoolean, checkFinite, checkPositiveInteger, fail } from '../core/validate.js';
import { checkPath, fileError } from '../io/filesystem.js';
import type { LoraLayer } from './layer.js';
import { LinearLoraLayer } from './linear.js';
import { plainModules } from './model.js';
import { fullMatcher, layerFilter, nameMatcher, targetMatcher, type TargetTest } from './select.js';
import type { PeftTaskType } from './settings.js';
import {
  checkAdapterName, checkDropout, checkModulesToSave, checkPattern, patternValue, type AdapterSettings, type LoraInit, type LoraSettings,
} from './settings.js';

/** The adapter settings' file name in an adapter folder. */
export const LORA_CONFIG_NAME = 'adapter_config.json';
const CONFIG = LORA_CONFIG_NAME;

export { PEFT_TASK_TYPES, type PeftTaskType } from './settings.js';
import { PEFT_TASK_TYPES } from './settings.js';

/** adapter_config.json as PEFT reads it (the keys written here; others are kept when read). */
export interface PeftLoraConfig {
  alpha_pattern: Record<string, number>;
  base_model_name_or_path: string | null;
  bias: 'none' | 'lora_only';
  fan_in_fan_out: boolean;
  inference_mode: boolean;
  init_lora_weights: boolean | string;
  lora_alpha: number;
  lora_bias?: boolean;
  lora_dropout: number;
  modules_to_save: string[] | null;
  peft_type: 'LORA';
  r: number;
  rank_pattern: Record<string, number>;
  revision?: string | null;
  target_modules: string[] | string;
  task_type: PeftTaskType | null;
  use_dora: boolean;
  use_rslora: boolean;
  [key: string]: unknown;
}

/** What lora_save writes beside the settings: where the base model is and what it is for. */
export interface ConfigDescription {
  base_model_name_or_path: string | null;
  task_type: PeftTaskType | null;
  revision: string | null;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The value most layers have (the first of equals), and the layers that differ. */
function common<T>(values: [string, T][]): { value: T; others: [string, T][] } {
  const counts = new Map<T, number>();
  for (const [, value] of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const value = [...counts.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
  return { value, others: values.filter(([, v]) => v !== value) };
}

/** A setting PEFT's config holds once: every layer must agree. */
function single<T>(name: string, adapter: string, values: [string, T][]): T {
  const { value, others } = common(values);
  if (others.length > 0) throw new TypeError(`Expected one ${name} for every layer of adapter "${adapter}" but received several (PEFT's config has one); "${others[0]![0]}" differs`);
  return value;
}

// A pattern whose keys are the exact paths of the layers that differ from the default; kept
// only if PEFT's suffix rule, applied to every layer, gives each its own value back.
function patternFor(values: [string, number][], paths: string[]): { value: number; pattern: Record<string, number> } {
  const { value, others } = common(values);
  const exact = Object.fromEntries(others.map(([path, v]) => [escapeRegex(path), v]));
  const wanted = new Map(values);
  const reproduces = (pattern: Record<string, number>): boolean => paths.every((path) => (patternValue(pattern, path) ?? value) === wanted.get(path));
  if (reproduces(exact)) return { value, pattern: exact };
  // A path that is also the end of another one: anchor the keys (PEFT matches them from the start).
  return { value, pattern: Object.fromEntries(others.map(([path, v]) => [`^${escapeRegex(path)}`, v])) };
}

/** target_modules that select exactly `paths`: their last names when that is exact, else a regex PEFT fullmatches. */
function targetsFor(model: nn_Module, paths: string[], saved: string[]): string[] | string {
  const names = [...new Set(paths.map((path) => path.slice(path.lastIndexOf('.') + 1)))].sort();
  const matches = nameMatcher(names);
  const wanted = new Set(paths);
  const exact = !wanted.has('') && plainModules(model).every(([path]) => path === '' || saved.includes(path) || (matches(path) !== false) === wanted.has(path));
  return exact ? names : paths.map(escapeRegex).join('|');
}

const INIT_TO_PEFT: Record<LoraInit, boolean | string> = { kaiming: true, gaussian: 'gaussian', randn: false, none: false };

/** @internal The adapter_config.json PEFT needs to rebuild adapter `name` of `model`: its layers, and its modules to save by path. */
export function peftConfig(model: nn_Module, name: string, layers: [string, LoraLayer][], saved: string[], description: ConfigDescription): PeftLoraConfig {
  const paths = layers.map(([path]) => path);
  const settings: [string, AdapterSettings][] = layers.map(([path, layer]) => [path, layer.settings[name]!]);
  const rank = patternFor(settings.map(([path, s]) => [path, s.r]), paths);
  const alpha = patternFor(settings.map(([path, s]) => [path, s.alpha]), paths);
  const loraBias = single('lora_bias', name, settings.map(([path, s]) => [path, s.lora_bias]));
  const { revision, ...described } = description;
  return {
    ...described,
    alpha_pattern: alpha.pattern,
    bias: single('bias', name, settings.map(([path, s]) => [path, s.bias])),
    // PEFT sets it per layer anyway (true for Conv1D, false for nn.Linear, with a warning); GPT-2's configs say true.
    fan_in_fan_out: layers.some(([, layer]) => layer instanceof LinearLoraLayer && layer.fan_in_fan_out),
    inference_mode: true,
    // Only matters to PEFT when it makes a fresh adapter; the seed post's randn is not one of its choices.
    init_lora_weights: INIT_TO_PEFT[common(settings.map(([path, s]) => [path, s.init])).value],
    lora_alpha: alpha.value,
    // Written only when set or asked for: PEFT before 0.14 refuses keys it does not know.
    ...(loraBias ? { lora_bias: true } : {}),
    ...(revision !== null ? { revision } : {}),
    lora_dropout: common(settings.map(([path, s]) => [path, s.dropout])).value,
    modules_to_save: saved.length > 0 ? [...saved].sort() : null,
    peft_type: 'LORA',
    r: rank.value,
    rank_pattern: rank.pattern,
    target_modules: targetsFor(model, paths, saved),
    use_dora: single('use_dora', name, settings.map(([path, s]) => [path, s.use_dora])),
    use_rslora: single('use_rslora', name, settings.map(([path, s]) => [path, s.use_rslora])),
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
}

/** Python's `json.dumps(config, indent=2, sort_keys=True)`, as PEFT writes it (lora_dropout a float). */
export function peftConfigJson(config: PeftLoraConfig): string {
  const text = JSON.stringify(sortKeys(config), null, 2);
  return text.replace(/^( {2}"lora_dropout": )(-?\d+)(,?)$/m, '$1$2.0$3');
}

// Keys that describe the adapter (where its base model is, what PEFT builds, who wrote it)
// without changing its numbers: a user may edit them by hand, so the hash leaves them out.
const DESCRIPTIVE = new Set(['base_model_name_or_path', 'revision', 'task_type', 'inference_mode', 'auto_mapping', 'peft_version']);

const sha256 = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

/** @internal The SHA-256 of a config's settings: its keys but the descriptive ones, sorted, as compact JSON. */
export function settingsHash(config: Record<string, unknown>): string {
  return sha256(JSON.stringify(sortKeys(Object.fromEntries(Object.entries(config).filter(([key]) => !DESCRIPTIVE.has(key))))));
}

/** @internal Whether `recorded` (the weights' metadata) names this config: its settings' hash, or the bytes' hash of saves before the settings hash. */
export function sameSave(recorded: string, bytes: Uint8Array, config: Record<string, unknown>): boolean {
  return recorded === settingsHash(config) || recorded === sha256(bytes);
}

// ---- reading ----

const none = (value: unknown): boolean => value === undefined || value === null;
const unset = (value: unknown): boolean => none(value) || value === false || (Array.isArray(value) && value.length === 0);

/**
 * Settings PEFT 0.21 may write that change the computation and that torchlora does not implement:
 * refused rather than ignored, since ignoring them would give other numbers. Each with what is
 * accepted instead.
 */
const UNSUPPORTED: [string, string, (value: unknown) => boolean][] = [
  ['bias', '"none" or "lora_only" (training every bias of the model is not implemented)', (value) => !none(value) && value !== 'none' && value !== 'lora_only'],
  ['layer_replication', 'null', (value) => !none(value)],
  ['trainable_token_indices', 'null', (value) => !none(value)],
  ['target_parameters', 'null', (value) => !unset(value)],
  ['use_qalora', 'false', (value) => value === true],
  ['alora_invocation_tokens', 'null', (value) => !none(value)],
  ['arrow_config', 'null', (value) => !none(value)],
  ['velora_config', 'null', (value) => !none(value)],
  ['monteclora_config', 'null', (value) => !none(value)],
  ['kasa_config', 'null', (value) => !none(value)],
  ['use_bdlora', 'null', (value) => !none(value)],
  ['megatron_config', 'null', (value) => !none(value)],
  ['ensure_weight_tying', 'false', (value) => value === true],
];
/** init_lora_weights values that only chose the first A and B: a trained adapter's numbers are plain LoRA's. */
const PLAIN_INITS = new Set<unknown>([true, false, 'gaussian', 'eva', 'orthogonal']);

/** @internal adapter_config.json in `dir`: its bytes (hashed as they are) and the JSON object. */
export function readConfigFile(dir: string): { bytes: Uint8Array; config: Record<string, unknown> } {
  const path = join(dir, CONFIG);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw fileError(error, 'dir', dir, `an adapter folder with ${CONFIG}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new TypeError(`Expected JSON for ${path} but received text that does not parse: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) fail('a JSON object', path, config);
  return { bytes, config: config as Record<string, unknown> };
}

/** @internal The adapter config `c` describes, named `adapter`, checked as lora_apply checks its options: the edge of lora_load. */
export function configSettings(c: Record<string, unknown>, adapter: string): LoraSettings {
  if (c.peft_type !== undefined && c.peft_type !== 'LORA') fail('"LORA"', `${CONFIG} peft_type`, c.peft_type);
  const r = checkPositiveInteger(c.r, `${CONFIG} r`);
  const alpha = checkFinite(c.lora_alpha, `${CONFIG} lora_alpha`);
  if (none(c.target_modules)) fail('a list of module names or a regular expression', `${CONFIG} target_modules`, c.target_modules);
  for (const [key, accepted, unsupported] of UNSUPPORTED) {
    if (unsupported(c[key])) fail(`${accepted} (torchlora does not implement this setting)`, `${CONFIG} ${key}`, c[key]);
  }
  if (c.init_lora_weights !== undefined && !PLAIN_INITS.has(c.init_lora_weights)) {
    fail('true, false, "gaussian", "eva" or "orthogonal" (the other inits change the base weights or the forward; torchlora does not implement them)', `${CONFIG} init_lora_weights`, c.init_lora_weights);
  }
  const target_modules = configTargets(c.target_modules, 'target_modules');
  const use_dora = checkBoolean(c.use_dora ?? false, `${CONFIG} use_dora`);
  const lora_bias = checkBoolean(c.lora_bias ?? false, `${CONFIG} lora_bias`);
  if (use_dora && lora_bias) fail('lora_bias false with use_dora (PEFT refuses the pair)', `${CONFIG} lora_bias`, lora_bias);
  checkBoolean(c.fan_in_fan_out ?? false, `${CONFIG} fan_in_fan_out`); // PEFT decides it per layer kind, as lora_load does
  return Object.freeze({
    adapter: checkAdapterName(adapter),
    target_modules,
    exclude_modules: unset(c.exclude_modules) || c.exclude_modules === '' ? null : configTargets(c.exclude_modules, 'exclude_modules'),
    layers: layerFilter(c.layers_to_transform, c.layers_pattern, target_modules, `${CONFIG} `),
    modules_to_save: checkModulesToSave(c.modules_to_save, `${CONFIG} modules_to_save`),
    // Descriptive: kept for lora_save when it is one of PEFT's.
    task_type: PEFT_TASK_TYPES.includes(c.task_type as PeftTaskType) ? c.task_type as PeftTaskType : null,
    rank_pattern: checkPattern(c.rank_pattern, `${CONFIG} rank_pattern`),
    alpha_pattern: checkPattern(c.alpha_pattern, `${CONFIG} alpha_pattern`),
    r,
    alpha,
    dropout: checkDropout(c.lora_dropout ?? 0, `${CONFIG} lora_dropout`),
    init: c.init_lora_weights === 'gaussian' ? 'gaussian' : c.init_lora_weights === false ? 'none' : 'kaiming',
    use_rslora: checkBoolean(c.use_rslora ?? false, `${CONFIG} use_rslora`),
    use_dora,
    lora_bias,
    bias: c.bias === 'lora_only' ? 'lora_only' : 'none',
  });
}

/** target_modules or exclude_modules as PEFT reads them: a string is a regular expression matched against the whole path. */
function configTargets(target: unknown, name: string): TargetTest {
  if (typeof target === 'string' && !(name === 'target_modules' && target.toLowerCase() === 'all-linear')) {
    try {
      return fullMatcher(target, JSON.stringify(target));
    } catch {
      return fail('a list of module names or a regular expression', `${CONFIG} ${name}`, target);
    }
  }
  return targetMatcher(typeof target === 'string' ? 'all-linear' : target, `${CONFIG} ${name}`);
}

/**
 * The adapter_config.json of an adapter folder, checked as lora_load checks it (a setting
 * torchlora does not implement is refused by name): where its base model is
 * (`base_model_name_or_path`, `revision`), its `task_type`, and its settings.
 *
 * @example
 * const { base_model_name_or_path, task_type } = lora_config('adapters/task_a');
 */
export function lora_config(dir: string): Readonly<PeftLoraConfig> {
  checkPath(dir, 'dir', 'a folder path');
  const { config } = readConfigFile(dir);
  configSettings(config, 'default');
  return Object.freeze(config) as Readonly<PeftLoraConfig>;
}
