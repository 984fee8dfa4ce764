// The linear algebra functions' edges: what libtorch refuses (a singular matrix) is a
// TorchError and the process goes on computing; what torchlora refuses is a TypeError before
// libtorch is called; results own their tensors. Values against PyTorch: test/parity/linalg.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  linalg_cholesky, linalg_inv, linalg_lstsq, linalg_matrix_norm, linalg_norm, linalg_pinv, linalg_solve, linalg_svd, linalg_vector_norm,
  TorchError, torch_memory_stats, torch_tensor,
} from '../src/index.js';

const singular = () => torch_tensor([[1, 2], [2, 4]]);

describe('linalg errors', () => {
  it('a singular matrix is a TorchError, and the process computes on', () => {
    expect(() => linalg_inv(singular())).toThrow(TorchError);
    expect(() => linalg_inv(singular())).toThrow(/singular/);
    expect(() => linalg_solve(singular(), torch_tensor([1, 1]))).toThrow(TorchError);
    expect(() => linalg_cholesky(torch_tensor([[1, 0], [0, -1]]))).toThrow(TorchError);
    // 1 / (2 * 2 - 1 * 1) = 1/3: the inverse of [[2, 1], [1, 2]] is [[2, -1], [-1, 2]] / 3.
    const inverse = linalg_inv(torch_tensor([[2, 1], [1, 2]], { dtype: 'float64' })).to_array() as number[][];
    expect(inverse[0]![0]).toBeCloseTo(2 / 3, 15);
    expect(inverse[0]![1]).toBeCloseTo(-1 / 3, 15);
  });

  it('refuses what it does not take, by name, before libtorch', () => {
    const x = torch_tensor([[3, 4], [0, 0]]);
    expect(() => linalg_norm(x, 'max' as never)).toThrow(TypeError);
    expect(() => linalg_norm(x, 'max' as never)).toThrow(/ord/);
    expect(() => linalg_vector_norm(x, 'fro' as never)).toThrow(TypeError);
    expect(() => linalg_matrix_norm(x, { order: 1 } as never)).toThrow(/order/);
    expect(() => linalg_pinv(x, { rcond: 0.1, rtol: 0.1 })).toThrow(/rcond or rtol/);
    expect(() => linalg_svd(x, { full: false } as never)).toThrow(TypeError);
    // The options object after the positional arguments takes only the keyword-only ones.
    expect(() => linalg_svd(x, true, { full_matrices: false } as never)).toThrow(/full_matrices/);
    expect(() => linalg_solve(x, x, { B: x } as never)).toThrow(TypeError);
    expect(() => linalg_lstsq(x, x, { driver: 3 } as never)).toThrow(TypeError);
    expect(() => linalg_inv([[1]] as never)).toThrow(TypeError);
  });

  it('the 2-norm of [3, 4] is 5, positionally and by name', () => {
    const x = torch_tensor([[3, 4], [0, 0]]);
    expect(linalg_vector_norm(x).item()).toBe(5);
    expect(linalg_norm(x, 2, 1).to_array()).toEqual([5, 0]);
    expect(linalg_norm(x, { ord: 1, dim: 1 }).to_array()).toEqual([7, 0]);
    expect(linalg_matrix_norm(x, 1).item()).toBe(4);
  });

  // R torch's linalg_pinv passes atol = rtol = 0 when neither is given (no cutoff); torchlora
  // keeps PyTorch's default, rtol = eps * max(m, n), and R's result is { atol: 0, rtol: 0 }.
  it('pinv: PyTorch\'s default cutoff, and R\'s (none) with atol = rtol = 0', () => {
    const a = torch_tensor([[1, 0], [0, 1e-20]], { dtype: 'float64' });
    expect(linalg_pinv(a).to_array()).toEqual([[1, 0], [0, 0]]);      // 1e-20 < 2 * 2^-52: zero
    expect(linalg_pinv(a, { atol: 0, rtol: 0 }).to_array()).toEqual([[1, 0], [0, 1e20]]);
    expect(linalg_pinv(a, 0, false, 0).to_array()).toEqual([[1, 0], [0, 1e20]]); // R's positional order: rcond, hermitian, atol, rtol
  });

  it('lstsq names its results as R does, and every result is released', () => {
    const before = torch_memory_stats().tensors;
    const a = torch_tensor([[1, 0], [0, 1], [0, 0]], { dtype: 'float64' });
    const b = torch_tensor([[1], [2], [3]], { dtype: 'float64' });
    const result = linalg_lstsq(a, b, { driver: 'gelsd' });
    expect(Object.keys(result)).toEqual(['solution', 'residuals', 'rank', 'singular_values']);
    expect(result.solution.to_array()).toEqual([[1], [2]]);
    expect(result.rank.item()).toBe(2);
    for (const tensor of [a, b, ...Object.values(result)]) tensor.dispose();
    const m = singular();
    const [U, S, Vh] = linalg_svd(m);
    for (const tensor of [m, U!, S!, Vh!]) tensor.dispose();
    expect(torch_memory_stats().tensors).toBe(before);
  });
});
