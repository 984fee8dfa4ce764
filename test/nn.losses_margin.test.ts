// The margin losses' argument checks (src/nn/losses_margin.ts) and one value from the formula;
// values and gradients against PyTorch: test/parity/losses_margin.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  nn_cosine_embedding_loss, nn_multi_margin_loss, nnf_hinge_embedding_loss, nnf_multi_margin_loss, nnf_multilabel_soft_margin_loss,
  torch_tensor, torch_zeros,
} from '../src/index.js';

describe('margin losses', () => {
  it('computes the hinge embedding loss from its formula', () => {
    // target 1: x; target -1: max(0, margin - x) with margin 1.
    const loss = nnf_hinge_embedding_loss(torch_tensor([0.5, 0.25, 2]), torch_tensor([1, -1, -1]), { reduction: 'sum' });
    expect(loss.item()).toBe(0.5 + 0.75 + 0);
  });

  it('refuses bad options by name', () => {
    const scores = torch_zeros(2, 3);
    const labels = torch_tensor([0, 2], { dtype: 'int64' });
    expect(() => nnf_multi_margin_loss(scores, labels, { p: 3 })).toThrow(/Expected 1 or 2 for p/);
    expect(() => nn_multi_margin_loss({ weight: torch_zeros(3, 1) })(scores, labels)).toThrow(/1-d weight/);
    expect(() => nn_multi_margin_loss({ margn: 1 } as never)).toThrow(/Expected one of p, margin, weight, reduction for nn_multi_margin_loss options/);
    expect(() => nnf_multilabel_soft_margin_loss(scores, scores, { reduction: 'avg' as never })).toThrow(/reduction/);
    expect(() => (nn_cosine_embedding_loss() as any)(scores, scores)).toThrow(/Expected a target/);
  });
});
