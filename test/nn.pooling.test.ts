// Max, average and adaptive pooling (src/nn/pooling*.ts): windows, defaults (stride = kernel
// size), padding, ceil_mode, count_include_pad, divisor_override, indices, unbatched input,
// the modules, and argument checks. Expected values are worked out by hand on small inputs;
// bit-for-bit agreement with PyTorch is test/parity/layers.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AvgPool1d, MaxPool, MaxPool2d, nn_adaptive_avg_pool1d, nn_adaptive_avg_pool2d, nn_adaptive_max_pool1d,
  nn_adaptive_max_pool2d, nn_avg_pool1d, nn_avg_pool2d, nn_max_pool1d, nn_max_pool2d, nn_sequential, nnf_adaptive_avg_pool1d,
  nnf_adaptive_avg_pool2d, nnf_adaptive_max_pool1d, nnf_adaptive_max_pool2d, nnf_avg_pool1d, nnf_avg_pool2d, nnf_max_pool1d,
  nnf_max_pool2d, torch_arange, TorchError, torch_randn, torch_tensor, type Tensor,
} from '../src/index.js';

const values = (t: Tensor): number[] => Array.from(t.to_typed_array() as Float32Array, Number);
const signal = (...xs: number[]): Tensor => torch_tensor([[xs]]); // 1 x 1 x L
// 1 x 1 x 4 x 4: 0 .. 15 row by row
const grid = (): Tensor => torch_arange(0, 16, 1, { dtype: 'float32' }).reshape([1, 1, 4, 4]);

describe('max pooling', () => {
  it('takes the maximum of each window, the stride defaulting to the kernel size', () => {
    expect(values(nnf_max_pool1d(signal(1, 3, 2, 5, 4, 0), 2))).toEqual([3, 5, 4]);
    expect(values(nnf_max_pool1d(signal(1, 3, 2, 5, 4, 0), 2, { stride: 1 }))).toEqual([3, 3, 5, 5, 4]);
    expect(values(nnf_max_pool2d(grid(), 2))).toEqual([5, 7, 13, 15]);
  });

  it('pads with -Infinity, dilates, and rounds up with ceil_mode', () => {
    expect(values(nnf_max_pool1d(signal(-1, -2, -3), 2, { padding: 1 }))).toEqual([-1, -2]);
    expect(values(nnf_max_pool1d(signal(1, 9, 2, 8, 3), 2, { dilation: 2, stride: 1 }))).toEqual([2, 9, 3]);
    expect(nnf_max_pool1d(signal(1, 2, 3, 4, 5), 2).shape).toEqual([1, 1, 2]);
    expect(values(nnf_max_pool1d(signal(1, 2, 3, 4, 5), 2, { ceil_mode: true }))).toEqual([2, 4, 5]);
  });

  it('returns the flat index of each maximum within its plane with return_indices', () => {
    const [max, indices] = nnf_max_pool1d(signal(1, 3, 2, 5, 4, 0), 2, { return_indices: true });
    expect(values(max)).toEqual([3, 5, 4]);
    expect(indices.dtype).toBe('int64');
    expect(Array.from(indices.to_typed_array() as BigInt64Array, Number)).toEqual([1, 3, 4]);
    const [, flat] = nnf_max_pool2d(grid(), 2, { return_indices: true });
    expect(Array.from(flat.to_typed_array() as BigInt64Array, Number)).toEqual([5, 7, 13, 15]);
  });

  it('accepts unbatched C x L and C x H x W input', () => {
    expect(nnf_max_pool1d(torch_randn(3, 8), 2).shape).toEqual([3, 4]);
    expect(nnf_max_pool2d(torch_randn(3, 8, 6), [2, 3]).shape).toEqual([3, 4, 2]);
  });

  it('as modules: options kept, output typed by return_indices, usable in nn_sequential', () => {
    const pool = nn_max_pool2d(2, { stride: 1 });
    expect(pool).toBeInstanceOf(MaxPool2d);
    expect([pool.kernel_size, pool.stride, pool.padding, pool.dilation, pool.ceil_mode, pool.return_indices]).toEqual([2, 1, 0, 1, false, false]);
    expect(pool(grid()).shape).toEqual([1, 1, 3, 3]);
    const [max, indices] = nn_max_pool1d(2, { return_indices: true })(signal(4, 1, 0, 7));
    expect(values(max)).toEqual([4, 7]);
    expect(indices.shape).toEqual([1, 1, 2]);
    expect(nn_sequential(nn_max_pool2d(2), nn_max_pool2d(2))(grid()).shape).toEqual([1, 1, 1, 1]);
  });
});

