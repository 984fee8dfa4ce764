// Adapters on disk in Hugging Face PEFT's format: a folder with
// adapter_model.safetensors (keys `base_model.model.<path>.lora_A.weight`, adapter name
// removed) and adapter_config.json (config.ts). A save writes a whole new folder and swaps it
// in (atomic.ts), so a crash leaves the old adapter or the new one; the weights' metadata
// records the SHA-256 of the config's settings, so a pair from two saves is refused. Loading
// checks every key and shape against the model before it changes anything.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { recoverFolder, removeLeftovers, writeFileDurable, writeFolderAtomic } from '../io/atomic.js';
import { with_no_grad } from '../ops/autograd.js';
import { isFloatingDtype } from '../core/dtype.js';
import { checkPath, fileError, makeFolder } from '../io/filesystem.js';
import type { nn_Module } from '../nn/module.js';
import { readSafetensorsFile, safetensorsWriter } from '../io/safetensors.js';
import type { Tensor } from '../ops/tensor.js';
import { checkBoolean, checkOptions, fail, optionKeys } from '../core/validate.js';
import { chosenAdapter } from './adapters.js';
import { applyPlan, planAdapter, taskTypeOf, type Plan } from './apply.js';
import {
  configSettings, LORA_CONFIG_NAME, peftConfig, peftConfigJson, readConfigFile, sameSave, settingsHash, type PeftTaskType,
} from './config.js';
import type { LoraLayer } from './layer.js';
import { baseOf, layersWith, saved_modules } from './model.js';
import { ModulesToSaveWrapper } from './modules_to_save.js';
import { ADAPTER_OPTION_KEYS, checkAdapterName, checkTaskType, type AdapterOptions } from './settings.js';

/** The adapter tensors' file name in an adapter folder. */
export const LORA_WEIGHTS_NAME = 'adapter_model.safetensors';
const CONFIG = LORA_CONFIG_NAME;
const PREFIX = 'base_model.model';
/**
 * The weights' metadata key holding the SHA-256 (hex) of the settings of the
 * adapter_config.json saved with them (every key but base_model_name_or_path, revision,
 * task_type, inference_mode, auto_mapping and peft_version, which may be edited by hand), or,
 * from saves before those could be set, of the file's bytes. PEFT reads only "format" from
 * the metadata; files it wrote lack this key.
 */
export const LORA_CONFIG_HASH_KEY = 'torchlora_config_sha256';
/** PEFT's names of the embedding layers whose whole weight it saves with an adapter that targets them. */
const EMBEDDING_LAYER_NAMES = ['embed_tokens', 'lm_head'];

function fileKey(path: string, suffix: string): string {
  return [PREFIX, path, suffix].filter((part) => part !== '').join('.');
}

/** lora_save's options. */
export interface LoraSaveOptions extends AdapterOptions {
  /** The base model's folder or Hub id, for `AutoPeftModelForCausalLM.from_pretrained(dir)` (null). */
  base_model_name_or_path?: string | null;
  /** PEFT's TaskType: "CAUSAL_LM", "SEQ_CLS", "SEQ_2_SEQ_LM", "TOKEN_CLS", "QUESTION_ANS" or "FEATURE_EXTRACTION" (by default the one lora_apply or lora_load gave the adapter, else null). */
  task_type?: PeftTaskType | null;
  /** The base model's Hub revision (written only when given). */
  revision?: string | null;
  /**
   * Also save the whole base weight of each targeted layer named embed_tokens or lm_head as
   * `<path>.base_layer.weight`, as PEFT's save_embedding_layers (false): for a vocabulary that grew.
   */
  save_embedding_layers?: boolean;
}

const SAVE_OPTION_KEYS = optionKeys<LoraSaveOptions>({ adapter: true, base_model_name_or_path: true, task_type: true, revision: true, save_embedding_layers: true });

