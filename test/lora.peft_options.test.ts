// PEFT's settings without PEFT (test/hf/peft.test.ts compares with the real one): its option
// names, transformers' Conv1D, DoRA and lora_bias worked by hand in float64, modules_to_save,
// layer selection and lora_config. Each refused call changes nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  hf_conv1d, lora_adapters, lora_apply, lora_merge, lora_unmerge, lora_config, lora_delete_adapter, lora_hf_conv1d, lora_layers, lora_load, lora_nn_linear, lora_parameters,
  lora_save, lora_set_adapter, merge_and_unload, ModulesToSaveWrapper, nn_linear, torch_manual_seed, torch_randint, torch_randn, torch_tensor,
  with_adapter_names, with_no_grad, type Tensor,
} from '../src/index.js';
import { TINY, TinyNet } from './fixtures/tiny_net.js';

const root = mkdtempSync(join(tmpdir(), 'torchlora-peft-options-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function set(target: Tensor, values: number[] | number[][]): void {
  with_no_grad(() => target.copy_(torch_tensor(values, { dtype: target.dtype })));
}

const inputs = (): [Tensor, Tensor] => {
  torch_manual_seed(9);
  return [torch_randint(0, TINY.vocab, [2, 5]), torch_randn(2, TINY.channels, 7, 7)];
};
const flags = (model: TinyNet): string => JSON.stringify([lora_layers(model).map(([p]) => p), model.parameters.map((p) => p.requires_grad)]);

describe("PEFT's option names", () => {
  it('lora_alpha, lora_dropout and init_lora_weights mean alpha, dropout and init', () => {
    torch_manual_seed(3);
    const peft = lora_apply(new TinyNet(), { target_modules: ['q_proj'], r: 2, lora_alpha: 16, lora_dropout: 0.1, init_lora_weights: 'gaussian' });
    torch_manual_seed(3);
    const ours = lora_apply(new TinyNet(), { target_modules: ['q_proj'], r: 2, alpha: 16, dropout: 0.1, init: 'gaussian' });
    const [[, a], [, b]] = [lora_layers(peft)[0]!, lora_layers(ours)[0]!];
    expect(a.settings).toEqual(b.settings);
    expect(a.adapter_state('default')['lora_A.weight']!.equal(b.adapter_state('default')['lora_A.weight']!)).toBe(true);
    expect(lora_nn_linear(nn_linear(4, 4), { r: 2, init_lora_weights: false }).settings.default!.init).toBe('none');
  });

  it('both names of one option: TypeError, model unchanged', () => {
    const model = new TinyNet();
    const before = flags(model);
    expect(() => lora_apply(model, { target_modules: ['q_proj'], dropout: 0.1, lora_dropout: 0.2 })).toThrow(
      /^Expected one of dropout and lora_dropout \(PEFT's name for it\) for options but received both: dropout = 0.1, lora_dropout = 0.2$/);
    expect(() => lora_apply(model, { target_modules: ['q_proj'], init_lora_weights: 'pissa' as never })).toThrow(/Expected true, false or "gaussian"/);
    expect(() => lora_apply(model, { target_modules: ['q_proj'], use_dora: true, lora_bias: true })).toThrow(/Expected lora_bias false with use_dora/);
    expect(flags(model)).toBe(before);
  });
});

describe("transformers' Conv1D (PEFT's fan_in_fan_out)", () => {
  it('adds (B·A)ᵀ·scaling to the in x out weight; merge keeps the output, unmerge restores (by hand)', () => {
    const base = hf_conv1d(3, 2, { dtype: 'float64' }); // nf = 3 outputs, nx = 2 inputs: weight 2 x 3
    set(base.weight, [[1, 2, 3], [4, 5, 6]]);
    set(base.bias, [0.5, 0, -0.5]);
    const lora = lora_hf_conv1d(base, { r: 1, lora_alpha: 2 });
    set(lora.lora_A.get('default').weight, [[1, -1]]);
    set(lora.lora_B.get('default').weight, [[1], [0], [2]]);
    // B·A = [[1, -1], [0, 0], [2, -2]] (out x in); ΔW = its transpose · 2.
    expect(lora.delta_weight().to_array()).toEqual([[2, 0, 4], [-2, -0, -4]]);
    const x = torch_tensor([[1, 2]], { dtype: 'float64' });
    // x W + b = [9.5, 12, 14.5]; the term (x Aᵀ) Bᵀ · 2 = (-1)·[1, 0, 2]·2.
    expect(lora(x).to_array()).toEqual([[7.5, 12, 10.5]]);
    lora.merge();
    expect(base.weight.to_array()).toEqual([[3, 2, 7], [2, 5, 2]]);
    expect(lora(x).to_array()).toEqual([[7.5, 12, 10.5]]);
    lora.unmerge();
    expect(base.weight.to_array()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });
});

describe('DoRA', () => {
  function dora(): ReturnType<typeof lora_nn_linear> {
    const base = nn_linear(2, 2, { bias: false, dtype: 'float64' });
    set(base.weight, [[3, 0], [0, 4]]);
    const lora = lora_nn_linear(base, { r: 1, lora_alpha: 1, use_dora: true });
    return lora;
  }

  it('starts with the magnitudes of W + ΔW, so a new adapter changes nothing', () => {
    const lora = dora();
    expect(lora.lora_magnitude_vector.get('default').to_array()).toEqual([3, 4]); // B = 0: the row norms of W
    const x = torch_tensor([[1, 1]], { dtype: 'float64' });
    expect(lora(x).to_array()).toEqual([[3, 4]]);
  });

  it("rescales by m / ‖W + ΔW‖ with the norm detached, as PEFT: output, gradients and merge by hand", () => {
    const lora = dora();
    set(lora.lora_A.get('default').weight, [[1, 0]]);
    set(lora.lora_B.get('default').weight, [[1], [0]]);
    set(lora.lora_magnitude_vector.get('default'), [5, 4]);
    const x = torch_tensor([[1, 1]], { dtype: 'float64' });
    // W + B·A = [[4, 0], [0, 4]]: norms [4, 4], s = m / norm = [1.25, 1]; x Wᵀ = [3, 4], B(A(x)) = [1, 0];
    // y = x Wᵀ + (s - 1)·x Wᵀ + s·B(A(x)) = [3 + 0.75 + 1.25, 4] = [5, 4].
    const y = lora(x);
    expect(y.to_array()).toEqual([[5, 4]]);
    y.sum().backward();
    // With the norm a constant: ∂y/∂m = (x Wᵀ + B(A(x))) / norm = [1, 1]; ∂y/∂B = s·A(x) = [1.25, 1]; ∂y/∂A = Σ_o s_o B_o x = [1.25, 1.25].
    expect(lora.lora_magnitude_vector.get('default').grad!.to_array()).toEqual([1, 1]);
    expect(lora.lora_B.get('default').weight.grad!.to_array()).toEqual([[1.25], [1]]);
    expect(lora.lora_A.get('default').weight.grad!.to_array()).toEqual([[1.25, 1.25]]);
    lora.merge();
    // W' = s ⊙ (W + ΔW) by rows.
    expect(lora.base_layer.weight.to_array()).toEqual([[5, 0], [0, 4]]);
    expect(lora(x).to_array()).toEqual([[5, 4]]);
    lora.unmerge();
    expect(lora.base_layer.weight.to_array()).toEqual([[3, 0], [0, 4]]);
  });

  it('merges alone: lora_merge refuses it while another adapter is merged, and changes nothing', () => {
    torch_manual_seed(5);
    const model = lora_apply(new TinyNet(), { target_modules: ['q_proj', 'v_proj'], r: 2, adapter: 'plain', init_lora_weights: false });
    lora_apply(model, { target_modules: ['v_proj'], r: 2, adapter: 'dora', use_dora: true, init_lora_weights: false });
    lora_merge(model, { adapter: 'plain' });
    const weights = JSON.stringify(model.parameters.map((p) => Array.from(p.to_typed_array() as Float32Array)));
    expect(() => lora_merge(model, { adapter: 'dora' })).toThrow(/Expected no other merged adapter when merging a DoRA one \("blocks.0.v_proj" has "plain" merged; unmerge first\) for adapter but received "dora"/);
    expect(JSON.stringify(model.parameters.map((p) => Array.from(p.to_typed_array() as Float32Array)))).toBe(weights);
    lora_unmerge(model);
    lora_merge(model, { adapter: 'dora' });
  });

  it('is refused in mixed-adapter batches; lora_bias on an embedding is refused (TypeError, model unchanged)', () => {
    const model = new TinyNet();
    const before = flags(model);
    expect(() => lora_apply(model, { target_modules: ['q_proj', 'embed'], r: 2, lora_bias: true })).toThrow(/Expected lora_bias false for an nn_embedding \("embed"\)/);
    expect(flags(model)).toBe(before);
    lora_apply(model, { target_modules: ['q_proj'], r: 2, use_dora: true });
    const [tokens, images] = inputs();
    expect(() => with_adapter_names(model.eval(), ['default', null], () => model(tokens, images))).toThrow(/Expected adapters without use_dora or lora_bias in a mixed-adapter batch/);
  });
});

describe('lora_bias', () => {
  it("adds B's bias · scaling, and merges it into the base bias (by hand)", () => {
    const base = nn_linear(2, 2, { dtype: 'float64' });
    set(base.weight, [[1, 0], [0, 1]]);
    set(base.bias!, [0, 0]);
    const lora = lora_nn_linear(base, { r: 1, lora_alpha: 2, lora_bias: true });
    const B = lora.lora_B.get('default');
    expect(B.bias!.to_array()).toEqual([0, 0]); // zeros with B, as PEFT
    set(lora.lora_A.get('default').weight, [[1, 1]]);
    set(B.weight, [[1], [0]]);
    set(B.bias!, [1, 2]);
    const x = torch_tensor([[1, 2]], { dtype: 'float64' });
    // x + ((x Aᵀ) Bᵀ + b)·2 = [1, 2] + ([3, 0] + [1, 2])·2.
    expect(lora(x).to_array()).toEqual([[9, 6]]);
    expect(Object.keys(lora.adapter_state('default'))).toEqual(['lora_A.weight', 'lora_B.weight', 'lora_B.bias']);
    lora.merge();
    expect(base.bias!.to_array()).toEqual([2, 4]);
    expect(lora(x).to_array()).toEqual([[9, 6]]);
    lora.unmerge();
    expect(base.bias!.to_array()).toEqual([0, 0]);
  });
});

describe('bias "lora_only"', () => {
  it("trains the adapted layer's base bias with the active adapter, saved as base_layer.bias", () => {
    const base = nn_linear(4, 3);
    const lora = lora_nn_linear(base, { r: 2, bias: 'lora_only' });
    expect(base.bias!.requires_grad).toBe(true);
    expect(lora.adapter_state('default')['base_layer.bias']).toBe(base.bias);
    lora.add_adapter('other', { r: 1 }); // freezes the base again, but for the bias the active adapter trains
    expect(base.bias!.requires_grad).toBe(true);
    lora.set_adapter('other');
    expect(base.bias!.requires_grad).toBe(false);
    lora.set_adapter('default');
    expect(base.bias!.requires_grad).toBe(true);
    expect(base.weight.requires_grad).toBe(false);
    expect(() => lora_nn_linear(nn_linear(4, 3), { r: 2, bias: 'all' as never })).toThrow(/Expected "none" or "lora_only" \(PEFT's "all" is not implemented\) for bias but received "all"/);
  });
});

describe('modules_to_save', () => {
  it('trains a copy per adapter, saved and loaded under the module path; merge_and_unload keeps the copy', () => {
    torch_manual_seed(4);
    const model = lora_apply(new TinyNet(), { target_modules: ['q_proj'], r: 2, modules_to_save: ['head'] }).eval();
    expect(model.head).toBeInstanceOf(ModulesToSaveWrapper);
    const wrapper = model.head as unknown as ModulesToSaveWrapper;
    const copy = wrapper.modules_to_save.get('default');
    expect(lora_parameters(model)).toEqual(expect.arrayContaining(copy.parameters));
    expect(wrapper.original_module.parameters.every((p) => !p.requires_grad)).toBe(true);
    with_no_grad(() => { for (const p of copy.parameters) p.normal_(); });
    const [tokens, images] = inputs();
    const y = model(tokens, images);
    lora_set_adapter(model, null);
    expect(model(tokens, images).equal(y)).toBe(false); // the original runs
    lora_set_adapter(model, 'default');
    const dir = join(root, 'saved');
    lora_save(model, dir);
    expect(lora_config(dir).modules_to_save).toEqual(['head']);
    torch_manual_seed(4); // the same base weights
    const loaded = lora_load(new TinyNet().eval(), dir);
    expect(loaded(tokens, images).sub(y).abs().max().item()).toBe(0);
    lora_delete_adapter(loaded, 'default');
    expect(loaded.head).not.toBeInstanceOf(ModulesToSaveWrapper);
    expect(lora_adapters(loaded)).toEqual([]);
    const plain = merge_and_unload(model);
    expect(plain.head).toBe(copy);
    expect(plain(tokens, images).sub(y).abs().max().item()).toBeLessThan(1e-6);
  });
});

describe('layer selection', () => {
  it('layers_to_transform with layers_pattern, and exclude_modules', () => {
    const paths = (options: Record<string, unknown>): string[] => lora_layers(lora_apply(new TinyNet(), { target_modules: ['q_proj', 'v_proj'], r: 2, ...options })).map(([p]) => p);
    expect(paths({ layers_to_transform: 1, layers_pattern: 'blocks' })).toEqual(['blocks.1.q_proj', 'blocks.1.v_proj']);
    // Without a pattern PEFT wants a dotted part before the numbered one: "blocks.1.q_proj" has none.
    expect(() => paths({ layers_to_transform: [1] })).toThrow(/Expected target_modules matching at least one layer/);
    expect(paths({ exclude_modules: ['blocks.0.q_proj', 'v_proj'] })).toEqual(['blocks.1.q_proj']);
    expect(paths({ exclude_modules: /^blocks\.1\./ })).toEqual(['blocks.0.q_proj', 'blocks.0.v_proj']);
    expect(() => paths({ target_modules: /q_proj/, layers_to_transform: [1] })).toThrow(/Expected target_modules as a list of names \(PEFT refuses layers_to_transform with a pattern\)/);
    expect(() => paths({ layers_pattern: 'blocks' })).toThrow(/Expected layers_to_transform with it/);
  });
});

describe('lora_save for AutoPeftModel, and lora_config', () => {
  it('writes base_model_name_or_path, task_type and revision, which lora_config returns', () => {
    const model = lora_apply(new TinyNet(), { target_modules: ['q_proj'], r: 2 });
    const dir = join(root, 'auto');
    lora_save(model, dir, { base_model_name_or_path: 'models/tiny', task_type: 'CAUSAL_LM', revision: 'v1' });
    expect(lora_config(dir)).toMatchObject({ base_model_name_or_path: 'models/tiny', task_type: 'CAUSAL_LM', revision: 'v1', target_modules: ['q_proj'] });
    expect(() => lora_save(model, dir, { task_type: 'CAUSAL' as never })).toThrow(/Expected one of PEFT's task types \(SEQ_CLS, SEQ_2_SEQ_LM, CAUSAL_LM, TOKEN_CLS, QUESTION_ANS, FEATURE_EXTRACTION\) or null for task_type but received "CAUSAL"/);
    expect(lora_config(dir).revision).toBe('v1'); // the refused save left the folder as it was
  });
});
