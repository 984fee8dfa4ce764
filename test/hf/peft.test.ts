// Adapters across to the real PEFT (0.21, in the project's .venv) and back, on PeftNet
// (peft_net.ts: nn_linear, hf_conv1d as PEFT's fan_in_fan_out, nn_embedding, nn_conv2d) with
// every setting of peft_cases.json (DoRA, lora_bias, modules_to_save, layers_to_transform,
// exclude_modules, rank/alpha patterns, a targeted embedding saved whole):
//  (a) PEFT makes and saves an adapter (random A and B); lora_load gives PEFT's outputs, and
//      merge_and_unload PEFT's merged weights;
//  (b) torchlora makes and saves one (lora_save); PeftModel.from_pretrained gives torchlora's
//      outputs and merged weights;
//  (c) an adapter saved with base_model_name_or_path and task_type opens with
//      AutoPeftModelForCausalLM.from_pretrained(adapter_dir) on a tiny transformers Llama;
//  (d) module selection equals PEFT's check_target_module_exists (peft_select.json);
//  (e) PEFT's adapter on a tiny transformers GPT-2 (Conv1D, fan_in_fan_out) loads with lora_load.
// The largest differences are printed; all must be ≤ 1e-5.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  hf_conv1d, ModulesToSaveWrapper, lora_apply, lora_config, lora_layers, lora_load, lora_parameters, lora_save, merge_and_unload, nn_linear, nn_Module, nn_module_dict,
  nn_module_list, torch_load_safetensors, torch_manual_seed, torch_randn, torch_save_safetensors, with_no_grad, type LoraApplyOptions, type Tensor,
} from '../../src/index.js';
import { configSettings } from '../../src/lora/config.js';
import { LinearLoraLayer } from '../../src/lora/linear.js';
import { selects } from '../../src/lora/select.js';
import { describe_with_hf, run_hf_python } from './harness.js';
import { PeftNet } from './peft_net.js';

const TOLERANCE = 1e-5;
const NOISE = 0.3;
const CASES = JSON.parse(readFileSync(join(import.meta.dirname, 'peft_cases.json'), 'utf8')) as Record<string, Record<string, unknown>>;

const maxDiff = (a: Tensor, b: Tensor): number => {
  expect(a.shape).toEqual(b.shape);
  return a.numel() === 0 ? 0 : (a.sub(b).abs().max().item() as number);
};

/** A case's PEFT options as lora_apply takes them: PEFT's names are lora_apply's, but a string exclude_modules is a RegExp here. */
function applyOptions(options: Record<string, unknown>): LoraApplyOptions {
  const { exclude_modules, ...rest } = options;
  return { ...rest, ...(exclude_modules === undefined ? {} : { exclude_modules: typeof exclude_modules === 'string' ? new RegExp(`^(?:${exclude_modules})$`) : exclude_modules }) } as LoraApplyOptions;
}

