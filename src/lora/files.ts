// Adapters on disk in Hugging Face PEFT's format: a folder with
// adapter_model.safetensors (keys `base_model.model.<path>.lora_A.weight`, adapter name
// removed) and adapter_config.json (PEFT's keys only, sorted, indent 2). A save writes a
// whole new folder and swaps it in (atomic.ts), so a crash leaves the old adapter or the new
// one; the weights' metadata records the config's SHA-256, so a pair from two saves is
// refused. Loading checks every key and shape against the model before it changes anything.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { recoverFolder, removeLeftovers, writeFileDurable, writeFolderAtomic } from '../io/atomic.js';
import { with_no_grad } from '../ops/autograd.js';
import { isFloatingDtype } from '../core/dtype.js';
import { checkPath, fileError, makeFolder } from '../io/filesystem.js';
import type { nn_Module } from '../nn/module.js';
import { readSafetensorsFile, safetensorsWriter } from '../io/safetensors.js';
import type { Tensor } from '../ops/tensor.js';
import { checkBoolean, checkFinite, checkOptions, checkPositiveInteger, fail } from '../core/validate.js';
import { chosenAdapter } from './adapters.js';
import { applyPlan, planAdapter, type PlanItem } from './apply.js';
import type { LoraLayer } from './layer.js';
import { baseOf, layersWith, plainModules } from './model.js';
import {
  ADAPTER_OPTION_KEYS, checkAdapterName, checkDropout, checkPattern, nameMatcher, patternValue, targetMatcher, targetTest,
  type AdapterOptions, type AdapterSettings, type LoraInit, type LoraSettings, type TargetTest,
} from './settings.js';

/** The adapter tensors' file name in an adapter folder. */
export const LORA_WEIGHTS_NAME = 'adapter_model.safetensors';
/** The adapter settings' file name in an adapter folder. */
export const LORA_CONFIG_NAME = 'adapter_config.json';
const PREFIX = 'base_model.model';
/**
 * The weights' metadata key holding the SHA-256 (hex) of the adapter_config.json bytes saved
 * with them. PEFT reads only "format" from the metadata; files it wrote lack this key.
 */
export const LORA_CONFIG_HASH_KEY = 'torchlora_config_sha256';

/** adapter_config.json as PEFT reads it (the keys written here; others are kept when read). */
export interface PeftLoraConfig {
  alpha_pattern: Record<string, number>;
  base_model_name_or_path: string | null;
  bias: 'none';
  fan_in_fan_out: boolean;
  inference_mode: boolean;
  init_lora_weights: boolean | string;
  lora_alpha: number;
  lora_dropout: number;
  modules_to_save: string[] | null;
  peft_type: 'LORA';
  r: number;
  rank_pattern: Record<string, number>;
  target_modules: string[] | string;
  task_type: string | null;
  use_dora: boolean;
  use_rslora: boolean;
  [key: string]: unknown;
}

