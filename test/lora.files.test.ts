// lora_save / lora_load in PEFT's format: the exact bytes of adapter_config.json, the
// safetensors keys and metadata (read here from the raw bytes, not with our reader), atomic
// writes, round trips, and bad folders refused with an error naming the key, changing nothing.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LORA_CONFIG_NAME, LORA_WEIGHTS_NAME, SafetensorsError, TorchError, lora_active_adapter, lora_adapters, lora_apply, lora_layers, lora_load,
  lora_merge, lora_nn_linear, lora_parameters, lora_save, nn_linear, torch_load_safetensors, torch_manual_seed, torch_randint, torch_randn, torch_save_safetensors,
  torch_zeros, with_adapter, with_no_grad, type Tensor,
} from '../src/index.js';
import { TINY, TinyNet } from './fixtures/tiny_net.js';

const root = mkdtempSync(join(tmpdir(), 'torchlora-lora-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const folder = (): string => join(root, `adapter-${counter++}`);

/** The safetensors header, parsed from the bytes as the format describes it. */
function header(path: string): Record<string, { dtype: string; shape: number[] } | Record<string, string>> {
  const bytes = readFileSync(path);
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
}

// Hand edits of a saved folder. The weights are rewritten with PEFT's metadata alone (no
// config hash), as a folder PEFT wrote and a user edited would be.
const rewriteTensors = (dir: string, change: (tensors: Record<string, Tensor>) => void): void => {
  const path = join(dir, LORA_WEIGHTS_NAME);
  const { tensors } = torch_load_safetensors(path);
  change(tensors);
  torch_save_safetensors(tensors, path, { format: 'pt' });
};
const rewriteConfig = (dir: string, change: (config: Record<string, unknown>) => void): void => {
  const path = join(dir, LORA_CONFIG_NAME);
  const config = JSON.parse(readFileSync(path, 'utf8'));
  change(config);
  writeFileSync(path, JSON.stringify(config));
  rewriteTensors(dir, () => undefined);
};

function trained(seed = 1, adapter = 'default'): TinyNet {
  torch_manual_seed(seed);
  const model = new TinyNet();
  lora_apply(model, { target_modules: ['q_proj', 'embed', 'conv'], r: 2, alpha: 4, adapter });
  with_no_grad(() => { for (const p of lora_parameters(model)) p.normal_(); });
  return model;
}

/** A fresh model with the same base weights as `model` and no adapter. */
function sameBase(model: TinyNet): TinyNet {
  const fresh = new TinyNet();
  const source = Object.fromEntries(Object.entries(model.named_parameters())
    .filter(([key]) => !/lora_/.test(key)).map(([key, value]) => [key.replace('.base_layer', ''), value]));
  fresh.load_state_dict(source);
  return fresh;
}

function inputs(): [Tensor, Tensor] {
  torch_manual_seed(9);
  return [torch_randint(0, TINY.vocab, [2, 5]), torch_randn(2, TINY.channels, 7, 7)];
}

describe('lora_save', () => {
  it("writes PEFT's keys, shapes and metadata", () => {
    const dir = folder();
    lora_save(trained(), dir);
    expect(readdirSync(dir).sort()).toEqual([LORA_CONFIG_NAME, LORA_WEIGHTS_NAME]);
    const entries = header(join(dir, LORA_WEIGHTS_NAME));
    // The hash covers the config's settings: every key but the descriptive ones, sorted, compact.
    const { base_model_name_or_path, task_type, inference_mode, ...settings } = JSON.parse(readFileSync(join(dir, LORA_CONFIG_NAME), 'utf8')) as Record<string, unknown>;
    expect([base_model_name_or_path, task_type, inference_mode]).toEqual([null, null, true]);
    const sorted = Object.fromEntries(Object.keys(settings).sort().map((key) => [key, settings[key]]));
    const configHash = createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
    expect(entries.__metadata__).toEqual({ format: 'pt', torchlora_config_sha256: configHash });
    const shapes = Object.fromEntries(Object.entries(entries).filter(([k]) => k !== '__metadata__').map(([k, v]) => [k, (v as { shape: number[] }).shape]));
    expect(shapes).toEqual({
      'base_model.model.embed.lora_embedding_A': [2, 16],
      'base_model.model.embed.lora_embedding_B': [8, 2],
      'base_model.model.blocks.0.q_proj.lora_A.weight': [2, 8],
      'base_model.model.blocks.0.q_proj.lora_B.weight': [8, 2],
      'base_model.model.blocks.1.q_proj.lora_A.weight': [2, 8],
      'base_model.model.blocks.1.q_proj.lora_B.weight': [8, 2],
      'base_model.model.conv.lora_A.weight': [2, 3, 3, 3],
      'base_model.model.conv.lora_B.weight': [4, 2, 1, 1],
    });
  });

  it('writes adapter_config.json as PEFT does: its keys only, sorted, indent 2', () => {
    const dir = folder();
    lora_save(trained(), dir);
    expect(readFileSync(join(dir, LORA_CONFIG_NAME), 'utf8')).toBe(`{
  "alpha_pattern": {},
  "base_model_name_or_path": null,
  "bias": "none",
  "fan_in_fan_out": false,
  "inference_mode": true,
  "init_lora_weights": true,
  "lora_alpha": 4,
  "lora_dropout": 0.0,
  "modules_to_save": null,
  "peft_type": "LORA",
  "r": 2,
  "rank_pattern": {},
  "target_modules": [
    "conv",
    "embed",
    "q_proj"
  ],
  "task_type": null,
  "use_dora": false,
  "use_rslora": false
}`);
  });

  it('names the layers by a regular expression when their names would match others, and keeps per-layer ranks', () => {
    torch_manual_seed(2);
    const model = lora_apply(new TinyNet(), { target_modules: /^blocks\.0\.(q|v)_proj$/, r: 2, dropout: 0.1, rank_pattern: { v_proj: 1 } });
    const dir = folder();
    lora_save(model, dir);
    const config = JSON.parse(readFileSync(join(dir, LORA_CONFIG_NAME), 'utf8'));
    expect(config.target_modules).toBe('blocks\\.0\\.q_proj|blocks\\.0\\.v_proj');
    expect(config.r).toBe(2); // one layer each: the first value found is the default
    expect(config.rank_pattern).toEqual({ 'blocks\\.0\\.v_proj': 1 });
    expect(config.lora_dropout).toBe(0.1);
    const loaded = lora_load(sameBase(model), dir);
    expect(lora_layers(loaded).map(([path, layer]) => [path, layer.r.default])).toEqual([['blocks.0.q_proj', 2], ['blocks.0.v_proj', 1]]);
  });

  it('replaces both files with new ones, leaving no temporary file or folder', () => {
    const parent = join(folder(), 'parent');
    const dir = join(parent, 'adapter');
    const model = trained();
    lora_save(model, dir);
    const inodes = [LORA_WEIGHTS_NAME, LORA_CONFIG_NAME].map((name) => statSync(join(dir, name)).ino);
    lora_save(model, dir);
    expect([LORA_WEIGHTS_NAME, LORA_CONFIG_NAME].map((name) => statSync(join(dir, name)).ino)).not.toEqual(inodes);
    expect(readdirSync(dir).sort()).toEqual([LORA_CONFIG_NAME, LORA_WEIGHTS_NAME]);
    expect(readdirSync(parent)).toEqual(['adapter']);
  });

  it('saves a chosen adapter, under no name of its own', () => {
    const model = trained(1, 'task_a');
    lora_apply(model, { target_modules: ['head'], r: 1, adapter: 'task_b' });
    const dir = folder();
    lora_save(model, dir, { adapter: 'task_b' });
    expect(Object.keys(header(join(dir, LORA_WEIGHTS_NAME))).sort()).toEqual(['__metadata__', 'base_model.model.head.lora_A.weight', 'base_model.model.head.lora_B.weight']);
    expect(() => lora_save(model, folder(), { adapter: 'task_c' })).toThrow(/Expected one of the model's adapters \("task_a", "task_b"\) for adapter but received "task_c"/);
  });
});

describe('lora_load', () => {
  it('round-trips: a fresh model with the same base computes the same outputs', () => {
    const model = trained();
    const dir = folder();
    lora_save(model, dir);
    const [tokens, images] = inputs();
    const expected = model(tokens, images);
    const loaded = lora_load(sameBase(model), dir);
    expect(loaded(tokens, images).equal(expected)).toBe(true);
    expect(lora_active_adapter(loaded)).toBe('default');
    const saved = torch_load_safetensors(join(dir, LORA_WEIGHTS_NAME)).tensors;
    expect(lora_layers(loaded).find(([path]) => path === 'conv')![1].adapter_state('default')['lora_B.weight']!
      .equal(saved['base_model.model.conv.lora_B.weight']!)).toBe(true);
  });

  it('loads under another name next to an existing adapter, and replaces one of the same name', () => {
    const model = trained(1);
    const dir = folder();
    lora_save(model, dir);
    const other = trained(2, 'mine');
    lora_load(other, dir, { adapter: 'theirs' });
    expect(lora_adapters(other)).toEqual(['mine', 'theirs']);
    expect(lora_active_adapter(other)).toBe('mine');
    const [tokens, images] = inputs();
    const fresh = lora_load(sameBase(other), dir);
    expect(with_adapter(other, 'theirs', () => other(tokens, images)).equal(fresh(tokens, images))).toBe(true);
    lora_load(other, dir, { adapter: 'mine' }); // replace
    expect(with_adapter(other, 'mine', () => other(tokens, images)).equal(fresh(tokens, images))).toBe(true);
  });

  it("round-trips the post's single LoRA layer (the model itself), and says how to load it into a plain layer", () => {
    torch_manual_seed(5);
    const base = nn_linear(6, 5, { bias: false });
    const lora = lora_nn_linear(base, { r: 1, init: 'randn' });
    with_no_grad(() => { for (const p of lora_parameters(lora)) p.normal_(); });
    const dir = folder();
    lora_save(lora, dir);
    expect(Object.keys(header(join(dir, LORA_WEIGHTS_NAME))).sort()).toEqual(['__metadata__', 'base_model.model.lora_A.weight', 'base_model.model.lora_B.weight']);
    const plain = nn_linear(6, 5, { bias: false });
    with_no_grad(() => plain.weight.copy_(base.weight));
    expect(() => lora_load(plain, dir)).toThrow(/no submodules: wrap a single layer with lora_nn_linear/);
    const loaded = lora_load(lora_nn_linear(plain, { r: 1 }), dir);
    const x = torch_randn(3, 6);
    expect(loaded(x).equal(lora(x))).toBe(true);
  });

  it('accepts config keys it does not know', () => {
    const dir = folder();
    const model = trained();
    lora_save(model, dir);
    rewriteConfig(dir, (config) => Object.assign(config, { megatron_config: null, layer_replication: null, revision: null, new_in_peft_9: { x: 1 } }));
    expect(lora_adapters(lora_load(sameBase(model), dir))).toEqual(['default']);
  });
});

describe('lora_load refusals change nothing', () => {
  const state = (model: TinyNet): string => JSON.stringify([lora_layers(model).map(([p]) => p), model.parameters.map((p) => p.requires_grad)]);

  function refused(edit: (dir: string) => void, type: ErrorConstructor | typeof SafetensorsError, message: RegExp, target = (): TinyNet => new TinyNet()): void {
    const dir = folder();
    lora_save(trained(), dir);
    edit(dir);
    const model = target();
    const before = state(model);
    const weights = lora_layers(model).map(([, layer]) => Object.values(layer.adapter_state(layer.adapters[0]!)).map((t) => t.clone()));
    expect(() => lora_load(model, dir)).toThrow(type);
    expect(() => lora_load(model, dir)).toThrow(message);
    expect(state(model)).toBe(before);
    lora_layers(model).forEach(([, layer], i) => Object.values(layer.adapter_state(layer.adapters[0]!)).forEach((t, j) => expect(t.equal(weights[i]![j]!)).toBe(true)));
  }

  it('a missing tensor', () => refused((dir) => rewriteTensors(dir, (t) => { delete t['base_model.model.conv.lora_B.weight']; }),
    RangeError, /Expected a tensor "base_model.model.conv.lora_B.weight" for .*adapter_model.safetensors but received a file without it .*; nothing was loaded/));

  it('a tensor of another shape', () => refused((dir) => rewriteConfig(dir, (c) => { c.r = 1; }),
    RangeError, /Expected shape \[1, 16\] \(the model's layer with r = 1 from adapter_config.json\) for "base_model.model.embed.lora_embedding_A" but received shape \[2, 16\]; nothing was loaded/));

  it('a tensor no target has', () => refused((dir) => rewriteTensors(dir, (t) => { t['base_model.model.head.lora_A.weight'] = torch_zeros(2, 8); }),
    RangeError, /but received "base_model.model.head.lora_A.weight", which matches none; nothing was loaded/));

  it('a truncated file', () => refused((dir) => truncateSync(join(dir, LORA_WEIGHTS_NAME), 200),
    SafetensorsError, /truncated/));

  it('a model whose layers have other sizes', () => refused(() => undefined,
    RangeError, /Expected shape \[2, 32\] .* for "base_model.model.embed.lora_embedding_A" but received shape \[2, 16\]/, () => new TinyNet({ ...TINY, vocab: 32 })));

  it('a model with that adapter merged', () => refused(() => undefined, RangeError, /has it merged; lora_unmerge\(\) first/, () => {
    const model = trained(3);
    lora_merge(model);
    return model;
  }));

  for (const key of ['r', 'lora_alpha', 'target_modules']) {
    it(`a config without ${key}`, () => refused((dir) => rewriteConfig(dir, (c) => { delete c[key]; }),
      TypeError, new RegExp(`for adapter_config.json ${key} but received undefined`)));
  }

  it('a config with a setting torchlora does not implement', () => refused((dir) => rewriteConfig(dir, (c) => { c.layer_replication = [[0, 1]]; }),
    TypeError, /Expected null \(torchlora does not implement this setting\) for adapter_config.json layer_replication but received an array of length 1/));

  // What PEFT 0.21 writes for each setting torchlora does not implement (peft/tuners/lora/config.py), refused by name.
  const UNIMPLEMENTED: [string, unknown, string][] = [
    ['bias', 'all', '"none" or "lora_only" (training every bias of the model is not implemented)'],
    ['layer_replication', [[0, 1]], 'null'],
    ['trainable_token_indices', [1, 2], 'null'],
    ['target_parameters', ['embed.weight'], 'null'],
    ['use_qalora', true, 'false'],
    ['alora_invocation_tokens', [5], 'null'],
    ['arrow_config', { top_k: 3 }, 'null'],
    ['velora_config', {}, 'null'],
    ['monteclora_config', {}, 'null'],
    ['kasa_config', {}, 'null'],
    ['use_bdlora', {}, 'null'],
    ['megatron_config', {}, 'null'],
    ['ensure_weight_tying', true, 'false'],
  ];
  for (const [key, value, accepted] of UNIMPLEMENTED) {
    it(`a config with ${key} set`, () => refused((dir) => rewriteConfig(dir, (c) => { c[key] = value; }),
      TypeError, new RegExp(`^Expected ${accepted.replace(/[()]/g, '\\$&')} \\(torchlora does not implement this setting\\) for adapter_config.json ${key} but received`)));
  }
  for (const init of ['pissa', 'pissa_niter_4', 'olora', 'corda', 'loftq', 'lora_ga', 'mica']) {
    it(`a config whose init_lora_weights (${init}) changed the base weights or the forward`, () => refused((dir) => rewriteConfig(dir, (c) => { c.init_lora_weights = init; }),
      TypeError, /Expected true, false, "gaussian", "eva" or "orthogonal" \(the other inits change the base weights or the forward; torchlora does not implement them\) for adapter_config.json init_lora_weights/));
  }

  it('a config with a setting one targeted layer kind does not implement', () => refused((dir) => rewriteConfig(dir, (c) => { c.lora_bias = true; }),
    TypeError, /Expected lora_bias false for an nn_embedding \("embed"\): PEFT has no LoRA bias for embeddings/));

  it('a config with a dropout outside [0, 1)', () => refused((dir) => rewriteConfig(dir, (c) => { c.lora_dropout = 1; }),
    RangeError, /Expected a probability in \[0, 1\) for adapter_config.json lora_dropout but received 1/));

  it('a config with a use_rslora that is not a boolean', () => refused((dir) => rewriteConfig(dir, (c) => { c.use_rslora = 'yes'; }),
    TypeError, /Expected a boolean for adapter_config.json use_rslora but received "yes"/));

  it('a config whose rank_pattern gives a layer a rank above min(in, out)', () => refused((dir) => rewriteConfig(dir, (c) => { c.rank_pattern = { conv: 5 }; }),
    RangeError, /Expected a rank of at most 4 \(min\(in, out\) of "conv"\) for r but received 5/));

  it('a config that is not JSON', () => refused((dir) => writeFileSync(join(dir, LORA_CONFIG_NAME), '{"r": 2,'),
    TypeError, /Expected JSON for .*adapter_config.json but received text that does not parse/));

  it('a folder without the weights', () => refused((dir) => rmSync(join(dir, LORA_WEIGHTS_NAME)),
    TypeError, /Expected an adapter folder with adapter_model.safetensors for dir/));
});

describe("lora_load's file-system errors name dir and keep code and path", () => {
  it('a folder that does not exist: TypeError, ENOENT', () => {
    const dir = folder();
    const error = (() => { try { lora_load(new TinyNet(), dir); } catch (e) { return e as TypeError & { code?: string; path?: string }; } throw new Error('loaded'); })();
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ENOENT', path: dir });
    expect(error.message).toBe(`Expected an adapter folder with adapter_config.json for dir but received ${JSON.stringify(dir)} (ENOENT: no such file or directory)`);
  });

  it('a file given as the folder: TypeError, ENOTDIR', () => {
    const dir = folder();
    writeFileSync(dir, '');
    expect(() => lora_load(new TinyNet(), dir)).toThrow(TypeError);
    expect(() => lora_load(new TinyNet(), dir)).toThrow(`Expected an adapter folder with adapter_config.json for dir but received ${JSON.stringify(dir)} (ENOTDIR: not a directory)`);
  });

  it('corrupt weights: a SafetensorsError (a TorchError) naming dir', () => {
    const dir = folder();
    lora_save(trained(), dir);
    writeFileSync(join(dir, LORA_WEIGHTS_NAME), 'not safetensors');
    expect(() => lora_load(new TinyNet(), dir)).toThrow(TorchError);
    expect(() => lora_load(new TinyNet(), dir)).toThrow(`lora_load(${JSON.stringify(dir)}): adapter_model.safetensors: the header length`);
  });
});
