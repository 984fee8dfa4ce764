// Issue 24's tensor ops at their edges: torch_tensor of a Tensor is a copy (new storage,
// detached, options honoured), torch_scalar_tensor of a Tensor takes one element, and what
// torchlora refuses is a TypeError or RangeError before libtorch. Values against PyTorch:
// test/parity/tensor_ops.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  torch_cdist, torch_empty_strided, torch_floor_divide, torch_memory_stats, torch_meshgrid, torch_median, torch_quantile, torch_randint_like,
  torch_remainder, torch_scalar_tensor, torch_tensor, TorchError,
} from '../src/index.js';

describe('torch_tensor of a Tensor', () => {
  it('copies into new storage, detached from the graph', () => {
    const x = torch_tensor([1, 2, 3], { requires_grad: true });
    const copy = torch_tensor(x);
    expect(copy.requires_grad).toBe(false);
    expect(copy.grad_fn).toBeFalsy();
    const doubled = x.mul(2);
    const fromResult = torch_tensor(doubled);
    expect(fromResult.grad_fn).toBeFalsy();
    const y = torch_tensor([1, 2, 3]);
    const other = torch_tensor(y);
    y.add_(10);
    expect(other.to_array()).toEqual([1, 2, 3]);
    for (const t of [x, copy, doubled, fromResult, y, other]) t.dispose();
  });

  it('honours dtype and requires_grad, and refuses shape', () => {
    const x = torch_tensor([1.5, 2.5]);
    const f64 = torch_tensor(x, { dtype: 'float64', requires_grad: true });
    expect(f64.dtype).toBe('float64');
    expect(f64.requires_grad).toBe(true);
    const same = torch_tensor(x, { dtype: 'float32' });
    x.mul_(0); // a copy even when nothing is converted
    expect(same.to_array()).toEqual([1.5, 2.5]);
    expect(() => torch_tensor(x, { shape: [2] })).toThrow(TypeError);
    for (const t of [x, f64, same]) t.dispose();
  });
});

describe('torch_scalar_tensor of a Tensor', () => {
  it('takes the one element, in its own dtype unless told', () => {
    const i = torch_tensor([[7]], { dtype: 'int64' });
    const scalar = torch_scalar_tensor(i);
    expect(scalar.shape).toEqual([]);
    expect(scalar.dtype).toBe('int64');
    expect(torch_scalar_tensor(i, { dtype: 'float64' }).item()).toBe(7);
    expect(() => torch_scalar_tensor(torch_tensor([1, 2]))).toThrow(RangeError);
  });
});

describe('refusals', () => {
  it('are TypeError or RangeError by name, before libtorch', () => {
    const x = torch_tensor([[1, 2], [3, 4]]);
    expect(() => torch_meshgrid([x], 'yx' as never)).toThrow(/indexing/);
    expect(() => torch_meshgrid([] as never)).toThrow(TypeError);
    expect(() => torch_quantile(x, 0.5, { interpolation: 'cubic' })).toThrow(/interpolation/);
    expect(() => torch_quantile(x, 'half' as never)).toThrow(TypeError);
    expect(() => torch_cdist(x, x, { compute_mode: 'fast' })).toThrow(/compute_mode/);
    expect(() => torch_empty_strided([2, 2], [1])).toThrow(RangeError);
    expect(() => torch_median(x, { axis: 0 } as never)).toThrow(/axis/);
    expect(() => torch_randint_like(x, 1.5)).toThrow(TypeError);
    expect(() => torch_remainder('5' as never, x)).toThrow(TypeError);
    // What libtorch refuses stays a TorchError: quantile's q out of [0, 1].
    expect(() => torch_quantile(x, 1.5)).toThrow(TorchError);
  });
});

describe('number-first forms', () => {
  it('floor_divide of a number keeps integer tensors integer, and guards -1', () => {
    const i = torch_tensor([2, -3, -1], { dtype: 'int32' });
    const q = torch_floor_divide(7, i);
    expect(q.dtype).toBe('int32');
    expect(q.to_array()).toEqual([3, -3, -7]);
    expect(torch_floor_divide(7.5, i).dtype).toBe('float32');
    // INT64_MIN by -1: libtorch's integer kernels would stop the process with SIGFPE.
    const minusOne = torch_tensor([-1, 3], { dtype: 'int64' });
    // 2^63 = 2 (mod 3), so -2^63 = 1 (mod 3), the divisor's sign.
    expect(torch_remainder(-(2 ** 63), minusOne).to_array()).toEqual([0, 1]);
    expect(torch_floor_divide(-(2 ** 63), minusOne).index(0).item()).toBe(-(2 ** 63));
  });

  it('leave no tensor behind', () => {
    const i = torch_tensor([2, -3], { dtype: 'int64' });
    const x = torch_tensor([[1, 2], [3, 4]]);
    const first = i.index(0);
    const before = torch_memory_stats().tensors;
    for (const t of [torch_floor_divide(7, i), torch_floor_divide(x, x), torch_remainder(5, i), torch_quantile(x, [0.25, 0.75]), torch_scalar_tensor(first), torch_tensor(x)]) t.dispose();
    expect(torch_memory_stats().tensors).toBe(before);
  });
});
