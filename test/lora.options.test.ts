// Every options object of the LoRA API goes through one check: null is a TypeError naming the
// function, an unknown (misspelt) key is a TypeError naming it and the keys accepted, and a
// refused call changes nothing. (lora_unmerge and with_adapter take no options object.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  lora_apply, lora_layers, lora_load, lora_merge, lora_nn_conv2d, lora_nn_embedding, lora_nn_linear, lora_parameters, lora_save,
  merge_and_unload, nn_conv2d, nn_embedding, nn_linear, torch_manual_seed, type nn_Module,
} from '../src/index.js';
import { TinyNet } from './fixtures/tiny_net.js';

const root = mkdtempSync(join(tmpdir(), 'torchlora-lora-options-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function withAdapter(): TinyNet {
  torch_manual_seed(1);
  return lora_apply(new TinyNet(), { target_modules: ['q_proj'], r: 2 });
}

/** The model's parameters as text: equal before and after means nothing changed. */
const snapshot = (model: nn_Module): string => JSON.stringify(Object.entries(model.named_parameters())
  .map(([name, p]) => [name, p.requires_grad, Array.from(p.to_typed_array() as Float32Array)]));

const LORA = 'r, alpha, lora_alpha, dropout, lora_dropout, init, init_lora_weights, use_rslora, use_dora, lora_bias, bias';

interface Case { call: (options: unknown) => unknown; where: string; accepted: string; misspelt: Record<string, unknown>; model?: () => nn_Module }

const saved = join(root, 'saved');
const cases: Case[] = [
  { where: 'lora_save', accepted: 'adapter, base_model_name_or_path, task_type, revision, save_embedding_layers', misspelt: { adaptor: 'default' }, call: (o) => lora_save(withAdapter(), join(root, 'never'), o as never) },
  { where: 'lora_load', accepted: 'adapter', misspelt: { adaptor: 'default' }, call: (o) => lora_load(new TinyNet(), saved, o as never) },
  { where: 'lora_merge', accepted: 'adapter, safe', misspelt: { safe_merge: true }, call: (o) => lora_merge(withAdapter(), o as never) },
  { where: 'merge_and_unload', accepted: 'adapter, safe', misspelt: { saf: true }, call: (o) => merge_and_unload(withAdapter(), o as never) },
  { where: 'lora_parameters', accepted: 'adapter', misspelt: { adapters: 'default' }, call: (o) => lora_parameters(withAdapter(), o as never) },
  {
    where: 'lora_apply',
    accepted: `target_modules, adapter, rank_pattern, alpha_pattern, exclude_modules, layers_to_transform, layers_pattern, modules_to_save, task_type, ${LORA}`,
    misspelt: { target_modules: ['q_proj'], lora_alfa: 16 },
    call: (o) => lora_apply(new TinyNet(), o as never),
  },
  { where: 'lora_nn_linear', accepted: `${LORA}, adapter`, misspelt: { rank: 2 }, call: (o) => lora_nn_linear(nn_linear(4, 4), o as never) },
  { where: 'lora_nn_embedding', accepted: `${LORA}, adapter`, misspelt: { lora_dropuot: 0.1 }, call: (o) => lora_nn_embedding(nn_embedding(10, 4), o as never) },
  { where: 'lora_nn_conv2d', accepted: `${LORA}, adapter`, misspelt: { alpah: 4 }, call: (o) => lora_nn_conv2d(nn_conv2d(3, 4, 3), o as never) },
  { where: 'add_adapter', accepted: LORA, misspelt: { adapter: 'b' }, call: (o) => lora_nn_linear(nn_linear(8, 8)).add_adapter('b', o as never) },
  { where: 'merge', accepted: 'adapter, safe', misspelt: { adapterr: 'default' }, call: (o) => lora_nn_linear(nn_linear(8, 8)).merge(o as never) },
];

describe('options objects', () => {
  lora_save(withAdapter(), saved);

  for (const { where, accepted, misspelt, call } of cases) {
    it(`${where}: null`, () => {
      expect(() => call(null)).toThrow(TypeError);
      expect(() => call(null)).toThrow(`Expected an options object for ${where} options but received null`);
    });
    it(`${where}: a misspelt key`, () => {
      const key = Object.keys(misspelt).at(-1)!;
      expect(() => call(misspelt)).toThrow(TypeError);
      expect(() => call(misspelt)).toThrow(`Expected one of ${accepted} for ${where} options but received ${JSON.stringify(key)}`);
    });
  }

  it('a refused call changes nothing: the model, the layer, the weights', () => {
    const model = withAdapter();
    const before = snapshot(model);
    expect(() => lora_merge(model, { adapterr: 'default' } as never)).toThrow(TypeError);
    expect(() => merge_and_unload(model, null as never)).toThrow(TypeError);
    expect(() => lora_apply(model, { target_modules: ['v_proj'], rnk: 2 } as never)).toThrow(TypeError);
    expect(snapshot(model)).toBe(before);
    expect(lora_layers(model).map(([path, layer]) => [path, layer.adapters, layer.merged])).toEqual([
      ['blocks.0.q_proj', ['default'], false], ['blocks.1.q_proj', ['default'], false],
    ]);
    const base = nn_linear(4, 4);
    expect(() => lora_nn_linear(base, { rank: 2 } as never)).toThrow(TypeError);
    expect(base.weight.requires_grad).toBe(true); // not frozen
  });

  it('option values are checked too: safe must be a boolean', () => {
    expect(() => lora_merge(withAdapter(), { safe: 'yes' } as never)).toThrow('Expected a boolean for safe but received "yes"');
  });
});
