// The ops reached through libtorch's dispatcher (src/core/dispatch.ts): argument checks before the
// call, libtorch's refusals as TorchErrors, the method forms, and integer division without
// SIGFPE. Their values and gradients are checked against PyTorch in test/parity/ops.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  Tensor, TorchError, torch_arange, torch_manual_seed, torch_chunk, torch_einsum, torch_floor_divide, torch_ones, torch_randn, torch_sort, torch_tensor,
  torch_topk, torch_unique, torch_var,
} from '../src/index.js';

describe('method forms are the torch_* functions', () => {
  it('x.topk(k) is torch_topk(x, k), x.cumsum(d) is torch_cumsum(x, d)', () => {
    torch_manual_seed(3);
    const x = torch_randn(3, 5);
    const [a, ai] = x.topk(2);
    const [b, bi] = torch_topk(x, 2);
    expect(a.equal(b) && ai.equal(bi)).toBe(true);
    // The last running sum is the sum, up to the order the two kernels add in (float32 rounding).
    expect(x.cumsum(1).index('...', -1).allclose(x.sum(1), 1e-5, 1e-5)).toBe(true);
  });

  it('the helpers are not on the prototype, the methods are', () => {
    for (const name of ['unary', 'binary', 'tensorBinary', 'reduce', 'dimReduce']) expect(name in Tensor.prototype).toBe(false);
    for (const name of ['topk', 'sort', 'gather', 'scatter_', 'cumsum', 'var', 'tril']) expect(typeof (Tensor.prototype as unknown as Record<string, unknown>)[name]).toBe('function');
  });
});

describe('arguments are checked before libtorch is called', () => {
  it.each([
    ['topk with a fractional k', () => torch_topk(torch_ones(3), 1.5), TypeError, 'Expected an integer for k but received 1.5'],
    ['topk with a misspelt option', () => torch_topk(torch_ones(3), 1, { larget: false } as never), TypeError, 'Expected one of dim, largest, sorted for torch_topk options but received "larget"'],
    ['sort with null options', () => torch_sort(torch_ones(3), null as never), TypeError, 'Expected an options object for torch_sort options but received null'],
    ['chunk into 0', () => torch_chunk(torch_ones(3), 0), RangeError, 'Expected a positive integer for chunks but received 0'],
    ['einsum without tensors', () => torch_einsum('i->i', []), TypeError, /non-empty array of Tensors/],
    ['var with a string correction', () => torch_var(torch_ones(3), 0, { correction: 'one' as never }), TypeError, /for correction but received "one"/],
    ['unique of a number', () => torch_unique(3 as never), TypeError, 'Expected a Tensor for self but received 3'],
  ] as [string, () => unknown, ErrorConstructor, string | RegExp][])('%s', (_, call, errorClass, message) => {
    expect(call).toThrow(errorClass);
    expect(call).toThrow(message);
  });

  it('what libtorch refuses is a TorchError with its message', () => {
    expect(() => torch_topk(torch_ones(3), 5)).toThrow(TorchError);
    expect(() => torch_topk(torch_ones(3), 5)).toThrow('selected index k out of range');
    expect(() => torch_einsum('ij,jk->ik', [torch_ones(2, 3), torch_ones(2, 3)])).toThrow(TorchError);
  });
});

describe('integer floor division never raises SIGFPE', () => {
  it('INT_MIN // -1 wraps to INT_MIN (two\'s complement), with a number or a tensor divisor', () => {
    const x = torch_tensor(new Int32Array([-(2 ** 31), 7, -7]));
    expect(torch_floor_divide(x, -1).to_array()).toEqual([-(2 ** 31), -7, 7]);
    expect(torch_floor_divide(x, torch_tensor(new Int32Array([-1, 2, -1]))).to_array()).toEqual([-(2 ** 31), 3, 7]);
    const y = torch_tensor(new BigInt64Array([-(2n ** 63n), 9n]));
    expect(torch_floor_divide(y, -1).to_typed_array()).toEqual(new BigInt64Array([-(2n ** 63n), -9n]));
  });

  it('other integer divisors floor as Python does', () => {
    expect(torch_floor_divide(torch_arange(-3, 4), 2).to_array()).toEqual([-2, -1, -1, 0, 0, 1, 1]);
  });
});