function nullableString(value: unknown, name: string): string | null {
  if (value !== null && (typeof value !== 'string' || value === '')) fail('a non-empty string or null', name, value);
  return value as string | null;
}

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
 * Missing parent folders are made; `dir` must not hold the working folder (it is replaced). Python loads it with `PeftModel.from_pretrained(model, dir)`,
 * or, given `base_model_name_or_path` and `task_type`, with `AutoPeftModelForCausalLM.from_pretrained(dir)`.
 * Modules to save are written whole (`base_model.model.<path>.weight`).
 *
 * @example
 * lora_save(model, 'adapters/task_a', { adapter: 'task_a' });
 * lora_save(model, 'adapters/chat', { base_model_name_or_path: 'models/llama', task_type: 'CAUSAL_LM' });
 */
export function lora_save(model: nn_Module, dir: string, options?: LoraSaveOptions): void {
  checkSaveFolder(dir);
  const { adapter, base_model_name_or_path = null, task_type, revision = null, save_embedding_layers = false } = checkOptions(options, SAVE_OPTION_KEYS, 'lora_save');
  const checkedTask = task_type === undefined ? undefined : checkTaskType(task_type);
  checkBoolean(save_embedding_layers, 'save_embedding_layers');
  const name = chosenAdapter(model, adapter);
  const description = {
    base_model_name_or_path: nullableString(base_model_name_or_path, 'base_model_name_or_path'),
    task_type: checkedTask === undefined ? taskTypeOf(model, name) : checkedTask,
    revision: nullableString(revision, 'revision'),
  };
  const layers = layersWith(model, name);
  const saved = saved_modules(model).filter(([, wrapper]) => wrapper.adapters.includes(name));
  const tensors: Record<string, Tensor> = {};
  for (const [path, layer] of layers) {
    for (const [suffix, tensor] of Object.entries(layer.adapter_state(name))) tensors[fileKey(path, suffix)] = tensor.detach();
    if (save_embedding_layers && EMBEDDING_LAYER_NAMES.includes(path.slice(path.lastIndexOf('.') + 1))) tensors[fileKey(path, 'base_layer.weight')] = layer.base_layer.weight.detach();
  }
  for (const [path, wrapper] of saved) {
    for (const [key, tensor] of Object.entries(wrapper.adapter_state(name))) tensors[fileKey(path, key)] = tensor.detach();
  }
  const settings = peftConfig(model, name, layers, saved.map(([path]) => path), description);
  const config = Buffer.from(peftConfigJson(settings), 'utf8');
  const weights = safetensorsWriter(tensors, { format: 'pt', [LORA_CONFIG_HASH_KEY]: settingsHash(settings) }, `lora_save(${JSON.stringify(dir)})`);
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

/** Where a file tensor goes once the plan is carried out, and the shape it must have. */
interface Destination {
  shape: number[];
  /** Why the key is expected, for messages. */
  why: string;
  /** The model's tensor it is copied into. */
  tensor: () => Tensor;
  /** Whether the file may lack it (PEFT writes base_layer.weight only for resized embeddings). */
  optional?: boolean;
}

/** Every tensor the plan expects from the file, by file key, for adapter `adapter`. */
function destinations(plan: Plan, adapter: string, model: nn_Module): Map<string, Destination> {
  const expected = new Map<string, Destination>();
  for (const item of plan.items) {
    const { r } = item.settings;
    const base = baseOf(item.module) as nn_Module & { weight: Tensor };
    for (const [suffix, shape] of Object.entries(item.kind.shapes(base, item.settings))) {
      expected.set(fileKey(item.path, suffix), { shape, why: `the model's layer with r = ${r} from ${CONFIG}`, tensor: () => layerAt(model, item.path).adapter_state(adapter)[suffix]! });
    }
    // PEFT saves a targeted embedding's whole weight when the vocabulary grew (save_embedding_layers): it replaces the base weight.
    expected.set(fileKey(item.path, 'base_layer.weight'), { shape: base.weight.shape, why: 'the base weight of the layer', tensor: () => layerAt(model, item.path).base_layer.weight, optional: true });
  }
  for (const [path, module] of plan.saves) {
    const original = module instanceof ModulesToSaveWrapper ? module.original_module : module;
    for (const [key, tensor] of Object.entries(original.state_dict())) {
      expected.set(fileKey(path, key), { shape: tensor.shape, why: `"${key}" of the module to save "${path}"`, tensor: () => savedAt(model, path).adapter_state(adapter)[key]! });
    }
  }
  return expected;
}

function layerAt(model: nn_Module, path: string): LoraLayer {
  return (path === '' ? model : model.named_modules()[path]) as LoraLayer;
}

function savedAt(model: nn_Module, path: string): ModulesToSaveWrapper {
  return model.named_modules()[path] as ModulesToSaveWrapper;
}

function shapeText(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The file's tensors must be exactly the plan's, each of its shape; throws naming the first that is not. */
function checkTensors(tensors: Record<string, Tensor>, expected: Map<string, Destination>, weightsPath: string): void {
  for (const [key, { shape, why, optional }] of expected) {
    const tensor = tensors[key];
    if (tensor === undefined) {
      if (optional) continue;
      throw new RangeError(`Expected a tensor "${key}" for ${weightsPath} but received a file without it (${CONFIG} targets that layer); nothing was loaded`);
    }
    if (!isFloatingDtype(tensor.dtype)) throw new TypeError(`Expected a floating-point tensor for "${key}" but received ${tensor.dtype}; nothing was loaded`);
    if (shapeText(tensor.shape) !== shapeText(shape)) {
      throw new RangeError(`Expected shape ${shapeText(shape)} (${why}) for "${key}" but received shape ${shapeText(tensor.shape)}; nothing was loaded`);
    }
  }
  for (const key of Object.keys(tensors)) {
    if (!expected.has(key)) throw new RangeError(`Expected only tensors of the layers and modules to save ${CONFIG} names in ${weightsPath} but received "${key}", which matches none; nothing was loaded`);
  }
}

/** The weights must record the hash of this config, when they record one (PEFT's do not). */
function checkSameSave(metadata: Record<string, string>, bytes: Uint8Array, config: Record<string, unknown>, dir: string): void {
  const recorded = metadata[LORA_CONFIG_HASH_KEY];
  if (recorded === undefined || sameSave(recorded, bytes, config)) return;
  throw new TypeError(`Expected ${CONFIG} and ${LORA_WEIGHTS_NAME} from one save for dir but received ${JSON.stringify(dir)}, whose two files come from different saves (the weights record config SHA-256 ${recorded}, the config's settings have ${settingsHash(config)}); nothing was loaded`);
}

/**
 * Loads a PEFT-format adapter folder into `model` as adapter `adapter` ("default"): the
 * layers adapter_config.json targets get LoRA (an adapter of the same name is replaced), its
 * modules_to_save get their copy, then the tensors are copied from adapter_model.safetensors
 * (a `base_layer.weight` PEFT saved for a resized embedding replaces the base weight). Every
 * key, shape and setting is checked first; on any mismatch nothing changes and the error
 * names the offending key. Unknown config keys are ignored, settings torchlora does not
 * implement are refused by name; `r`, `lora_alpha` and `target_modules` are required.
 * Weights saved by lora_save must come with the config of the same save (a hash of its
 * settings checks it; base_model_name_or_path, task_type and revision may be edited).
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
  const { bytes, config } = readConfigFile(dir);
  const plan = planAdapter(model, configSettings(config, adapter), true);
  const weightsPath = join(dir, LORA_WEIGHTS_NAME);
  if (!existsSync(weightsPath)) {
    const old = existsSync(join(dir, 'adapter_model.bin')) ? ' (adapter_model.bin, a pickle, is not read: save with safe_serialization=True)' : '';
    fail(`an adapter folder with ${LORA_WEIGHTS_NAME}${old}`, 'dir', dir);
  }
  const { tensors, metadata } = readSafetensorsFile(weightsPath, undefined, `lora_load(${JSON.stringify(dir)}): ${LORA_WEIGHTS_NAME}`, 'dir');
  try {
    checkSameSave(metadata, bytes, config, dir);
    const expected = destinations(plan, adapter, model);
    checkTensors(tensors, expected, weightsPath);
    applyPlan(model, plan, adapter);
    with_no_grad(() => {
      for (const [key, tensor] of Object.entries(tensors)) expected.get(key)!.tensor().copy_(tensor);
    });
  } finally {
    for (const tensor of Object.values(tensors)) tensor.dispose();
  }
  return model;
}
