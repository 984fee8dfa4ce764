// Mixed-adapter batches (with_adapter_names, PEFT's adapter_names=): each row uses its own
// adapter, computed as one batched product per layer, and equals running each row with its own
// adapter alone (within 1e-6 relative, the summation order being the only difference).
import { describe, expect, it } from 'vitest';
import {
  lora_apply, lora_delete_adapter, lora_merge, lora_parameters, nn_embedding, nn_linear, nn_relu, nn_sequential, optim_sgd, torch_cat, torch_manual_seed,
  torch_memory_stats, torch_randn, torch_scope, with_adapter, with_adapter_names, with_adapters_disabled, with_no_grad, type nn_Module, type Tensor,
} from '../src/index.js';

function model(): nn_Module {
  torch_manual_seed(0);
  const net = nn_sequential(nn_linear(6, 5), nn_relu(), nn_linear(5, 4));
  lora_apply(net, { target_modules: ['0', '2'], r: 2, adapter: 'a' });
  lora_apply(net, { target_modules: ['0'], r: 3, alpha: 6, adapter: 'b' }); // another rank, and only on the first layer
  with_no_grad(() => { for (const name of ['a', 'b']) for (const p of lora_parameters(net, { adapter: name })) p.normal_(0, 0.5); });
  return net.eval();
}

// Each row alone, with its own adapter (null: the base model).
function rowByRow(net: nn_Module, x: Tensor, names: (string | null)[]): Tensor {
  return torch_cat(names.map((name, i) => with_no_grad(() => {
    const row = x.index(`${i}:${i + 1}`);
    return name === null ? with_adapters_disabled(net, () => net(row) as Tensor) : with_adapter(net, name, () => net(row) as Tensor);
  })), 0);
}

// Mixed against row by row, within 1e-6 of the largest value.
function expectRowByRow(net: nn_Module, x: Tensor, names: (string | null)[]): void {
  const mixed = with_no_grad(() => with_adapter_names(net, names, () => net(x) as Tensor));
  const expected = rowByRow(net, x, names);
  expect(mixed.shape).toEqual(expected.shape);
  const worst = mixed.sub(expected).abs().max().item() as number;
  expect(worst).toBeLessThanOrEqual(1e-6 * (expected.abs().max().item() as number));
}

