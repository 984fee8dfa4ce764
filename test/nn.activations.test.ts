// The activations' options (src/nn/functional_activations.ts, activations_pointwise.ts,
// activations.ts): `inplace` changes the input or is refused, unknown options and bad values
// are refused by name. Values and gradients against PyTorch: test/parity/activations.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  nn_elu, nn_hardtanh, nn_relu, nn_silu, nn_threshold, nn_unflatten, nnf_celu, nnf_glu, nnf_hardtanh, nnf_log_softmax, nnf_relu, nnf_rrelu,
  nnf_elu_, nnf_gumbel_softmax, nnf_silu, nnf_softmax, nnf_softmin, nnf_softshrink, torch_tensor, type Tensor,
} from '../src/index.js';

const values = (t: Tensor): number[] => Array.from(t.to_typed_array() as Float32Array, Number);

describe('inplace', () => {
  it('changes the input and returns it, in functions and modules', () => {
    const x = torch_tensor([-1, 2]);
    expect(nnf_relu(x, { inplace: true })).toBe(x);
    expect(values(x)).toEqual([0, 2]);
    const y = torch_tensor([-1, 0]);
    expect(nn_silu({ inplace: true })(y)).toBe(y);
    expect(values(y)[0]).toBeCloseTo(-1 / (1 + Math.E), 6);
    const z = torch_tensor([-1, 2]);
    expect(nn_relu()(z)).not.toBe(z);
    expect(values(z)).toEqual([-1, 2]);
  });

  it('is refused unless a boolean, at construction for modules', () => {
    expect(() => nn_silu({ inplace: 1 as never })).toThrow(/Expected a boolean for inplace/);
    expect(() => nn_relu({ inplace: 'yes' as never })).toThrow(TypeError);
    expect(() => nnf_silu(torch_tensor([1]), { inplace: null as never })).toThrow(/inplace/);
    expect(() => nn_silu({ in_place: true } as never)).toThrow(/Expected one of inplace for nn_silu options but received "in_place"/);
  });
});

describe('activation options', () => {
  it('refuses unknown options and bad values by name', () => {
    const x = torch_tensor([1, -2]);
    expect(() => nnf_hardtanh(x, { min_val: 1, max_val: 0 })).toThrow(RangeError);
    expect(() => nn_hardtanh({ min_val: 1, max_val: 0 })).toThrow(/max_val/);
    expect(() => nnf_celu(x, { alpha: 0 })).toThrow(/non-zero alpha/);
    expect(() => nn_elu({ alpha: 'a' as never })).toThrow(/Expected a number for alpha/);
    expect(() => nnf_rrelu(x, { lower: 0.5, upper: 0.1 })).toThrow(/upper/);
    expect(() => nnf_softshrink(x, { lambd: -1 })).toThrow(/lambd/);
    expect(() => nnf_glu(torch_tensor(1))).toThrow(/at least 1 dimension/);
    expect(() => nn_threshold('a' as never, 1)).toThrow(/threshold/);
    expect(() => nn_unflatten(1, 'a' as never)).toThrow(/unflattened_size/);
    expect(() => nnf_elu_(x, { inplace: false } as never)).toThrow(/Expected one of alpha for nnf_elu_ options/);
    expect(() => nnf_gumbel_softmax(x, { tau: 'a' as never })).toThrow(/tau/);
    expect(() => nnf_gumbel_softmax(x, { hard: 1 as never })).toThrow(/hard/);
    expect(values(nnf_gumbel_softmax(torch_tensor([[1, 2, 3]]), { hard: true })).sort()).toEqual([0, 0, 1]);
  });

  it('takes dim positionally or with the options, as R names it', () => {
    const x = torch_tensor([[1, 2], [3, 5]]);
    expect(values(nnf_log_softmax(x, { dim: 1 }))).toEqual(values(nnf_log_softmax(x, 1)));
    expect(values(nnf_softmax(x, { dim: 0, dtype: 'float64' }))).toEqual(values(nnf_softmax(x, 0, { dtype: 'float64' })));
    expect(values(nnf_softmin(x, { dim: 1 }))).toEqual(values(nnf_softmax(x.neg(), 1)));
    expect(() => nnf_softmax(x, { dtype: 'float64' } as never)).toThrow(/Expected a dim/);
    expect(() => nnf_softmax(x, { dim: 0 }, { dtype: 'float64' })).toThrow(/no options after the named arguments/);
    expect(() => nnf_log_softmax(x, { dim: 0, axis: 1 } as never)).toThrow(/Expected one of dim, dtype for nnf_log_softmax named arguments/);
  });
});