function fileKey(path: string, suffix: string): string {
  return [PREFIX, path, suffix].filter((part) => part !== '').join('.');
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
function targetsFor(model: nn_Module, paths: string[]): string[] | string {
  const names = [...new Set(paths.map((path) => path.slice(path.lastIndexOf('.') + 1)))].sort();
  const matches = nameMatcher(names);
  const wanted = new Set(paths);
  const exact = !wanted.has('') && plainModules(model).every(([path]) => path === '' || matches(path) === wanted.has(path));
  return exact ? names : paths.map(escapeRegex).join('|');
}

const INIT_TO_PEFT: Record<LoraInit, boolean | string> = { kaiming: true, gaussian: 'gaussian', randn: false };

/** @internal The adapter_config.json PEFT needs to rebuild adapter `name` of `model`. */
export function peftConfig(model: nn_Module, name: string, layers: [string, LoraLayer][]): PeftLoraConfig {
  const paths = layers.map(([path]) => path);
  const settings: [string, AdapterSettings][] = layers.map(([path, layer]) => [path, layer.settings[name]!]);
  const rslora = common(settings.map(([path, s]) => [path, s.use_rslora]));
  if (rslora.others.length > 0) {
    throw new TypeError(`Expected one use_rslora for every layer of adapter "${name}" but received both (PEFT's config has one); "${rslora.others[0]![0]}" differs`);
  }
  const rank = patternFor(settings.map(([path, s]) => [path, s.r]), paths);
  const alpha = patternFor(settings.map(([path, s]) => [path, s.alpha]), paths);
  return {
    alpha_pattern: alpha.pattern,
    base_model_name_or_path: null,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    // Only matters to PEFT when it makes a fresh adapter; the seed post's randn is not one of its choices.
    init_lora_weights: INIT_TO_PEFT[common(settings.map(([path, s]) => [path, s.init])).value],
    lora_alpha: alpha.value,
    lora_dropout: common(settings.map(([path, s]) => [path, s.dropout])).value,
    modules_to_save: null,
    peft_type: 'LORA',
    r: rank.value,
    rank_pattern: rank.pattern,
    target_modules: targetsFor(model, paths),
    task_type: null,
    use_dora: false,
    use_rslora: rslora.value,
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

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

// A save swaps the whole folder and deletes the old one: the working folder must not be in it.
function checkSaveFolder(dir: unknown): string {
  checkPath(dir, 'dir', 'a folder path');
  const real = existsSync(dir as string) ? realpathSync(dir as string) : resolve(dir as string);
  const cwd = process.cwd();
  if (cwd === real || cwd.startsWith(real.endsWith(sep) ? real : real + sep)) {
    fail(`a folder that does not hold the working folder ${JSON.stringify(cwd)} (a save replaces the folder whole)`, 'dir', dir);
  }
  return dir as string;
}

/**
 * Saves one adapter (the active one by default) in PEFT's format: `dir/adapter_model.safetensors`
 * with `base_model.model.<path>.lora_A.weight` and friends (metadata `{"format": "pt"}` and
 * the config's SHA-256), and `dir/adapter_config.json`. All or nothing: a complete new folder
 * is written next to `dir` and swapped in, so a crash at any point leaves the old adapter or
 * the new one. Other entries of `dir` (PEFT's README.md, other adapters' subfolders) are kept.
 * Missing parent folders are made; `dir` must not hold the working folder (it is replaced). Python loads it with `PeftModel.from_pretrained(model, dir)`.
 *
 * @example
 * lora_save(model, 'adapters/task_a', { adapter: 'task_a' });
 */
export function lora_save(model: nn_Module, dir: string, options?: AdapterOptions): void {
  checkSaveFolder(dir);
  const { adapter } = checkOptions(options, ADAPTER_OPTION_KEYS, 'lora_save');
  const name = chosenAdapter(model, adapter);
  const layers = layersWith(model, name);
  const tensors: Record<string, Tensor> = {};
  for (const [path, layer] of layers) {
    for (const [suffix, tensor] of Object.entries(layer.adapter_state(name))) tensors[fileKey(path, suffix)] = tensor.detach();
  }
  const config = Buffer.from(peftConfigJson(peftConfig(model, name, layers)), 'utf8');
  const weights = safetensorsWriter(tensors, { format: 'pt', [LORA_CONFIG_HASH_KEY]: sha256(config) }, `lora_save(${JSON.stringify(dir)})`);
  makeFolder(dirname(resolve(dir)), 'dir', dir);
  try {
    // Killed saves of earlier versions left temporaries inside the folder: not carried over.
    for (const file of [LORA_CONFIG_NAME, LORA_WEIGHTS_NAME]) removeLeftovers(join(dir, file));
    writeFolderAtomic(dir, (folder) => {
      writeFileDurable(join(folder, LORA_CONFIG_NAME), (write) => write(config));
      writeFileDurable(join(folder, LORA_WEIGHTS_NAME), weights);
    });
  } catch (error) {
    throw fileError(error, 'dir', dir, 'a folder path where an adapter can be written');
  }
}

// ---- reading ----

const CONFIG = LORA_CONFIG_NAME;

// Settings PEFT may write that change the computation and that torchlora does not implement:
// refused rather than ignored, since ignoring them would give other numbers.
const UNSUPPORTED: [string, (value: unknown) => boolean][] = [
  ['use_dora', (value) => value === true],
  ['bias', (value) => value !== undefined && value !== 'none'],
  ['fan_in_fan_out', (value) => value === true],
  ['modules_to_save', (value) => Array.isArray(value) && value.length > 0],
  ['layers_to_transform', (value) => value !== undefined && value !== null],
  ['lora_bias', (value) => value === true],
  ['exclude_modules', (value) => value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)],
  ['layer_replication', (value) => value !== undefined && value !== null],
  ['trainable_token_indices', (value) => value !== undefined && value !== null],
];

/** adapter_config.json's bytes (hashed as they are) and the adapter it describes, named `adapter`. */
function readConfig(dir: string, adapter: string): { bytes: Buffer; settings: LoraSettings } {
  const path = join(dir, CONFIG);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw fileError(error, 'dir', dir, `an adapter folder with ${CONFIG}`);
  }
  return { bytes, settings: configSettings(parseConfig(bytes, path), adapter) };
}

/** The JSON object in the config's bytes, read from `path`. */
function parseConfig(bytes: Buffer, path: string): Record<string, unknown> {
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new TypeError(`Expected JSON for ${path} but received text that does not parse: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) fail('a JSON object', path, config);
  return config as Record<string, unknown>;
}

/** The adapter config `c` describes, checked as lora_apply checks its options: the edge of lora_load. */
function configSettings(c: Record<string, unknown>, adapter: string): LoraSettings {
  if (c.peft_type !== undefined && c.peft_type !== 'LORA') fail('"LORA"', `${CONFIG} peft_type`, c.peft_type);
  const r = checkPositiveInteger(c.r, `${CONFIG} r`);
  const alpha = checkFinite(c.lora_alpha, `${CONFIG} lora_alpha`);
  if (c.target_modules === undefined || c.target_modules === null) fail('a list of module names or a regular expression', `${CONFIG} target_modules`, c.target_modules);
  for (const [key, unsupported] of UNSUPPORTED) {
    if (unsupported(c[key])) fail(`${key === 'bias' ? '"none"' : 'its default'} (torchlora does not implement this setting)`, `${CONFIG} ${key}`, c[key]);
  }
  return Object.freeze({
    adapter,
    target_modules: configTargets(c.target_modules),
    rank_pattern: checkPattern(c.rank_pattern, `${CONFIG} rank_pattern`),
    alpha_pattern: checkPattern(c.alpha_pattern, `${CONFIG} alpha_pattern`),
    r,
    alpha,
    dropout: checkDropout(c.lora_dropout ?? 0),
    init: initFrom(c.init_lora_weights),
    use_rslora: checkBoolean(c.use_rslora ?? false, 'use_rslora'),
  });
}

/** target_modules as PEFT reads them: a string is a regular expression matched against the whole path. */
function configTargets(target: unknown): TargetTest {
  if (typeof target === 'string' && target !== 'all-linear') {
    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${target})$`);
    } catch {
      return fail('a list of module names or a regular expression', `${CONFIG} target_modules`, target);
    }
    return targetTest((path) => regex.test(path), JSON.stringify(target));
  }
  return targetMatcher(target);
}

