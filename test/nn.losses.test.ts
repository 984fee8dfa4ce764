// Loss modules, activation modules and the functional additions: their options are checked
// (at construction for modules), their results agree with arithmetic, and what they refuse is
// refused clearly. Values against PyTorch: test/parity/losses.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  nn_huber_loss, nn_mse_loss, nn_nll_loss, nn_softmax, nnf_kl_div, nnf_mse_loss, nnf_one_hot, nnf_pad, nnf_scaled_dot_product_attention,
  torch_ones, torch_randn, torch_tensor, type Loss,
} from '../src/index.js';

describe('loss modules', () => {
  it('compute their functional form with the options given once', () => {
    const x = torch_randn(4, 3);
    const y = torch_randn(4, 3);
    const criterion: Loss<{ reduction?: 'mean' | 'sum' | 'none' }> = nn_mse_loss({ reduction: 'sum' });
    expect(criterion(x, y).item()).toBe(nnf_mse_loss(x, y, { reduction: 'sum' }).item());
    expect(criterion.options).toEqual({ reduction: 'sum' });
    expect(Object.isFrozen(criterion.options)).toBe(true);
  });

  it('refuse a misspelt option at construction', () => {
    expect(() => nn_huber_loss({ delt: 2 } as never)).toThrow('Expected one of reduction, delta for nn_huber_loss options but received "delt"');
    expect(() => nn_nll_loss(null, { weight: null } as never)).toThrow(/weight once/); // null is its positional weight, as in R and PyTorch
  });

  it('nn_softmax needs its dim, as in R torch and PyTorch', () => {
    expect(() => nn_softmax(undefined as never)).toThrow('Expected an integer for dim but received undefined');
  });
});

describe('functional additions', () => {
  it('kl_div batchmean is the sum over the batch size (by its definition)', () => {
    const input = torch_randn(4, 5).log_softmax(1);
    const target = torch_randn(4, 5).softmax(1);
    const sum = nnf_kl_div(input, target, { reduction: 'sum' }).item() as number;
    expect(nnf_kl_div(input, target, { reduction: 'batchmean' }).item()).toBeCloseTo(sum / 4, 6);
  });

  it('one_hot and pad refuse what PyTorch refuses, in words', () => {
    expect(() => nnf_one_hot(torch_tensor([1], { dtype: 'int64' }), -2)).toThrow(RangeError);
    expect(() => nnf_pad(torch_ones(2, 3), [1, 2, 3])).toThrow('Expected an even number of sizes');
    expect(() => nnf_pad(torch_ones(2, 3), [1, 1], { mode: 'wrap' as never })).toThrow(/one of "constant", "reflect"/);
    expect(() => nnf_pad(torch_ones(2, 3), [1, 1], { mode: 'reflect', value: 2 })).toThrow(/no value with a mode other than "constant"/);
  });

  it('scaled dot-product attention: causal means the first query sees only the first key', () => {
    const q = torch_randn(1, 3, 4);
    const k = torch_randn(1, 3, 4);
    const v = torch_randn(1, 3, 2);
    const y = nnf_scaled_dot_product_attention(q, k, v, { is_causal: true });
    expect(y.index(0, 0).allclose(v.index(0, 0))).toBe(true);
    expect(() => nnf_scaled_dot_product_attention(q, k, v, { is_causal: true, attn_mask: torch_ones(3, 3) })).toThrow(/no attn_mask with is_causal/);
  });
});
