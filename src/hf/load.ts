// hf_load and hf_save: a Hugging Face model folder (config.json and its weights) to an
// nn_module whose parameter names are transformers' own, and back. Loading builds the module
// on the "meta" device (shapes, no memory, no random initialisation), then makes each
// parameter as its tensor is read from the files, so at no time are two copies of the weights
// held; a name missing from the files is accepted only where the module ties it to one present
// (lm_head.weight to model.embed_tokens.weight), and any other missing or unexpected name is
// refused before a byte of weights is read (safetensors) or before any is kept (.bin). The one
// exception is transformers' head swap (`class` other than the files' architecture, as
// BertForSequenceClassification.from_pretrained on a pre-trained BERT): whole modules the files
// lack are made with transformers' initialisation, the files' other heads are left unread, and
// a warning names both.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dtypeName, dtypeCode, isFloatingDtype, type DType, type DTypeLike } from '../core/dtype.js';
import { torch_empty } from '../ops/creation.js';
import type { Tensor } from '../ops/tensor.js';
import { checkDevice, checkOptions, fail, failRange, optionKeys, sameShape } from '../core/validate.js';
import { currentDefaultDevice } from '../core/device.js';
import { nn_Module } from '../nn/module.js';
import { is_nn_parameter, nn_buffer, nn_parameter } from '../nn/registry.js';
import { LayerNorm } from '../nn/layers.js';
import { nn_init_ones_, nn_init_zeros_ } from '../nn/init.js';
import { with_no_grad } from '../ops/autograd.js';
import { stateEntries } from '../nn/state_dict.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkPath, makeFolder } from '../io/filesystem.js';
import { safetensorsWriter } from '../io/safetensors.js';
import type { HfConfig } from './config.js';
import { initHfWeights } from './config_fields.js';
import { makerFor } from './registry.js';
import { checkpointFiles, readCheckpoint, readJson, type CheckpointFiles, type CheckpointTensor } from './weights.js';
// Each architecture registers itself when its file is loaded.
import './llama.js';
import './gpt2_heads.js';
import './bert_heads.js';

/** What `hf_load` accepts. */
export interface HfLoadOptions {
  /** The dtype of the floating-point parameters: "float32" (the default, whatever the files hold), "bfloat16", "float16", "float64". */
  dtype?: DTypeLike;
  /** Where the parameters are made (the default device: "cpu", or what `with_device` set; "cuda" for a GPU). */
  device?: string;
  /**
   * The transformers class to build (config.json's `architectures[0]` by default), e.g.
   * "LlamaModel" for no LM head. Another head than the files' (a classifier on a pre-trained
   * encoder) is made as transformers makes it: the modules the files lack get transformers'
   * initialisation, the files' other heads are not read, and a warning names both.
   */
  class?: string;
  /** Fields that replace config.json's, as from_pretrained's keyword arguments (`{ num_labels: 3 }`); checked as config.json's. */
  config?: HfConfig;
}

const LOAD_KEYS = optionKeys<HfLoadOptions>({ dtype: true, device: true, class: true, config: true });

const list = (names: string[]): string => names.slice(0, 8).map((name) => JSON.stringify(name)).join(', ') + (names.length > 8 ? ` and ${names.length - 8} more` : '');

/**
 * Loads a Hugging Face model folder (what `save_pretrained` writes, or a model downloaded from
 * the Hub): config.json picks the architecture, and the weights come from `model.safetensors`,
 * a sharded `model.safetensors.index.json`, or `pytorch_model.bin`, converted to `dtype`
 * (float32 by default, as transformers' `from_pretrained`). The module's names are
 * transformers' (`model.layers.0.self_attn.q_proj.weight`), so `state_dict()`, PEFT's
 * `target_modules` and `hf_save` line up with Python. Returned in eval mode, as
 * `from_pretrained` does.
 *
 * @example
 * const model = hf_load<LlamaForCausalLM>('/models/TinyLlama-1.1B', { dtype: 'bfloat16' });
 * const { logits } = model(input_ids);
 */