function initFrom(value: unknown): LoraInit {
  return value === 'gaussian' ? 'gaussian' : 'kaiming';
}

function shapeText(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The file's tensors must be exactly the plan's, each of its shape; throws naming the first that is not. */
function checkTensors(tensors: Record<string, Tensor>, items: PlanItem[], weightsPath: string): void {
  const expected = new Map<string, { shape: number[]; r: number }>();
  for (const item of items) {
    for (const [suffix, shape] of Object.entries(item.kind.shapes(baseOf(item.module), item.settings.r))) expected.set(fileKey(item.path, suffix), { shape, r: item.settings.r });
  }
  for (const [key, { shape, r }] of expected) {
    const tensor = tensors[key];
    if (tensor === undefined) {
      throw new RangeError(`Expected a tensor "${key}" for ${weightsPath} but received a file without it (${CONFIG} targets that layer); nothing was loaded`);
    }
    if (!isFloatingDtype(tensor.dtype)) throw new TypeError(`Expected a floating-point tensor for "${key}" but received ${tensor.dtype}; nothing was loaded`);
    if (shapeText(tensor.shape) !== shapeText(shape)) {
      throw new RangeError(`Expected shape ${shapeText(shape)} (the model's layer with r = ${r} from ${CONFIG}) for "${key}" but received shape ${shapeText(tensor.shape)}; nothing was loaded`);
    }
  }
  for (const key of Object.keys(tensors)) {
    if (!expected.has(key)) throw new RangeError(`Expected only tensors of the layers ${CONFIG} targets in ${weightsPath} but received "${key}", which matches none; nothing was loaded`);
  }
}

/** The weights must record the hash of this config, when they record one (PEFT's do not). */
function checkSameSave(metadata: Record<string, string>, config: Buffer, dir: string): void {
  const recorded = metadata[LORA_CONFIG_HASH_KEY];
  if (recorded === undefined || recorded === sha256(config)) return;
  throw new TypeError(`Expected ${CONFIG} and ${LORA_WEIGHTS_NAME} from one save for dir but received ${JSON.stringify(dir)}, whose two files come from different saves (the weights record config SHA-256 ${recorded}, the config's is ${sha256(config)}); nothing was loaded`);
}

/**
 * Loads a PEFT-format adapter folder into `model` as adapter `adapter` ("default"): the
 * layers adapter_config.json targets get LoRA (an adapter of the same name is replaced),
 * then A and B are copied from adapter_model.safetensors. Every key, shape and setting is
 * checked first; on any mismatch nothing changes and the error names the offending key.
 * Unknown config keys are ignored; `r`, `lora_alpha` and `target_modules` are required.
 * Weights saved by lora_save must come with the config of the same save (a hash checks it).
 * A save that was killed half-way is finished first. Returns `model`.
 *
 * @example
 * const model = lora_load(make_base_model(), 'adapters/task_a', { adapter: 'task_a' });
 */
export function lora_load<M extends nn_Module>(model: M, dir: string, options?: AdapterOptions): M {
  checkPath(dir, 'dir', 'a folder path');
  const adapter = checkAdapterName(checkOptions(options, ADAPTER_OPTION_KEYS, 'lora_load').adapter ?? 'default');
  try {
    recoverFolder(dir); // a save killed between its two renames (where the file system cannot exchange)
  } catch (error) {
    throw fileError(error, 'dir', dir, 'an adapter folder');
  }
  const config = readConfig(dir, adapter);
  const items = planAdapter(model, config.settings, true);
  const weightsPath = join(dir, LORA_WEIGHTS_NAME);
  if (!existsSync(weightsPath)) {
    const old = existsSync(join(dir, 'adapter_model.bin')) ? ' (adapter_model.bin, a pickle, is not read: save with safe_serialization=True)' : '';
    fail(`an adapter folder with ${LORA_WEIGHTS_NAME}${old}`, 'dir', dir);
  }
  const { tensors, metadata } = readSafetensorsFile(weightsPath, undefined, `lora_load(${JSON.stringify(dir)}): ${LORA_WEIGHTS_NAME}`, 'dir');
  try {
    checkSameSave(metadata, config.bytes, dir);
    checkTensors(tensors, items, weightsPath);
    const layers = applyPlan(model, items, adapter);
    with_no_grad(() => {
      items.forEach((item, i) => {
        for (const [suffix, tensor] of Object.entries(layers[i]!.adapter_state(adapter))) tensor.copy_(tensors[fileKey(item.path, suffix)]!);
      });
    });
  } finally {
    for (const tensor of Object.values(tensors)) tensor.dispose();
  }
  return model;
}
