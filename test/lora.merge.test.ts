// merge() / unmerge() of a LoRA layer: ΔW = B·A·scaling added in place without autograd
// (numbers worked by hand), forward unchanged by merging, unmerge restoring the weight, and
// merge({ safe: true }) refusing a non-finite result without touching the weight.
import { describe, expect, it } from 'vitest';
import {
  lora_nn_conv2d, lora_nn_embedding, lora_nn_linear, nn_conv2d, nn_embedding, nn_linear, torch_manual_seed, torch_randint, torch_randn,
  torch_tensor, with_no_grad, type LoraLayer, type Tensor,
} from '../src/index.js';

function set(target: Tensor, values: number[][]): void {
  with_no_grad(() => target.copy_(torch_tensor(values, { dtype: target.dtype })));
}

function randomise(layer: LoraLayer): void {
  with_no_grad(() => { for (const t of Object.values(layer.adapter_state('default'))) t.normal_(); });
}

describe('merge', () => {
  it('adds B·A·alpha/r into the weight in place (worked by hand)', () => {
    const base = nn_linear(2, 2, { bias: false, dtype: 'float64' });
    const lora = lora_nn_linear(base, { r: 1, alpha: 2 });
    set(base.weight, [[1, 2], [3, 4]]);
    set(lora.lora_A.get('default').weight, [[1, -1]]);
    set(lora.lora_B.get('default').weight, [[2], [3]]);
    const weight = base.weight;
    // B·A = [[2, -2], [3, -3]], times 2.
    expect(lora.delta_weight().to_array()).toEqual([[4, -4], [6, -6]]);
    lora.merge();
    expect(base.weight).toBe(weight); // the same tensor, changed in place
    expect(weight.to_array()).toEqual([[5, -2], [9, -2]]);
    expect(lora.merged).toBe(true);
    expect(lora.merged_adapters).toEqual(['default']);
    expect(weight.grad_fn).toBeNull(); // no autograd record
    expect(weight.requires_grad).toBe(false);
    lora.unmerge();
    expect(weight.to_array()).toEqual([[1, 2], [3, 4]]);
    expect(lora.merged).toBe(false);
  });

  it('leaves the forward unchanged, and runs the base layer alone while merged', () => {
    torch_manual_seed(1);
    const base = nn_linear(32, 16);
    const lora = lora_nn_linear(base, { r: 4, alpha: 8 });
    randomise(lora);
    const x = torch_randn(10, 32);
    const unmerged = lora(x);
    lora.merge();
    const merged = lora(x);
    expect(merged.allclose(unmerged, 1e-5, 1e-5)).toBe(true);
    expect(merged.equal(base(x))).toBe(true);
    expect(merged.allclose(unmerged, 0, 0)).toBe(false); // different arithmetic, so not the same path
  });

  it('merge → unmerge restores the weight to float tolerance', () => {
    torch_manual_seed(2);
    const base = nn_linear(64, 48);
    const lora = lora_nn_linear(base, { r: 8, alpha: 16 });
    randomise(lora);
    const before = base.weight.clone();
    lora.merge();
    expect(base.weight.allclose(before, 0, 0)).toBe(false);
    lora.unmerge();
    expect(base.weight.allclose(before, 1e-6, 1e-6)).toBe(true);
  });

  it('merging twice merges once', () => {
    const base = nn_linear(4, 4, { bias: false });
    const lora = lora_nn_linear(base, { r: 2 });
    randomise(lora);
    lora.merge();
    const once = base.weight.clone();
    lora.merge();
    expect(base.weight.equal(once)).toBe(true);
    expect(lora.merged_adapters).toEqual(['default']);
  });

  it('embedding and conv2d merge to the same forward', () => {
    torch_manual_seed(3);
    const embedding = lora_nn_embedding(nn_embedding(20, 6), { r: 3 });
    randomise(embedding);
    const tokens = torch_randint(0, 20, [4, 5]);
    const e1 = embedding(tokens);
    embedding.merge();
    expect(embedding(tokens).allclose(e1, 1e-5, 1e-5)).toBe(true);
    for (const kernel of [1, 3]) {
      const conv = lora_nn_conv2d(nn_conv2d(3, 5, kernel, { padding: 1, stride: 2 }), { r: 2 });
      randomise(conv);
      const images = torch_randn(2, 3, 9, 9);
      const c1 = conv(images);
      conv.merge();
      expect(conv(images).allclose(c1, 1e-5, 1e-5)).toBe(true);
      conv.unmerge();
      expect(conv(images).allclose(c1, 1e-5, 1e-5)).toBe(true);
    }
  });
});

describe('merge({ safe: true })', () => {
  for (const bad of [Infinity, NaN]) {
    it(`refuses a result with ${bad} and leaves the weight untouched`, () => {
      const base = nn_linear(3, 3);
      const lora = lora_nn_linear(base, { r: 1 });
      set(lora.lora_B.get('default').weight, [[1], [bad], [1]]);
      set(lora.lora_A.get('default').weight, [[1, 1, 1]]);
      const before = base.weight.clone();
      expect(() => lora.merge({ safe: true })).toThrow(RangeError);
      expect(() => lora.merge({ safe: true })).toThrow(/Expected a finite merged weight for adapter "default" of this layer but received one with 3 non-finite values; nothing was merged/);
      expect(base.weight.equal(before)).toBe(true);
      expect(lora.merged).toBe(false);
      lora.merge(); // unsafe: done as asked
      expect(base.weight.isfinite().logical_not().sum().item()).toBe(3);
    });
  }

  it('merges a finite result as merge() does', () => {
    torch_manual_seed(4);
    const a = nn_linear(5, 5);
    const b = nn_linear(5, 5);
    with_no_grad(() => b.weight.copy_(a.weight));
    const la = lora_nn_linear(a, { r: 2 });
    const lb = lora_nn_linear(b, { r: 2 });
    randomise(la);
    for (const key of ['lora_A.weight', 'lora_B.weight']) with_no_grad(() => lb.adapter_state('default')[key]!.copy_(la.adapter_state('default')[key]!));
    la.merge();
    lb.merge({ safe: true });
    expect(b.weight.equal(a.weight)).toBe(true);
  });
});

describe('merged state', () => {
  it('refuses switching, disabling or deleting the merged adapter', () => {
    const lora = lora_nn_linear(nn_linear(4, 4), { r: 2 });
    lora.add_adapter('other', { r: 1 });
    lora.merge();
    expect(() => lora.set_adapter('other')).toThrow(/Expected the merged adapter "default" \(this layer has it merged; unmerge first\) for adapter but received "other"/);
    expect(() => lora.set_adapter(null)).toThrow(/unmerge first/);
    expect(() => lora.delete_adapter('default')).toThrow(/Expected an adapter that is not merged \(unmerge\(\) first\) for name but received "default"/);
    lora.unmerge();
    lora.set_adapter('other');
    expect(lora.active_adapter).toBe('other');
  });

  it('merge of an unknown adapter is a RangeError naming the adapters', () => {
    const lora = lora_nn_linear(nn_linear(4, 4), { r: 2 });
    expect(() => lora.merge({ adapter: 'nope' })).toThrow(/Expected one of this layer's adapters \("default"\) for adapter but received "nope"/);
  });
});