describe('average pooling', () => {
  it('averages each window, counting padding zeros unless count_include_pad is false', () => {
    expect(values(nnf_avg_pool1d(signal(1, 2, 3, 4), 2))).toEqual([1.5, 3.5]);
    expect(values(nnf_avg_pool1d(signal(1, 2, 3, 4), 2, { padding: 1 }))).toEqual([0.5, 2.5, 2]);
    expect(values(nnf_avg_pool1d(signal(1, 2, 3, 4), 2, { padding: 1, count_include_pad: false }))).toEqual([1, 2.5, 4]);
    expect(values(nnf_avg_pool1d(signal(1, 2, 3, 4, 5), 2, { ceil_mode: true }))).toEqual([1.5, 3.5, 5]);
    expect(values(nnf_avg_pool2d(grid(), 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('divides by divisor_override instead of the window size', () => {
    expect(values(nnf_avg_pool2d(grid(), 2, { divisor_override: 2 }))).toEqual([5, 9, 21, 25]);
  });

  it('as modules', () => {
    const pool = nn_avg_pool1d(2, { stride: 1 });
    expect(pool).toBeInstanceOf(AvgPool1d);
    expect(values(pool(signal(0, 2, 4)))).toEqual([1, 3]);
    expect(values(nn_avg_pool2d([1, 4], { divisor_override: 1 })(grid()))).toEqual([6, 22, 38, 54]);
  });
});

describe('adaptive pooling', () => {
  it('covers the input with output_size windows, whatever its size', () => {
    expect(values(nnf_adaptive_avg_pool1d(signal(1, 2, 3, 4, 5, 6), 1))).toEqual([3.5]);
    // windows [0, 2) and [1, 3) of 3 elements: start floor(i L / n), end ceil((i + 1) L / n)
    expect(values(nnf_adaptive_avg_pool1d(signal(1, 2, 4), 2))).toEqual([1.5, 3]);
    expect(values(nnf_adaptive_max_pool1d(signal(1, 9, 4, 2, 8), 2))).toEqual([9, 8]);
    expect(values(nnf_adaptive_avg_pool2d(grid(), 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect(values(nnf_adaptive_max_pool2d(grid(), [1, 2]))).toEqual([13, 15]);
  });

  it('keeps a dimension\'s size where output_size is null, and returns indices when asked', () => {
    expect(nnf_adaptive_avg_pool2d(torch_randn(2, 3, 5, 7), [null, 2]).shape).toEqual([2, 3, 5, 2]);
    expect(values(nnf_adaptive_max_pool2d(grid(), [2, null]))).toEqual([4, 5, 6, 7, 12, 13, 14, 15]);
    const [max, indices] = nnf_adaptive_max_pool1d(signal(1, 9, 4, 2, 8), 2, { return_indices: true });
    expect(values(max)).toEqual([9, 8]);
    expect(Array.from(indices.to_typed_array() as BigInt64Array, Number)).toEqual([1, 4]);
  });

  it('as modules', () => {
    expect(nn_adaptive_avg_pool2d([3, null])).toBeInstanceOf(AdaptiveAvgPool2d);
    expect(nn_adaptive_avg_pool2d(1)(torch_randn(2, 4, 5, 5)).shape).toEqual([2, 4, 1, 1]);
    expect(values(nn_adaptive_avg_pool1d(1)(signal(2, 4)))).toEqual([3]);
    const pool = nn_adaptive_max_pool1d(2, { return_indices: true });
    expect(pool).toBeInstanceOf(AdaptiveMaxPool1d);
    expect(pool(signal(1, 9, 4, 2, 8))).toHaveLength(2);
    expect(nn_adaptive_max_pool2d([2, 2])(grid()).shape).toEqual([1, 1, 2, 2]);
  });
});

describe('pooling argument checks', () => {
  it('refuses bad sizes, padding over half the kernel and inputs of the wrong rank', () => {
    expect(() => nnf_max_pool1d(signal(1, 2), 0)).toThrow(/Expected a positive integer for kernel_size\[0\] but received 0/);
    expect(() => nnf_max_pool2d(grid(), [2, 2, 2])).toThrow(/Expected a number or an array of 2 numbers for kernel_size/);
    expect(() => nnf_max_pool2d(grid(), 2, { padding: 2 })).toThrow('Expected at most half the kernel size (1) for padding[0] but received 2');
    expect(() => nnf_avg_pool1d(signal(1, 2), 2, { padding: -1 })).toThrow(RangeError);
    expect(() => nnf_max_pool2d(torch_randn(4, 4), 2)).toThrow('Expected a 3-d or 4-d tensor for input but received a 2-d tensor of shape [4, 4]');
    // A window larger than the (padded) input: libtorch's own check, as a TorchError.
    expect(() => nnf_max_pool2d(signal(1, 2), 2)).toThrow(TorchError);
    expect(() => nnf_max_pool1d(torch_randn(1, 1, 2, 2), 2)).toThrow('Expected a 2-d or 3-d tensor for input but received a 4-d tensor of shape [1, 1, 2, 2]');
    expect(() => nnf_avg_pool2d(grid(), 2, { divisor_override: 0 })).toThrow(RangeError);
    expect(() => nnf_adaptive_avg_pool2d(grid(), [2])).toThrow(TypeError);
    expect(() => nnf_adaptive_avg_pool1d(signal(1, 2), -1)).toThrow(RangeError);
    expect(() => nnf_max_pool1d('x' as never, 2)).toThrow(TypeError);
  });

  it('refuses unknown options, in the functions and when a module is made', () => {
    expect(() => nnf_avg_pool1d(signal(1, 2), 2, { divisor_override: 2 } as never)).toThrow(/Expected one of stride, padding, ceil_mode, count_include_pad for nnf_avg_pool1d options but received "divisor_override"/);
    expect(() => nn_max_pool2d(2, { strides: 1 } as never)).toThrow(TypeError);
    expect(() => nn_max_pool2d(2, { padding: 3 })).toThrow(RangeError);
    expect(() => nn_avg_pool2d(2, { ceil_mode: 'yes' as never })).toThrow(TypeError);
    expect(() => nn_adaptive_max_pool2d([2, 2], { indices: true } as never)).toThrow(TypeError);
    expect(() => nn_adaptive_avg_pool2d([2, 2, 2])).toThrow(TypeError);
  });

  it('the exported base classes, called directly, check their dimension count', () => {
    expect(() => new (MaxPool as never as new (...args: unknown[]) => unknown)(3, 2)).toThrow('Expected 1 or 2 (use nn_max_pool1d or nn_max_pool2d) for dims but received 3');
    expect(() => new (AdaptiveAvgPool as never as new (...args: unknown[]) => unknown)(-1, 2)).toThrow(TypeError);
  });
});