export function hf_load<M extends nn_Module = nn_Module>(dir: string, options: HfLoadOptions = {}): M {
  checkPath(dir, 'dir', 'a model folder path');
  const { dtype: given = 'float32', device: givenDevice = currentDefaultDevice() ?? 'cpu', class: className } = checkOptions(options, LOAD_KEYS, 'hf_load');
  const dtype = dtypeName(dtypeCode(given));
  if (!isFloatingDtype(dtype)) failRange('a floating-point dtype (float32, bfloat16, float16, float64)', 'dtype', given);
  const device = checkDevice(givenDevice);
  if (className !== undefined && typeof className !== 'string') fail('a transformers class name', 'class', className);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TypeError(`Expected a model folder for dir but received ${JSON.stringify(dir)}: no such folder`);
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new TypeError(`Expected a model folder with a config.json for dir but received ${JSON.stringify(dir)}, which has none`);
  const files = readJson(configPath);
  const config = withOverrides(files, options.config);
  const { make, ignored_keys } = makerFor(config, className);
  const checkpoint = checkpointFiles(dir);
  const model = make(config, { dtype, device: 'meta' });
  const headSwap = className !== undefined && Array.isArray(files.architectures) && files.architectures[0] !== className;
  const report = loadWeights(model, checkpoint, { dtype, device, ignored: ignored_keys, headSwap });
  if (report.made.length > 0) initialise(model, report.made, config);
  warnHeadSwap(model, checkpoint.files[0]!, report);
  // generate() takes its default eos and pad tokens from here, as transformers does.
  const generation = join(dir, 'generation_config.json');
  if (existsSync(generation)) (model as unknown as { generation_config: HfConfig }).generation_config = readJson(generation);
  return model.to({ dtype, device }).eval() as M;
}

// from_pretrained's config keyword arguments; num_labels alone relabels (LABEL_0...), as
// transformers' num_labels setter does.
function withOverrides(config: HfConfig, overrides: HfConfig | undefined): HfConfig {
  if (overrides === undefined) return config;
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) fail('an object of config.json fields', 'config', overrides);
  const labels = overrides.num_labels;
  if (overrides.id2label !== undefined || typeof labels !== 'number' || !Number.isInteger(labels) || labels <= 0) return { ...config, ...overrides };
  const names = Array.from({ length: labels }, (_, i) => `LABEL_${i}`);
  return { ...config, ...overrides, id2label: Object.fromEntries(names.map((name, i) => [String(i), name])), label2id: Object.fromEntries(names.map((name, i) => [name, i])) };
}

interface LoadReport {
  /** The module's names the files lack, made here (a head swap). */
  made: string[];
  /** The files' names the module has no place for (a head swap). */
  unused: string[];
}

// transformers' _init_weights on each module whose tensors were all missing from the files.
function initialise(model: nn_Module, made: string[], config: HfConfig): void {
  const std = typeof config.initializer_range === 'number' ? config.initializer_range : 0.02;
  const owners = new Set(made.map((name) => name.split('.').slice(0, -1).join('.')));
  const modules = model.named_modules();
  with_no_grad(() => {
    for (const path of owners) {
      const module = modules[path]!;
      if (module instanceof LayerNorm) {
        if (module.weight !== null) nn_init_ones_(module.weight);
        if (module.bias !== null) nn_init_zeros_(module.bias);
      } else {
        initHfWeights(module, std);
      }
    }
  });
}

function warnHeadSwap(model: nn_Module, file: string, { made, unused }: LoadReport): void {
  const name = model.constructor.name;
  if (made.length > 0) {
    process.emitWarning(`${name}'s ${list(made)} are not in ${file}: they are newly initialised, as transformers does. Train them before using the model's predictions`, { code: 'TORCHLORA_HF_NEW_WEIGHTS' });
  }
  if (unused.length > 0) process.emitWarning(`${file}'s ${list(unused)} are not used by ${name}, as transformers leaves another head's weights`, { code: 'TORCHLORA_HF_UNUSED_WEIGHTS' });
}

// Every name of the module's state, by the tensor it names (tied weights: several names).
function namesByTensor(entries: [string, Tensor][]): Map<Tensor, string[]> {
  const names = new Map<Tensor, string[]>();
  for (const [name, tensor] of entries) names.set(tensor, [...(names.get(tensor) ?? []), name]);
  return names;
}