describe('with_adapter_names', () => {
  it('equals each row run with its own adapter (different ranks, an adapter on one layer only, base rows)', () => {
    const net = model();
    const x = torch_randn(5, 6);
    const names = ['a', null, 'b', 'a', 'b'];
    expectRowByRow(net, x, names);
    // The adapters make a difference, so equality above is not trivial.
    expect(rowByRow(net, x, names).sub(rowByRow(net, x, [null, null, null, null, null])).abs().max().item()).toBeGreaterThan(1e-2);
  });

  it('equals row by row for rows already grouped, one adapter for all, all base, and rows of sequences', () => {
    const net = model();
    expectRowByRow(net, torch_randn(4, 6), ['a', 'a', 'b', null]);
    expectRowByRow(net, torch_randn(3, 6), ['b', 'b', 'b']);
    expectRowByRow(net, torch_randn(2, 6), [null, null]);
    expectRowByRow(net, torch_randn(4, 3, 6), ['b', null, 'a', 'b']); // each row: 3 positions, one adapter
  });

  it('never serves stale weights: adapters retrained, deleted, re-added with another rank, added, between calls', () => {
    const net = model();
    const x = torch_randn(6, 6);
    const names = ['a', 'b', null, 'b', 'a', 'c'];
    lora_apply(net, { target_modules: ['2'], r: 1, adapter: 'c' });
    with_no_grad(() => { for (const p of lora_parameters(net, { adapter: 'c' })) p.normal_(0, 0.5); });
    expectRowByRow(net, x, names);
    // A training step on the mixed batch itself changes a's and b's weights in place.
    const params = [...lora_parameters(net, { adapter: 'a' }), ...lora_parameters(net, { adapter: 'b' })];
    for (const p of params) p.requires_grad_(true);
    const before = with_no_grad(() => with_adapter_names(net, names, () => net(x) as Tensor));
    const opt = optim_sgd(params, { lr: 0.5 });
    with_adapter_names(net, names, () => (net(x) as Tensor).square().sum()).backward();
    opt.step();
    expect(with_no_grad(() => with_adapter_names(net, names, () => net(x) as Tensor)).sub(before).abs().max().item()).toBeGreaterThan(1e-3);
    expectRowByRow(net, x, names);
    lora_delete_adapter(net, 'b');
    lora_apply(net, { target_modules: ['0', '2'], r: 4, alpha: 3, adapter: 'b' });
    with_no_grad(() => { for (const p of lora_parameters(net, { adapter: 'b' })) p.normal_(0, 0.5); });
    expectRowByRow(net, x, names);
    // In float64 (the model moved), to float64's precision.
    net.to({ dtype: 'float64' });
    const x64 = x.to({ dtype: 'float64' });
    const mixed = with_no_grad(() => with_adapter_names(net, names, () => net(x64) as Tensor));
    expect(mixed.dtype).toBe('float64');
    expect(mixed.sub(rowByRow(net, x64, names)).abs().max().item()).toBeLessThanOrEqual(1e-12);
  });

  it('gives each adapter the gradient of its own rows, as row-by-row training would', () => {
    const net = model();
    const x = torch_randn(5, 6);
    const names = ['b', 'a', null, 'a', 'b'];
    const weights = torch_randn(5, 4);
    const params = [...lora_parameters(net, { adapter: 'a' }), ...lora_parameters(net, { adapter: 'b' })];
    for (const p of params) p.requires_grad_(true);
    const recorded = with_adapter_names(net, names, () => net(x) as Tensor); // autograd's path (native/lora/mixed.cc records)
    const expected = rowByRow(net, x, names);
    expect(recorded.sub(expected).abs().max().item()).toBeLessThanOrEqual(1e-6 * (expected.abs().max().item() as number));
    recorded.mul(weights).sum().backward();
    const mixed = params.map((p) => p.grad!.clone());
    for (const p of params) p.grad = null;
    names.forEach((name, i) => {
      if (name === null) return; // the base alone: frozen, no gradient
      const out = with_adapter(net, name, () => net(x.index(`${i}:${i + 1}`)) as Tensor);
      out.mul(weights.index(`${i}:${i + 1}`)).sum().backward();
    });
    params.forEach((p, k) => {
      const expected = p.grad!;
      expect(expected.abs().max().item()).toBeGreaterThan(1e-3); // every adapter has rows, so every gradient is there
      expect(mixed[k]!.sub(expected).abs().max().item()).toBeLessThanOrEqual(1e-6 * (expected.abs().max().item() as number));
    });
  });

  it('leaves the active adapter in charge afterwards, also after an error', () => {
    const net = model();
    const x = torch_randn(2, 6);
    const before = with_no_grad(() => net(x) as Tensor);
    expect(() => with_adapter_names(net, ['a', 'b'], () => { throw new Error('inside'); })).toThrow('inside');
    expect(with_no_grad(() => net(x) as Tensor).equal(before)).toBe(true);
  });

  it('leaves no tensor behind: a scope around it frees every temporary', () => {
    const net = model();
    const x = torch_randn(4, 6);
    globalThis.gc?.(); // the earlier tests' garbage, which a collection during the loop would otherwise subtract
    const before = torch_memory_stats().tensors;
    torch_scope(() => { for (let i = 0; i < 10; i++) with_no_grad(() => with_adapter_names(net, ['a', 'b', null, 'a'], () => net(x))); });
    expect(torch_memory_stats().tensors).toBe(before);
  });

  it('refuses what it cannot do, in words', () => {
    const net = model();
    const x = torch_randn(3, 6);
    expect(() => with_adapter_names(net, ['a', 'b'], () => net(x))).toThrow('Expected one adapter name per row of the batch (3) for adapter_names');
    expect(() => with_adapter_names(net, ['a', 'c', null], () => net(x))).toThrow(/adapter_names\[1\]/);
    expect(() => with_adapter_names(net, [], () => net(x))).toThrow(TypeError);
    expect(() => with_adapter_names(net, ['a'], () => net(torch_randn(6)))).toThrow('Expected rows first (at least 2-d) in a mixed-adapter batch for input but received a 1-d tensor of shape [6]');
    const embedded = nn_sequential(nn_embedding(10, 4));
    lora_apply(embedded, { target_modules: ['0'], r: 2 });
    expect(() => with_adapter_names(embedded, ['default'], () => 0)).toThrow(/LoRA layers are all linear/);
    const merged = model();
    lora_merge(merged, { adapter: 'a' });
    expect(() => with_adapter_names(merged, ['a', 'b', null], () => merged(x))).toThrow(/unmerged adapters/);
  });
});
