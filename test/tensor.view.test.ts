// to_typed_array({ copy: false }): a view of the tensor's own memory, as numpy() in PyTorch.
import { describe, expect, it } from 'vitest';
import { torch_arange, torch_ones, torch_zeros } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;

describe('to_typed_array', () => {
  it('copies by default: writes to the copy leave the tensor alone', () => {
    const t = torch_zeros(3);
    const copy = t.to_typed_array() as Float32Array;
    copy[0] = 7;
    expect(t.to_array()).toEqual([0, 0, 0]);
  });

  it('with { copy: false } shares memory both ways', () => {
    const t = torch_zeros(2, 2);
    const view = t.to_typed_array({ copy: false }) as Float32Array;
    expect(view).toBeInstanceOf(Float32Array);
    expect(view.length).toBe(4);
    view[3] = 5; // row-major: [1, 1]
    expect(t.to_array()).toEqual([[0, 0], [0, 5]]);
    t.add_(1);
    expect(Array.from(view)).toEqual([1, 1, 1, 6]);
  });

  it('keeps the memory alive after the tensor is disposed and collected', () => {
    const t = torch_arange(0, 1000, 1, { dtype: 'float64' });
    const view = t.to_typed_array({ copy: false }) as Float64Array;
    t.dispose();
    gc?.();
    // 0 + 1 + ... + 999
    expect(view.reduce((a, b) => a + b, 0)).toBe(999 * 1000 / 2);
  });

  it('refuses a view of a non-contiguous tensor, and says what to do', () => {
    const t = torch_ones(2, 3).t();
    expect(() => t.to_typed_array({ copy: false })).toThrow(/contiguous/);
    expect(Array.from(t.contiguous().to_typed_array({ copy: false }) as Float32Array)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => t.to_typed_array({ copy: 'no' as unknown as boolean })).toThrow(TypeError);
  });
});