// Puts `tensor` in the module under the dotted `name` (a parameter stays a parameter).
function assign(model: nn_Module, name: string, current: Tensor, tensor: Tensor): void {
  const path = name.split('.');
  const leaf = path.pop()!;
  let owner = model as unknown as Record<string, unknown>;
  for (const part of path) owner = owner[part] as Record<string, unknown>;
  owner[leaf] = is_nn_parameter(current) ? nn_parameter(tensor, current.requires_grad) : nn_buffer(tensor, true);
}

function checkShape(current: Tensor | undefined, name: string, shape: readonly number[] | null): void {
  if (current === undefined || shape === null || sameShape(shape, current.shape)) return;
  throw new RangeError(`Expected shape [${current.shape.join(', ')}] for weight ${JSON.stringify(name)} but the file has [${shape.join(', ')}]`);
}

// transformers' base_model_prefix: a bare model loads its head class's files without their
// prefix ("model." for Llama, "transformer." for GPT-2) and without the head's weights; a head
// class loads a bare model's files with the prefix added.
function prefixRule(files: string[], own: string[]): (name: string) => string | null {
  const ownSet = new Set(own);
  if (files.some((name) => ownSet.has(name))) return (name) => name;
  const first = (names: string[]): Set<string> => new Set(names.map((name) => name.split('.')[0]!));
  for (const prefix of first(files)) {
    const strip = (name: string): string | null => (name.startsWith(`${prefix}.`) ? name.slice(prefix.length + 1) : null);
    if (files.some((name) => ownSet.has(strip(name) ?? ''))) return strip;
  }
  for (const prefix of first(own)) {
    if (files.some((name) => ownSet.has(`${prefix}.${name}`))) return (name) => `${prefix}.${name}`;
  }
  return (name) => name;
}

interface LoadSettings { dtype: DType; device: string; ignored: readonly RegExp[]; headSwap: boolean }

function loadWeights(model: nn_Module, checkpoint: CheckpointFiles, { dtype, device, ignored, headSwap }: LoadSettings): LoadReport {
  const entries = stateEntries(model);
  const byName = new Map(entries);
  const sharing = namesByTensor(entries);
  const made = new Map<Tensor, Tensor>();
  let rename = (name: string): string | null => name;
  let present = new Set<string | null>();
  const report: LoadReport = { made: [], unused: [] };
  const checkNames = (all: [string, readonly number[] | null][]): void => {
    rename = prefixRule(all.map(([name]) => name), [...byName.keys()]);
    present = new Set(all.map(([name]) => rename(name)));
    const unexpected = all.map(([name]) => rename(name)).filter((name): name is string => name !== null && !byName.has(name) && !ignored.some((pattern) => pattern.test(name)));
    let missing = entries.filter(([, tensor]) => !sharing.get(tensor)!.some((name) => present.has(name))).map(([name]) => name);
    if (headSwap) {
      report.made = missing.filter((name) => wholeModuleMissing(name, missing, byName));
      missing = missing.filter((name) => !report.made.includes(name));
      report.unused = unexpected.splice(0);
    }
    const problems = [missing.length > 0 ? `missing ${list(missing)}` : '', unexpected.length > 0 ? `unexpected ${list(unexpected)}` : ''].filter(Boolean);
    if (problems.length > 0) throw new RangeError(`Expected the weights of this ${model.constructor.name} in ${checkpoint.files[0]}${checkpoint.files.length > 1 ? ' and its shards' : ''} but they have ${problems.join('; ')}`);
    for (const [name, shape] of all) checkShape(byName.get(rename(name) ?? ''), name, shape);
  };
  const visit = (source: CheckpointTensor): void => {
    const name = rename(source.name) ?? '';
    const current = byName.get(name);
    // Tied names both in the files (older checkpoints): the first name's values, as transformers' tie_weights.
    const first = current === undefined ? name : sharing.get(current)![0]!;
    if (current === undefined || (first !== name && present.has(first))) return;
    checkShape(current, source.name, source.shape);
    let target = made.get(current) ?? (current.device === 'meta' ? null : current);
    if (target === null) {
      target = torch_empty(current.shape, { dtype: isFloatingDtype(current.dtype) ? dtype : current.dtype, device });
      made.set(current, target);
      for (const name of sharing.get(current)!) assign(model, name, current, target);
    }
    source.readInto(target);
  };
  readCheckpoint(checkpoint, checkNames, visit);
  for (const name of report.made) {
    const current = byName.get(name)!;
    if (made.has(current)) continue;
    const target = torch_empty(current.shape, { dtype: isFloatingDtype(current.dtype) ? dtype : current.dtype, device });
    made.set(current, target);
    for (const alias of sharing.get(current)!) assign(model, alias, current, target);
  }
  const left = [...Object.entries(model.named_parameters()), ...Object.entries(model.named_buffers())].filter(([, tensor]) => tensor.device === 'meta');
  if (left.length > 0) throw new RangeError(`Expected every tensor of this ${model.constructor.name} made after loading but ${list(left.map(([name]) => name))} have no values (a maker must make non-persistent buffers on a real device)`);
  return report;
}