describe_with_hf('adapters with the real PEFT', () => {
  let out = '';
  const diffs: Record<string, Record<string, number>> = {};
  const io = (): Record<string, Tensor> => torch_load_safetensors(join(out, 'io.safetensors')).tensors;

  function base(): PeftNet {
    const model = new PeftNet();
    model.load_state_dict(torch_load_safetensors(join(out, 'base.safetensors')).tensors);
    return model.eval();
  }

  function run(model: nn_Module): Tensor {
    const { tokens, images } = io();
    return with_no_grad(() => (model as unknown as (t: Tensor, i: Tensor) => Tensor)(tokens!, images!));
  }

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'torchlora-peft-hf-'));
    run_hf_python('peft_reference.py', ['make', out]);
  }, 600_000);
  afterAll(() => {
    console.log(`max |torchlora - PEFT| by case:\n${JSON.stringify(diffs, null, 2)}`);
    if (out !== '') rmSync(out, { recursive: true, force: true });
  });

  for (const name of Object.keys(CASES)) {
    it(`(a) ${name}: PEFT's adapter loads with lora_load and gives PEFT's outputs, gradients and merged weights`, () => {
      const expected = torch_load_safetensors(join(out, name, 'peft_out.safetensors')).tensors;
      const model = lora_load(base(), join(out, name, 'peft_adapter'));
      const { tokens, images } = io();
      const output = (model as unknown as (t: Tensor, i: Tensor) => Tensor)(tokens!, images!);
      output.mul(expected.loss_weights!).sum().backward();
      const gradKeys = Object.keys(expected).filter((k) => k.startsWith('grad.')).map((k) => k.slice('grad.'.length));
      const trained = trainedByFileKey(model);
      expect(Object.keys(trained).sort()).toEqual(gradKeys.sort());
      expect(gradKeys.filter((key) => trained[key]!.grad === null || trained[key]!.grad === undefined)).toEqual([]);
      // Relative to the largest gradient of each tensor: DoRA's magnitudes get gradients of hundreds.
      const grad = Math.max(...gradKeys.map((key) => {
        const theirs = expected[`grad.${key}`]!;
        return maxDiff(trained[key]!.grad!, theirs) / Math.max(1, theirs.abs().max().item() as number);
      }));
      const y = maxDiff(output.detach(), expected.y!);
      const plain = merge_and_unload(model);
      const state = plain.state_dict();
      const mergedKeys = Object.keys(expected).filter((k) => k.startsWith('merged.')).map((k) => k.slice('merged.'.length));
      expect(Object.keys(state).sort()).toEqual(mergedKeys.sort());
      const merged = Math.max(...mergedKeys.map((key) => maxDiff(state[key]!, expected[`merged.${key}`]!)));
      diffs[`(a) ${name}`] = { y, grad, merged };
      expect(y).toBeLessThanOrEqual(TOLERANCE);
      expect(grad).toBeLessThanOrEqual(TOLERANCE);
      expect(merged).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it('(b) every case: lora_save\'s adapter loads with PeftModel.from_pretrained and gives torchlora\'s outputs and merged weights', () => {
    Object.keys(CASES).forEach((name, index) => {
      torch_manual_seed(200 + index);
      const model = lora_apply(base(), applyOptions(CASES[name]!));
      with_no_grad(() => {
        // As peft_reference.py does to PEFT's: every trained tensor random, DoRA's magnitudes moved from their start.
        const magnitudes = new Set(lora_layers(model).flatMap(([, layer]) => (layer instanceof LinearLoraLayer ? layer.lora_magnitude_vector.parameters : [])));
        for (const parameter of lora_parameters(model)) {
          const noise = torch_randn(parameter.shape).mul(NOISE);
          if (magnitudes.has(parameter)) parameter.add_(noise);
          else parameter.copy_(noise);
        }
        const embed = lora_layers(model).find(([path]) => path === 'embed_tokens');
        embed?.[1].base_layer.weight.add_(torch_randn(embed[1].base_layer.weight.shape).mul(NOISE));
      });
      lora_save(model, join(out, name, 'ours_adapter'), { save_embedding_layers: true });
      const y = run(model);
      const merged = merge_and_unload(model).state_dict();
      torch_save_safetensors({ y, ...Object.fromEntries(Object.entries(merged).map(([k, v]) => [`merged.${k}`, v])) }, join(out, name, 'ours_out.safetensors'));
    });
    const report = JSON.parse(run_hf_python('peft_reference.py', ['check', out])) as Record<string, { y: number; 'merged weights': number; 'tensors not loaded': string[]; warnings: string[] }>;
    expect(Object.keys(report).sort()).toEqual(Object.keys(CASES).sort());
    for (const [name, result] of Object.entries(report)) {
      diffs[`(b) ${name}`] = { y: result.y, merged: result['merged weights'] };
      expect(result['tensors not loaded'], name).toEqual([]);
      expect(result.warnings, name).toEqual([]);
      expect(result.y, name).toBeLessThanOrEqual(TOLERANCE);
      expect(result['merged weights'], name).toBeLessThanOrEqual(TOLERANCE);
    }
  }, 600_000);

  it("(d) lora_load selects the modules PEFT's check_target_module_exists selects (layers_to_transform, layers_pattern, exclude_modules, modules_to_save)", () => {
    const table = JSON.parse(readFileSync(join(import.meta.dirname, 'peft_select.json'), 'utf8')) as { paths: string[]; configs: Record<string, unknown>[] };
    const theirs = JSON.parse(run_hf_python('peft_reference.py', ['select', '-'])) as boolean[][];
    const ours = table.configs.map((config) => {
      const settings = configSettings({ r: 2, lora_alpha: 2, ...config }, 'default');
      return table.paths.map((path) => selects(settings, path, nn_linear(2, 2)));
    });
    expect(ours).toEqual(theirs);
  }, 600_000);

  it("(e) PEFT's GPT-2 adapter (Conv1D, fan_in_fan_out: true, task_type CAUSAL_LM) loads with lora_load and gives PEFT's outputs", () => {
    const dir = join(out, 'gpt2_adapter');
    expect(lora_config(dir)).toMatchObject({ fan_in_fan_out: true, task_type: 'CAUSAL_LM', peft_type: 'LORA' });
    const gpt2 = gpt2Projections(JSON.parse(readFileSync(join(out, 'tiny-gpt2', 'config.json'), 'utf8')) as Record<string, number>);
    const probes = torch_load_safetensors(join(out, 'gpt2_probes.safetensors')).tensors;
    const names = [...new Set(Object.keys(probes).map((key) => key.slice(0, key.lastIndexOf('.'))))];
    with_no_grad(() => {
      for (const name of names) {
        const layer = gpt2.named_modules()[name] as hf_conv1d;
        layer.weight.copy_(probes[`${name}.weight`]!);
        layer.bias.copy_(probes[`${name}.bias`]!);
      }
    });
    lora_load(gpt2.eval(), dir);
    expect(lora_layers(gpt2)).toHaveLength(2 * 3);
    const diff = Math.max(...names.map((name) => maxDiff(with_no_grad(() => (gpt2.named_modules()[name] as unknown as (x: Tensor) => Tensor)(probes[`${name}.x`]!)), probes[`${name}.y`]!)));
    diffs['(e) gpt2'] = { y: diff };
    expect(diff).toBeLessThanOrEqual(TOLERANCE);
  });

  it('(c) an adapter with base_model_name_or_path and task_type opens with AutoPeftModelForCausalLM', () => {
    const config = JSON.parse(readFileSync(join(out, 'tiny-llama', 'config.json'), 'utf8')) as Record<string, number>;
    const llama = llamaProjections(config);
    torch_manual_seed(3);
    lora_apply(llama, { target_modules: ['q_proj', 'v_proj'], r: 4, lora_alpha: 8, init_lora_weights: false });
    with_no_grad(() => { for (const parameter of lora_parameters(llama)) parameter.copy_(torch_randn(parameter.shape).mul(NOISE)); });
    const dir = join(out, 'llama_adapter');
    lora_save(llama, dir, { base_model_name_or_path: join(out, 'tiny-llama'), task_type: 'CAUSAL_LM' });
    expect(lora_config(dir)).toMatchObject({ base_model_name_or_path: join(out, 'tiny-llama'), task_type: 'CAUSAL_LM', target_modules: ['q_proj', 'v_proj'] });
    const report = JSON.parse(run_hf_python('peft_reference.py', ['auto', out])) as Record<string, string | number>;
    diffs['(c) llama tensors'] = { tensors: report['tensors max diff'] as number };
    expect(report.class).toBe('PeftModelForCausalLM');
    expect(report['base model']).toBe('LlamaForCausalLM');
    expect(report.tensors).toBe(2 * 2 * config.num_hidden_layers!);
    expect(report['tensors max diff']).toBe(0);
    expect(report['adapter changes logits by'] as number).toBeGreaterThan(1e-3);
  }, 600_000);
});

/** The trained tensors of a model's active adapter by the keys lora_save gives them. */
function trainedByFileKey(model: nn_Module): Record<string, Tensor> {
  const result: Record<string, Tensor> = {};
  for (const [path, layer] of lora_layers(model)) {
    for (const [suffix, tensor] of Object.entries(layer.adapter_state(layer.active_adapter!))) result[`base_model.model.${path}.${suffix}`] = tensor;
  }
  for (const [path, module] of Object.entries(model.named_modules())) {
    if (!(module instanceof ModulesToSaveWrapper)) continue;
    for (const [key, tensor] of Object.entries(module.modules_to_save.get(module.active_adapter!).named_parameters())) result[`base_model.model.${path}.${key}`] = tensor;
  }
  return result;
}

/** transformers' GPT-2 Conv1D projections under its module paths and shapes (weights in x out). */
function gpt2Projections(config: Record<string, number>): nn_Module {
  const d = config.n_embd!;
  const h = Array.from({ length: config.n_layer! }, () => nn_module_dict({
    attn: nn_module_dict({ c_attn: hf_conv1d(3 * d, d), c_proj: hf_conv1d(d, d) }),
    mlp: nn_module_dict({ c_fc: hf_conv1d(4 * d, d), c_proj: hf_conv1d(d, 4 * d) }),
  }));
  return nn_module_dict({ transformer: nn_module_dict({ h: nn_module_list(h) }) });
}

/** The projections of transformers' Llama that the adapter targets, under its module paths and shapes. */
function llamaProjections(config: Record<string, number>): nn_Module {
  const hidden = config.hidden_size!;
  const headDim = hidden / config.num_attention_heads!;
  const layers = Array.from({ length: config.num_hidden_layers! }, () => nn_module_dict({
    self_attn: nn_module_dict({ q_proj: nn_linear(hidden, hidden, { bias: false }), v_proj: nn_linear(hidden, config.num_key_value_heads! * headDim, { bias: false }) }),
  }));
  return nn_module_dict({ model: nn_module_dict({ layers: nn_module_list(layers) }) });
}
