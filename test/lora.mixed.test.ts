// Mixed-adapter batches (with_adapter_names, PEFT's adapter_names=): each row uses its own
// adapter, computed as one batched product per layer, and equals running each row with its own
// adapter alone (within 1e-6 relative, the summation order being the only difference).
import { describe, expect, it } from 'vitest';
import {
  lora_apply, lora_merge, lora_parameters, nn_embedding, nn_linear, nn_relu, nn_sequential, torch_cat, torch_manual_seed, torch_memory_stats, torch_randn,
  torch_scope,
  with_adapter, with_adapter_names, with_adapters_disabled, with_no_grad, type nn_Module, type Tensor,
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

describe('with_adapter_names', () => {
  it('equals each row run with its own adapter (different ranks, an adapter on one layer only, base rows)', () => {
    const net = model();
    const x = torch_randn(5, 6);
    const names = ['a', null, 'b', 'a', 'b'];
    const mixed = with_no_grad(() => with_adapter_names(net, names, () => net(x) as Tensor));
    const expected = rowByRow(net, x, names);
    const worst = mixed.sub(expected).abs().max().item() as number;
    expect(worst).toBeLessThanOrEqual(1e-6 * (expected.abs().max().item() as number));
    // The adapters make a difference, so equality above is not trivial.
    expect(expected.sub(rowByRow(net, x, [null, null, null, null, null])).abs().max().item()).toBeGreaterThan(1e-2);
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
    const embedded = nn_sequential(nn_embedding(10, 4));
    lora_apply(embedded, { target_modules: ['0'], r: 2 });
    expect(() => with_adapter_names(embedded, ['default'], () => 0)).toThrow(/LoRA layers are all linear/);
    const merged = model();
    lora_merge(merged, { adapter: 'a' });
    expect(() => with_adapter_names(merged, ['a', 'b', null], () => merged(x))).toThrow(/unmerged adapters/);
  });
});