// Whether every tensor of the module holding `name` is missing (a head the files lack, which
// may be made new), rather than some of a module the files have (a broken checkpoint).
function wholeModuleMissing(name: string, missing: string[], byName: Map<string, Tensor>): boolean {
  const owner = name.slice(0, name.lastIndexOf('.') + 1);
  return [...byName.keys()].filter((other) => other.startsWith(owner) && !other.slice(owner.length).includes('.')).every((other) => missing.includes(other));
}

/**
 * Writes `model` as a Hugging Face model folder, as transformers' `save_pretrained` does:
 * config.json (the model's `config`, with its class and its parameters' dtype) and model.safetensors, a
 * tensor shared by several names (tied embeddings) written once under its first name. The
 * folder loads back with `hf_load` and with transformers' `from_pretrained`.
 *
 * @example
 * hf_save(model, 'out/my-llama'); // AutoModelForCausalLM.from_pretrained('out/my-llama') in Python
 */
export function hf_save(model: nn_Module, dir: string): void {
  if (!(model instanceof nn_Module)) fail('an nn_module', 'model', model);
  checkPath(dir, 'dir', 'a folder path');
  const config = (model as unknown as { config?: HfConfig }).config;
  if (typeof config !== 'object' || config === null || typeof config.model_type !== 'string') {
    fail('a model with a config (as hf_load returns)', 'model', model);
  }
  // The architecture's own names only: a LoRA-wrapped model (q_proj.base_layer.weight) is not one.
  const own = new Set(stateEntries(makerFor(config, (model as unknown as { hf_class?: string }).hf_class).make(config, { device: 'meta' })).map(([name]) => name));
  const foreign = stateEntries(model).map(([name]) => name).filter((name) => !own.has(name));
  if (foreign.length > 0) throw new RangeError(`Expected the parameters of a ${config.model_type} model for model but received ${list(foreign)} too (merge or unload LoRA adapters first: merge_and_unload)`);
  const tensors: Record<string, Tensor> = {};
  const seen = new Set<Tensor>();
  for (const [name, tensor] of stateEntries(model)) {
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    tensors[name] = tensor.detach();
  }
  const floating = Object.values(tensors).find((tensor) => isFloatingDtype(tensor.dtype));
  const hfClass = (model as unknown as { hf_class?: unknown }).hf_class;
  const written = { ...config, ...(typeof hfClass === 'string' ? { architectures: [hfClass] } : {}), ...(floating === undefined ? {} : { dtype: floating.dtype }) };
  const fill = safetensorsWriter(tensors, { format: 'pt' }, `hf_save(${JSON.stringify(dir)})`);
  makeFolder(dir, 'dir');
  writeFileAtomic(join(dir, 'config.json'), (write) => write(Buffer.from(`${JSON.stringify(written, null, 2)}\n`)));
  writeFileAtomic(join(dir, 'model.safetensors'), fill);
  for (const tensor of Object.values(tensors)) tensor.dispose();
}
