// R torch's forms of arguments, where JavaScript can have them: named arguments as an options
// object, logical index vectors as boolean arrays, R's outer selection with chained
// index_select (PyTorch's advanced indexing pairs index vectors up instead), scalar tensors as
// bounds. Expected values come from arithmetic on arange.
import { describe, expect, it } from 'vitest';
import { nn_multihead_attention, torch_arange, torch_cat, torch_manual_seed, torch_randn, torch_tensor, torch_zeros, with_no_grad } from '../src/index.js';

const x = (): ReturnType<typeof torch_arange> => torch_arange(12).reshape(3, 4); // [[0..3], [4..7], [8..11]]
const long = (values: number[]) => torch_tensor(values, { dtype: 'int64' });

describe('indexing', () => {
  it('a boolean array is a mask (R: x[c(TRUE, FALSE, TRUE), ])', () => {
    expect(x().index([true, false, true]).to_array()).toEqual([[0, 1, 2, 3], [8, 9, 10, 11]]);
    expect(x().index('...', [false, true, false, true]).to_array()).toEqual([[1, 3], [5, 7], [9, 11]]);
  });

  it('two index arrays pair up, as in PyTorch (elements (2, 3) and (0, 1))', () => {
    expect(x().index([2, 0], [3, 1]).to_array()).toEqual([11, 1]);
  });

  it('R\'s x[c(3, 1), c(4, 2)] block is chained index_select (0-based here)', () => {
    expect(x().index_select(0, long([2, 0])).index_select(1, long([3, 1])).to_array()).toEqual([[11, 9], [3, 1]]);
  });

  it('a mask of the wrong kind is refused', () => {
    expect(() => x().index([true, 1 as never])).toThrow('Expected a boolean for index[0][1] but received 1');
  });
});

describe('named arguments as an options object', () => {
  it('x.max({ dim }) and x.min({ dim, keepdim }) as R\'s x$max(dim = 2)', () => {
    const [values, indices] = x().max({ dim: 1 });
    expect(values.to_array()).toEqual([3, 7, 11]);
    expect(indices.to_array()).toEqual([3, 3, 3]);
    expect(x().min({ dim: 0, keepdim: true })[0].to_array()).toEqual([[0, 1, 2, 3]]);
    expect(() => x().max({ dim: 1, keep: true } as never)).toThrow('Expected one of dim, keepdim for max named arguments but received "keep"');
  });

  it('x.to({ other }) takes the other tensor\'s dtype and device', () => {
    const y = x().to({ other: torch_zeros(1, { dtype: 'float64' }) });
    expect(y.dtype).toBe('float64');
    expect(y.to_array()).toEqual(x().to_array());
    expect(() => x().to({ other: torch_zeros(1), dtype: 'int32' })).toThrow(/other alone, or device and dtype/);
  });

  it('MHA forward takes R torch\'s avg_weights', () => {
    torch_manual_seed(0);
    const attention = nn_multihead_attention(8, 2);
    const q = torch_randn(5, 2, 8);
    const [, perHead] = with_no_grad(() => attention(q, q, q, { avg_weights: false }));
    const [, averaged] = with_no_grad(() => attention(q, q, q, { avg_weights: true }));
    expect(perHead!.shape).toEqual([2, 2, 5, 5]);
    expect(perHead!.mean(1).allclose(averaged!)).toBe(true);
  });

  it('reductions, argmax, clamp, flatten, squeeze, allclose, normal_ and uniform_ take R\'s named arguments', () => {
    const m = x(); // [[0..3], [4..7], [8..11]]
    expect(m.sum({ dim: 1 }).to_array()).toEqual([6, 22, 38]);
    expect(m.sum({ dim: 0, keepdim: true }).shape).toEqual([1, 4]);
    expect(m.sum({ dtype: 'float64' }).dtype).toBe('float64');
    expect(m.float().mean({ dim: 1 }).to_array()).toEqual([1.5, 5.5, 9.5]);
    expect(m.argmax({ dim: 0 }).to_array()).toEqual([2, 2, 2, 2]);
    // PyTorch's x.argmax(-1, keepdim=True): a dim by position, keepdim by name.
    expect(m.argmax(-1, { keepdim: true }).to_array()).toEqual([[3], [3], [3]]);
    expect(() => m.argmin(-1, { keep: true } as never)).toThrow('Expected one of keepdim for argmin named arguments but received "keep"');
    expect(m.clamp({ max: 2 }).index(0).to_array()).toEqual([0, 1, 2, 2]);
    expect(m.reshape(3, 2, 2).flatten({ start_dim: 1 }).shape).toEqual([3, 4]);
    expect(m.reshape(1, 12).squeeze({ dim: 0 }).shape).toEqual([12]);
    expect(m.float().allclose(m.float().add(1e-3), { atol: 1e-2 })).toBe(true);
    expect(torch_zeros(1000).uniform_({ from: 2, to: 3 }).min().item()).toBeGreaterThanOrEqual(2);
    expect(m.float().norm({ p: 1, dim: 1 }).to_array()).toEqual([6, 22, 38]);
    expect(() => m.sum({ dims: 1 } as never)).toThrow('Expected one of dim, keepdim, dtype for sum named arguments but received "dims"');
  });

  it('the other functions with optional arguments take them by name too', () => {
    const m = x().float(); // [[0..3], [4..7], [8..11]]
    expect(m.logsumexp({ dim: 1, keepdim: true }).shape).toEqual([3, 1]);
    expect(m.prod({ dim: 1 }).to_array()).toEqual([0, 4 * 5 * 6 * 7, 8 * 9 * 10 * 11]);
    expect(m.gt(5).any({ dim: 1 }).to_array()).toEqual([false, true, true]);
    expect(m.gt(-1).all({ dim: 0, keepdim: true }).shape).toEqual([1, 4]);
    expect(m.chunk(2, { dim: 1 }).map((t) => t.shape)).toEqual([[3, 2], [3, 2]]);
    expect(m.split(1, { dim: 0 }).length).toBe(3);
    expect(m.unbind({ dim: 1 }).length).toBe(4);
    expect(m.tril({ diagonal: -1 }).index(1).to_array()).toEqual([4, 0, 0, 0]);
    expect(m.roll(1, { dims: 1 }).index(0).to_array()).toEqual([3, 0, 1, 2]);
    expect(m.repeat_interleave(2, { dim: 0 }).shape).toEqual([6, 4]);
    expect(m.add(1, { alpha: 2 }).index(0).to_array()).toEqual([2, 3, 4, 5]);
    expect(torch_cat([m, m], { dim: 1 }).shape).toEqual([3, 8]);
    expect(torch_zeros(3).index_put_([[0, 0]], 1, { accumulate: true }).to_array()).toEqual([2, 0, 0]);
    expect(() => m.chunk(2, { dims: 1 } as never)).toThrow('Expected one of dim for torch_chunk named arguments but received "dims"');
  });

  it('torch_arange takes one-element tensors as bounds', () => {
    expect(torch_arange(torch_tensor(2), torch_tensor(5)).to_array()).toEqual([2, 3, 4]);
  });
});
